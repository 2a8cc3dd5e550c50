package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/internal/scenario"
	"github.com/aoftool/aoftool/snapshot"
)

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		s := string(e.Type) + " " + e.Path
		if e.OldPath != "" {
			s = string(e.Type) + " " + e.OldPath + " -> " + e.Path
		}
		out = append(out, s)
	}
	return out
}

// indexOf finds the first line at or after from containing every part.
func indexOf(lines []string, from int, parts ...string) int {
	for i := from; i < len(lines); i++ {
		ok := true
		for _, p := range parts {
			if !strings.Contains(lines[i], p) {
				ok = false
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

func startWatch(t *testing.T, dir string, log *eventLog) (stop func() *Summary) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Summary, 1)
	go func() {
		sum, err := Watch(ctx, dir, Options{Interval: 20 * time.Millisecond, OnEvent: log.add})
		if err != nil {
			t.Errorf("watch: %v", err)
		}
		done <- sum
	}()
	time.Sleep(100 * time.Millisecond) // first capture and inotify set up
	return func() *Summary { cancel(); return <-done }
}

func loadKeys(t *testing.T, srv *redistest.Server, n, size int) {
	t.Helper()
	var cmds [][]string
	for i := 0; i < n; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("key:%07d", i), strings.Repeat("x", size)})
	}
	if err := srv.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
}

