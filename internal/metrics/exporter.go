package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

// Target is one data directory the Exporter reads.
type Target struct {
	// Dir is the value of the dir label.
	Dir string
	// Read lists the directory (names, stat data, headers, the manifest):
	// the cheap work of aoftool phase. The Exporter calls it at most once
	// per MinInterval and never twice at once for one directory.
	Read func() (*snapshot.Snapshot, error)
	// Verify runs the full post-mortem (every file read); nil when
	// verification is off. Only RunVerifications calls it, never a scrape.
	Verify func(ctx context.Context) (*check.Report, error)
}

// Options tune the Exporter.
type Options struct {
	// Instance, when set, is the redis_instance label of every series.
	Instance string
	// MinInterval is the shortest time between two reads of a directory:
	// scrapes within it get the last reading, so any number of scrapers
	// costs at most one read per interval.
	MinInterval time.Duration
	// Phase tunes the classifier.
	Phase phase.Options
	// Version is exported as aoftool_build_info.
	Version string
	// Now is the clock.
	Now func() time.Time
	// Log receives a line when a directory becomes unreadable, when it
	// is readable again, and when a verification fails.
	Log func(msg string)
}

// Exporter is a prometheus.Collector over data directories: each scrape
// classifies each directory afresh (or reuses a reading younger than
// MinInterval), from the pair of the previous and the current snapshot so
// that growth, rate and ETA are observed between evaluations.
type Exporter struct {
	opt     Options
	d       *descs
	build   *prometheus.Desc
	targets []*target
}

type target struct {
	Target
	base []string

	mu sync.Mutex
	// last is the newest evaluation; prev the snapshot of the newest one
	// that succeeded, kept to observe growth.
	last        *evaluation
	prev        *snapshot.Snapshot
	evaluations int
	failures    int

	vmu          sync.Mutex
	verification *Verification
}

type evaluation struct {
	at      time.Time
	took    time.Duration
	err     error
	reading Reading
}

// NewExporter builds an Exporter over targets. Directories are not read
// until Refresh or the first scrape.
func NewExporter(targets []Target, opt Options) (*Exporter, error) {
	if opt.Now == nil {
		return nil, errors.New("metrics: Options.Now is required")
	}
	if opt.Log == nil {
		opt.Log = func(string) {}
	}
	e := &Exporter{opt: opt, d: newDescs(opt.Instance != ""),
		build: prometheus.NewDesc(BuildInfo, definitionOf(BuildInfo).Help, []string{"version"}, nil)}
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Dir] {
			return nil, fmt.Errorf("metrics: directory %s given twice", t.Dir)
		}
		seen[t.Dir] = true
		base := []string{t.Dir}
		if opt.Instance != "" {
			base = append(base, opt.Instance)
		}
		e.targets = append(e.targets, &target{Target: t, base: base})
	}
	return e, nil
}

func definitionOf(name string) Definition {
	for _, d := range definitions {
		if d.Name == name {
			return d
		}
	}
	panic("metrics: no definition of " + name)
}

// Describe sends every descriptor the Exporter may use.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.build
	e.d.describe(ch)
}

// Collect evaluates each directory (or reuses a fresh reading) and sends
// its metrics.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(e.build, prometheus.GaugeValue, 1, e.opt.Version)
	for _, t := range e.targets {
		ev, n, failures := e.evaluate(t)
		em := emitter{d: e.d, ch: ch, base: t.base}
		em.send(Evaluations, float64(n))
		em.send(EvaluationFailures, float64(failures))
		em.send(EvaluationSuccess, boolValue(ev.err == nil))
		em.send(EvaluationDuration, ev.took.Seconds())
		if ev.err == nil {
			em.send(EvaluationReadBytes, float64(ev.reading.Snapshot.BytesRead))
			ev.reading.collect(em)
		}
		t.vmu.Lock()
		v := t.verification
		t.vmu.Unlock()
		if v != nil {
			v.collect(em)
		}
	}
}

// Refresh reads every directory now, whatever the interval, and returns
// the errors of those that could not be read.
func (e *Exporter) Refresh() error {
	var errs []error
	for _, t := range e.targets {
		t.mu.Lock()
		ev := e.read(t)
		t.mu.Unlock()
		if ev.err != nil {
			errs = append(errs, ev.err)
		}
	}
	return errors.Join(errs...)
}

// evaluate returns the reading to export for t: the last one while it is
// younger than MinInterval, a new one otherwise. Scrapes that arrive
// during a read wait for it and share it.
func (e *Exporter) evaluate(t *target) (*evaluation, int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ev := t.last
	if ev == nil || e.opt.Now().Sub(ev.at) >= e.opt.MinInterval {
		ev = e.read(t)
	}
	return ev, t.evaluations, t.failures
}

// read takes a new snapshot of t and classifies it with the previous one;
// t.mu is held.
func (e *Exporter) read(t *target) *evaluation {
	start := e.opt.Now()
	snap, err := t.Read()
	ev := &evaluation{at: start, err: err}
	t.evaluations++
	if err != nil {
		t.failures++
		if t.last == nil || t.last.err == nil || t.last.err.Error() != err.Error() {
			e.opt.Log(fmt.Sprintf("%s: cannot be read: %v", t.Dir, err))
		}
	} else {
		if t.last != nil && t.last.err != nil {
			e.opt.Log(fmt.Sprintf("%s: readable again", t.Dir))
		}
		snaps := []*snapshot.Snapshot{snap}
		if t.prev != nil {
			snaps = []*snapshot.Snapshot{t.prev, snap}
		}
		ev.reading = Reading{Result: phase.Classify(snaps, e.opt.Phase), Snapshot: snap}
		t.prev = snap
	}
	ev.took = e.opt.Now().Sub(start)
	t.last = ev
	return ev
}

// RunVerifications runs the full post-mortem of every directory that has a
// Verify function, one directory at a time, then again every period, until
// ctx ends. Scrapes export the last result.
func (e *Exporter) RunVerifications(ctx context.Context, every time.Duration) {
	for {
		for _, t := range e.targets {
			if t.Verify == nil {
				continue
			}
			start := e.opt.Now()
			rep, err := t.Verify(ctx)
			if ctx.Err() != nil {
				return
			}
			end := e.opt.Now()
			if err != nil {
				e.opt.Log(fmt.Sprintf("%s: verification failed: %v", t.Dir, err))
				rep = nil
			}
			t.vmu.Lock()
			t.verification = &Verification{Ended: end, Took: end.Sub(start), Report: rep, Err: err}
			t.vmu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
