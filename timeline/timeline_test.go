package timeline

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func size(n int64) *int64 { return &n }

// rebuild is a replica rebuild as watch reports it: the transfer file
// created and filled, renamed to dump.rdb, the rewrite child's file, its
// -bg- rename and its install as the next base.
func rebuild(t0 time.Time) []FileEvent {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return []FileEvent{
		{At: at(1), Type: "created", Path: "temp-1700000000.42.rdb", Kind: KindTransferTemp, Size: size(0)},
		{At: at(3), Type: "grown", Path: "temp-1700000000.42.rdb", Kind: KindTransferTemp, Size: size(5000)},
		{At: at(4), Type: "renamed", Path: "dump.rdb", OldPath: "temp-1700000000.42.rdb", Kind: KindDump, OldKind: KindTransferTemp, Size: size(5000)},
		{At: at(7), Type: "created", Path: "temp-rewriteaof-77.aof", Kind: KindRewriteTemp, Size: size(0)},
		{At: at(9), Type: "grown", Path: "temp-rewriteaof-77.aof", Kind: KindRewriteTemp, Size: size(4900)},
		{At: at(9.5), Type: "renamed", Path: "temp-rewriteaof-bg-77.aof", OldPath: "temp-rewriteaof-77.aof", Kind: KindRewriteBgTemp, OldKind: KindRewriteTemp},
		{At: at(9.6), Type: "renamed", Path: "appendonlydir/appendonly.aof.2.base.rdb", OldPath: "temp-rewriteaof-bg-77.aof", Kind: "base-rdb", OldKind: KindRewriteBgTemp},
		{At: at(9.6), Type: "created", Path: "appendonlydir/appendonly.aof.manifest", Kind: "manifest", Size: size(88)},
	}
}

func TestBuildReadsTheStepsOfARebuild(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	tl := Build("rebuild", rebuild(t0), nil, t0, t0.Add(12*time.Second))
	var got []string
	for _, b := range tl.Bands {
		got = append(got, b.Phase)
	}
	want := "steady sync-transfer sync-loading aof-rewrite aof-rewrite-finishing steady"
	if strings.Join(got, " ") != want {
		t.Errorf("bands %v, want %s", got, want)
	}
	if s := tl.Steps(); len(s) != 4 || s[0] != 1 || s[3] != 4 {
		t.Errorf("steps %v", s)
	}
	if len(tl.Rename) != 3 {
		t.Errorf("renames %+v", tl.Rename)
	}
	for _, s := range tl.Series {
		if s.Kind == "manifest" {
			t.Errorf("the manifest is drawn as a series")
		}
	}
	// The base carries on from the -bg- file's last size: a rename moves
	// a file, it does not empty it.
	last := tl.Series[len(tl.Series)-1]
	if last.Path != "appendonlydir/appendonly.aof.2.base.rdb" || last.Points[0].Bytes != 4900 {
		t.Errorf("last series %+v", last)
	}
}

func TestLoadEndsWhereTheLogSays(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	evs := rebuild(t0)[:3] // no rewrite follows: AOF is off
	log := []LogEvent{{At: t0.Add(6 * time.Second), Kind: "repl-sync-done", Line: 40}}
	tl := Build("", evs, log, t0, t0.Add(10*time.Second))
	for _, b := range tl.Bands {
		if b.Phase == SyncLoading && !b.To.Equal(t0.Add(6*time.Second)) {
			t.Errorf("loading ends at %v, want the log's sync-done", b.To)
		}
	}
}

func TestSVGIsWellFormedAndLabelled(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	tl := Build(`a <title> & "quotes"`, rebuild(t0), []LogEvent{{At: t0.Add(2 * time.Second), Kind: "repl-transfer-disk", Line: 3}}, t0, t0.Add(12*time.Second))
	for _, render := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return tl.SVG(b, Options{}) },
		func(b *bytes.Buffer) error { return tl.HTML(b, Options{Width: 600}) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		doc := b.String()
		d := xml.NewDecoder(strings.NewReader(strings.Replace(doc, "<!DOCTYPE html>", "", 1)))
		d.Strict = false
		for {
			if _, err := d.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("not well-formed: %v", err)
				}
				break
			}
		}
		for _, want := range []string{`data-phase="sync-transfer"`, `class="step-label" data-step="4"`, `class="rename"`, `class="log-event"`, `&lt;title&gt; &amp;`} {
			if !strings.Contains(doc, want) {
				t.Errorf("output lacks %s", want)
			}
		}
	}
}
