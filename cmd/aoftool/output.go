package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"

	"github.com/aoftool/aoftool/finding"
)

// writeJSON prints v as the command's one JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// multiResult is the contract's shape for several inputs: one object with a
// results array.
type multiResult[T any] struct {
	Results []T `json:"results"`
}

// emitJSON writes one result as itself and several as {"results": [...]}.
func emitJSON[T any](w io.Writer, results []T) error {
	if len(results) == 1 {
		return writeJSON(w, results[0])
	}
	return writeJSON(w, multiResult[T]{Results: results})
}

// render ends every single-result command: the result as one JSON document
// or through its table printer, then the exit code its findings call for.
func (g *globalOptions) render(out io.Writer, result any, findings finding.List, print func(w io.Writer, colour bool) error) error {
	var err error
	if g.json {
		err = writeJSON(out, result)
	} else {
		err = print(out, g.useColour(out))
	}
	if err != nil {
		return err
	}
	return exitFor(findings)
}

// exitFor returns errFindings when the findings hold an error, which run
// turns into exit 1 without printing anything more.
func exitFor(l finding.List) error {
	if l.HasError() {
		return errFindings
	}
	return nil
}

// isTerminal reports whether w is a terminal, which decides colour and
// progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newTable returns a table in the house style: light borders, headers as
// written, no automatic upper-casing or wrapping of cells.
func newTable(w io.Writer, header ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleLight),
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if len(header) > 0 {
		t.Header(header)
	}
	return t
}

// keyValueTable renders label/value pairs, skipping empty values.
func keyValueTable(w io.Writer, rows [][2]string) error {
	t := newTable(w)
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		if err := t.Append([]string{r[0], r[1]}); err != nil {
			return err
		}
	}
	return t.Render()
}

// printFindings renders findings as a table with hints below it. Nothing is
// printed for an empty list except the line saying so.
func printFindings(w io.Writer, l finding.List, colour bool) error {
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "No findings.")
		return err
	}
	t := newTable(w, "Severity", "Code", "Where", "Message")
	for _, f := range l {
		if err := t.Append([]string{severityLabel(f.Severity, colour), string(f.Code), where(f), f.Message}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, f := range l {
		if f.Hint != "" {
			fmt.Fprintf(w, "  hint (%s): %s\n", f.Code, f.Hint)
		}
	}
	return nil
}

func where(f finding.Finding) string {
	s := f.Path
	if f.Line > 0 {
		s += fmt.Sprintf(":%d", f.Line)
	}
	if f.Offset != nil {
		s += fmt.Sprintf(" @%d", *f.Offset)
	}
	return strings.TrimSpace(s)
}

func severityLabel(s finding.Severity, colour bool) string {
	if !colour {
		return string(s)
	}
	switch s {
	case finding.Error:
		return "\x1b[31m" + string(s) + "\x1b[0m"
	case finding.Warning:
		return "\x1b[33m" + string(s) + "\x1b[0m"
	}
	return string(s)
}

// useColour decides colour once per command: only on a terminal, never with
// --no-color or NO_COLOR set.
func (g *globalOptions) useColour(w io.Writer) bool {
	return !g.noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w)
}

// bytesCell shows a byte count for people: exact below 1 KiB, IEC above, with
// the exact number kept for sizes where rounding would hide a difference.
func bytesCell(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%s (%d)", humanize.IBytes(uint64(n)), n)
}

// rateCell shows a byte rate for people; tiny rates keep a decimal so a
// trickle is not shown as zero.
func rateCell(r float64) string {
	sign := ""
	if r < 0 {
		sign, r = "-", -r
	}
	if r < 10 {
		return fmt.Sprintf("%s%.1f B/s", sign, r)
	}
	return sign + humanize.IBytes(uint64(r)) + "/s"
}

// timeCell shows a time as UTC RFC 3339 plus how long ago, relative to now.
func timeCell(t time.Time, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339) + " (" + humanize.RelTime(t, now, "ago", "from now") + ")"
}

// verdictLine prints the closing line every human report ends with.
func verdictLine(w io.Writer, l finding.List, text string) {
	c := l.Count()
	fmt.Fprintf(w, "%s (%d error(s), %d warning(s), %d info)\n", text, c[finding.Error], c[finding.Warning], c[finding.Info])
}
