package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/metrics"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

type phaseOptions struct {
	fromLs     []string
	sample     time.Duration
	prometheus string
	lsYear     int
	staleLag   time.Duration
	log        serverLog
	serverConfig
}

func newPhaseCmd(g *globalOptions) *cobra.Command {
	var o phaseOptions
	cmd := &cobra.Command{
		Use:   "phase [SOURCE...] [--log FILE|-]",
		Short: "Which persistence phase a data dir is in, and what dead jobs left",
		Long: `phase tells what the server is doing with its data directory: steady, bgsave,
sync-transfer, sync-loading, aof-rewrite or aof-rewrite-finishing. Inside a replica rebuild
(transfer, load, AOF rewrite, install) it names the step (1 to 4). It lists the evidence, the
progress of a running job (expected size; rate and ETA once growth is seen), what happens
next, and the leftovers of killed or crashed jobs with whether each is safe to delete.

SOURCE is a data directory (dir in redis.conf) or a snapshot saved by 'aoftool snapshot -o'.
Several sources are the same directory at several moments: growth between them is the only
proof that a job is alive. --sample takes two captures of one directory that far apart.
--from-ls reads pasted 'ls -l' style listings (ls -l, -la, -lh, --full-time, -lR, several
directories in one paste); '-' reads stdin.

Files never prove a process is alive: when they cannot separate two phases, the answer says
so with a lower confidence and the other reading in the alternatives. The names and times
are clues: the pid of the server in a transfer file's name against the pid of a child in a
rewrite or BGSAVE file (a fork child's pid is above its parent's), the order in which the
files stopped changing, and the times of the directories themselves (a listing's '.' and
appendonlydir lines). On a copy or a listing, ages are read against the directory's own
newest change, not against the clock.

--log FILE ('-' for stdin) reads the server's log too, as a log file or 'kubectl logs' gives
it: alone, the phase and step come from its last events; with files, the two make one
verdict (a rewrite child the log shows running is alive, one it shows ended left a leftover,
a load the files cannot see is the phase) and findings say where they disagree. Progress
from the log: the payload size the master announced, the keys and duration of the previous
load or rewrite, the memory of the payload when it was created. --log-tz gives the zone of
its timestamps when they are not UTC.

--server-stopped says no server runs on the directory (a copy, a volume snapshot, a dead
pod): then no job is running, every temp file is a leftover with whether it is safe to
delete and what the next start does with it, and the answer says what was running when the
server stopped or the copy was taken ("was: aof-rewrite, child 15506").

--prometheus FILE writes the phase, artifact sizes, progress and finding counts in the
Prometheus text format for node_exporter's textfile collector (written atomically; FILE
must be outside the inspected directory).

Only names, stat data and the first bytes of files are read; nothing is written inside the
inspected directory, and it is safe to run against a live server.`,
		Example: `  aoftool phase /var/lib/redis
  aoftool phase --sample 5s /var/lib/redis
  aoftool phase before.json after.json
  aoftool phase --server-stopped /mnt/pvc-snapshot
  kubectl logs redis-0 | aoftool phase --log - /var/lib/redis
  kubectl exec redis-0 -- ls -la /data /data/appendonlydir |
    aoftool phase --from-ls -
  aoftool phase --json \
    --prometheus /var/lib/node_exporter/redis_phase.prom /var/lib/redis`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(args); err != nil {
				return err
			}
			return runPhase(cmd.Context(), g, o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.fromLs, "from-ls", nil, "read a pasted ls -l listing from FILE ('-' for stdin); repeat for listings over time")
	f.DurationVar(&o.sample, "sample", 0, "capture the directory twice, this far apart, to observe growth (e.g. 5s)")
	f.StringVar(&o.prometheus, "prometheus", "", "also write Prometheus text-format metrics to FILE (outside the inspected directory)")
	f.IntVar(&o.lsYear, "year", 0, "year of listing dates printed without one (default: the last six months)")
	// --ls-year was the first name of --year; kept so scripts keep working.
	f.IntVar(&o.lsYear, "ls-year", 0, "")
	_ = f.MarkHidden("ls-year")
	_ = f.MarkDeprecated("ls-year", "use --year")
	f.DurationVar(&o.staleLag, "stale-lag", 0, "a temp file whose last write lags the server's other files by more than this is taken as abandoned (default 1s)")
	o.serverConfig.flags(cmd, true, true)
	o.log.flags(cmd)
	return cmd
}

func (o phaseOptions) validate(args []string) error {
	if len(args) == 0 && len(o.fromLs) == 0 && o.log.path == "" {
		return usagef("phase needs a data directory, snapshot files, --from-ls FILE or --log FILE")
	}
	if err := o.log.validate(); err != nil {
		return err
	}
	if o.sample < 0 {
		return usagef("--sample must be positive")
	}
	if o.sample > 0 && (len(args) != 1 || len(o.fromLs) > 0) {
		return usagef("--sample takes exactly one data directory")
	}
	if o.sample > 10*time.Minute {
		return usagef("--sample %v is longer than 10m; use 'aoftool watch' for long observations", o.sample)
	}
	stdin := 0
	for _, f := range o.fromLs {
		if f == "-" {
			stdin++
		}
	}
	if o.log.path == "-" {
		stdin++
	}
	if stdin > 1 {
		return usagef("stdin can be read only once: give --from-ls - or --log -, not both")
	}
	if _, err := o.serverConfig.build(); err != nil {
		return err
	}
	return nil
}

// loadSources turns the command line into snapshots of one directory and
// lists the paths inspected (where nothing may be written).
func loadSources(ctx context.Context, g *globalOptions, o phaseOptions, args []string) ([]*snapshot.Snapshot, []string, error) {
	var snaps []*snapshot.Snapshot
	var inspected, dirs []string
	for _, a := range args {
		in, d, err := o.serverConfig.resolve(g, a)
		switch {
		case err != nil:
			return nil, nil, err
		case d != nil:
			snaps = append(snaps, d.Snapshot)
			inspected = append(inspected, d.Inspected()...)
			dirs = append(dirs, d.Root)
		case in.Kind == datadir.InputSnapshot || in.Kind == datadir.InputUnknown:
			s, err := loadSnapshotFile(a)
			if err != nil {
				return nil, nil, err
			}
			snaps = append(snaps, s)
			inspected = append(inspected, a)
		default:
			return nil, nil, datadir.WrongKind(in, "a data directory or a saved snapshot")
		}
	}
	if len(dirs) > 1 {
		for _, d := range dirs[1:] {
			if !sameDir(d, dirs[0]) {
				return nil, nil, usagef("%s and %s are different directories, captured at the same moment: run phase once per directory, or save each moment with 'aoftool snapshot -o' and pass the files", dirs[0], d)
			}
		}
	}
	if o.sample > 0 {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(o.sample):
		}
		d, err := o.serverConfig.open(g, args[0], false)
		if err != nil {
			return nil, nil, err
		}
		snaps = append(snaps, d.Snapshot)
	}
	names, err := o.listingNames()
	if err != nil {
		return nil, nil, err
	}
	for _, p := range o.fromLs {
		var r io.Reader
		if p == "-" {
			r = g.stdin
		} else {
			f, err := datadir.OpenText(p)
			if err != nil {
				return nil, nil, err
			}
			defer f.Close()
			r = f
			inspected = append(inspected, p)
		}
		s, _ := snapshot.FromListing(r, snapshot.ListingOptions{Year: o.lsYear, Names: names, Clock: g.now()})
		if len(s.Entries) == 0 {
			return nil, nil, fmt.Errorf("%s: no ls -l entry found in the listing", p)
		}
		if len(o.fromLs) > 1 {
			// Listings over time are as far apart as their newest changes
			// (a listing does not say when it was taken): that is what
			// gives a rate between two pastes, as diff does.
			s.TakenAt = newestMTime(s)
		}
		snaps = append(snaps, s)
	}
	return snaps, inspected, nil
}

