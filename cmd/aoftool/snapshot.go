package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/snapshot"
)

// snapshotNow stamps snapshots and places yearless listing dates; tests fix it.
var snapshotNow = time.Now

// namesOptions are the server names and link policy shared by snapshot,
// diff and watch.
type namesOptions struct {
	serverNames
	followSymlinks bool
}

func (n *namesOptions) flags(cmd *cobra.Command) {
	n.serverNames.flags(cmd, true, false)
	cmd.Flags().BoolVar(&n.followSymlinks, "follow-symlinks", false, "read artifacts through symbolic links (by default a link is recorded, never opened)")
}

func (n namesOptions) capture() snapshot.Options {
	return snapshot.Options{AppendDirName: n.appendDirName, AppendFilename: n.appendFilename, DBFilename: n.dbFilename,
		FollowSymlinks: n.followSymlinks, Clock: snapshotNow}
}

func (n namesOptions) names() snapshot.Names { return n.snapshotNames() }

type snapshotOptions struct {
	namesOptions
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
  kubectl exec redis-0 -- ls -lR /data | aoftool snapshot --from-ls - > pasted.json
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
	o.namesOptions.flags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the snapshot to FILE (refused inside DIR) instead of stdout")
	f.StringVar(&o.fromLS, "from-ls", "", "read a pasted ls -l listing from FILE, or - for stdin")
	f.IntVar(&o.year, "year", 0, "year of listing dates printed without one (default: the last six months before now)")
	return cmd
}

func (o snapshotOptions) validate() error {
	if err := o.namesOptions.validate(); err != nil {
		return err
	}
	if o.root == "" && o.fromLS == "" {
		return usagef("snapshot needs a DIR, or --from-ls FILE")
	}
	if o.year != 0 && (o.year < 1970 || o.year > 9999) {
		return usagef("--year %d is not a plausible year", o.year)
	}
	if o.output != "" && o.output != "-" && o.root != "" && o.fromLS == "" {
		inside, err := isInside(o.output, o.root)
		if err != nil {
			return err
		}
		if inside {
			return usagef("-o %s is inside the inspected directory %s; aoftool never writes there", o.output, o.root)
		}
	}
	return nil
}

// isInside reports whether path p is dir or below it, comparing resolved
// paths so a symlinked parent or ../ cannot smuggle a write into dir.
func isInside(p, dir string) (bool, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return false, err
	}
	// Resolve the deepest existing ancestor: the file itself need not exist.
	rest := ""
	for cur := a; ; cur = filepath.Dir(cur) {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			a = filepath.Join(r, rest)
			break
		}
		if filepath.Dir(cur) == cur {
			break
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
	rel, err := filepath.Rel(d, a)
	if err != nil {
		return false, nil
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))), nil
}

func runSnapshot(_ context.Context, g *globalOptions, o snapshotOptions, out io.Writer) error {
	var s *snapshot.Snapshot
	if o.fromLS != "" {
		var err error
		s, err = readListing(g, o.fromLS, snapshot.ListingOptions{Year: o.year, Now: snapshotNow(), Root: o.root, Names: o.names()})
		if err != nil {
			return err
		}
	} else {
		var err error
		s, err = snapshot.Capture(o.root, o.capture())
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", o.root, err)
		}
	}
	w := out
	if o.output != "" && o.output != "-" {
		f, err := os.OpenFile(o.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := s.Save(w); err != nil {
		return err
	}
	if w != out {
		if f, ok := w.(*os.File); ok {
			if err := f.Close(); err != nil {
				return err
			}
		}
		if !g.json {
			fmt.Fprintf(g.stderr, "aoftool: snapshot of %s (%d entries, %d bytes read) written to %s\n", s.Root, len(s.Entries), s.BytesRead, o.output)
		}
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
		f, _, err := ropen.Open(src, true)
		if err != nil {
			if errors.Is(err, ropen.ErrNotRegular) {
				return nil, fmt.Errorf("--from-ls %s: not a regular file (use - to read a pipe)", src)
			}
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
