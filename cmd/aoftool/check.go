package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/phase"
)

type checkOptions struct {
	markdown    bool
	markdownOut string
	log         serverLog
	serverConfig
	server      serverFlag
	rehearse    bool
	redisServer string
	at          string
}

func newCheckCmd(g *globalOptions) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Post-mortem: would Redis start from a data dir, with which data",
		Long: `check runs every inspector over a data directory: the persistence phase and the leftovers
of dead jobs, the AOF manifest as the Redis loader reads it, every RDB file verified
(checksum, structure, truncation offset, key count) and every AOF file Redis loads scanned
(command stream, truncated tails, what the loader cuts in place).

It closes with what the next start does, with AOF on and with AOF off: whether Redis starts,
which files it loads (dump.rdb is ignored while AOF is on), how many keys it holds when that
is known, what it changes on disk at start, and what would be lost.

--log FILE ('-' for stdin) adds the server's log: its word on which jobs ran joins the phase,
and the report gains the story of the incident: the server's lifetimes and how each ended,
the events before the copy, the jobs that failed and why, full-sync loops, and how long the
last load took (so the next can be estimated).

Keys are counted as a client sees them right after the start: an RDB load skips keys whose
expiry has passed, an AOF load deletes them at once. --at TIME predicts a start at another
moment (unix seconds, RFC 3339, or +DURATION/-DURATION from now such as +8h).

--server-stopped says no server runs on the directory (a copy, a dead pod's volume): every
temp file is then a leftover, with whether it is safe to delete.

--markdown prints the same report as Markdown for an incident ticket; --markdown-out FILE
writes it to FILE (outside DIR) beside the normal output. Nothing is written inside DIR; run it
on a copy or on a stopped server's volume, or on a live one (temp files being written are
reported as incomplete, not corrupt).`,
		Example: `  aoftool check /var/lib/redis
  aoftool check --markdown /mnt/redis-0-copy > incident.md
  aoftool check --json /mnt/redis-0-copy | jq .start
  aoftool check --at +12h /mnt/redis-0-copy  # a start 12 hours from now
  aoftool check --config /etc/redis/redis.conf
  aoftool check --server-stopped /mnt/pvc-snapshot
  kubectl logs redis-0 --previous > redis.log
  aoftool check --server-stopped --log redis.log /mnt/pvc-snapshot`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.log.validate(); err != nil {
				return err
			}
			return runCheck(cmd.Context(), g, o, dirArg(args), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.markdown, "markdown", false, "print the report as Markdown")
	f.StringVar(&o.markdownOut, "markdown-out", "", "also write the Markdown report to FILE (outside DIR)")
	o.serverConfig.flags(cmd, true, true)
	o.server.declare(cmd)
	o.log.flags(cmd)
	f.BoolVar(&o.rehearse, "rehearse", false, "also start the server for real on a scratch copy (in $TMPDIR, never the directory itself) and put its answer beside the prediction")
	f.StringVar(&o.at, "at", "", "predict the start at `TIME` (unix seconds, RFC 3339, or +DURATION from now); expiries are judged against it")
	f.StringVar(&o.redisServer, "redis-server", "", "with --rehearse: the redis-server binary to run (default: the one on PATH)")
	return cmd
}

// checkMemoryLimit is the Go heap's soft limit for check: the replay model
// and a key-level diff hold tens of megabytes that a collection only at
// twice the live heap would turn into RSS, beside a Redis that may be
// short of memory. GOMEMLIMIT overrides it.
const checkMemoryLimit = 96 << 20

