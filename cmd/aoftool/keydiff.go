package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/rdbinspect"
)

type keydiffOptions struct {
	format      string
	memoryLimit string
	limitN      int64
	spillDir    string
	at          string
	atMs        int64
	server      serverFlag
	target      *rdbinspect.Server
	serverConfig
}

func newKeydiffCmd(g *globalOptions) *cobra.Command {
	var o keydiffOptions
	cmd := &cobra.Command{
		Use:   "keydiff OLD NEW",
		Short: "Keys added, removed or changed between dumps, or a dump and a dir",
		Long: `keydiff compares the keys of OLD and NEW, each an RDB file or a data directory (the keys
its next start loads, as 'aoftool keys DIR' lists them), and prints every key added, removed
or changed, with counts per database. A key changed when its value differs (its DEBUG
DIGEST-VALUE digest, computed from the file without loading it, independent of the encoding),
its type differs, or its TTL differs (reported as such). A key the incr files of a data
directory wrote is compared by existence only and marked uncertain: its value is not in any
file.

Both inputs are read once each and checked as they are read; a damaged input is a finding and
exit 1. Memory is bounded: the old side's keys are hashed in memory up to --memory-limit,
past which they are spilled to hash partitions in a private directory under --spill-dir
(default the system temp directory, never inside an inspected path), removed at the end.

--format table (default), csv or ndjson: {"db": 0, "key": "user:1", "change":
"added|removed|changed"} per key, with value_changed, ttl_changed and the expiries.`,
		Example: `  # which keys did we lose between the last good dump and this one
  aoftool keydiff --format ndjson backup/dump.rdb /var/lib/redis/dump.rdb |
    jq 'select(.change=="removed")'

  # what the next start of a data directory holds compared with a dump
  aoftool keydiff dump-yesterday.rdb /var/lib/redis`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(g); err != nil {
				return err
			}
			return runKeydiff(cmd.Context(), g, o, args[0], args[1], cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "table, csv or ndjson")
	f.StringVar(&o.memoryLimit, "memory-limit", "64MiB", "key records held in memory before the old side is spilled to disk")
	f.StringVar(&o.spillDir, "spill-dir", "", "where the spill directory is created (default the system temp directory)")
	f.StringVar(&o.at, "at", "", "for a data directory, the start time keys' expiries are judged at (default now)")
	o.server.declare(cmd)
	o.serverConfig.flags(cmd, true, false)
	return cmd
}

func (o *keydiffOptions) validate(g *globalOptions) error {
	switch o.format {
	case "table", "csv", "ndjson":
	default:
		return usagef("--format %q: give table, csv or ndjson", o.format)
	}
	if g.json && o.format != "table" {
		return usagef("--json prints one document; it excludes --format %s", o.format)
	}
	n, err := humanize.ParseBytes(o.memoryLimit)
	if err != nil || n < 1<<20 {
		return usagef("--memory-limit %q: give a size of at least 1MiB", o.memoryLimit)
	}
	o.limitN = int64(min(n, 1<<50))
	o.atMs = g.now().UnixMilli()
	if o.at != "" {
		ms, err := parseTimeMs(o.at, g.now())
		if err != nil {
			return usagef("--at: %v", err)
		}
		o.atMs = ms
	}
	t, err := o.server.target()
	o.target = t
	return err
}

// changeRow is one changed key in the ndjson and --json shape of the
// contract.
type changeRow struct {
	DB           uint64  `json:"db"`
	Key          *string `json:"key,omitempty"`
	KeyB64       *string `json:"key_b64,omitempty"`
	Change       string  `json:"change"`
	Type         string  `json:"type,omitempty"`
	ValueChanged *bool   `json:"value_changed,omitempty"`
	TTLChanged   *bool   `json:"ttl_changed,omitempty"`
	OldExpiresAt *int64  `json:"old_expires_at_ms,omitempty"`
	NewExpiresAt *int64  `json:"new_expires_at_ms,omitempty"`
	Uncertain    bool    `json:"uncertain,omitempty"`
	KeyLen       *uint64 `json:"key_len,omitempty"`
	KeySHA256    string  `json:"key_sha256,omitempty"`
}

func changeRowOf(c *keyspace.Change) changeRow {
	r := changeRow{DB: c.DB, Change: c.Change, Type: c.Type, Uncertain: c.Uncertain}
	r.Key, r.KeyB64, r.KeyLen, r.KeySHA256 = nameFields(c.Name, c.NameLen, c.NameHash)
	if c.OldExpireAt != rdbinspect.NoExpiry {
		r.OldExpiresAt = i64p(c.OldExpireAt)
	}
	if c.NewExpireAt != rdbinspect.NoExpiry {
		r.NewExpiresAt = i64p(c.NewExpireAt)
	}
	if c.Change == keyspace.Changed {
		v, t := c.ValueChanged, c.TTLChanged
		r.ValueChanged, r.TTLChanged = &v, &t
	}
	return r
}

// keydiffResult is the --json document.
type keydiffResult struct {
	Schema   int                  `json:"schema"`
	Old      keyspace.SideResult  `json:"old"`
	New      keyspace.SideResult  `json:"new"`
	Summary  *keyspace.DiffResult `json:"summary"`
	Findings finding.List         `json:"findings"`
	Verdict  string               `json:"verdict"`
}

// openSide opens an input as an RDB file or a data directory.
func openSide(g *globalOptions, o keydiffOptions, arg string) (keyspace.Side, func(), error) {
	in, err := datadir.Identify(arg, o.followSymlinks)
	if err != nil {
		return keyspace.Side{}, nil, err
	}
	switch in.Kind {
	case datadir.InputDataDir, datadir.InputManifest:
		d, err := o.serverConfig.open(g, arg, false)
		if err != nil {
			return keyspace.Side{}, nil, err
		}
		return keyspace.Side{Path: arg, Dir: d}, func() {}, nil
	case datadir.InputAOF, datadir.InputSnapshot, datadir.InputAppendDir:
		return keyspace.Side{}, nil, datadir.WrongKind(in, "an RDB file or a data directory")
	}
	f, err := datadir.OpenLone(arg, datadir.Options{FollowSymlinks: o.followSymlinks, Now: g.now()})
	if err != nil {
		return keyspace.Side{}, nil, err
	}
	return keyspace.Side{Path: arg, File: f}, func() { f.Close() }, nil
}

func inspectedOf(s keyspace.Side) []string {
	if s.Dir != nil {
		return s.Dir.Inspected()
	}
	return []string{s.Path}
}

func runKeydiff(ctx context.Context, g *globalOptions, o keydiffOptions, oldArg, newArg string, out io.Writer) error {
	oldSide, closeOld, err := openSide(g, o, oldArg)
	if err != nil {
		return err
	}
	defer closeOld()
	newSide, closeNew, err := openSide(g, o, newArg)
	if err != nil {
		return err
	}
	defer closeNew()
	inspected := append(inspectedOf(oldSide), inspectedOf(newSide)...)
	// A spill directory inside an inspected path is refused before any work.
	if o.spillDir != "" {
		sc, err := wopen.NewScratch("--spill-dir", o.spillDir, inspected...)
		if err != nil {
			return usageError{err}
		}
		sc.Close()
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	cw := csv.NewWriter(bw)
	rows := 0
	first := true
	var werr error
	tableRows := [][]string{}
	const tableMax = 10000
	if g.json {
		bw.WriteString("{\n  \"schema\": 1,\n  \"changes\": [\n    ")
	}
	emit := func(c *keyspace.Change) {
		if werr != nil {
			return
		}
		rows++
		r := changeRowOf(c)
		switch {
		case g.json || o.format == "ndjson":
			b, err := json.Marshal(r)
			if err != nil {
				werr = err
				return
			}
			if g.json && !first {
				bw.WriteString(",\n    ")
			}
			first = false
			bw.Write(b)
			if !g.json {
				bw.WriteByte('\n')
			}
		case o.format == "csv":
			if rows == 1 {
				cw.Write([]string{"db", "key", "key_b64", "change", "type", "value_changed", "ttl_changed", "old_expires_at_ms", "new_expires_at_ms", "uncertain"})
			}
			werr = cw.Write([]string{strconv.FormatUint(r.DB, 10), deref(r.Key), deref(r.KeyB64), r.Change, r.Type, boolCell(r.ValueChanged), boolCell(r.TTLChanged),
				num(r.OldExpiresAt), num(r.NewExpiresAt), strconv.FormatBool(r.Uncertain)})
		default:
			if len(tableRows) < tableMax {
				what := ""
				if c.Change == keyspace.Changed {
					var parts []string
					if c.ValueChanged {
						parts = append(parts, "value")
					}
					if c.TTLChanged {
						parts = append(parts, fmt.Sprintf("TTL %s → %s", expiryCell(c.OldExpireAt), expiryCell(c.NewExpireAt)))
					}
					what = strings.Join(parts, ", ")
				}
				if c.Uncertain {
					if c.Change == keyspace.Changed {
						what = strings.TrimPrefix(what+"; perhaps unchanged (written by the AOF)", "; ")
					} else {
						what = strings.TrimPrefix(what+"; it may not exist (written by the AOF)", "; ")
					}
				}
				name := displayName(string(c.Name))
				if c.NameLen != uint64(len(c.Name)) {
					name += fmt.Sprintf("…(%d bytes)", c.NameLen)
				}
				tableRows = append(tableRows, []string{strconv.FormatUint(c.DB, 10), name, c.Change, c.Type, what})
			}
		}
	}
	res, err := keyspace.Diff(ctx, oldSide, newSide, keyspace.DiffOptions{At: o.atMs, Target: o.target, MemoryLimit: o.limitN,
		Scratch: func() (*wopen.Scratch, error) { return wopen.NewScratch("--spill-dir", o.spillDir, inspected...) }}, emit)
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	doc := keydiffResult{Schema: 1, Old: res.Old, New: res.New, Summary: res, Findings: finding.List{}}
	doc.Findings = append(doc.Findings, res.Old.Findings...)
	doc.Findings = append(doc.Findings, res.New.Findings...)
	if oldSide.Dir != nil {
		doc.Findings = append(doc.Findings, oldSide.Dir.Notes...)
	}
	if newSide.Dir != nil {
		doc.Findings = append(doc.Findings, newSide.Dir.Notes...)
	}
	doc.Findings.Sort()
	doc.Verdict = fmt.Sprintf("%d added, %d removed, %d changed, %d unchanged", res.Added, res.Removed, res.Changed, res.Unchanged)
	if doc.Findings.HasError() {
		doc.Verdict += "; an input is damaged, the keys compared are those before the damage"
	}
	switch {
	case g.json:
		bw.WriteString("\n  ],\n")
		rest, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		body := strings.TrimPrefix(string(rest), "{\n")
		i := strings.Index(body, "\"old\"")
		bw.WriteString("  " + body[i:] + "\n")
	case o.format == "table":
		if len(tableRows) > 0 {
			t := newTable(g.bufferedScreen(bw, out), "DB", "Key", "Change", "Type", "What")
			for _, r := range tableRows {
				if err := t.Append(r); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			if rows > tableMax {
				fmt.Fprintf(bw, "(%d more; use --format ndjson or csv for all)\n", rows-tableMax)
			}
		}
		fmt.Fprintf(bw, "\n%s → %s\n", oldArg, newArg)
		t := newTable(g.bufferedScreen(bw, out), "DB", "Added", "Removed", "Changed", "Unchanged")
		for _, d := range res.DBs {
			if err := t.Append([]string{strconv.FormatUint(d.DB, 10), strconv.FormatInt(d.Added, 10), strconv.FormatInt(d.Removed, 10), strconv.FormatInt(d.Changed, 10), strconv.FormatInt(d.Unchanged, 10)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		if res.Spilled {
			fmt.Fprintf(bw, "The old side's %d keys outgrew --memory-limit; %s were spilled to disk and removed.\n", res.Old.Keys, bytesCell(res.SpillBytes))
		}
		fmt.Fprintln(bw)
		if err := printFindings(bw, doc.Findings, g.useColour(out)); err != nil {
			return err
		}
		verdictLine(bw, doc.Findings, doc.Verdict)
	default:
		cw.Flush()
		if len(doc.Findings) > 0 {
			printFindingsBrief(g.stderr, doc.Findings)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return exitFor(doc.Findings)
}

func boolCell(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func expiryCell(ms int64) string {
	if ms == rdbinspect.NoExpiry {
		return "none"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05Z")
}