func loadSnapshotFile(p string) (*snapshot.Snapshot, error) {
	f, err := datadir.OpenText(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := snapshot.Load(f)
	if err != nil {
		if errors.Is(err, snapshot.ErrNotSnapshot) {
			return nil, fmt.Errorf("%s: not a data directory nor a saved snapshot (%v)", p, err)
		}
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return s, nil
}

func sameDir(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func runPhase(ctx context.Context, g *globalOptions, o phaseOptions, args []string, out io.Writer) error {
	var metricsOut *wopen.Target
	if o.prometheus != "" {
		var err error
		if metricsOut, err = wopen.Plan("--prometheus", o.prometheus, wopen.ReplaceFile, append(append([]string{}, args...), o.fromLs...)...); err != nil {
			return usageError{err}
		}
	}
	snaps, inspected, err := loadSources(ctx, g, o, args)
	if err != nil {
		return err
	}
	if metricsOut != nil {
		// The data dir is known only now (an AOF directory given leads to
		// its parent): check the output against it too.
		if metricsOut, err = wopen.Plan("--prometheus", o.prometheus, wopen.ReplaceFile, inspected...); err != nil {
			return usageError{err}
		}
	}
	lg, logName, err := o.log.read(g)
	if err != nil {
		return err
	}
	opt := phase.Options{StaleLag: o.staleLag, ServerStopped: o.serverStopped, LogName: logName}
	if lg != nil {
		opt.Log = lg.State
	}
	r := phase.Classify(snaps, opt)
	if metricsOut != nil {
		var last *snapshot.Snapshot
		if len(snaps) > 0 {
			last = snaps[len(snaps)-1]
		}
		if err := writePhaseMetrics(metricsOut, r, last); err != nil {
			return fmt.Errorf("--prometheus: %w", err)
		}
	}
	return g.render(out, r, r.Findings, func(w io.Writer, colour bool) error {
		return printPhase(w, r, approxSizes(snaps), colour)
	})
}

// safeToDeleteCell says whether a leftover may be deleted, with the caveat
// that goes with a yes.
func safeToDeleteCell(l phase.Leftover) string {
	if !l.SafeToDelete {
		if l.Caveat != "" {
			return "no: " + l.Caveat
		}
		return "no"
	}
	if l.Caveat != "" {
		return "yes, " + l.Caveat
	}
	return "yes"
}

// approxSizes names the files whose size a listing knows only within its
// rounding (ls -h): they are shown as "~12 KiB", never as an exact count.
func approxSizes(snaps []*snapshot.Snapshot) map[string]bool {
	m := map[string]bool{}
	if len(snaps) == 0 {
		return m
	}
	for _, e := range snaps[len(snaps)-1].Entries {
		if !e.SizeExact {
			m[e.Path] = true
		}
	}
	return m
}

func printPhase(w io.Writer, r *phase.Result, approx map[string]bool, colour bool) error {
	head := string(r.Phase)
	if colour {
		head = "\x1b[1m" + head + "\x1b[0m"
	}
	fmt.Fprintf(w, "Phase: %s (confidence %s", head, r.Confidence)
	if r.Step != "" {
		fmt.Fprintf(w, "; replica rebuild %s", r.Step)
	}
	fmt.Fprintln(w, ")")
	writeWrapped(w, "", r.Summary)
	if r.Was != nil {
		writeWrapped(w, "Was running when the server stopped: ", strings.TrimPrefix(r.Was.Summary, "was: "))
	}
	if len(r.Alternatives) > 0 {
		alts := make([]string, len(r.Alternatives))
		for i, a := range r.Alternatives {
			alts[i] = string(a)
		}
		writeWrapped(w, "Alternatives: ", strings.Join(alts, ", "))
	}
	if r.Source != phase.SourceLog {
		src := fmt.Sprintf("%s (%s) at %s", r.Root, r.Source, r.TakenAt.UTC().Format(time.RFC3339))
		switch {
		case r.Snapshots > 1 && r.SpanS <= 0:
			src += fmt.Sprintf("; %d snapshots with the same times (span unknown)", r.Snapshots)
		case r.Snapshots > 1:
			src += fmt.Sprintf("; %d snapshots over %.1fs", r.Snapshots, r.SpanS)
		}
		writeWrapped(w, "Snapshot: ", src)
	}
	if l := r.Log; l != nil {
		at := ""
		if !l.AsOf.IsZero() {
			at = " (" + l.AsOf.UTC().Format(time.RFC3339) + ")"
		}
		writeWrapped(w, "Log: ", fmt.Sprintf("%s up to line %d%s: %s, confidence %s: %s", l.Name, l.LastLine, at, l.Phase, l.Confidence, l.Summary))
	}

	if len(r.Evidence) > 0 {
		fmt.Fprintln(w, "\nEvidence:")
		t := newTable(w, "Path", "Fact")
		for _, e := range r.Evidence {
			p := e.Path
			if e.Line > 0 {
				p = fmt.Sprintf("%s:%d", p, e.Line)
			}
			if err := t.Append([]string{p, e.Fact}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if p := r.Progress; p != nil {
		fmt.Fprintln(w, "\nProgress:")
		rate, eta := "not observed (one snapshot; use --sample)", ""
		switch {
		case r.Snapshots > 1:
			rate = "not observed (no growth seen between the snapshots)"
		case r.Source == snapshot.SourceListing:
			rate = "not observed (one listing; paste a later one with a second --from-ls)"
		}
		if p.RateBytesPerS > 0 {
			rate = rateCell(p.RateBytesPerS)
		}
		if p.ETAS != nil {
			eta = (time.Duration(*p.ETAS) * time.Second).String()
		}
		if err := keyValueTable(w, [][2]string{
			{"File", p.Path},
			{"Written", fmt.Sprintf("%s (%.1f%%)", sizeCell(p.Bytes, !approx[p.Path]), p.Percent)},
			{"Expected", sizeCell(p.ExpectedBytes, len(approx) == 0) + ": " + p.Basis},
			{"Rate", rate},
			{"ETA", eta},
		}); err != nil {
			return err
		}
	}
	if p := r.LogProgress; p != nil {
		if rows := logProgressRows(p); len(rows) > 0 {
			fmt.Fprintln(w, "\nProgress from the log:")
			if err := keyValueTable(w, rows); err != nil {
				return err
			}
		}
	}
	if len(r.Next) > 0 {
		fmt.Fprintln(w, "\nNext:")
		for _, n := range r.Next {
			bullet(w, 2, n)
		}
	}
	if len(r.Leftovers) > 0 {
		fmt.Fprintln(w, "\nLeftovers of dead jobs:")
		t := newTable(w, "Path", "Size", "Safe to delete", "Next start")
		for _, l := range r.Leftovers {
			safe := safeToDeleteCell(l)
			if err := t.Append([]string{l.Path, bytesCell(l.Bytes), safe, l.NextStart}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	base := ""
	if r.Source == snapshot.SourceDir {
		base = r.Root
	}
	if err := printFindings(w, r.Findings, colour, base); err != nil {
		return err
	}
	text := fmt.Sprintf("Phase %s, confidence %s", r.Phase, r.Confidence)
	if r.Step != "" {
		text += ", " + r.Step
	}
	verdictLine(w, r.Findings, text)
	return nil
}

// logProgressRows are what the log says of the running job's progress.
func logProgressRows(p *phase.LogProgress) [][2]string {
	var rows [][2]string
	secs := func(v float64) string {
		return (time.Duration(v * float64(time.Second))).Round(100 * time.Millisecond).String()
	}
	rows = append(rows, [2]string{"Job", fmt.Sprintf("%s since line %d", p.Job, p.StartLine)})
	if p.ElapsedS != nil {
		rows = append(rows, [2]string{"Running for", secs(*p.ElapsedS)})
	}
	if p.PreviousS != nil {
		rows = append(rows, [2]string{"The previous one took", secs(*p.PreviousS)})
	}
	if p.ETAS != nil {
		rows = append(rows, [2]string{"ETA (if it takes as long)", secs(*p.ETAS)})
	}
	switch {
	case p.PayloadBytes > 0:
		rows = append(rows, [2]string{"Payload", bytesCell(p.PayloadBytes) + " announced by the master"})
	case p.Streamed:
		rows = append(rows, [2]string{"Payload", "streamed (size unknown until its end)"})
	}
	if p.KeysBefore > 0 {
		rows = append(rows, [2]string{"Keys of the previous load", fmt.Sprint(p.KeysBefore)})
	}
	if p.RDBMemoryBytes > 0 {
		rows = append(rows, [2]string{"Payload's memory when created", bytesCell(p.RDBMemoryBytes)})
	}
	if len(rows) == 1 {
		return nil
	}
	return rows
}

// writePhaseMetrics writes the result for node_exporter's textfile
// collector, with the metric names of aoftool serve (internal/metrics),
// renamed into place so the collector never reads half a file.
func writePhaseMetrics(out *wopen.Target, r *phase.Result, s *snapshot.Snapshot) error {
	b, err := metrics.Text(r.Root, metrics.Reading{Result: r, Snapshot: s})
	if err != nil {
		return err
	}
	return out.WriteFile(b)
}
