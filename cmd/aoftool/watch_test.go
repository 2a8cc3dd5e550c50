package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/internal/watch"
)

func TestWatchUntilGolden(t *testing.T) {
	withSnapshotClock(t, 0)
	dir := snapDir(t, "redis7-writes")
	guard := fsguard.Record(t, dir)
	r := runCLIIn(t, filepath.Dir(dir), "watch", "data", "--until", "no-temp-files", "--accept-current", "--text")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "watch/until-no-temp.txt", r.stdout)
	r = runCLIIn(t, filepath.Dir(dir), "watch", "data", "--until", "steady", "--accept-current", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "watch/until-steady.json", r.stdout)
	// Without --accept-current a directory already steady must leave
	// steady first; nothing happens here, so --timeout ends it.
	r = runCLIIn(t, filepath.Dir(dir), "watch", "data", "--until", "steady", "--timeout", "300ms", "--text")
	if r.code != exitFindings || !strings.Contains(r.stdout, "already steady when the watch started") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
	guard.AssertUnchanged(t)
}

// TestWatchEventsNDJSON runs the command while files change the way a
// BGSAVE changes them, and reads its NDJSON.
func TestWatchEventsNDJSON(t *testing.T) {
	dir := snapDir(t, "redis7-writes")
	go func() {
		time.Sleep(300 * time.Millisecond)
		tmp := filepath.Join(dir, "temp-777.rdb")
		_ = os.WriteFile(tmp, []byte("REDIS0010"), 0o644)
		time.Sleep(200 * time.Millisecond)
		_ = os.WriteFile(tmp, []byte("REDIS0010\xfa\x09redis-ver\x067.0.15"), 0o644)
		time.Sleep(200 * time.Millisecond)
		_ = os.Rename(tmp, filepath.Join(dir, "dump.rdb"))
	}()
	r := runCLI(t, "", "watch", dir, "--timeout", "1500ms", "--interval", "20ms")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var types []string
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not NDJSON: %q: %v", sc.Text(), err)
		}
		p, _ := m["path"].(string)
		types = append(types, m["type"].(string)+" "+p)
		last = m
	}
	want := []string{"created temp-777.rdb", "grown temp-777.rdb", "renamed dump.rdb"}
	at := 0
	for _, w := range want {
		for at < len(types) && types[at] != w {
			at++
		}
		if at == len(types) {
			t.Fatalf("no %q in order in %q", w, types)
		}
	}
	if last["type"] != "summary" || last["stop_reason"] != "timeout" {
		t.Errorf("last line %v", last)
	}
}

func TestWatchUntilTimeoutIsAnError(t *testing.T) {
	dir := snapDir(t, "redis7-writes")
	r := runCLI(t, "", "watch", dir, "--until", "bgsave", "--timeout", "200ms", "--text")
	if r.code != exitFindings || !strings.Contains(r.stdout, "watch-until-timeout") {
		t.Fatalf("exit %d, out %q", r.code, r.stdout)
	}
}

func TestWatchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"watch"},
		{"watch", ".", "--until", "rebooting"},
		{"watch", ".", "--interval", "0s"},
		{"watch", ".", "--timeout", "-1s"},
		{"watch", "/no/such/dir"},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.code, exitCannot, r.stderr)
		}
	}
}

// TestWatchInterrupted: Ctrl-C cancels the command's context; the watch
// ends cleanly with its summary.
func TestWatchInterrupted(t *testing.T) {
	dir := snapDir(t, "redis7-writes")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = os.WriteFile(filepath.Join(dir, "temp-31.rdb"), nil, 0o644)
		time.Sleep(150 * time.Millisecond)
		cancel()
	}()
	var out bytes.Buffer
	g := &globalOptions{stdin: strings.NewReader(""), stderr: &out, now: time.Now}
	o := watchOptions{interval: 20 * time.Millisecond, text: true}
	if err := runWatch(ctx, g, o, dir, &out); err != nil {
		t.Fatalf("runWatch: %v", err)
	}
	for _, want := range []string{"created   temp-31.rdb", "BGSAVE started", "(interrupted)", "bgsave-temp", "still there"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

// TestWatchUntilSteadyOnRealBGSAVE: --until steady waits, through the phase
// classifier, for a real BGSAVE to finish.
func TestWatchUntilSteadyOnRealBGSAVE(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	dir := t.TempDir()
	srv := redistest.Start(t, redistest.Options{Dir: dir})
	var cmds [][]string
	for i := 0; i < 10000; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("k:%06d", i), strings.Repeat("v", 64)})
	}
	if err := srv.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
	srv.MustDo("CONFIG", "SET", "rdb-key-save-delay", "100") // about a second
	srv.MustDo("BGSAVE")
	start := time.Now()
	for {
		des, _ := os.ReadDir(dir)
		if len(des) > 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("no temp file")
		}
		time.Sleep(2 * time.Millisecond)
	}
	r := runCLI(t, "", "watch", dir, "--until", "steady", "--timeout", "60s", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.Contains(r.stdout, `"type":"renamed"`) || !strings.Contains(lines[len(lines)-1], `"stop_reason":"until"`) {
		t.Fatalf("output:\n%s", r.stdout)
	}
	// The files are steady once the child renamed its output; the parent
	// reaps it at its next cron tick.
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "temp-") {
			t.Errorf("watch stopped with %s still there", de.Name())
		}
	}
	if err := srv.WaitInfo("rdb_bgsave_in_progress", "0", 2*time.Second); err != nil {
		t.Errorf("the BGSAVE did not end soon after the watch stopped: %v", err)
	}
}

