package main

import (
	"fmt"
	"os"
	"strings"
)

// The summary's place in BENCHMARKS.md.
const (
	beginMarker = "<!-- bench: begin (written by `go run ./bench -update BENCHMARKS.md`; edits here are lost) -->"
	endMarker   = "<!-- bench: end -->"
)

// markdown renders the report as the summary section of BENCHMARKS.md.
func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString(beginMarker + "\n")
	b.WriteString("## Summary: `make bench`\n\n")
	b.WriteString("One run of the suite (`bench/`), every figure beside a baseline measured in the same run.\n\n")
	fmt.Fprintf(&b, "- Date: %s; commit %s; profile %s; %.0f s in all\n", r.Date, r.Commit, r.Profile, r.Seconds)
	fmt.Fprintf(&b, "- Machine: %s; load average at the end %s\n", r.Machine["summary"], r.Machine["load_at_end"])
	b.WriteString("- Commands (what `go run ./bench` ran):\n\n")
	for _, c := range r.Commands {
		b.WriteString("      " + c + "\n")
	}
	section := ""
	for _, x := range r.Rows {
		if x.Section != section {
			section = x.Section
			fmt.Fprintf(&b, "\n### %s\n\n| measure | Den | baseline, same run | target | |\n| --- | --- | --- | --- | --- |\n", section)
		}
		met := x.Met
		if met == "missed" {
			met = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", x.Measure, x.Value, x.Baseline, x.Target, met)
	}
	b.WriteString("\n" + endMarker + "\n")
	return b.String()
}

// updateMarkdown puts the summary into the file at path: in place of the
// previous one, or after the file's introduction (before its first "## ").
func (r *report) updateMarkdown(path string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text, summary := string(old), r.markdown()
	if i := strings.Index(text, beginMarker); i >= 0 {
		j := strings.Index(text[i:], endMarker)
		if j < 0 {
			return fmt.Errorf("%s has the summary's begin marker but not its end (%q)", path, endMarker)
		}
		text = text[:i] + summary + strings.TrimPrefix(text[i+j+len(endMarker):], "\n")
	} else if i := strings.Index(text, "\n## "); i >= 0 {
		text = text[:i+1] + summary + "\n" + text[i+1:]
	} else {
		text += "\n" + summary
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
