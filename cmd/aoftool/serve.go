package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/metrics"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

type serveOptions struct {
	listen      string
	instance    string
	minInterval time.Duration
	verifyEvery time.Duration
	staleLag    time.Duration
	serverConfig
}

func newServeCmd(g *globalOptions) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR [DIR...]",
		Short: "Export live data dirs' phase and progress as Prometheus metrics",
		Long: `serve is a Prometheus exporter for a sidecar next to redis-server: /metrics gives, for
each DIR, what 'aoftool phase' says (the phase, its confidence, the replica rebuild step,
the running job's progress with rate and ETA, leftovers of dead jobs), the artifacts'
sizes, the free space of the volume, the incr files the manifest lists and the findings by
severity and code. /healthz answers ok while the server runs.

Each scrape reads the directories afresh (names, stat data, headers, the manifest; never a
whole file), unless the last read is younger than --min-interval: scrapes in between get
the same answer, so any number of scrapers cost one read per interval. Growth, rate and
ETA come from the previous read and the current one.

--verify-every DURATION also runs the full post-mortem of 'aoftool check' in the
background, one directory at a time, every DURATION (it reads every byte of every file:
pick a period the disk can afford); its answer (would the next start succeed, would it
lose data) is exported until the next one. It never runs on a scrape.

Labels: dir (the DIR as given) and, with --instance, redis_instance. Nothing is written
anywhere. SIGTERM or Ctrl-C shuts the server down gracefully (exit 0); a DIR that cannot be
read at start is exit 2, one that becomes unreadable later is aoftool_evaluation_success 0.`,
		Example: `  aoftool serve --listen :9479 /data
  aoftool serve --listen 127.0.0.1:9479 --instance redis-0 \
    --verify-every 6h /data
  curl -s localhost:9479/metrics | grep '^aoftool_phase{'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(args); err != nil {
				return err
			}
			return runServe(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "", "address to serve /metrics and /healthz on, e.g. :9479 or 127.0.0.1:9479 (required)")
	f.StringVar(&o.instance, "instance", "", "name of the server, exported as the label redis_instance (e.g. the pod name)")
	f.DurationVar(&o.minInterval, "min-interval", 5*time.Second, "shortest time between two reads of a directory; scrapes in between reuse the last reading (at least 1s)")
	f.DurationVar(&o.verifyEvery, "verify-every", 0, "also run the full verification of 'aoftool check' this often, in the background (0: never; at least 1m)")
	f.DurationVar(&o.staleLag, "stale-lag", 0, "a temp file whose last write lags the server's other files by more than this is taken as abandoned (default 1s)")
	o.serverConfig.flags(cmd, true, false)
	return cmd
}

func (o serveOptions) validate(args []string) error {
	if o.listen == "" {
		return usagef("serve needs --listen ADDR (e.g. :9479)")
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return usagef("--listen %q: %v", o.listen, err)
	}
	if o.minInterval < time.Second {
		return usagef("--min-interval %v is shorter than 1s", o.minInterval)
	}
	if o.verifyEvery != 0 && o.verifyEvery < time.Minute {
		return usagef("--verify-every %v is shorter than 1m: a verification reads every byte of every file", o.verifyEvery)
	}
	cfg, err := o.serverConfig.build()
	if err != nil {
		return err
	}
	if len(args) == 0 && cfg.Dir == "" {
		return usagef("serve needs a data directory, or --config with a dir directive")
	}
	seen := map[string]bool{}
	for _, a := range args {
		c := filepath.Clean(a)
		if seen[c] {
			return usagef("%s is given twice", a)
		}
		seen[c] = true
	}
	return nil
}

// shutdownGrace bounds how long scrapes in flight may finish after SIGTERM.
const shutdownGrace = 5 * time.Second

func runServe(ctx context.Context, g *globalOptions, o serveOptions, args []string) error {
	if len(args) == 0 {
		args = []string{""} // the config's dir
	}
	var targets []metrics.Target
	for _, a := range args {
		arg := a
		label := filepath.Clean(arg)
		if arg == "" {
			cfg, _ := o.serverConfig.build()
			label = filepath.Clean(cfg.Dir)
		}
		t := metrics.Target{Dir: label, Read: func() (*snapshot.Snapshot, error) {
			d, err := o.serverConfig.open(g, arg, false)
			if err != nil {
				return nil, err
			}
			return d.Snapshot, nil
		}}
		if o.verifyEvery > 0 {
			t.Verify = func(ctx context.Context) (*check.Report, error) { return serveVerify(ctx, g, o, arg) }
		}
		targets = append(targets, t)
	}
	logf := func(msg string) { fmt.Fprintf(g.stderr, "aoftool serve: %s\n", msg) }
	exp, err := metrics.NewExporter(targets, metrics.Options{
		Instance: o.instance, MinInterval: o.minInterval, Version: strings.TrimPrefix(versionString(), "aoftool "), Now: g.now,
		Phase: phase.Options{StaleLag: o.staleLag}, Log: logf,
	})
	if err != nil {
		return usageError{err}
	}
	// A directory that cannot be read at start is a mistake in the command
	// line (exit 2); one that becomes unreadable later is a metric.
	if err := exp.Refresh(); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(exp,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	srv := &http.Server{Handler: serveMux(reg), ReadHeaderTimeout: 10 * time.Second}
	logf(fmt.Sprintf("listening on %s", ln.Addr()))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.verifyEvery > 0 {
		go exp.RunVerifications(ctx, o.verifyEvery)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, stop := context.WithTimeout(context.Background(), shutdownGrace)
	defer stop()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logf("stopped")
	return nil
}

// maxScrapesInFlight bounds concurrent scrapes: each waits for the same
// reading, so more would only pile up goroutines on a slow volume.
const maxScrapesInFlight = 8

func serveMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: maxScrapesInFlight,
		Timeout:             30 * time.Second,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "aoftool serve: /metrics (Prometheus), /healthz\n")
	})
	return mux
}

// serveVerify runs the post-mortem of one directory, reading it again when
// a live server installed a rewrite while it was read.
func serveVerify(ctx context.Context, g *globalOptions, o serveOptions, arg string) (*check.Report, error) {
	var rep *check.Report
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		d, oerr := o.serverConfig.open(g, arg, false)
		if oerr != nil {
			return nil, oerr
		}
		rep, err = check.Run(ctx, d, check.Options{})
		if !errors.Is(err, check.ErrMoved) {
			break
		}
	}
	return rep, err
}