func runCheck(ctx context.Context, g *globalOptions, o checkOptions, arg string, out io.Writer) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(checkMemoryLimit))
	}
	target, err := o.server.target()
	if err != nil {
		return err
	}
	copt := check.Options{Target: target, Progress: func(name string, size int64) func(int64) {
		bar := g.progress(name, size)
		if bar == nil {
			return nil
		}
		return func(read int64) {
			if read < 0 {
				bar.finish()
				return
			}
			bar.set(read)
		}
	}}
	if o.at != "" {
		if copt.At, err = parseAt(o.at, g.now()); err != nil {
			return usagef("--at %q: %v", o.at, err)
		}
	}
	if o.redisServer != "" && !o.rehearse {
		return usagef("--redis-server goes with --rehearse")
	}
	if o.rehearse {
		copt.Rehearse = &check.RehearseOptions{Binary: o.redisServer}
	}
	d, err := o.serverConfig.open(g, arg, false)
	if err != nil {
		return err
	}
	var mdOut *wopen.Target
	if o.markdownOut != "" {
		// Checked before the work, so a bad path does not waste a long check.
		if mdOut, err = wopen.Plan("--markdown-out", o.markdownOut, wopen.ReplaceFile, d.Inspected()...); err != nil {
			return usageError{err}
		}
	}
	lg, logName, err := o.log.read(g)
	if err != nil {
		return err
	}
	copt.Log, copt.LogName = lg, logName
	rep, err := check.Run(ctx, d, copt)
	// A live server that installs a rewrite while the directory is read
	// leaves a listing that names gone files: read it again.
	for retry := 0; errors.Is(err, check.ErrMoved) && retry < 3; retry++ {
		if d, err = o.serverConfig.open(g, arg, false); err == nil {
			rep, err = check.Run(ctx, d, copt)
		}
	}
	if err != nil {
		return err
	}
	if mdOut != nil {
		var b bytes.Buffer
		if err := printCheckMarkdown(&b, rep); err != nil {
			return err
		}
		if err := mdOut.WriteFile(b.Bytes()); err != nil {
			return err
		}
	}
	return g.render(out, rep, rep.Findings, func(w io.Writer, colour bool) error {
		if o.markdown {
			return printCheckMarkdown(w, rep)
		}
		return printCheck(w, rep, colour)
	})
}

// startMoment names the moment the start is predicted for when --at moved
// it away from the directory's reading: expiries are judged against it.
func startMoment(rep *check.Report) string {
	d := rep.Start.At.Sub(rep.TakenAt)
	if d < time.Second && d > -time.Second {
		return ""
	}
	return " (predicted for a start at " + rep.Start.At.UTC().Format(time.RFC3339) + ")"
}

func phaseLine(r *phase.Result) string {
	s := fmt.Sprintf("%s (confidence %s", r.Phase, r.Confidence)
	if r.Step != "" {
		s += "; replica rebuild " + r.Step
	}
	s += ")"
	if len(r.Alternatives) > 0 {
		alts := make([]string, len(r.Alternatives))
		for i, a := range r.Alternatives {
			alts[i] = string(a)
		}
		s += ", alternatives: " + strings.Join(alts, ", ")
	}
	return s + ": " + r.Summary
}

func manifestLine(rep *check.Report) string {
	m := rep.Manifest
	switch {
	case m == nil:
		return "no AOF directory"
	case m.Manifest == nil:
		return "no manifest in " + m.AppendDir
	case !m.Verdict.Loads:
		return "refused by Redis: " + m.Verdict.Reason
	}
	return fmt.Sprintf("%s accepted: base seq %d, incr seq %d, %d file(s) loaded", m.ManifestPath, m.Manifest.BaseSeq, m.Manifest.IncrSeq, len(m.Verdict.Files))
}

// judgedLine says which start the exit code follows, and for which server.
func judgedLine(rep *check.Report) string {
	j := rep.Start.Judged
	mode := "appendonly yes"
	if j.Mode == check.AOFOff {
		mode = "appendonly no"
	}
	s := fmt.Sprintf("%s (%s)", mode, j.Why)
	if rep.Target != nil {
		s += "; " + rep.Target.String()
	}
	return s
}

// rdbRows and aofRows are shared by the table and Markdown renderings.
func rdbRows(rep *check.Report) [][]string {
	var rows [][]string
	for _, r := range rep.RDBs {
		ver, keys := "", ""
		if r.Header != nil {
			ver = r.Header.Magic
			if v := r.Header.RedisVer + r.Header.ValkeyVer; v != "" {
				ver += " (" + r.Header.Producer + " " + v + ")"
			}
		}
		if r.StructureChecked {
			keys = fmt.Sprint(r.Keys.Keys)
		}
		rows = append(rows, []string{r.Path, bytesCell(r.Size), ver, keys, r.Checksum.Status, r.Verdict})
	}
	return rows
}

func aofRows(rep *check.Report) [][]string {
	var rows [][]string
	if rep.AOF == nil {
		return nil
	}
	for _, f := range rep.AOF.Files {
		rows = append(rows, []string{f.Path, f.Role, bytesCell(f.Size), f.Format, fmt.Sprint(f.Commands), string(f.Server.Verdict)})
	}
	return rows
}

// unloadedAOFRows shows the AOF files Redis does not load, with what a scan
// of each found.
func unloadedAOFRows(rep *check.Report) [][]string {
	var rows [][]string
	for _, f := range rep.UnloadedAOFs {
		state := "complete"
		switch {
		case f.BadRecord != nil:
			state = fmt.Sprintf("bad record at %d", f.BadRecord.Offset)
		case f.TruncatedTail != nil:
			state = fmt.Sprintf("torn tail after %d", f.OKUpTo)
		case f.Findings.HasError():
			state = "unreadable"
		}
		rows = append(rows, []string{f.Path, bytesCell(f.Size), f.Format, fmt.Sprint(f.Commands), state})
	}
	return rows
}