// TestWatchUntilSteadyAcrossAReplicaRebuild starts 'watch --until steady'
// on a steady replica before REPLICAOF is given: the watch must not stop on
// the state before the command, and must stop once the rebuild (transfer,
// load, AOF rewrite, install) is over.
func TestWatchUntilSteadyAcrossAReplicaRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	master := redistest.Start(t, redistest.Options{Config: []string{"repl-diskless-sync no"}})
	var cmds [][]string
	for i := 0; i < 20000; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("k:%06d", i), strings.Repeat("v", 100)})
	}
	if err := master.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
	// A master BGSAVE of about 2 s, a load and a rewrite of about 1 s each.
	master.MustDo("CONFIG", "SET", "rdb-key-save-delay", "100")
	dir := t.TempDir()
	replica := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "key-load-delay 50", "rdb-key-save-delay 50"}})
	guard := fsguard.Record(t, dir)
	done := make(chan cliResult, 1)
	go func() { done <- runCLI(t, "", "watch", dir, "--until", "steady", "--timeout", "90s", "--json") }()
	time.Sleep(1500 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("the watch stopped on the steady state before REPLICAOF (exit %d):\n%s", r.code, r.stdout)
	default:
	}
	guard.AssertUnchanged(t)
	replica.MustDo("REPLICAOF", "127.0.0.1", fmt.Sprint(master.Port))
	var r cliResult
	select {
	case r = <-done:
	case <-time.After(100 * time.Second):
		t.Fatal("the watch did not stop")
	}
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var sum struct {
		StopReason       string     `json:"stop_reason"`
		UntilHeldAtStart bool       `json:"until_held_at_start"`
		LeftAt           *time.Time `json:"left_at"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.StopReason != "until" || !sum.UntilHeldAtStart || sum.LeftAt == nil {
		t.Fatalf("summary %+v (%v):\n%s", sum, err, r.stdout)
	}
	for _, want := range []string{`"path":"dump.rdb"`, `appendonlydir/temp-appendonly.aof.incr`, `appendonlydir/appendonly.aof.2.base.rdb`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no event with %s:\n%s", want, r.stdout)
		}
	}
	// The watch stopped at the end of the rebuild: the new base is
	// installed and no rewrite runs.
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.base.rdb")); err != nil {
		t.Errorf("stopped before the rebuilt base was installed: %v", err)
	}
	if err := replica.WaitInfo("aof_rewrite_in_progress", "0", 2*time.Second); err != nil {
		t.Errorf("a rewrite still ran when the watch stopped: %v", err)
	}
}

// TestWatchLiveLineIsSmoothed feeds the live line scans whose rate
// alternates between 100 and 50 KiB/s: the rate shown moves by a fraction
// of that, and the ETA follows it.
func TestWatchLiveLineIsSmoothed(t *testing.T) {
	p := &watchPrinter{live: true}
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	expected := int64(100 << 20)
	var shown []float64
	for i := 0; i < 20; i++ {
		rate := 100.0 * 1024
		if i%2 == 1 {
			rate = 50 * 1024
		}
		p.scannedAt = start.Add(time.Duration(i) * 500 * time.Millisecond)
		pr := p.smooth(watch.Progress{Path: "temp-rewriteaof-1.aof", Bytes: int64(i) << 20, ExpectedBytes: &expected, RateBytesPerS: &rate})
		shown = append(shown, *pr.RateBytesPerS)
		if pr.ETAS == nil || *pr.ETAS <= 0 {
			t.Fatalf("scan %d: no ETA from the smoothed rate", i)
		}
	}
	for i := 10; i < len(shown); i++ {
		if d := math.Abs(shown[i]-shown[i-1]) / shown[i-1]; d > 0.15 {
			t.Errorf("scan %d: the rate shown moved by %.0f%% (%.0f -> %.0f); raw rates move by 50%%", i, d*100, shown[i-1], shown[i])
		}
	}
}

// TestWatchLiveLineFitsThePane follows a growing temp file in a
// pseudo-terminal of 60 columns: every drawing of the live line fits, so a
// narrow pane is not filled with copies of it.
func TestWatchLiveLineFitsThePane(t *testing.T) {
	dir := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	name := filepath.Join(dir, "temp-rewriteaof-424242.aof")
	if err := os.WriteFile(name, []byte("REDIS0010"), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := make([]byte, 4096)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				_, _ = f.Write(chunk)
			}
		}
	}()
	raw, _ := runInTerminal(t, 60, "watch", "--interval", "20ms", "--timeout", "1200ms", dir)
	close(stop)
	<-done
	if !strings.Contains(raw, "\r\x1b[K") {
		t.Errorf("no live line was drawn:\n%q", raw)
	}
	for _, l := range screenLines(raw) {
		if w := textWidth(l); w > 60 {
			t.Errorf("a %d-column line in a 60-column pane: %q", w, l)
		}
	}
}
