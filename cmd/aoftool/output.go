package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
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
		err = print(g.screenFor(out), g.useColour(out))
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
	if s, ok := w.(*screen); ok {
		w = s.Writer
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// printFindings renders findings as blocks, one per finding: severity, code
// and where on the first line, the message wrapped below it, then the hint.
// A finding repeated word for word is printed once, and a hint shared by
// consecutive findings once, after the last of them. Paths in hints are
// made relative to the working directory with base, the directory the
// findings' paths are relative to as the user typed it ("" or "." when
// they already are).
func printFindings(w io.Writer, l finding.List, colour bool, base ...string) error {
	l = uniqueFindings(l)
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "No findings.")
		return err
	}
	hintBase := ""
	if len(base) > 0 {
		hintBase = base[0]
	}
	fmt.Fprintf(w, "Findings (%s):\n", countWords(l))
	shared := 0
	for i, f := range l {
		fmt.Fprintln(w)
		head := severityLabel(f.Severity, colour) + "  " + string(f.Code)
		if wh := where(f); wh != "" {
			if width := widthOf(w); width > 0 && textWidth(head)+2+textWidth(wh) > width {
				fmt.Fprintln(w, head)
				writeWrapped(w, "  at ", wh)
			} else {
				fmt.Fprintln(w, head+"  "+wh)
			}
		} else {
			fmt.Fprintln(w, head)
		}
		writeWrapped(w, "  ", f.Message)
		if f.Hint == "" {
			continue
		}
		if i+1 < len(l) && l[i+1].Hint == f.Hint {
			shared++
			continue
		}
		label := "  hint: "
		if shared > 0 {
			label = fmt.Sprintf("  hint (these %d): ", shared+1)
		}
		shared = 0
		writeWrapped(w, label, relativeHint(f.Hint, l, hintBase))
	}
	return nil
}

// uniqueFindings drops findings that repeat an earlier one word for word.
func uniqueFindings(l finding.List) finding.List {
	seen := map[string]bool{}
	out := make(finding.List, 0, len(l))
	for _, f := range l {
		off := int64(-1)
		if f.Offset != nil {
			off = *f.Offset
		}
		k := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s", f.Severity, f.Code, f.Path, f.Line, off, f.Message, f.Hint)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}

// countWords says how many findings of each severity a list holds.
func countWords(l finding.List) string {
	c := l.Count()
	var parts []string
	for _, s := range []struct {
		sev  finding.Severity
		word string
	}{{finding.Error, "error"}, {finding.Warning, "warning"}, {finding.Info, "info"}} {
		if n := c[s.sev]; n > 0 {
			w := s.word
			if n > 1 && s.sev != finding.Info {
				w += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	return strings.Join(parts, ", ")
}

// relativeHint rewrites the paths a hint names, which are relative to the
// inspected directory, so the command it shows runs from the working
// directory.
func relativeHint(hint string, l finding.List, base string) string {
	if base == "" || base == "." {
		return hint
	}
	seen := map[string]bool{}
	for _, f := range l {
		p := f.Path
		if p == "" || seen[p] || filepath.IsAbs(p) || strings.HasPrefix(p, base+string(filepath.Separator)) {
			continue
		}
		seen[p] = true
		hint = replaceToken(hint, p, filepath.Join(base, p))
	}
	return hint
}

// replaceToken replaces old in s where it stands as a whole word (between
// spaces, quotes, brackets or the ends).
func replaceToken(s, old, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(old)
		before := i == 0 || strings.ContainsRune(" '\"(`", rune(s[i-1]))
		after := end == len(s) || strings.ContainsRune(" '\"):;,`", rune(s[end]))
		b.WriteString(s[:i])
		if before && after {
			b.WriteString(repl)
		} else {
			b.WriteString(old)
		}
		s = s[end:]
	}
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
	fmt.Fprintln(w)
	writeWrapped(w, "", fmt.Sprintf("%s (%d error(s), %d warning(s), %d info)", text, c[finding.Error], c[finding.Warning], c[finding.Info]))
}
