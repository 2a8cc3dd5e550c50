package oracle

import (
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Harm is one reason the server's handling of a directory puts data at
// risk, so that aoftool must exit 1.
type Harm struct {
	Text string
	// ModeOnly marks a harm of one mode's start alone (an empty start while
	// the other mode loads keys). Every other harm means something in the
	// directory is damaged, which is an error whatever the mode.
	ModeOnly bool
}

// Harms are the reasons o puts data at risk. intact, when not nil, is the
// same start on the intact directory this one was derived from without
// removing data: fewer keys than it loads is a loss. other, when not nil,
// is the start in the other mode with the same settings.
func Harms(o, intact, other *Outcome) []Harm {
	var out []Harm
	add := func(mode bool, format string, a ...any) {
		out = append(out, Harm{Text: fmt.Sprintf(format, a...), ModeOnly: mode})
	}
	f := &o.First
	switch f.State {
	case Refused:
		add(false, "refuses (exit %d): %s", f.ExitCode, f.Reason())
	case Crashed:
		add(false, "crashes (%s): %s", f.Signal, f.Reason())
	case Hung:
		add(false, "hangs")
	}
	for _, c := range f.Changes {
		if c.Destructive() {
			add(false, "%s", c)
		}
	}
	for _, r := range f.Reasons {
		if strings.Contains(r, "skipping empty key") {
			add(false, "skips an empty key")
			break
		}
	}
	if f.State == Started && intact != nil && intact.First.State == Started {
		fewer := false
		for _, db := range Databases(intact.First.Keys) {
			if f.Keys[db] < intact.First.Keys[db] {
				add(false, "db%d holds %d keys, the intact files %d", db, f.Keys[db], intact.First.Keys[db])
				fewer = true
			}
		}
		if !fewer && f.Digest != "" && f.Digest != intact.First.Digest {
			add(false, "holds other data than the intact files load (DEBUG DIGEST differs)")
		}
	}
	if f.State == Started && other != nil && other.First.State == Started && f.TotalKeys() == 0 && other.First.TotalKeys() > 0 {
		add(true, "starts empty while appendonly %s loads %d keys", yesNo(other.Config.AppendOnly), other.First.TotalKeys())
	}
	if f.Stalled != "" {
		add(false, "stalls: %s", f.Stalled)
	}
	if o.SaveErr != "" {
		add(false, "SAVE fails: %s", o.SaveErr)
	}
	if a := o.After; a != nil {
		switch a.State {
		case Refused:
			add(false, "the start after refuses (exit %d): %s", a.ExitCode, a.Reason())
		case Crashed:
			add(false, "the start after crashes (%s): %s", a.Signal, a.Reason())
		case Hung:
			add(false, "the start after hangs")
		default:
			if !o.MarkerKept {
				add(false, "the start after drops the write made after the first start")
			}
			var expiring int64
			for _, n := range f.Expires {
				expiring += n
			}
			if kept := a.TotalKeys() - boolInt(o.MarkerKept); kept < f.TotalKeys()-expiring {
				add(false, "the start after holds %d keys, the first %d", kept, f.TotalKeys())
			}
			for _, c := range a.Changes {
				if c.Destructive() {
					add(false, "the start after: %s", c)
				}
			}
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Summary is the server's outcome in one line for a table.
func (o *Outcome) Summary() string {
	f := &o.First
	var s string
	switch f.State {
	case Started:
		s = "starts, " + KeysString(f.Keys)
	case Refused:
		s = fmt.Sprintf("refuses (exit %d)", f.ExitCode)
	case Crashed:
		s = fmt.Sprintf("crashes (%s)", f.Signal)
	case Hung:
		s = "hangs"
	}
	if r := f.Reason(); r != "" && !strings.HasPrefix(r, "Creating AOF") {
		s += ": " + shorten(r, 90)
	}
	var ch []string
	for _, c := range f.Changes {
		ch = append(ch, c.String())
	}
	if len(ch) > 0 {
		s += "; changes: " + strings.Join(ch, ", ")
	}
	if f.Stalled != "" {
		s += "; stalls: " + f.Stalled
	}
	if o.SaveErr != "" {
		s += "; SAVE fails"
	}
	if a := o.After; a != nil {
		switch {
		case a.State != Started:
			s += fmt.Sprintf("; start after %s: %s", a.State, shorten(a.Reason(), 70))
		case !o.MarkerKept:
			s += "; start after drops the marker"
		}
	}
	return s
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// Summary is aoftool's answer for one mode in one line.
func (c *Checked) Summary(cfg Config) string {
	p := c.For(cfg)
	s := fmt.Sprintf("exit %d", c.ExitCode)
	if errs := c.Errors(); len(errs) > 0 {
		s += " [" + strings.Join(dedupeStrings(errs), ",") + "]"
	}
	if p == nil {
		return s + "; no report: " + shorten(strings.TrimSpace(c.Stderr), 80)
	}
	if p.Starts {
		s += "; starts"
		if k := p.KeysText(); k != "" {
			s += ", " + k
		}
	} else {
		s += "; refuses"
	}
	if len(p.Modifies) > 0 {
		s += "; modifies: " + shorten(strings.Join(p.Modifies, " / "), 160)
	}
	if !c.WithConfig && !cfg.Plain() {
		s += " (no --config)"
	}
	return s
}

// KeysText renders the key prediction: "12 keys", "10..14 keys" or "".
func (p *Prediction) KeysText() string {
	switch {
	case p.Keys != nil:
		return fmt.Sprintf("%d keys", *p.Keys)
	case p.KeysMin != nil && p.KeysMax != nil:
		return fmt.Sprintf("%d..%d keys", *p.KeysMin, *p.KeysMax)
	}
	return ""
}

func dedupeStrings(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// StartsMismatch compares whether the server started with aoftool's
// prediction for the same mode.
func StartsMismatch(o *Outcome, c *Checked) string {
	p := c.For(o.Config)
	if p == nil {
		return fmt.Sprintf("no prediction (exit %d)", c.ExitCode)
	}
	if started := o.First.State == Started; p.Starts != started {
		return fmt.Sprintf("starts: server %s, aoftool predicts starts=%v", o.First.State, p.Starts)
	}
	return ""
}

// cutVerb finds the paths aoftool says a start cuts.
var cutVerb = regexp.MustCompile(`(?i)\b(?:cuts|truncates)\s+(\S+)`)

// ModifiesMismatch compares the files the server changed at start with
// those aoftool's prediction names: every change but an append (the DELs
// of expired keys) and a rewrite of the manifest (which goes with any
// other change) must be named, and every file aoftool says is cut must
// have been cut.
func ModifiesMismatch(o *Outcome, c *Checked) string {
	p := c.For(o.Config)
	if p == nil {
		return ""
	}
	text := strings.Join(p.Modifies, "\n")
	var missing, extra []string
	for _, ch := range o.First.Changes {
		if ch.Kind == Grown || ch.Kind == Rewritten && strings.HasSuffix(ch.Path, ".manifest") {
			continue
		}
		if !mentions(text, ch) {
			missing = append(missing, ch.String())
		}
	}
	truncated := map[string]bool{}
	for _, ch := range o.First.Changes {
		if ch.Kind == Truncated {
			truncated[ch.Path] = true
			truncated[path.Base(ch.Path)] = true
		}
	}
	for _, m := range cutVerb.FindAllStringSubmatchIndex(text, -1) {
		rest := text[m[2]:]
		done := false
		for p := range truncated {
			if strings.HasPrefix(rest, p) {
				done = true
			}
		}
		if !done {
			extra = append(extra, "cuts "+strings.TrimRight(text[m[2]:m[3]], ".,;:)"))
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "server changes not predicted: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "predicted but not done: "+strings.Join(extra, ", "))
	}
	return strings.Join(parts, "; ")
}

// mentions reports whether aoftool's text names the change: its path or
// file name, or for a file created inside a directory, "creat…" together
// with that directory.
func mentions(text string, ch Change) bool {
	name := ch.Path
	if ch.From != "" {
		name = ch.From
	}
	if strings.Contains(text, name) || strings.Contains(text, path.Base(name)) {
		return true
	}
	if ch.Kind == Created {
		dir := path.Dir(ch.Path)
		lower := strings.ToLower(text)
		if strings.Contains(lower, "creat") && (dir == "." || strings.Contains(text, dir)) {
			return true
		}
	}
	return false
}

// Row is one line of an agreement table.
type Row struct {
	Case, Class string
	Config      Config
	Server      string
	Aoftool     string
	Mismatch    string
}

// WriteTable writes rows as a Markdown table.
func WriteTable(w io.Writer, title string, rows []Row) {
	fmt.Fprintf(w, "### %s\n\n", title)
	fmt.Fprintln(w, "| case | class | config | server | aoftool | mismatch |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", esc.Replace(r.Case), r.Class, r.Config, esc.Replace(r.Server), esc.Replace(r.Aoftool), esc.Replace(r.Mismatch))
	}
	fmt.Fprintln(w)
}

// SortRows orders rows by case and configuration.
func SortRows(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Case != rows[j].Case {
			return rows[i].Case < rows[j].Case
		}
		return rows[i].Config.String() < rows[j].Config.String()
	})
}
