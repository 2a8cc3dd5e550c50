package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/snapshot"
)

type diffOptions struct {
	serverConfig
	all  bool
	year int
}

func newDiffCmd(g *globalOptions) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two snapshots or directories: what changed, with rates",
		Long: `diff compares two states of one data directory and explains each change in Redis terms:
a temp-<pid>.rdb renamed to dump.rdb is a BGSAVE child that finished, a
temp-<unixtime>.<pid>.rdb renamed to dump.rdb is a replica transfer that finished (loading
starts), temp-rewriteaof-<pid>.aof renamed to -bg-<pid> and then to a new base is an AOF
rewrite being installed, a new incr with a replaced manifest is a BGREWRITEAOF starting.

OLD and NEW are each a snapshot JSON file (from 'aoftool snapshot -o'), a pasted ls -l
listing (detected when the file is not JSON), or a directory (captured now). Files are
matched by inode when both sides know it (Redis renames keep the inode); listings have no
inodes, so renames are inferred from Redis's own rename rules when sizes and times agree
and are marked "inferred". Rates are byte changes over the time between the snapshots.

The table hides unchanged files unless --all is given.`,
		Example: `  aoftool snapshot /data -o /tmp/t0.json; sleep 10
  aoftool diff /tmp/t0.json /data
  aoftool diff before-ls.txt after-ls.txt
  aoftool diff --json old.json new.json |
    jq '.events[] | select(.type=="renamed")'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := o.serverConfig.build(); err != nil {
				return err
			}
			return runDiff(cmd.Context(), g, o, args[0], args[1], cmd.OutOrStdout())
		},
	}
	o.serverConfig.flags(cmd, true, false)
	cmd.Flags().BoolVar(&o.all, "all", false, "list unchanged files too")
	cmd.Flags().IntVar(&o.year, "year", 0, "year of listing dates printed without one")
	return cmd
}

func runDiff(_ context.Context, g *globalOptions, o diffOptions, oldArg, newArg string, out io.Writer) error {
	if oldArg == "-" && newArg == "-" {
		return usagef("only one of OLD and NEW can be read from stdin")
	}
	old, err := loadSide(g, o, oldArg)
	if err != nil {
		return err
	}
	cur, err := loadSide(g, o, newArg)
	if err != nil {
		return err
	}
	r := snapshot.Diff(old, cur)
	r.Findings = append(r.Findings, findingsOf(old, cur)...)
	r.Findings.Sort()
	return g.render(out, r, r.Findings, func(w io.Writer, colour bool) error {
		return printDiff(w, r, o.all, colour)
	})
}

// loadSide turns a diff argument into a snapshot: a directory is captured,
// a file is a saved snapshot or, when not JSON, a pasted listing.
func loadSide(g *globalOptions, o diffOptions, arg string) (*snapshot.Snapshot, error) {
	var data []byte
	if arg == "-" {
		b, err := io.ReadAll(io.LimitReader(g.stdin, 256<<20))
		if err != nil {
			return nil, err
		}
		data = b
	} else {
		in, d, err := o.serverConfig.resolve(g, arg)
		switch {
		case err != nil:
			return nil, err
		case d != nil:
			return d.Snapshot, nil
		case in.Kind == datadir.InputRDB || in.Kind == datadir.InputAOF:
			return nil, datadir.WrongKind(in, "a snapshot, a listing or a data directory")
		}
		f, err := datadir.OpenText(arg)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, 256<<20)); err != nil {
			return nil, err
		}
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		s, err := snapshot.Load(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return s, nil
	}
	// A listing's moment is unknown; its newest mtime is the best bound and
	// keeps the rates between two listings meaningful. Yearless dates are
	// still placed relative to the clock.
	names, err := o.listingNames()
	if err != nil {
		return nil, err
	}
	opt := snapshot.ListingOptions{Year: o.year, Clock: g.now(), Names: names}
	s, _ := snapshot.FromListing(bytes.NewReader(data), opt)
	s.TakenAt = newestMTime(s)
	return s, nil
}

func newestMTime(s *snapshot.Snapshot) (t time.Time) {
	for _, e := range s.Entries {
		if e.MTime.After(t) {
			t = e.MTime
		}
	}
	return t
}

func printDiff(w io.Writer, r *snapshot.DiffResult, all, colour bool) error {
	side := func(label string, s snapshot.Side) [2]string {
		v := fmt.Sprintf("%s (%s)", s.Root, s.Source)
		if !s.TakenAt.IsZero() {
			v += " at " + s.TakenAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		}
		return [2]string{label, v}
	}
	rows := [][2]string{side("Old", r.Old), side("New", r.New)}
	if r.IntervalS != 0 {
		rows = append(rows, [2]string{"Interval", fmt.Sprintf("%.3f s", r.IntervalS)})
	}
	if err := keyValueTable(w, rows); err != nil {
		return err
	}
	fmt.Fprintln(w)
	shown := 0
	t := newTable(w, "Event", "Path", "Size", "Change", "Rate", "What Redis did")
	for _, e := range r.Events {
		if e.Type == snapshot.EventUnchanged && !all {
			continue
		}
		shown++
		if err := t.Append(eventRow(e)); err != nil {
			return err
		}
	}
	if shown > 0 {
		if err := t.Render(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(w, "No changes.")
	}
	var counts []string
	for k, v := range r.Counts {
		counts = append(counts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(counts)
	if len(r.Findings) > 0 {
		fmt.Fprintln(w)
		if err := printFindings(w, r.Findings, colour); err != nil {
			return err
		}
	}
	verdictLine(w, r.Findings, "Events: "+strings.Join(counts, ", "))
	return nil
}

func eventRow(e snapshot.Event) []string {
	p := displayName(e.Path)
	if e.OldPath != "" {
		p = displayName(e.OldPath) + " → " + displayName(e.Path)
	}
	if e.Inferred {
		p += " (inferred)"
	}
	size := ""
	switch {
	case e.Size != nil:
		size = sizeCell(*e.Size, e.SizeExact)
	case e.OldSize != nil:
		size = "was " + sizeCell(*e.OldSize, e.SizeExact)
	}
	change := ""
	if e.DeltaBytes != 0 && e.Type != snapshot.EventRemoved && e.Type != snapshot.EventCreated {
		sign := "+"
		d := e.DeltaBytes
		if d < 0 {
			sign, d = "-", -d
		}
		change = sign + sizeCell(d, e.SizeExact)
	}
	rate := ""
	if e.RateBytesPerS != nil {
		rate = rateCell(*e.RateBytesPerS)
	}
	return []string{string(e.Type), p, size, change, rate, e.Explanation}
}

// sizeCell is bytesCell for exact sizes and "~" plus the IEC value for a
// listing's rounded ones.
func sizeCell(n int64, exact bool) string {
	if !exact {
		return "~" + humanize.IBytes(uint64(n))
	}
	return bytesCell(n)
}