// rehearsalLines say what the server did in a rehearsal, beside the
// prediction.
func rehearsalLines(rh *check.Rehearsal) []string {
	if rh == nil {
		return nil
	}
	res := rh.Server
	head := fmt.Sprintf("%s %s in %.2fs", res.Version, res.Result, res.Seconds)
	if res.Started {
		head += fmt.Sprintf(" with %d key(s)", res.TotalKeys)
	}
	if res.Reason != "" {
		head += ": " + res.Reason
	}
	lines := []string{head}
	verbs := map[string]string{"created": "created", "deleted": "deleted", "truncated": "cut", "grown": "appended to", "rewritten": "rewrote"}
	for _, c := range res.Changes {
		l := verbs[c.Action] + " " + c.Path
		if c.Action == "truncated" || c.Action == "grown" || c.Action == "rewritten" {
			l += fmt.Sprintf(" (%d → %d bytes)", c.FromSize, c.ToSize)
			if c.AppendedTo > 0 {
				l += fmt.Sprintf(", then appended to %d bytes", c.AppendedTo)
			}
		}
		lines = append(lines, "it "+l)
	}
	if rh.Agrees {
		lines = append(lines, "the prediction agrees")
	}
	for _, d := range rh.Differences {
		lines = append(lines, "differs: "+d)
	}
	return lines
}

func outcomeLines(o check.Outcome) []string {
	head := "starts with " + o.Dataset
	if !o.Starts {
		head = o.Dataset
	}
	lines := []string{head}
	if len(o.Loads) > 0 {
		lines = append(lines, "loads: "+strings.Join(o.Loads, ", "))
	}
	for _, m := range o.Modifies {
		lines = append(lines, "at start it "+m)
	}
	for _, l := range o.Loses {
		lines = append(lines, "not loaded / lost: "+l)
	}
	return lines
}

func printCheck(w io.Writer, rep *check.Report, colour bool) error {
	if err := keyValueTable(w, [][2]string{
		{"Directory", rep.Dir},
		{"Checked", rep.TakenAt.UTC().Format(time.RFC3339)},
		{"Phase", phaseLine(rep.Phase)},
		{"Manifest", manifestLine(rep)},
		{"Judged with", judgedLine(rep)},
	}); err != nil {
		return err
	}
	table := func(title string, header []string, rows [][]string) error {
		if len(rows) == 0 {
			return nil
		}
		fmt.Fprintf(w, "\n%s\n", title)
		t := newTable(w, header...)
		for _, r := range rows {
			if err := t.Append(r); err != nil {
				return err
			}
		}
		return t.Render()
	}
	if err := table("RDB files:", []string{"Path", "Size", "Format", "Keys", "Checksum", "Verdict"}, rdbRows(rep)); err != nil {
		return err
	}
	if err := table("AOF files Redis loads, in order:", []string{"Path", "Role", "Size", "Format", "Commands", "Server"}, aofRows(rep)); err != nil {
		return err
	}
	if err := table("AOF files Redis does not load:", []string{"Path", "Size", "Format", "Commands", "Content"}, unloadedAOFRows(rep)); err != nil {
		return err
	}
	var lrows [][]string
	for _, l := range rep.Phase.Leftovers {
		safe := safeToDeleteCell(l)
		lrows = append(lrows, []string{l.Path, bytesCell(l.Bytes), safe, l.NextStart})
	}
	if err := table("Leftovers of dead jobs:", []string{"Path", "Size", "Safe to delete", "Next start"}, lrows); err != nil {
		return err
	}
	if err := printStory(w, rep.Story, table); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nNext start%s:\n", startMoment(rep))
	for _, c := range []struct {
		label string
		o     check.Outcome
	}{{"With AOF on (appendonly yes)", rep.Start.AOFOn}, {"With AOF off (appendonly no)", rep.Start.AOFOff}} {
		fmt.Fprintf(w, "  %s:\n", c.label)
		for _, l := range outcomeLines(c.o) {
			bullet(w, 4, l)
		}
	}
	if lines := rehearsalLines(rep.Rehearsal); len(lines) > 0 {
		fmt.Fprintln(w, "\nRehearsal (the judged start, run on a scratch copy):")
		for _, l := range lines {
			bullet(w, 2, l)
		}
	}
	fmt.Fprintln(w)
	if err := printFindings(w, rep.Findings, colour, rep.Dir); err != nil {
		return err
	}
	verdictLine(w, rep.Findings, "Check: "+rep.Verdict)
	return nil
}

