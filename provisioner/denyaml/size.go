package denyaml

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// MinMemory is the smallest memory limit Docker accepts (6 MiB).
const MinMemory = 6 << 20

// MinCPUs is the smallest CPU limit Docker accepts.
const MinCPUs = 0.01

var (
	decimalPattern = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	sizePattern    = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?([A-Za-z]*)$`)
)

// sizeUnits are the units of a memory size, lower-cased. All are powers of
// 1024, as with docker run --memory: 2g, 2gb, 2gi and 2gib are the same.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "ti": 1 << 40, "tib": 1 << 40,
}

// parseCPUs reads a number of CPUs such as 2, 0.5 or 1.25 as nano CPUs.
func parseCPUs(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if !decimalPattern.MatchString(t) {
		return 0, fmt.Errorf("%s is not a number of CPUs; use a number such as 2 or 0.5", quoteRef(s))
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil || f*1e9 > math.MaxInt64:
		return 0, fmt.Errorf("%s CPUs is more than any machine has", quoteRef(t))
	case f == 0:
		return 0, errors.New("0 CPUs would stop the workspace; leave cpus out for no limit")
	case f < MinCPUs:
		return 0, fmt.Errorf("%s CPUs is less than Docker's minimum, %v", t, MinCPUs)
	}
	return int64(math.Round(f * 1e9)), nil
}

// parseSize reads a memory size: a whole number of bytes, or a number
// (decimals allowed) with a unit k, m, g or t, each optionally followed by
// b, i or ib, in any case, with one optional space: 512m, 2g, 1.5g, 2Gi,
// 2GB, 2 GiB. All units are powers of 1024.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	m := sizePattern.FindStringSubmatch(t)
	var unit int64
	if m != nil {
		unit = sizeUnits[strings.ToLower(m[2])]
	}
	if unit == 0 {
		return 0, fmt.Errorf("%s is not a size; use a number of bytes or a size such as 512m or 2g", quoteRef(s))
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("%s is not a size; use a number of bytes or a size such as 512m or 2g", quoteRef(s))
	}
	r.Mul(r, new(big.Rat).SetInt64(unit))
	if m[2] == "" && !r.IsInt() {
		return 0, fmt.Errorf("%s is not a whole number of bytes; add a unit, such as %sg", quoteRef(t), m[1])
	}
	n := new(big.Int).Quo(r.Num(), r.Denom()) // whole bytes, rounded down
	switch {
	case !n.IsInt64():
		return 0, fmt.Errorf("%s is more memory than any machine has", quoteRef(t))
	case n.Sign() == 0:
		return 0, errors.New("0 bytes would stop the workspace; leave memory out for no limit")
	case n.Int64() < MinMemory && (m[2] == "" || strings.EqualFold(m[2], "b")):
		return 0, fmt.Errorf("%d bytes is less than Docker's minimum of 6m; did you mean %sm?", n.Int64(), m[1])
	case n.Int64() < MinMemory:
		return 0, fmt.Errorf("%s is %d bytes, less than Docker's minimum of 6m", quoteRef(t), n.Int64())
	}
	return n.Int64(), nil
}
