package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// outputFormat is the -o flag of list and show commands.
type outputFormat struct{ value string }

func (o *outputFormat) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.value, "output", "o", "table", "output format: table or json")
}

func (o *outputFormat) validate() error {
	switch o.value {
	case "table", "json":
		return nil
	}
	return fmt.Errorf("unknown output format %q: use -o table or -o json", o.value)
}

// write prints v as JSON, or as a table of header and rows.
// json says whether the output is JSON (for machines) rather than a table.
func (o *outputFormat) json() bool { return o.value == "json" }

func (o *outputFormat) write(w io.Writer, v any, header []string, rows [][]string) error {
	if o.value == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return writeTable(w, header, rows)
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// ago renders a past time for a person: "3m ago", "never".
func ago(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return humanDuration(now.Sub(*t)) + " ago"
}

// in renders a future time: "in 29d", "expired".
func in(t time.Time, now time.Time) string {
	if !t.After(now) {
		return "expired"
	}
	return "in " + humanDuration(t.Sub(now))
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
