package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

type manifestOptions struct {
	serverConfig
}

func newManifestCmd(g *globalOptions) *cobra.Command {
	var o manifestOptions
	cmd := &cobra.Command{
		Use:   "manifest [PATH]",
		Short: "Parse the AOF manifest as Redis does and check its directory",
		Long: `manifest reads the multi-part AOF manifest (Redis 7+, appendonlydir/<appendfilename>.manifest)
with the same rules as the Redis loader — fgets into a 1025-byte buffer, comments, trimming,
sdssplitargs quoting, case-insensitive keys, atoll seqs, one base, strictly increasing incr
seqs — and reports every refusal with its line number and byte offset, in Redis's own words.

It then checks the manifest against the directory: listed base and incr files that are
missing, empty, not regular files or not RDB/RESP; files nobody lists (temp incr, temp
manifest, old or newer bases and incrs) and whether each is safe to delete; history files
still on disk; suffixes that do not match the content; several incr files left by
unfinished rewrites; names loaded twice; history lines naming live files; a legacy
appendonly.aof in the data directory; a missing manifest beside existing AOF parts.

PATH is a data directory, an appendonlydir, or a manifest file. The appendfilename is
taken from the *.manifest file found when --appendfilename is not given.

The last line says what Redis 7.x would do on start: load the listed files (named, in
order) or refuse to start, and why. Only names, stat information and the first bytes of
each file are read; nothing is written, and the directory is safe to inspect while Redis
runs. Checking the content of each file is the job of 'aoftool rdb' and 'aoftool aof'.`,
		Example: `  # a data directory (dir in redis.conf)
  aoftool manifest /var/lib/redis

  # the AOF directory, or the manifest itself
  aoftool manifest /var/lib/redis/appendonlydir
  aoftool manifest /var/lib/redis/appendonlydir/appendonly.aof.manifest

  # a server configured with other names
  aoftool manifest --appenddirname aof --appendfilename cache.aof /data

  # for scripts: exit 1 when Redis would refuse, JSON on stdout
  aoftool manifest --json /data | jq .verdict`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runManifest(cmd.Context(), g, o, dirArg(args), cmd.OutOrStdout())
		},
	}
	o.serverConfig.flags(cmd, false, false)
	return cmd
}

func runManifest(_ context.Context, g *globalOptions, o manifestOptions, arg string, out io.Writer) error {
	var d *datadir.Dir
	var err error
	if arg == "" {
		d, err = o.serverConfig.open(g, arg, false)
	} else {
		var in *datadir.Input
		in, d, err = o.serverConfig.resolve(g, arg)
		if err == nil && d == nil {
			err = datadir.WrongKind(in, "an AOF manifest, an AOF directory or a data directory")
		}
	}
	if err != nil {
		return err
	}
	rep := d.Manifest
	// The classifier knows whether a rewrite runs, which makes a second
	// incr file normal.
	rep.Findings = phase.ExplainRunningRewrite(rep.Findings, phase.Classify([]*snapshot.Snapshot{d.Snapshot}, phase.Options{ServerStopped: d.Opt.ServerStopped}))
	rep.Findings = append(rep.Findings, d.NotesForAOFInput()...)
	rep.Findings.Sort()
	now := g.now()
	return g.render(out, rep, rep.Findings, func(w io.Writer, colour bool) error {
		return printManifestReport(w, rep, now, colour)
	})
}

