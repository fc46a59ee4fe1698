package denyaml

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"1073741824", 1 << 30, ""},
		{"6291456", 6 << 20, ""},
		{"512m", 512 << 20, ""},
		{"512M", 512 << 20, ""},
		{"512mb", 512 << 20, ""},
		{"512MiB", 512 << 20, ""},
		{"512Mi", 512 << 20, ""},
		{"2g", 2 << 30, ""},
		{"2G", 2 << 30, ""},
		{"2GB", 2 << 30, ""},
		{"2Gi", 2 << 30, ""},
		{"2 GiB", 2 << 30, ""},
		{" 2g ", 2 << 30, ""},
		{"1.5g", 3 << 29, ""},
		{"1.5G", 3 << 29, ""},
		{".5g", 1 << 29, ""},
		{"2.g", 2 << 30, ""},
		{"0.1g", 107374182, ""}, // rounded down to whole bytes
		{"8192k", 8 << 20, ""},
		{"8192kb", 8 << 20, ""},
		{"1t", 1 << 40, ""},
		{"6291456b", 6 << 20, ""},
		{"2 gigs", 0, `"2 gigs" is not a size; use a number of bytes or a size such as 512m or 2g`},
		{"2gb ", 2 << 30, ""},
		{"2  g", 0, "not a size"},
		{"2p", 0, "not a size"},
		{"g", 0, "not a size"},
		{"", 0, "not a size"},
		{"-1g", 0, "not a size"},
		{"1e9", 0, "not a size"},
		{"0x10m", 0, "not a size"},
		{"1,5g", 0, "not a size"},
		{"1.5", 0, "not a whole number of bytes; add a unit, such as 1.5g"},
		{"0", 0, "0 bytes"},
		{"0g", 0, "0 bytes"},
		{"100", 0, "did you mean 100m?"},
		{"5m", 0, "less than Docker's minimum of 6m"},
		{"9000000t", 0, "more memory than any machine has"},
		{"99999999999999999999", 0, "more memory than any machine has"},
	} {
		got, err := parseSize(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseSize(%q) = %d, %v; want error ...%s...", tc.in, got, err, tc.err)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"2", 2e9, ""},
		{"0.5", 5e8, ""},
		{".5", 5e8, ""},
		{"1.", 1e9, ""},
		{"0.1", 1e8, ""},
		{"0.01", 1e7, ""},
		{"1.333333333", 1333333333, ""},
		{" 4 ", 4e9, ""},
		{"0", 0, "0 CPUs"},
		{"0.0", 0, "0 CPUs"},
		{"0.009", 0, "less than Docker's minimum, 0.01"},
		{"-1", 0, "not a number of CPUs"},
		{"1e3", 0, "not a number of CPUs"},
		{"two", 0, `"two" is not a number of CPUs; use a number such as 2 or 0.5`},
		{"", 0, "not a number"},
		{"Inf", 0, "not a number"},
		{"99999999999", 0, "more than any machine has"},
	} {
		got, err := parseCPUs(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("parseCPUs(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseCPUs(%q) = %d, %v; want error ...%s...", tc.in, got, err, tc.err)
		}
	}
}
