package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/watch"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

type watchOptions struct {
	serverConfig
	interval time.Duration
	until    string
	current  bool
	timeout  time.Duration
	text     bool
}

// untilNoTemp is the --until value that needs no classifier.
const untilNoTemp = "no-temp-files"

var watchPhases = []phase.Phase{phase.Steady, phase.BGSave, phase.SyncTransfer, phase.SyncLoading, phase.AOFRewrite, phase.AOFRewriteFinishing}

func newWatchCmd(g *globalOptions) *cobra.Command {
	var o watchOptions
	var names []string
	for _, p := range watchPhases {
		names = append(names, string(p))
	}
	cmd := &cobra.Command{
		Use:   "watch DIR",
		Short: "Follow a live data dir: file events, growth rates and ETA",
		Long: `watch follows a live data directory and reports the same events as 'aoftool diff', as
they happen: temp files created, growing, renamed into place, removed. It combines inotify
on the data dir and its appendonlydir (watched as soon as it appears) with polling every
--interval, and re-stats at once on every create, rename or remove, so even the finished
rewrite output temp-rewriteaof-bg-<pid>.aof, which lives only tens of milliseconds, is
seen; a file gone before any scan is still reported from the inotify events alone.

On a terminal it shows one line per event and a live progress line per growing artifact:
bytes, rate and, when the final size can be estimated (a BGSAVE or rewrite ends near the
size of dump.rdb or of the current base), the ETA. A transfer's final size is only in the
replica's log, so it has no ETA. Piped, or with --json, it prints one JSON event per line
(NDJSON) and a final {"type":"summary"} line; --text prints plain lines instead.

--until PHASE stops once 'aoftool phase' would say the directory is in PHASE (one of
` + strings.Join(names, ", ") + `), judged on the last few seconds of snapshots;
--until ` + untilNoTemp + ` stops once no temp file of any job is left. A watch that starts
in the awaited state waits for the directory to leave it and come back (a temp file
appearing, a file renamed into place, or another phase seen), so 'watch --until steady' run
right after REPLICAOF or BGREWRITEAOF waits for the whole job; --accept-current stops at
once instead. --timeout bounds the watch; with --until, reaching it is an error finding
(exit 1). Ctrl-C ends the watch with
a summary of the events seen and how long each temp file lived. Nothing is ever written
to DIR.`,
		Example: `  aoftool watch /var/lib/redis
  # wait for the rebuild
  redis-cli REPLICAOF 10.0.0.5 6379
  aoftool watch /data --until steady --timeout 30m
  # stop at once if nothing runs
  aoftool watch /data --until steady --accept-current
  aoftool watch /data --json | jq -c 'select(.type=="renamed")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runWatch(cmd.Context(), g, o, args[0], cmd.OutOrStdout())
		},
	}
	o.serverConfig.flags(cmd, true, false)
	f := cmd.Flags()
	f.DurationVar(&o.interval, "interval", 50*time.Millisecond, "polling period between scans (inotify triggers extra scans)")
	f.StringVar(&o.until, "until", "", "stop when the directory reaches this phase: "+strings.Join(names, ", ")+" or "+untilNoTemp)
	f.BoolVar(&o.current, "accept-current", false, "with --until: stop at once when the directory is already in the awaited state (by default it must leave it and come back)")
	f.DurationVar(&o.timeout, "timeout", 0, "stop after this long (0: until interrupted)")
	f.BoolVar(&o.text, "text", false, "plain text lines even when stdout is not a terminal")
	return cmd
}

func (o watchOptions) validate() error {
	if _, err := o.serverConfig.build(); err != nil {
		return err
	}
	if o.interval < time.Millisecond || o.interval > time.Hour {
		return usagef("--interval %v must be between 1ms and 1h", o.interval)
	}
	if o.timeout < 0 {
		return usagef("--timeout %v must not be negative", o.timeout)
	}
	if o.current && o.until == "" {
		return usagef("--accept-current goes with --until")
	}
	if o.until != "" && o.until != untilNoTemp {
		ok := false
		for _, p := range watchPhases {
			if string(p) == o.until {
				ok = true
			}
		}
		if !ok {
			return usagef("--until %q is not a phase (steady, bgsave, sync-transfer, sync-loading, aof-rewrite, aof-rewrite-finishing) nor %s", o.until, untilNoTemp)
		}
	}
	return nil
}

// untilPhase returns the stop condition: phase.Classify over the snapshots
// of the last few seconds, so growth (the proof a job is alive) counts.
func untilPhase(want string) func(*snapshot.Snapshot) bool {
	if want == untilNoTemp {
		return snapshot.UntilNoTempFiles
	}
	var window []*snapshot.Snapshot
	return func(s *snapshot.Snapshot) bool {
		window = append(window, s)
		for len(window) > 1 && (s.TakenAt.Sub(window[0].TakenAt) > 3*time.Second || len(window) > 8) {
			window = window[1:]
		}
		return string(phase.Classify(window, phase.Options{}).Phase) == want
	}
}

// watchSummaryLine is the last NDJSON line.
type watchSummaryLine struct {
	Type string `json:"type"`
	*watch.Summary
	Findings finding.List `json:"findings"`
}

func runWatch(ctx context.Context, g *globalOptions, o watchOptions, dir string, out io.Writer) error {
	// The directory is resolved once, as every command does (an AOF
	// directory given leads to its parent, names are discovered); the
	// watcher then captures it with those names.
	d, err := o.serverConfig.open(g, dir, true)
	if err != nil {
		return err
	}
	parent := ctx
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	human := !g.json && (o.text || isTerminal(out))
	live := human && isTerminal(out)
	if human {
		out = g.screenFor(out)
	}
	p := &watchPrinter{w: out, json: !human, live: live}
	opt := watch.Options{Capture: d.CaptureOptions(g.now), Interval: o.interval, OnEvent: p.event, OnScan: p.scan}
	if o.until != "" {
		opt.Until = untilPhase(o.until)
		opt.UntilAfterLeaving = !o.current
	}
	sum, err := watch.Watch(ctx, d.Root, opt)
	if err != nil {
		return err
	}
	p.clearStatus()
	fl := finding.List{}
	if sum.StopReason == "context" {
		switch {
		case parent.Err() != nil:
			sum.StopReason = "interrupted"
		case ctx.Err() != nil:
			sum.StopReason = "timeout"
			if o.until != "" {
				f := finding.New(finding.WatchUntilTimeout, "", "%s was not reached within %v", o.until, o.timeout)
				if sum.UntilHeldAtStart && sum.LeftAt == nil {
					f = finding.New(finding.WatchUntilTimeout, "", "the directory was already %s when the watch started and did not leave it within %v", o.until, o.timeout).
						WithHint("no job started; pass --accept-current to accept the state the directory is in")
				}
				fl = append(fl, f)
			}
		}
	}
	if !human {
		if err := p.line(watchSummaryLine{Type: "summary", Summary: sum, Findings: fl}); err != nil {
			return err
		}
		return exitFor(fl)
	}
	printWatchSummary(out, sum, o.until)
	if len(fl) > 0 {
		if err := printFindings(out, fl, g.useColour(out)); err != nil {
			return err
		}
	}
	return exitFor(fl)
}

// watchPrinter renders the engine's callbacks; the engine calls them from
// one goroutine, the mutex only guards against a future change of that.
type watchPrinter struct {
	mu        sync.Mutex
	w         io.Writer
	json      bool
	live      bool
	status    string
	progress  []watch.Progress
	lastGrown map[string]time.Time
	rates     map[string]*smoothedRate
	// scannedAt is the time of the last scan, which weighs the rates.
	scannedAt time.Time
}

func (p *watchPrinter) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}

func (p *watchPrinter) event(e watch.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		_ = p.line(e)
		return
	}
	if e.Type == snapshot.EventGrown {
		if p.live {
			return // the progress line shows growth
		}
		// Plain lines: growth at most once a second per file.
		if e.At != nil {
			if last, ok := p.lastGrown[e.Path]; ok && e.At.Sub(last) < time.Second {
				return
			}
			if p.lastGrown == nil {
				p.lastGrown = map[string]time.Time{}
			}
			p.lastGrown[e.Path] = *e.At
		}
	}
	p.clearStatusLocked()
	at := ""
	if e.At != nil {
		at = e.At.UTC().Format("15:04:05.000")
	}
	row := eventRow(e.Event)
	head := fmt.Sprintf("%-9s %s", row[0], row[1])
	if row[2] != "" {
		head += "  " + row[2]
	}
	if row[4] != "" {
		head += "  " + row[4]
	}
	if e.Progress != nil && e.Progress.ETAS != nil {
		head += "  ETA " + etaCell(*e.Progress.ETAS)
	}
	writeWrapped(p.w, fmt.Sprintf("%-12s  ", at), head)
	writeWrapped(p.w, strings.Repeat(" ", 14), e.Explanation)
	p.drawStatusLocked()
}

func (p *watchPrinter) scan(s *snapshot.Snapshot, pr []watch.Progress) {
	if !p.live {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s != nil {
		p.scannedAt = s.TakenAt
	}
	p.progress = pr
	p.clearStatusLocked()
	p.drawStatusLocked()
}

func (p *watchPrinter) clearStatus() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatusLocked()
}

func (p *watchPrinter) clearStatusLocked() {
	if p.status != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.status = ""
	}
}

func (p *watchPrinter) drawStatusLocked() {
	if !p.live || len(p.progress) == 0 {
		return
	}
	var parts []string
	for _, pr := range p.progress {
		pr = p.smooth(pr)
		parts = append(parts, progressText(pr))
	}
	// The line is redrawn in place with \r: a line wider than the pane
	// would wrap and leave a copy of itself on every redraw.
	p.status = fitLine(strings.Join(parts, " | "), widthOf(p.w)-1)
	fmt.Fprint(p.w, p.status)
}

// rateHalfLife is how fast the live line's rate follows a change: a scan's
// rate counts half after this long, so one slow or fast tick does not make
// the rate and ETA jump.
const rateHalfLife = 3 * time.Second

// smooth replaces an artifact's rate by an exponentially weighted average
// of the rates seen, weighted by the time between scans, and its ETA by
// the one that rate gives.
func (p *watchPrinter) smooth(pr watch.Progress) watch.Progress {
	if pr.RateBytesPerS == nil {
		return pr
	}
	if p.rates == nil {
		p.rates = map[string]*smoothedRate{}
	}
	now := p.scannedAt
	s, ok := p.rates[pr.Path]
	if !ok {
		s = &smoothedRate{rate: *pr.RateBytesPerS, at: now}
		p.rates[pr.Path] = s
	} else if dt := now.Sub(s.at); dt > 0 {
		alpha := 1 - math.Exp2(-dt.Seconds()/rateHalfLife.Seconds())
		s.rate += alpha * (*pr.RateBytesPerS - s.rate)
		s.at = now
	}
	rate := s.rate
	pr.RateBytesPerS = &rate
	if pr.ExpectedBytes != nil && rate > 0 && *pr.ExpectedBytes > pr.Bytes {
		eta := float64(*pr.ExpectedBytes-pr.Bytes) / rate
		pr.ETAS = &eta
	}
	return pr
}

type smoothedRate struct {
	rate float64
	at   time.Time
}

// fitLine cuts a line to width columns, ending it with "…" when cut.
func fitLine(s string, width int) string {
	if width <= 0 || textWidth(s) <= width {
		return s
	}
	out := []rune{}
	w := 0
	for _, r := range s {
		rw := textWidth(string(r))
		if w+rw > width-1 {
			break
		}
		out = append(out, r)
		w += rw
	}
	return string(out) + "…"
}

// progressText is one artifact's live state: name, bytes, share of the
// estimate, rate and ETA.
func progressText(pr watch.Progress) string {
	s := fmt.Sprintf("%s %s", pr.Path, humanize.IBytes(uint64(pr.Bytes)))
	if pr.ExpectedBytes != nil && *pr.ExpectedBytes > 0 {
		pct := 100 * float64(pr.Bytes) / float64(*pr.ExpectedBytes)
		s += fmt.Sprintf(" of ~%s (%.0f%%)", humanize.IBytes(uint64(*pr.ExpectedBytes)), pct)
	}
	if pr.RateBytesPerS != nil {
		s += ", " + rateCell(*pr.RateBytesPerS)
	}
	if pr.ETAS != nil {
		s += ", ETA " + etaCell(*pr.ETAS)
	}
	return s
}

func etaCell(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(100 * time.Millisecond).String()
}

func printWatchSummary(w io.Writer, sum *watch.Summary, until string) {
	fmt.Fprintln(w)
	var counts []string
	for k, v := range sum.Counts {
		counts = append(counts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(counts)
	why := map[string]string{"until": "the --until condition " + until + " held", "interrupted": "interrupted", "timeout": "--timeout reached", "context": "stopped", "error": "error"}[sum.StopReason]
	if sum.StopReason == "until" && sum.LeftAt != nil {
		why = fmt.Sprintf("the directory left %s at %s (%s) and came back", until, sum.LeftAt.Format("15:04:05.000"), sum.LeftBy)
	}
	line := fmt.Sprintf("Watched %s for %s (%s): %d scans, %d events", sum.Root, sum.Ended.Sub(sum.Started).Round(time.Millisecond), why, sum.Scans, sum.Events)
	if len(counts) > 0 {
		line += fmt.Sprintf(" (%s)", strings.Join(counts, ", "))
	}
	writeWrapped(w, "", line+".")
	if len(sum.Lifetimes) == 0 {
		return
	}
	t := newTable(w, "Temp file", "Kind", "First seen", "Lived", "Scans")
	for _, l := range sum.Lifetimes {
		lived := "still there"
		if l.Gone != nil {
			lived = (time.Duration(l.ObservedS * float64(time.Second))).Round(100 * time.Microsecond).String()
		}
		scans := fmt.Sprint(l.Scans)
		if l.Scans == 0 {
			scans = "0 (inotify only)"
		}
		_ = t.Append([]string{displayName(l.Path), string(l.Kind), l.FirstSeen.UTC().Format("15:04:05.000"), lived, scans})
	}
	_ = t.Render()
}
