package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/rdbinspect"
)

type aofOptions struct {
	repairTo   string
	truncateTo string
	serverConfig
	top int

	toTS *int64 // parsed --truncate-to-timestamp
}

func newAOFCmd(g *globalOptions) *cobra.Command {
	var o aofOptions
	cmd := &cobra.Command{
		Use:   "aof FILE|DIR...",
		Short: "Check AOF files and say what Redis does with them on start",
		Long: `aof reads AOF files with the rules of the Redis loader (src/aof.c loadSingleAppendOnlyFile):
a RESP array per command ('*<argc>' ≥ 1, then '$<len>' bulks whose two trailing bytes the server
skips unchecked), '#' annotation lines skipped ('#TS:<seconds>' timestamps), an RDB part first when
the file starts with "REDIS". It reports the format, commands per name, SELECTed databases,
MULTI/EXEC balance, timestamps, the last good offset (ok_up_to), a truncated tail or the first bad
record, and what the server does: loads, loads after truncating the file in place
(aof-load-truncated yes; refuses with no), or refuses to start.

FILE is an incr or RESP base file, or a legacy single-file appendonly.aof (with or without an RDB
preamble). DIR is a data directory or an appendonlydir: the manifest is read as Redis reads it and
every base and incr file is checked in load order. Only the last file may end torn: a torn earlier
file makes Redis truncate it in place and then refuse to start (the next start loses that tail
silently), so do not start Redis on such a directory before copying it.

--repair-to writes a repaired copy and never touches the input: for a FILE, the file cut at the last
complete command outside a transaction; for a DIR, a copy of the whole AOF directory (manifest
included) with each damaged file cut that way. A repair that is written exits 0; the damage of the
input is still reported. --truncate-to-timestamp T cuts the copy at the first
'#TS' annotation later than T, the rule of redis-check-aof --truncate-to-timestamp, but moved back
to the start of a transaction it falls in, on any file of the set (later files are dropped from the
copy and its manifest) and even when nothing precedes it in that file; redis-check-aof works in
place, only on the last file, and aborts in those cases. The output must not exist (or be empty)
and must not be inside an inspected directory.

Unknown command names make Redis refuse the file unless a module provides them; names shaped like
module commands (PREFIX.NAME) are warnings only.`,
		Example: `  # one file: verdict, counts, findings
  aoftool aof /var/lib/redis/appendonlydir/appendonly.aof.3.incr.aof

  # the whole set in load order, as Redis loads it
  aoftool aof /var/lib/redis

  # a legacy single-file AOF (Redis <= 6.2)
  aoftool aof /var/lib/redis/appendonly.aof

  # a repaired copy of the AOF directory, ready for a new data dir
  aoftool aof --repair-to /restore/appendonlydir /var/lib/redis

  # undo everything logged after 10:15 UTC (needs aof-timestamp-enabled yes)
  aoftool aof --truncate-to-timestamp 2024-05-01T10:15:00Z \
    --repair-to /restore/appendonlydir /var/lib/redis

  # for scripts
  aoftool aof --json /var/lib/redis | jq .server.verdict`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(args); err != nil {
				return err
			}
			return runAOF(cmd.Context(), g, o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repairTo, "repair-to", "", "write a repaired copy to this new file (FILE input) or directory (DIR input)")
	f.StringVar(&o.truncateTo, "truncate-to-timestamp", "", "with --repair-to: cut the copy at the first #TS annotation later than this time (unix seconds or RFC 3339)")
	o.serverConfig.flags(cmd, false, true)
	f.IntVar(&o.top, "top", 10, "command names shown in the per-command table")
	return cmd
}

func (o *aofOptions) validate(args []string) error {
	if _, err := o.serverConfig.build(); err != nil {
		return err
	}
	if o.truncateTo != "" && o.repairTo == "" {
		return usagef("--truncate-to-timestamp needs --repair-to: aoftool never changes the inspected files")
	}
	if o.repairTo != "" && len(args) != 1 {
		return usagef("--repair-to takes exactly one FILE or DIR, got %d", len(args))
	}
	if o.top < 0 {
		return usagef("--top must be 0 or more")
	}
	if o.truncateTo != "" {
		t, err := parseTimestamp(o.truncateTo)
		if err != nil {
			return usagef("--truncate-to-timestamp %q: %v", o.truncateTo, err)
		}
		o.toTS = &t
	}
	return nil
}

func parseTimestamp(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v < 0 {
			return 0, errors.New("must not be negative")
		}
		return v, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, errors.New("want unix seconds or an RFC 3339 time such as 2024-05-01T10:15:00Z")
	}
	return t.Unix(), nil
}

