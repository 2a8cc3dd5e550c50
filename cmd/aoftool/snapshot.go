package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/snapshot"
)

type snapshotOptions struct {
	serverConfig
	output string
	fromLS string
	year   int
	root   string
}

func newSnapshotCmd(g *globalOptions) *cobra.Command {
	var o snapshotOptions
	cmd := &cobra.Command{
		Use:   "snapshot [DIR]",
		Short: "Record a data directory's artifacts as a JSON snapshot",
		Long: `snapshot records what a Redis or Valkey data directory holds — dump.rdb, temp files of
BGSAVE, replica transfers and AOF rewrites, the appendonlydir with its manifest, base and
incr files, a legacy appendonly.aof, nodes.conf — as one JSON document (schema 1, see
snapshot/SCHEMA.md): each entry's size, mode, inode, link count, mtime and ctime, the
artifact kind its name denotes and what the name encodes (pid, Unix time, seq), what its
first bytes are, its RDB header summary and its manifest role (base, history, incr).

Only names, stat data, headers and tails are read, so a 100 GiB dump.rdb costs a few
kilobytes; FIFOs, devices and (by default) symlinks named like artifacts are recorded but
never opened. Files renamed or removed by a live server while the snapshot is taken are
skipped with an input-changed-while-reading finding.

--from-ls reads a pasted ls -l style listing instead (ls -l, -la, -lh, -alF, -i,
--full-time, --time-style, ls -lR, several directories, busybox): DIR is then optional
and only names the root. A listing knows no content, no ctime and, without -i, no inode;
human sizes (22G) are kept as bounds.

Save a snapshot with -o (never inside DIR) and compare it later with 'aoftool diff', or
classify it with 'aoftool phase'. The output is JSON with or without --json.`,
		Example: `  aoftool snapshot /var/lib/redis -o /tmp/before.json
  kubectl exec redis-0 -- ls -lR /data |
    aoftool snapshot --from-ls - > pasted.json
  aoftool snapshot --from-ls ticket.txt --year 2025`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.root = args[0]
			}
			if err := o.validate(); err != nil {
				return err
			}
			return runSnapshot(cmd.Context(), g, o, cmd.OutOrStdout())
		},
	}
	o.serverConfig.flags(cmd, true, false)
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the snapshot to FILE (refused inside DIR) instead of stdout")
	f.StringVar(&o.fromLS, "from-ls", "", "read a pasted ls -l listing from FILE, or - for stdin")
	f.IntVar(&o.year, "year", 0, "year of listing dates printed without one (default: the last six months before now)")
	return cmd
}

func (o snapshotOptions) validate() error {
	if _, err := o.serverConfig.build(); err != nil {
		return err
	}
	if o.root == "" && o.fromLS == "" {
		return usagef("snapshot needs a DIR, or --from-ls FILE")
	}
	if o.year != 0 && (o.year < 1970 || o.year > 9999) {
		return usagef("--year %d is not a plausible year", o.year)
	}
	return nil
}

func runSnapshot(_ context.Context, g *globalOptions, o snapshotOptions, out io.Writer) error {
	var s *snapshot.Snapshot
	inspected := []string{o.root}
	if o.fromLS != "" {
		names, err := o.listingNames()
		if err != nil {
			return err
		}
		s, err = readListing(g, o.fromLS, snapshot.ListingOptions{Year: o.year, Now: g.now(), Root: o.root, Names: names})
		if err != nil {
			return err
		}
		inspected = []string{o.fromLS}
	}
	var target *wopen.Target
	if o.output != "" && o.output != "-" {
		var err error
		if target, err = wopen.Plan("-o", o.output, wopen.ReplaceFile, inspected...); err != nil {
			return usageError{err}
		}
	}
	if s == nil {
		d, err := o.serverConfig.open(g, o.root, false)
		if err != nil {
			return err
		}
		if target != nil {
			// An AOF directory given leads to its parent: check again.
			if target, err = wopen.Plan("-o", o.output, wopen.ReplaceFile, d.Inspected()...); err != nil {
				return usageError{err}
			}
		}
		s = d.Snapshot
		s.Findings = append(s.Findings, d.Notes...)
	}
	if target == nil {
		if !g.json && isTerminal(out) {
			// JSON is for files and pipes; a person at a terminal gets
			// the entries as a table.
			sc := g.screenFor(out)
			if err := printSnapshot(sc, s, g.now(), g.useColour(out)); err != nil {
				return err
			}
			return exitFor(s.Findings)
		}
		if err := s.Save(out); err != nil {
			return err
		}
		return exitFor(s.Findings)
	}
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		return err
	}
	if err := target.WriteFile(b.Bytes()); err != nil {
		return err
	}
	if !g.json {
		fmt.Fprintf(g.stderr, "aoftool: snapshot of %s (%d entries, %d bytes read) written to %s\n", s.Root, len(s.Entries), s.BytesRead, o.output)
	}
	return exitFor(s.Findings)
}

// readListing reads --from-ls input: a file (opened read-only, never a
// FIFO) or stdin.
func readListing(g *globalOptions, src string, opt snapshot.ListingOptions) (*snapshot.Snapshot, error) {
	var r io.Reader
	if src == "-" {
		r = g.stdin
	} else {
		f, err := datadir.OpenText(src)
		if err != nil {
			return nil, fmt.Errorf("--from-ls: %w", err)
		}
		defer f.Close()
		r = f
	}
	s, _ := snapshot.FromListing(r, opt)
	return s, nil
}

// findingsOf gathers a snapshot's findings, for commands that print them.
func findingsOf(ss ...*snapshot.Snapshot) finding.List {
	var l finding.List
	for _, s := range ss {
		l = append(l, s.Findings...)
	}
	return l
}

// printSnapshot shows a snapshot to a person: what each entry is, its size
// and age, and the findings. Saved or piped, a snapshot is JSON.
func printSnapshot(w io.Writer, s *snapshot.Snapshot, now time.Time, colour bool) error {
	if err := keyValueTable(w, [][2]string{
		{"Directory", s.Root},
		{"Taken", s.TakenAt.UTC().Format(time.RFC3339)},
		{"Entries", fmt.Sprint(len(s.Entries))},
	}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t := newTable(w, "Path", "Kind", "Size", "Modified")
	for _, e := range s.Entries {
		size := ""
		if e.Type == snapshot.TypeFile {
			size = sizeCell(e.Size, e.SizeExact || e.Known.Size)
		}
		if err := t.Append([]string{displayName(e.Path), string(e.Kind), size, timeCell(e.MTime, now)}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := printFindings(w, s.Findings, colour); err != nil {
		return err
	}
	fmt.Fprintln(w)
	writeWrapped(w, "", "This is the snapshot shown for a person; save it as JSON with -o FILE (or --json, or a pipe) for 'aoftool diff' and 'aoftool phase'.")
	return nil
}