// mdCell escapes what would break a Markdown table cell, and the
// backslashes of escaped names, so the rendered text shows each escape once
// (a key "\xff" reads as in the text and JSON outputs).
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

func mdTable(w io.Writer, header []string, rows [][]string) {
	esc := func(r []string) string {
		out := make([]string, len(r))
		for i, c := range r {
			out[i] = mdCell(c)
		}
		return "| " + strings.Join(out, " | ") + " |"
	}
	fmt.Fprintln(w, esc(header))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range rows {
		fmt.Fprintln(w, esc(r))
	}
}

func printCheckMarkdown(w io.Writer, rep *check.Report) error {
	c := rep.Findings.Count()
	fmt.Fprintf(w, "# aoftool check: `%s`\n\n", rep.Dir)
	fmt.Fprintf(w, "Checked %s. **%s** (%d error(s), %d warning(s), %d info).\n\n", rep.TakenAt.UTC().Format(time.RFC3339), mdCell(rep.Verdict), c[finding.Error], c[finding.Warning], c[finding.Info])
	fmt.Fprintf(w, "- **Phase:** %s\n", mdCell(phaseLine(rep.Phase)))
	fmt.Fprintf(w, "- **Manifest:** %s\n", mdCell(manifestLine(rep)))
	fmt.Fprintf(w, "- **Judged with:** %s\n", mdCell(judgedLine(rep)))
	fmt.Fprintf(w, "\n## Next start%s\n", startMoment(rep))
	for _, s := range []struct {
		label string
		o     check.Outcome
	}{{"With AOF on (`appendonly yes`)", rep.Start.AOFOn}, {"With AOF off (`appendonly no`)", rep.Start.AOFOff}} {
		fmt.Fprintf(w, "\n### %s\n\n", s.label)
		for _, l := range outcomeLines(s.o) {
			fmt.Fprintf(w, "- %s\n", mdCell(l))
		}
	}
	if lines := rehearsalLines(rep.Rehearsal); len(lines) > 0 {
		fmt.Fprint(w, "\n### Rehearsal (the judged start, run on a scratch copy)\n\n")
		for _, l := range lines {
			fmt.Fprintf(w, "- %s\n", mdCell(l))
		}
	}
	if rows := rdbRows(rep); len(rows) > 0 {
		fmt.Fprint(w, "\n## RDB files\n\n")
		mdTable(w, []string{"Path", "Size", "Format", "Keys", "Checksum", "Verdict"}, rows)
	}
	if rows := aofRows(rep); len(rows) > 0 {
		fmt.Fprint(w, "\n## AOF files Redis loads, in order\n\n")
		mdTable(w, []string{"Path", "Role", "Size", "Format", "Commands", "Server"}, rows)
	}
	if rows := unloadedAOFRows(rep); len(rows) > 0 {
		fmt.Fprint(w, "\n## AOF files Redis does not load\n\n")
		mdTable(w, []string{"Path", "Size", "Format", "Commands", "Content"}, rows)
	}
	if len(rep.Phase.Leftovers) > 0 {
		fmt.Fprint(w, "\n## Leftovers of dead jobs\n\n")
		var rows [][]string
		for _, l := range rep.Phase.Leftovers {
			safe := safeToDeleteCell(l)
			rows = append(rows, []string{"`" + l.Path + "`", bytesCell(l.Bytes), l.Why, safe, l.NextStart})
		}
		mdTable(w, []string{"Path", "Size", "Why stale", "Safe to delete", "Next start"}, rows)
	}
	printStoryMarkdown(w, rep.Story)
	fmt.Fprint(w, "\n## Findings\n\n")
	if len(rep.Findings) == 0 {
		fmt.Fprintln(w, "No findings.")
		return nil
	}
	// One list item per finding: a table of five columns is unreadable in
	// a ticket once messages are a sentence long.
	for _, f := range uniqueFindings(rep.Findings) {
		item := fmt.Sprintf("- **%s** `%s`", f.Severity, f.Code)
		if wh := where(f); wh != "" {
			item += " at `" + wh + "`"
		}
		fmt.Fprintf(w, "%s: %s\n", item, mdCell(f.Message))
		if f.Hint != "" {
			fmt.Fprintf(w, "  *Hint:* %s\n", mdCell(f.Hint))
		}
	}
	return nil
}

// parseAt reads a start time: unix seconds, RFC 3339, or a signed Go
// duration from now.
func parseAt(s string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, errors.New("want +DURATION or -DURATION such as +8h or -30m")
		}
		return now.Add(d), nil
	}
	sec, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, 0), nil
}