func printManifestReport(w io.Writer, r *manifest.Report, now time.Time, colour bool) error {
	man := "none readable at " + r.ManifestPath
	if r.Manifest != nil {
		man = fmt.Sprintf("%s (%s, %d lines, %d entries)", r.ManifestPath, bytesCell(r.Manifest.Size), r.Manifest.Lines, r.Manifest.Entries)
		if !r.Manifest.Accepted {
			man += ", refused by Redis"
		}
	}
	rows := [][2]string{
		{"Data dir", r.DataDir},
		{"AOF dir", r.AppendDir},
		{"Manifest", man},
		{"appendfilename", r.AppendFilename},
		{"Other manifests", strings.Join(r.OtherManifests, ", ")},
	}
	if r.Manifest != nil {
		rows = append(rows, [2]string{"Base / incr seq", fmt.Sprintf("%d / %d", r.Manifest.BaseSeq, r.Manifest.IncrSeq)})
	}
	if err := keyValueTable(w, rows); err != nil {
		return err
	}

	if r.Verdict.Loads {
		fmt.Fprintln(w, "\nFiles Redis loads, in order:")
	} else {
		fmt.Fprintln(w, "\nFiles listed, in load order (Redis refuses to start, so it loads none):")
	}
	if len(r.Files) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		t := newTable(w, "Seq", "Type", "Name", "Size", "Content", "Modified")
		for _, f := range r.Files {
			if err := t.Append(fileRow(f, now)); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(r.History) > 0 || len(r.Unlisted) > 0 {
		fmt.Fprintln(w, "\nAlso in the AOF directory or manifest, not loaded:")
		t := newTable(w, "Seq", "Type", "Name", "Size", "Content", "Modified")
		for _, f := range r.History {
			if err := t.Append(fileRow(f, now)); err != nil {
				return err
			}
		}
		for _, u := range r.Unlisted {
			if err := t.Append([]string{"", "unlisted: " + u.Kind, displayName(u.Name), bytesCell(u.Size), "", timeCell(u.MTime, now)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if err := printFindings(w, r.Findings, colour, r.DataDir); err != nil {
		return err
	}
	verdictLine(w, r.Findings, manifestVerdictText(r))
	return nil
}

func fileRow(f manifest.FileReport, now time.Time) []string {
	size, mt := "-", ""
	if f.Size != nil {
		size = bytesCell(*f.Size)
	}
	if f.MTime != nil {
		mt = timeCell(*f.MTime, now)
	}
	content := f.Content
	if f.Symlink {
		content += " (symlink)"
	}
	return []string{strconv.FormatInt(f.Seq, 10), f.Type, displayName(f.Name), size, content, mt}
}

// displayName shows a file name on one terminal line: names with blanks at
// the ends, control bytes or invalid UTF-8 are quoted and escaped once
// (finding.QuoteBytes), as key names are.
func displayName(n string) string {
	q := strconv.Quote(n)
	if n == "" || q[1:len(q)-1] != n || strings.TrimSpace(n) != n {
		return finding.QuoteBytes([]byte(n), int64(len(n)), -1)
	}
	return n
}

// displayKey shows a key name a report already escaped once
// (rdbinspect's printableKey): quoted when it holds escapes, never escaped
// again, and cut to the length finding.QuoteBytes keeps.
func displayKey(k string) string {
	full := ""
	if i := strings.LastIndex(k, "…("); i >= 0 && strings.HasSuffix(k, " bytes)") {
		k, full = k[:i], k[i+len("…"):]
	}
	cut := false
	if r := []rune(k); len(r) > finding.QuotedMax {
		// Never cut inside an escape sequence.
		n := finding.QuotedMax
		if i := strings.LastIndex(string(r[:n]), `\`); i >= 0 && n-len([]rune(string(r[:n])[:i])) < 4 {
			n = len([]rune(string(r[:n])[:i]))
		}
		k, cut = string(r[:n]), true
	}
	if strings.ContainsAny(k, `\" `) || cut || full != "" {
		k = `"` + k + `"`
	}
	if cut || full != "" {
		k += "…"
		if full != "" {
			k += " " + full
		}
	}
	return k
}

func manifestVerdictText(r *manifest.Report) string {
	v := r.Verdict
	if !v.Loads {
		return "Redis would refuse to start: " + v.Reason
	}
	if len(v.Files) == 0 {
		return "Redis would start with an empty dataset: " + v.Reason
	}
	names := make([]string, len(v.Files))
	for i, f := range v.Files {
		names[i] = displayName(f)
	}
	text := "Redis would load this AOF set: reads " + strings.Join(names, ", ")
	if r.Findings.Count()[finding.Warning] > 0 {
		text += "; see the warnings before starting it"
	}
	return text
}