// aofResult is one input's JSON document: a file report or a set report,
// plus what --repair-to wrote.
type aofResult struct {
	*aofinspect.Report
	Repair *repairResult `json:"repair,omitempty"`
}

type aofSetResult struct {
	*aofinspect.SetReport
	DataDir      string        `json:"data_dir,omitempty"`
	AppendDir    string        `json:"append_dir"`
	ManifestPath string        `json:"manifest_path,omitempty"`
	Legacy       bool          `json:"legacy"`
	Repair       *repairResult `json:"repair,omitempty"`
}

type repairResult struct {
	Output string           `json:"output"`
	Files  []repairFileInfo `json:"files"`
}

type repairFileInfo struct {
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Kept     int64  `json:"kept"`
	Dropped  bool   `json:"dropped,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Manifest bool   `json:"manifest,omitempty"`
}

// aofInput is one argument resolved: a lone file, or the set of a data
// directory.
type aofInput struct {
	arg  string
	file *datadir.File
	dir  *datadir.Dir
	set  *datadir.AOFSet
	// inspected are the paths an output must stay out of.
	inspected []string
}

func (in *aofInput) close() {
	if in.file != nil {
		in.file.Close()
	}
	if in.set != nil {
		in.set.Close()
	}
}

func runAOF(ctx context.Context, g *globalOptions, o aofOptions, args []string, out io.Writer) error {
	var inputs []*aofInput
	defer func() {
		for _, in := range inputs {
			in.close()
		}
	}()
	for _, a := range args {
		in, err := resolveAOFInput(g, o, a)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	var target *wopen.Target
	if o.repairTo != "" {
		mode := wopen.NewFile
		if inputs[0].dir != nil {
			mode = wopen.NewDir
		}
		var err error
		if target, err = wopen.Plan("--repair-to", o.repairTo, mode, inputs[0].inspected...); err != nil {
			return usageError{err}
		}
	}
	var results []any
	var all finding.List
	colour := g.useColour(out)
	human := g.screenFor(out)
	for i, in := range inputs {
		var res any
		var fl finding.List
		if in.file != nil {
			r := scanOneFile(ctx, g, in)
			fl = r.Findings
			if target != nil {
				var err error
				if r.Repair, err = repairFile(r.Report, in, o, target); err != nil {
					return err
				}
			}
			res = r
		} else {
			r := scanSet(ctx, g, in)
			fl = r.AllFindings()
			if target != nil {
				var err error
				if r.Repair, err = repairSet(r, in, o, target); err != nil {
					return err
				}
			}
			res = r
		}
		all = append(all, fl...)
		results = append(results, res)
		if !g.json {
			if i > 0 {
				fmt.Fprintln(human)
			}
			if err := printAOFHuman(human, res, o, colour); err != nil {
				return err
			}
		}
	}
	if g.json {
		if err := emitJSON(out, results); err != nil {
			return err
		}
	}
	if target != nil {
		// The repair was asked for and written: that is the command's
		// success. The input's damage stays in the report above.
		if !g.json {
			fmt.Fprintln(human)
			writeWrapped(human, "", fmt.Sprintf("Repair done: %s is written (exit 0; the findings above are about the input, which is unchanged).", o.repairTo))
		}
		return nil
	}
	return exitFor(all)
}

// resolveAOFInput turns an argument into a lone file or a data directory's
// set. An RDB snapshot or anything else that is not an AOF is refused with
// the command that reads it.
func resolveAOFInput(g *globalOptions, o aofOptions, arg string) (*aofInput, error) {
	in, d, err := o.serverConfig.resolve(g, arg)
	if err != nil {
		return nil, err
	}
	if d != nil {
		parts := d.AOFParts()
		if len(parts) == 0 && d.Manifest.Manifest == nil {
			return nil, fmt.Errorf("%s: no AOF manifest and no legacy %s found (looked in %s)", arg, d.Config.AppendFilename, d.Path(d.Config.AppendDirName))
		}
		set, err := d.OpenAOF(parts)
		if err != nil {
			return nil, err
		}
		return &aofInput{arg: arg, dir: d, set: set, inspected: d.Inspected()}, nil
	}
	switch {
	case in.Kind == datadir.InputRDB && !rdbIsAOFPart(arg):
		return nil, datadir.WrongKind(in, "an AOF file (an RDB snapshot loads only as dbfilename, with AOF off)")
	case in.Kind == datadir.InputSnapshot:
		return nil, datadir.WrongKind(in, "an AOF file")
	}
	f, err := datadir.OpenLone(arg, o.serverConfig.options(g, false))
	if err != nil {
		return nil, err
	}
	return &aofInput{arg: arg, file: f, inspected: []string{arg, filepath.Dir(arg)}}, nil
}

// rdbIsAOFPart says whether an RDB file is part of an AOF: a base
// (aof-base 1), a legacy appendonly.aof with an RDB preamble (aof-preamble
// 1), or a file named like one.
func rdbIsAOFPart(p string) bool {
	name := filepath.Base(p)
	if strings.HasSuffix(name, ".aof") || strings.HasSuffix(name, ".base.rdb") {
		return true
	}
	f, err := datadir.OpenLone(p, datadir.Options{FollowSymlinks: true})
	if err != nil {
		return false
	}
	defer f.Close()
	h, _ := rdbinspect.ReadHeader(f.ReaderAt(), f.Size)
	return h != nil && (h.AOFBase != nil && *h.AOFBase || h.AOFPreamble != nil && *h.AOFPreamble)
}

func scanOneFile(ctx context.Context, g *globalOptions, in *aofInput) *aofResult {
	f := in.file
	bar := g.progress(filepath.Base(f.Rel), f.Size)
	rep := aofinspect.Scan(ctx, f.ReaderAt(), f.Size, aofinspect.Options{Path: f.Rel, Progress: bar.setFunc()})
	bar.finish()
	c := f.Settle()
	rep.Findings = append(rep.Findings, c.Findings(f.Rel, f.Size)...)
	if f.Live(c) {
		rep.MarkLive()
	}
	rep.Findings.Sort()
	if rep.Format == aofinspect.FormatEmpty {
		rep.Size = 0
	}
	return &aofResult{Report: rep}
}

func scanSet(ctx context.Context, g *globalOptions, in *aofInput) *aofSetResult {
	d, mr := in.dir, in.dir.Manifest
	var total int64
	for _, f := range in.set.Files {
		total += f.Size
	}
	bar := g.progress(filepath.Base(mr.AppendDir), total)
	sr := aofinspect.InspectSet(ctx, in.arg, in.set.Files, aofinspect.Options{Progress: bar.setFunc()})
	bar.finish()
	settled := in.set.Settle(sr)
	in.set = nil
	// The manifest's findings say whether Redis gets as far as the files.
	sr.Findings = append(sr.Findings, d.NotesForAOFInput()...)
	sr.Findings = append(sr.Findings, settled...)
	sr.Findings = append(sr.Findings, mr.Findings...)
	if !mr.Verdict.Loads {
		sr.Server = aofinspect.Server{Verdict: aofinspect.Refuses,
			LoadTruncatedYes: "refuses: " + mr.Verdict.Reason, LoadTruncatedNo: "refuses: " + mr.Verdict.Reason}
	}
	sr.Findings.Sort()
	legacy := false
	for _, p := range d.AOFParts() {
		legacy = legacy || p.Role == "legacy"
	}
	res := &aofSetResult{SetReport: sr, DataDir: mr.DataDir, AppendDir: mr.AppendDir, Legacy: legacy}
	if mr.Manifest != nil {
		res.ManifestPath = mr.ManifestPath
	}
	// Where the manifest check already said it, do not say it twice.
	for _, f := range sr.Files {
		if f.Format != "unreadable" {
			continue
		}
		kept := f.Findings[:0]
		for _, x := range f.Findings {
			if x.Code == finding.AOFSetFileMissing && hasErrorAbout(mr.Findings, f.Path) {
				continue
			}
			kept = append(kept, x)
		}
		f.Findings = kept
	}
	if legacy && !mr.Findings.Has(finding.ManifestLegacyIgnored) {
		sr.Findings = append(sr.Findings, finding.New(finding.AOFLegacyUpgrade, sr.Files[0].Path,
			"legacy single-file AOF: Redis 7 moves it into %s and writes a manifest on its first start", filepath.Base(mr.AppendDir)))
	}
	return res
}

func hasErrorAbout(l finding.List, path string) bool {
	for _, f := range l {
		if f.Path == path && f.Severity == finding.Error {
			return true
		}
	}
	return false
}

// --- repair ---

func repairFile(rep *aofinspect.Report, in *aofInput, o aofOptions, t *wopen.Target) (*repairResult, error) {
	sr := &aofinspect.SetReport{Files: []*aofinspect.Report{rep}}
	cuts, err := sr.RepairPlan(o.toTS)
	if err != nil {
		return nil, fmt.Errorf("--repair-to: %w", err)
	}
	c := cuts[0]
	w, err := t.Create()
	if err != nil {
		return nil, err
	}
	if err := copyPrefix(w, in.file, c.Keep); err != nil {
		w.Abort()
		return nil, err
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	return &repairResult{Output: o.repairTo, Files: []repairFileInfo{{Name: filepath.Base(in.file.Rel), Size: rep.Size, Kept: c.Keep, Reason: c.Reason}}}, nil
}

func repairSet(res *aofSetResult, in *aofInput, o aofOptions, t *wopen.Target) (*repairResult, error) {
	d := in.dir
	cuts, err := res.RepairPlan(o.toTS)
	if err != nil {
		return nil, fmt.Errorf("--repair-to: %w", err)
	}
	if !d.Manifest.Verdict.Loads && !res.Legacy {
		return nil, fmt.Errorf("--repair-to: the manifest itself is refused by Redis (%s); repair it first (aoftool manifest %s)", d.Manifest.Verdict.Reason, in.arg)
	}
	out, err := t.CreateDir()
	if err != nil {
		return nil, err
	}
	rr, err := writeRepairedSet(out, d, res, cuts)
	if err != nil {
		out.Abort()
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	rr.Output = o.repairTo
	return rr, nil
}

// writeRepairedSet copies each file of the set cut where the plan says,
// and a manifest without history lines and dropped files.
func writeRepairedSet(out *wopen.Dir, d *datadir.Dir, res *aofSetResult, cuts []aofinspect.Cut) (*repairResult, error) {
	rr := &repairResult{}
	dropped := map[string]bool{}
	for i, p := range d.AOFParts() {
		c := cuts[i]
		rr.Files = append(rr.Files, repairFileInfo{Name: p.Name, Size: res.Files[i].Size, Kept: c.Keep, Dropped: c.Drop, Reason: c.Reason})
		if c.Drop {
			dropped[p.Name] = true
			continue
		}
		if err := copyPartTo(out, d, p, c.Keep); err != nil {
			return nil, err
		}
	}
	if res.Legacy {
		return rr, nil
	}
	mrel := path.Join(d.Config.AppendDirName, filepath.Base(d.Manifest.ManifestPath))
	mf, err := d.Open(mrel)
	if err != nil {
		return nil, fmt.Errorf("reopen manifest: %w", err)
	}
	defer mf.Close()
	text, err := filterManifest(mf.ReaderAt(), dropped)
	if err != nil {
		return nil, err
	}
	mname := filepath.Base(mrel)
	w, err := out.Create(mname)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(text); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	rr.Files = append(rr.Files, repairFileInfo{Name: mname, Size: int64(len(text)), Kept: int64(len(text)), Manifest: true,
		Reason: "history lines and dropped files removed"})
	return rr, nil
}

func copyPartTo(out *wopen.Dir, d *datadir.Dir, p datadir.Part, keep int64) error {
	src, err := d.Open(p.Path)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", p.Path, err)
	}
	defer src.Close()
	w, err := out.Create(p.Name)
	if err != nil {
		return err
	}
	if err := copyPrefix(w, src, keep); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// filterManifest keeps the manifest's lines except history lines (their
// files are not copied) and lines of dropped files. Each line is judged by
// the manifest parser itself, so quoting rules stay Redis's.
func filterManifest(r io.Reader, dropped map[string]bool) ([]byte, error) {
	var out bytes.Buffer
	br := bufio.NewReader(io.LimitReader(r, 64<<20))
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			keep := true
			if !strings.HasPrefix(line, "#") {
				if m, _ := manifest.Parse(strings.NewReader(line), "line"); m != nil && len(m.Entries) == 1 {
					e := m.Entries[0]
					keep = e.Type != manifest.TypeHistory && !dropped[e.Name]
				}
			}
			if keep {
				out.WriteString(line)
			}
		}
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// copyPrefix copies the first n bytes of an inspected file to w.
func copyPrefix(w io.Writer, src *datadir.File, n int64) error {
	got, err := io.Copy(w, io.NewSectionReader(src.ReaderAt(), 0, n))
	if err == nil && got != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w (the input changed while copying?)", src.Rel, err)
	}
	return nil
}

// --- human output ---

func printAOFHuman(w io.Writer, res any, o aofOptions, colour bool) error {
	switch r := res.(type) {
	case *aofResult:
		if err := printAOFFile(w, r.Report); err != nil {
			return err
		}
		if err := printCommandTable(w, r.CommandCounts, r.Commands, o.top); err != nil {
			return err
		}
		printRepair(w, r.Repair)
		fmt.Fprintln(w)
		if err := printFindings(w, r.Findings, colour); err != nil {
			return err
		}
		verdictLine(w, r.Findings, verdictText(r.Server, ""))
	case *aofSetResult:
		writeWrapped(w, "", fmt.Sprintf("AOF set %s (%d file(s), %d commands)", r.Path, len(r.Files), r.Commands))
		fmt.Fprintln(w)
		t := newTable(w, "File", "Role", "Format", "Size", "Commands", "OK up to", "Server")
		for _, f := range r.Files {
			if err := t.Append([]string{f.Path, f.Role, f.Format, bytesCell(f.Size), strconv.FormatInt(f.Commands, 10), strconv.FormatInt(f.OKUpTo, 10), string(f.Server.Verdict)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		merged := map[string]int64{}
		for _, f := range r.Files {
			for k, v := range f.CommandCounts {
				merged[k] += v
			}
		}
		if err := printCommandTable(w, merged, r.Commands, o.top); err != nil {
			return err
		}
		printRepair(w, r.Repair)
		fmt.Fprintln(w)
		all := r.AllFindings()
		if err := printFindings(w, all, colour, r.DataDir); err != nil {
			return err
		}
		verdictLine(w, all, verdictText(r.Server, r.TruncatesFile))
	}
	return nil
}

func printAOFFile(w io.Writer, r *aofinspect.Report) error {
	rows := [][2]string{
		{"File", r.Path},
		{"Size", bytesCell(r.Size)},
		{"Format", r.Format},
	}
	if r.RDB != nil {
		rdb := fmt.Sprintf("RDB %s", r.RDB.Version)
		if r.RDB.End > 0 {
			rdb += fmt.Sprintf(", ends at %d", r.RDB.End)
		} else {
			rdb += ", damaged"
		}
		rows = append(rows, [2]string{"RDB part", rdb})
	}
	rows = append(rows, [2]string{"Commands", strconv.FormatInt(r.Commands, 10)})
	if len(r.SelectedDBs) > 0 {
		var s []string
		for _, d := range r.SelectedDBs {
			s = append(s, strconv.FormatInt(d, 10))
		}
		rows = append(rows, [2]string{"SELECTed DBs", strings.Join(s, ", ")})
	}
	tx := r.Transactions
	if tx.Multi > 0 || tx.Exec > 0 || tx.UnmatchedExec > 0 {
		s := fmt.Sprintf("%d MULTI, %d EXEC", tx.Multi, tx.Exec)
		if tx.Open && tx.OpenOffset != nil {
			s += fmt.Sprintf(", open at %d", *tx.OpenOffset)
		}
		rows = append(rows, [2]string{"Transactions", s})
	}
	if ts := r.Timestamps; ts != nil {
		rows = append(rows, [2]string{"Timestamps", fmt.Sprintf("%d, %s … %s", ts.Count, ts.First, ts.Last)})
	} else if r.Annotations > 0 {
		rows = append(rows, [2]string{"Annotations", strconv.FormatInt(r.Annotations, 10)})
	}
	rows = append(rows, [2]string{"OK up to", strconv.FormatInt(r.OKUpTo, 10)})
	if t := r.TruncatedTail; t != nil {
		s := fmt.Sprintf("%s from offset %d", bytesCell(t.Bytes), t.Offset)
		if t.CommandsDropped > 0 {
			s += fmt.Sprintf(", %d complete command(s) dropped", t.CommandsDropped)
		}
		if t.PartialCommand {
			s += ", 1 partial command"
		}
		rows = append(rows, [2]string{"Truncated tail", s})
	}
	if b := r.BadRecord; b != nil && r.TruncatedTail == nil {
		rows = append(rows, [2]string{"Bad record", fmt.Sprintf("offset %d (line %d): at %d expected %s, found %s", b.Offset, b.Line, b.At, b.Expected, b.Found)})
	}
	rows = append(rows,
		[2]string{"aof-load-truncated yes", r.Server.LoadTruncatedYes},
		[2]string{"aof-load-truncated no", r.Server.LoadTruncatedNo})
	return keyValueTable(w, rows)
}

func printCommandTable(w io.Writer, counts map[string]int64, total int64, top int) error {
	if top == 0 || len(counts) == 0 {
		return nil
	}
	type kv struct {
		k string
		v int64
	}
	var l []kv
	for k, v := range counts {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	fmt.Fprintln(w)
	t := newTable(w, "Command", "Count", "Share")
	var rest int64
	for i, e := range l {
		if i >= top {
			rest += e.v
			continue
		}
		if err := t.Append([]string{e.k, strconv.FormatInt(e.v, 10), share(e.v, total)}); err != nil {
			return err
		}
	}
	if rest > 0 {
		if err := t.Append([]string{fmt.Sprintf("(%d more)", len(l)-top), strconv.FormatInt(rest, 10), share(rest, total)}); err != nil {
			return err
		}
	}
	return t.Render()
}

func share(v, total int64) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%", float64(v)*100/float64(total))
}

func printRepair(w io.Writer, r *repairResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "Repaired copy written to %s:\n", r.Output)
	for _, f := range r.Files {
		switch {
		case f.Dropped:
			fmt.Fprintf(w, "  %s: left out (%s)\n", f.Name, f.Reason)
		case f.Manifest:
			fmt.Fprintf(w, "  %s: %d bytes (%s)\n", f.Name, f.Kept, f.Reason)
		case f.Kept < f.Size:
			fmt.Fprintf(w, "  %s: %d of %d bytes kept (%s)\n", f.Name, f.Kept, f.Size, f.Reason)
		default:
			fmt.Fprintf(w, "  %s: copied whole (%d bytes)\n", f.Name, f.Kept)
		}
	}
}

func verdictText(s aofinspect.Server, file string) string {
	switch s.Verdict {
	case aofinspect.Loads:
		return "Redis loads it"
	case aofinspect.LoadsTruncated:
		at := ""
		if s.TruncatesAt != nil {
			at = fmt.Sprintf(" at offset %d", *s.TruncatesAt)
		}
		if file != "" {
			at = " " + file + at
		}
		return fmt.Sprintf("Redis truncates%s in place and loads (aof-load-truncated yes), or refuses to start (no)", at)
	}
	return "Redis refuses to start: " + strings.TrimPrefix(s.LoadTruncatedYes, "refuses: ")
}
