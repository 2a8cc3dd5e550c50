package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/watch"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/snapshot"
	"github.com/aoftool/aoftool/timeline"
)

type timelineOptions struct {
	serverConfig
	output string
	html   string
	title  string
	year   int
	width  int
	log    serverLog
}

func newTimelineCmd(g *globalOptions) *cobra.Command {
	var o timelineOptions
	cmd := &cobra.Command{
		Use:   "timeline SOURCE... [-o FILE.svg] [--html FILE.html]",
		Short: "Draw a rebuild over time as SVG or HTML: sizes, phases, steps",
		Long: `timeline draws what happened in a data directory over time, the picture an incident ticket
wants: each file's size, the persistence phases as coloured bands (with the replica-rebuild steps
1 to 4), the renames that move a job's output into place, and with --log the server's log events
on a lane of their own.

SOURCE is a recording of 'aoftool watch --json' (one JSON event per line), or several snapshots
('aoftool snapshot -o') or pasted 'ls -l' listings taken one after the other, compared in the order
given. Phases are read from the files' lifetimes as the phase table of the README names them: a
transfer file is step 1, dump.rdb renamed from it starts the load (step 2, until the AOF rewrite
starts or the log says the load ended), temp-rewriteaof-<pid>.aof is step 3 and its -bg- rename
step 4.

-o writes the SVG, --html a self-contained HTML page with the SVG and a table of the phases; with
neither, the SVG goes to stdout when it is not a terminal. Outputs must be outside the sources.
--json prints the picture's data (series, bands, renames, log events).`,
		Example: `  aoftool watch --json /data --until steady > rebuild.ndjson
  aoftool timeline rebuild.ndjson -o rebuild.svg
  kubectl logs redis-1 > redis.log
  aoftool timeline rebuild.ndjson --log redis.log --html rebuild.html
  aoftool timeline t0.json t1.json t2.json -o growth.svg`,
		Args: cobra.MinimumNArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && o.log.path == "" {
				return usagef("timeline needs a watch --json recording, snapshots, listings or --log FILE")
			}
			if err := o.log.validate(); err != nil {
				return err
			}
			if o.width < 480 || o.width > 4000 {
				return usagef("--px %d: give a width from 480 to 4000 pixels", o.width)
			}
			if o.output == "" && o.html == "" && !g.json && isTerminal(cmd.OutOrStdout()) {
				return usagef("an SVG is not for a terminal: give -o FILE.svg or --html FILE.html (or pipe stdout)")
			}
			return runTimeline(cmd.Context(), g, o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the SVG to FILE")
	f.StringVar(&o.html, "html", "", "write a self-contained HTML page to FILE")
	f.StringVar(&o.title, "title", "", "the picture's title (default: the directory and what it shows)")
	f.IntVar(&o.year, "year", 0, "year of listing dates printed without one")
	f.IntVar(&o.width, "px", 960, "width of the picture in pixels")
	o.serverConfig.flags(cmd, true, false)
	o.log.flags(cmd)
	return cmd
}

// timelineResult is the --json document.
type timelineResult struct {
	*timeline.Timeline
	Steps   []int    `json:"steps"`
	Sources []string `json:"sources"`
	Written []string `json:"written,omitempty"`
}

func runTimeline(_ context.Context, g *globalOptions, o timelineOptions, args []string, out io.Writer) error {
	inspected := append([]string{}, args...)
	if o.log.path != "" && o.log.path != "-" {
		inspected = append(inspected, o.log.path)
	}
	var svgOut, htmlOut *wopen.Target
	var err error
	if o.output != "" && o.output != "-" {
		if svgOut, err = wopen.Plan("-o", o.output, wopen.ReplaceFile, inspected...); err != nil {
			return usageError{err}
		}
	}
	if o.html != "" {
		if htmlOut, err = wopen.Plan("--html", o.html, wopen.ReplaceFile, inspected...); err != nil {
			return usageError{err}
		}
	}
	events, root, start, end, err := timelineEvents(g, o, args)
	if err != nil {
		return err
	}
	var logEvents []timeline.LogEvent
	lg, logName, err := o.log.read(g)
	if err != nil {
		return err
	}
	if lg != nil {
		for _, e := range lg.Events {
			if e.Time.IsZero() {
				continue
			}
			// A log covers far more than a recording: keep what falls
			// within it, with a minute either side for context.
			if len(events) > 0 && (e.Time.Before(start.Add(-time.Minute)) || e.Time.After(end.Add(time.Minute))) {
				continue
			}
			logEvents = append(logEvents, timeline.LogEvent{At: e.Time, Kind: string(e.Kind), Line: e.Line})
		}
		if root == "" {
			root = logName
		}
	}
	title := o.title
	if title == "" {
		title = "aoftool timeline: " + root
	}
	if len(events) == 0 {
		start, end = time.Time{}, time.Time{}
	}
	tl := timeline.Build(title, events, logEvents, start, end)
	if tl.Start.IsZero() {
		return fmt.Errorf("nothing to draw: the sources hold no file event and no timed log line")
	}
	opt := timeline.Options{Width: o.width}
	res := timelineResult{Timeline: tl, Steps: tl.Steps(), Sources: args}
	if res.Steps == nil {
		res.Steps = []int{}
	}
	write := func(t *wopen.Target, name string, render func(io.Writer, timeline.Options) error) error {
		if t == nil {
			return nil
		}
		var b bytes.Buffer
		if err := render(&b, opt); err != nil {
			return err
		}
		if err := t.WriteFile(b.Bytes()); err != nil {
			return err
		}
		res.Written = append(res.Written, name)
		return nil
	}
	if err := write(svgOut, o.output, tl.SVG); err != nil {
		return err
	}
	if err := write(htmlOut, o.html, tl.HTML); err != nil {
		return err
	}
	if g.json {
		return writeJSON(out, res)
	}
	if svgOut == nil && htmlOut == nil {
		return tl.SVG(out, opt)
	}
	return printTimeline(g.screenFor(out), res)
}

// printTimeline says what the picture shows and where it was written.
func printTimeline(w io.Writer, r timelineResult) error {
	var phases []string
	for _, b := range r.Bands {
		p := b.Phase
		if b.Step > 0 {
			p = fmt.Sprintf("step %d %s", b.Step, b.Phase)
		}
		phases = append(phases, fmt.Sprintf("%s %s", p, fmtDuration(b.To.Sub(b.From))))
	}
	if err := keyValueTable(w, [][2]string{
		{"Timeline", r.Title},
		{"From", r.Start.UTC().Format("2006-01-02T15:04:05.000Z") + " for " + fmtDuration(r.End.Sub(r.Start))},
		{"Files", fmt.Sprint(len(r.Series))},
		{"Phases", strings.Join(phases, ", ")},
		{"Renames", fmt.Sprint(len(r.Rename))},
		{"Log events", fmt.Sprint(len(r.Log))},
		{"Written", strings.Join(r.Written, ", ")},
	}); err != nil {
		return err
	}
	return nil
}

func fmtDuration(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

// timelineEvents reads the sources: one watch --json recording, or
// snapshots and listings compared in order.
func timelineEvents(g *globalOptions, o timelineOptions, args []string) (events []timeline.FileEvent, root string, start, end time.Time, err error) {
	var prev *snapshot.Snapshot
	for _, a := range args {
		data, err := readSource(g, a)
		if err != nil {
			return nil, "", start, end, err
		}
		if rec, ok := parseRecording(data); ok {
			events = append(events, rec.events...)
			if root == "" {
				root = rec.root
			}
			if start.IsZero() || (!rec.start.IsZero() && rec.start.Before(start)) {
				start = rec.start
			}
			if rec.end.After(end) {
				end = rec.end
			}
			continue
		}
		s, err := snapshotFromSource(g, o, a, data)
		if err != nil {
			return nil, "", start, end, err
		}
		if root == "" {
			root = s.Root
		}
		if prev == nil {
			// What the first snapshot holds is where the picture starts.
			for _, e := range s.Entries {
				if e.Type != snapshot.TypeFile {
					continue
				}
				size := e.Size
				events = append(events, timeline.FileEvent{At: s.TakenAt, Type: "created", Path: e.Path, Kind: string(e.Kind), Size: &size})
			}
		} else {
			for _, e := range snapshot.Diff(prev, s).Events {
				if e.Type == snapshot.EventUnchanged {
					continue
				}
				at := s.TakenAt
				if e.At != nil {
					at = *e.At
				}
				events = append(events, fileEvent(e, at))
			}
		}
		if start.IsZero() || s.TakenAt.Before(start) {
			start = s.TakenAt
		}
		if s.TakenAt.After(end) {
			end = s.TakenAt
		}
		prev = s
	}
	return events, root, start, end, nil
}

func fileEvent(e snapshot.Event, at time.Time) timeline.FileEvent {
	return timeline.FileEvent{At: at, Type: string(e.Type), Path: e.Path, OldPath: e.OldPath, Kind: string(e.Kind), OldKind: string(e.OldKind), Size: e.Size}
}

// readSource reads a source file whole (recordings, snapshots and listings
// are text of a bounded size) through the read-only front door.
func readSource(g *globalOptions, p string) ([]byte, error) {
	if p == "-" {
		return io.ReadAll(io.LimitReader(g.stdin, 256<<20))
	}
	f, err := datadir.OpenText(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 256<<20))
}

type recording struct {
	events     []timeline.FileEvent
	root       string
	start, end time.Time
}

// parseRecording reads watch --json output: one event object per line and
// a closing {"type":"summary"} line. ok is false for anything else.
func parseRecording(data []byte) (recording, bool) {
	var rec recording
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	lines := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		lines++
		var head struct {
			Type string `json:"type"`
		}
		if line[0] != '{' || json.Unmarshal(line, &head) != nil || head.Type == "" {
			return rec, false
		}
		if head.Type == "summary" {
			var s watch.Summary
			if json.Unmarshal(line, &s) == nil {
				rec.root, rec.start, rec.end = s.Root, s.Started, s.Ended
			}
			continue
		}
		var e watch.Event
		if err := json.Unmarshal(line, &e); err != nil || e.At == nil {
			continue
		}
		rec.events = append(rec.events, fileEvent(e.Event, *e.At))
	}
	return rec, lines > 0
}

// snapshotFromSource reads a saved snapshot, a pasted listing, or captures
// a directory.
func snapshotFromSource(g *globalOptions, o timelineOptions, arg string, data []byte) (*snapshot.Snapshot, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		s, err := snapshot.Load(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return s, nil
	}
	names, err := o.listingNames()
	if err != nil {
		return nil, err
	}
	s, _ := snapshot.FromListing(bytes.NewReader(data), snapshot.ListingOptions{Year: o.year, Clock: g.now(), Names: names})
	if len(s.Entries) == 0 {
		return nil, fmt.Errorf("%s: neither a watch --json recording, a snapshot nor an ls -l listing", arg)
	}
	s.TakenAt = newestMTime(s)
	return s, nil
}
