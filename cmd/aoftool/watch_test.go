package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
)

func TestWatchUntilGolden(t *testing.T) {
	withSnapshotClock(t, 0)
	dir := snapDir(t, "redis7-writes")
	guard := fsguard.Record(t, dir)
	r := runCLIIn(t, filepath.Dir(dir), "watch", "data", "--until", "no-temp-files", "--text")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "watch/until-no-temp.txt", r.stdout)
	r = runCLIIn(t, filepath.Dir(dir), "watch", "data", "--until", "steady", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "watch/until-steady.json", r.stdout)
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
	g := &globalOptions{stdin: strings.NewReader(""), stderr: &out}
	o := watchOptions{namesOptions: namesOptions{dbFilename: "dump.rdb", appendDirName: "appendonlydir", appendFilename: "appendonly.aof"}, interval: 20 * time.Millisecond, text: true}
	if err := runWatch(ctx, g, o, dir, &out); err != nil {
		t.Fatalf("runWatch: %v", err)
	}
	for _, want := range []string{"created   temp-31.rdb", "BGSAVE started", "(interrupted)", "bgsave-temp", "still there"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}