func mustCapture(t *testing.T, dir string) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Capture(dir, snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func diffLines(r *snapshot.DiffResult) []string {
	var out []string
	for _, e := range r.Events {
		if e.Type == snapshot.EventUnchanged {
			continue
		}
		s := string(e.Type) + " " + e.Path
		if e.OldPath != "" {
			s = string(e.Type) + " " + e.OldPath + " -> " + e.Path
		}
		out = append(out, s)
	}
	return out
}

func requireInOrder(t *testing.T, what string, lines []string, steps ...[]string) {
	t.Helper()
	at := 0
	for _, parts := range steps {
		i := indexOf(lines, at, parts...)
		if i < 0 {
			t.Errorf("%s: no %q at or after position %d in:\n  %s", what, parts, at, strings.Join(lines, "\n  "))
			return
		}
		at = i + 1
	}
}

// TestRealBGSAVEAndRewrite drives a real redis-server through a slowed
// BGSAVE and a BGREWRITEAOF with AOF on, and checks that diffs of
// snapshots taken before, during and after, and the live watcher, report
// creation, growth and renames in Redis's order.
func TestRealBGSAVEAndRewrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	dir := t.TempDir()
	srv := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes"}})
	loadKeys(t, srv, 20000, 100)
	srv.MustDo("SAVE")
	srv.MustDo("CONFIG", "SET", "rdb-key-save-delay", "50") // 20,000 keys x 50 µs ≈ 1 s per child, more on a busy machine
	log := &eventLog{}
	stop := startWatch(t, dir, log)

	before := mustCapture(t, dir)
	srv.MustDo("BGSAVE")
	tmp := scenario.MustWaitFile(t, dir, `^temp-.*\.rdb$`, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	during := mustCapture(t, dir)
	if err := srv.WaitInfo("rdb_bgsave_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	after := mustCapture(t, dir)
	requireInOrder(t, "diff before/during BGSAVE", diffLines(snapshot.Diff(before, during)), []string{"created " + tmp})
	requireInOrder(t, "diff during/after BGSAVE", diffLines(snapshot.Diff(during, after)), []string{"renamed " + tmp + " -> dump.rdb"})
	e := during.Entry(tmp)
	if e == nil || e.Content != snapshot.ContentRDB || e.RDB == nil || e.RDB.LooksComplete == nil || *e.RDB.LooksComplete {
		t.Errorf("temp RDB mid-save: %+v", e)
	}

	before2 := after
	srv.MustDo("BGREWRITEAOF")
	rw := scenario.MustWaitFile(t, dir, `^temp-rewriteaof-.*\.aof$`, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	during2 := mustCapture(t, dir)
	if err := srv.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitGone(t, dir, "temp-rewriteaof-bg-")
	time.Sleep(200 * time.Millisecond)
	after2 := mustCapture(t, dir)
	d1 := diffLines(snapshot.Diff(before2, during2))
	requireInOrder(t, "diff before/during rewrite", d1, []string{"created appendonlydir/appendonly.aof.2.incr.aof"})
	requireInOrder(t, "diff before/during rewrite", d1, []string{"created " + rw})
	requireInOrder(t, "diff before/during rewrite", d1, []string{"replaced appendonlydir/appendonly.aof.manifest"})
	d2 := diffLines(snapshot.Diff(during2, after2))
	requireInOrder(t, "diff during/after rewrite", d2, []string{"renamed " + rw + " -> appendonlydir/appendonly.aof.2.base.rdb"})
	requireInOrder(t, "diff during/after rewrite", d2, []string{"removed appendonlydir/appendonly.aof.1.base.rdb"})
	requireInOrder(t, "diff during/after rewrite", d2, []string{"removed appendonlydir/appendonly.aof.1.incr.aof"})
	if m := after2.Manifests; len(m) != 1 || len(m[0].Files) != 2 || after2.Entry("appendonlydir/appendonly.aof.2.base.rdb").ManifestRole != "b" {
		t.Errorf("manifest after rewrite: %+v", m)
	}

	srv.Stop()
	sum := stop()
	lines := log.lines()
	requireInOrder(t, "watcher", lines,
		[]string{"created " + tmp},
		[]string{"grown " + tmp},
		[]string{"renamed " + tmp + " -> dump.rdb"},
		[]string{"created appendonlydir/appendonly.aof.2.incr.aof"},
		[]string{"created " + rw},
		[]string{"grown " + rw},
		[]string{"temp-rewriteaof-bg-"},
		[]string{"appendonlydir/appendonly.aof.2.base.rdb"},
	)
	var grown *Event
	log.mu.Lock()
	for i := range log.events {
		if log.events[i].Type == snapshot.EventGrown && log.events[i].Path == rw && log.events[i].Progress != nil && log.events[i].Progress.ETAS != nil {
			grown = &log.events[i]
		}
	}
	log.mu.Unlock()
	if grown == nil {
		t.Errorf("no progress with an ETA for the rewrite output")
	} else {
		t.Logf("rewrite progress: %d of ~%d bytes (from %s), %.0f B/s, ETA %.2fs", grown.Progress.Bytes, *grown.Progress.ExpectedBytes, grown.Progress.ExpectedFrom, *grown.Progress.RateBytesPerS, *grown.Progress.ETAS)
	}
	t.Logf("watcher: %d scans, %d events, counts %v", sum.Scans, sum.Events, sum.Counts)
	logWatch(t, sum, lines)
}

// logWatch logs the temp files' lifetimes and the events other than growth,
// which is what a reader of a failing run needs.
func logWatch(t *testing.T, sum *Summary, lines []string) {
	t.Helper()
	for _, l := range sum.Lifetimes {
		t.Logf("lifetime %s (%s): %.1f ms, %d scans", l.Path, l.Kind, l.ObservedS*1000, l.Scans)
	}
	var shown []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "grown ") {
			shown = append(shown, l)
		}
	}
	t.Logf("events (growth omitted):\n  %s", strings.Join(shown, "\n  "))
}

func waitGone(t *testing.T, dir, prefix string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		found := false
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			if strings.HasPrefix(de.Name(), prefix) {
				found = true
			}
		}
		if !found {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s* still in %s", prefix, dir)
}

// TestWatcherSeesShortLivedRewriteBgFile: the finished rewrite output
// temp-rewriteaof-bg-<pid>.aof lives only until the parent's next cron
// tick (hz 100 here: about 10 ms). The watcher must still report it and
// measure how long it lived.
func TestWatcherSeesShortLivedRewriteBgFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	dir := t.TempDir()
	srv := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "hz 100"}})
	loadKeys(t, srv, 2000, 50)
	// A loaded machine can delay the parent's cron tick past 100 ms;
	// retry a few rewrites before calling it a failure.
	var (
		lines []string
		life  *Lifetime
		i     = -1
	)
	for attempt := 0; attempt < 4; attempt++ {
		log := &eventLog{}
		stop := startWatch(t, dir, log)
		srv.MustDo("BGREWRITEAOF")
		if err := srv.WaitInfo("aof_rewrite_in_progress", "0", 20*time.Second); err != nil {
			t.Fatal(err)
		}
		waitGone(t, dir, "temp-rewriteaof-")
		time.Sleep(100 * time.Millisecond)
		sum := stop()
		lines = log.lines()
		i = indexOf(lines, 0, "temp-rewriteaof-bg-")
		life = nil
		for j := range sum.Lifetimes {
			if sum.Lifetimes[j].Kind == snapshot.KindRewriteBgTemp && sum.Lifetimes[j].Gone != nil {
				life = &sum.Lifetimes[j]
			}
		}
		if life != nil {
			t.Logf("attempt %d: -bg- file lived %.2f ms, %d scans saw it", attempt+1, life.ObservedS*1000, life.Scans)
		}
		if i >= 0 && life != nil && life.ObservedS > 0 && life.ObservedS < 0.1 {
			break
		}
	}
	if i < 0 {
		t.Fatalf("the watcher never reported temp-rewriteaof-bg-<pid>.aof:\n  %s", strings.Join(lines, "\n  "))
	}
	if life == nil {
		t.Fatal("no lifetime for the -bg- file")
	}
	if life.ObservedS <= 0 || life.ObservedS >= 0.1 {
		t.Errorf("observed lifetime %.1f ms, want under 100 ms with hz 100", life.ObservedS*1000)
	}
	t.Logf("temp-rewriteaof-bg file: event %q, observed lifetime %.2f ms, %d scans saw it", lines[i], life.ObservedS*1000, life.Scans)
}

func TestUntilNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dump.rdb"), []byte("REDIS0010"))
	writeFile(t, filepath.Join(dir, "temp-77.rdb"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = os.Rename(filepath.Join(dir, "temp-77.rdb"), filepath.Join(dir, "dump.rdb"))
	}()
	log := &eventLog{}
	sum, err := Watch(ctx, dir, Options{Interval: 20 * time.Millisecond, Until: snapshot.UntilNoTempFiles, OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if sum.StopReason != "until" {
		t.Fatalf("stop reason %s", sum.StopReason)
	}
	requireInOrder(t, "watcher", log.lines(), []string{"renamed temp-77.rdb -> dump.rdb"})
}

// A watch that starts in the awaited state waits for the directory to
// leave it and come back; without UntilAfterLeaving it stops at once.
func TestUntilAfterLeaving(t *testing.T) {
	for _, c := range []struct {
		name string
		// job runs a job in the directory once the watch is set up; by
		// lists what may show it left, separated by |: inotify may see the
		// temp file, or only a scan the replaced dump.rdb.
		job func(dir string)
		by  string
	}{
		{"a temp file seen by a scan", func(dir string) {
			writeFile(t, filepath.Join(dir, "temp-77.rdb"), []byte("REDIS0010"))
			time.Sleep(300 * time.Millisecond)
			_ = os.Rename(filepath.Join(dir, "temp-77.rdb"), filepath.Join(dir, "dump.rdb"))
		}, "temp-77.rdb"},
		{"a job between two scans", func(dir string) {
			writeFile(t, filepath.Join(dir, "temp-78.rdb"), []byte("REDIS0010"))
			_ = os.Rename(filepath.Join(dir, "temp-78.rdb"), filepath.Join(dir, "dump.rdb"))
		}, "temp-78.rdb|dump.rdb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "dump.rdb"), []byte("REDIS0010"))
			sum, err := Watch(context.Background(), dir, Options{Interval: 20 * time.Millisecond, Until: snapshot.UntilNoTempFiles})
			if err != nil || sum.StopReason != "until" || !sum.UntilHeldAtStart || sum.LeftAt != nil {
				t.Fatalf("without UntilAfterLeaving: %v %+v", err, sum)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			go func() {
				time.Sleep(200 * time.Millisecond)
				c.job(dir)
			}()
			start := time.Now()
			sum, err = Watch(ctx, dir, Options{Interval: 20 * time.Millisecond, Until: snapshot.UntilNoTempFiles, UntilAfterLeaving: true})
			if err != nil {
				t.Fatal(err)
			}
			byOK := false
			for _, by := range strings.Split(c.by, "|") {
				byOK = byOK || strings.Contains(sum.LeftBy, by)
			}
			if sum.StopReason != "until" || sum.LeftAt == nil || !byOK || time.Since(start) < 200*time.Millisecond {
				t.Fatalf("stopped after %v: %+v", time.Since(start), sum)
			}
		})
	}
	// Nothing happens: the watch runs until its context ends.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dump.rdb"), []byte("REDIS0010"))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	sum, err := Watch(ctx, dir, Options{Interval: 20 * time.Millisecond, Until: snapshot.UntilNoTempFiles, UntilAfterLeaving: true})
	if err != nil || sum.StopReason != "context" || sum.LeftAt != nil {
		t.Fatalf("%v %+v", err, sum)
	}
}

// TestRealReplicaRebuild watches a replica with AOF on while it full-syncs
// from a disk-based master: the four steps of a rebuild (transfer, load,
// rewrite, install) must appear in order, explained in Redis terms.
func TestRealReplicaRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	master := redistest.Start(t, redistest.Options{Config: []string{"repl-diskless-sync no", "rdb-key-save-delay 20"}})
	loadKeys(t, master, 20000, 100)
	rdir := t.TempDir()
	replica := redistest.Start(t, redistest.Options{Dir: rdir, Config: []string{"appendonly yes", "hz 100"}})
	log := &eventLog{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan *Summary, 1)
	started := make(chan struct{})
	go func() {
		sum, err := Watch(ctx, rdir, Options{Interval: 20 * time.Millisecond, OnEvent: log.add, OnScan: func(*snapshot.Snapshot, []Progress) {
			select {
			case <-started:
			default:
				close(started)
			}
		}})
		if err != nil {
			t.Errorf("watch: %v", err)
		}
		done <- sum
	}()
	<-started
	replica.MustDo("REPLICAOF", "127.0.0.1", fmt.Sprint(master.Port))
	if err := replica.WaitLog("Background AOF rewrite finished successfully", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	sum := <-done
	lines := log.lines()
	requireInOrder(t, "replica rebuild", lines,
		[]string{"created temp-", ".rdb"},
		[]string{"renamed temp-", ".rdb -> dump.rdb"},
		[]string{"created appendonlydir/temp-appendonly.aof.incr"},
		[]string{"created temp-rewriteaof-"},
		[]string{"temp-rewriteaof-bg-"},
		[]string{"appendonlydir/appendonly.aof.2.base.rdb"},
	)
	requireInOrder(t, "replica rebuild", lines, []string{"renamed appendonlydir/temp-appendonly.aof.incr -> appendonlydir/appendonly.aof.2.incr.aof"})
	log.mu.Lock()
	for _, e := range log.events {
		if e.Type == snapshot.EventRenamed && e.Path == "dump.rdb" && !strings.Contains(e.Explanation, "loading starts") {
			t.Errorf("transfer rename explained as %q", e.Explanation)
		}
	}
	log.mu.Unlock()
	logWatch(t, sum, lines)
}

// TestWatcherLosesNoShortLivedFile creates and installs rewrite outputs
// within microseconds, as a parent does when it reaps the child at once:
// each must be reported, by a scan that caught it or by inotify alone.
func TestWatcherLosesNoShortLivedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "appendonlydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Summary, 1)
	go func() {
		sum, err := Watch(ctx, dir, Options{Interval: time.Second, OnEvent: log.add})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	time.Sleep(100 * time.Millisecond)
	const n = 20
	for i := 0; i < n; i++ {
		bg := filepath.Join(dir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", 1000+i))
		writeFile(t, bg, []byte("REDIS0010"))
		if err := os.Rename(bg, filepath.Join(dir, "appendonlydir", fmt.Sprintf("appendonly.aof.%d.base.rdb", i+2))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	sum := <-done
	lines := log.lines()
	transient := 0
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("temp-rewriteaof-bg-%d.aof", 1000+i)
		if indexOf(lines, 0, name) < 0 {
			t.Errorf("%s not reported", name)
		}
		if indexOf(lines, 0, "transient "+name) >= 0 {
			transient++
		}
	}
	seen := 0
	for _, l := range sum.Lifetimes {
		if l.Kind == snapshot.KindRewriteBgTemp && l.Gone != nil {
			seen++
		}
	}
	if seen != n {
		t.Errorf("%d lifetimes of -bg- files, want %d", seen, n)
	}
	t.Logf("%d of %d short-lived files were seen by inotify only", transient, n)
}
