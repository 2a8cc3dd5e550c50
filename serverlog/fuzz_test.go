package serverlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead reads arbitrary bytes as a log: no panic, line numbers that
// only grow, every event line within the input, and retained state within
// its bounds.
//
//	go test ./serverlog -run '^$' -fuzz FuzzRead -fuzztime 60s
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*/*.log")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Seeds stay small so the fuzzer mutates meaningful lines.
		if len(b) > 8<<10 {
			b = b[len(b)-8<<10:]
		}
		f.Add(b)
	}
	for _, v := range pasteVariants {
		f.Add(v([]byte("1:S 03 Dec 2026 06:50:31.165 * Full resync from master: 9b3bc2f0:0\n1:S 03 Dec 2026 06:50:37.611 * MASTER <-> REPLICA sync: receiving 6977924 bytes from master to disk\n")))
	}
	f.Add([]byte(`pid=1 role=replica timestamp="2024-10-25T00:36:32.123+02:00" level=notice message="PRIMARY <-> REPLICA sync: Loading DB in memory"` + "\n"))
	f.Add([]byte("1:signal-handler (1729809392) Received SIGTERM scheduling shutdown...\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		opts := Options{MaxLineBytes: 4 << 10, UnknownSamples: 4, KeepPerKind: 2}
		sc := NewScanner(bytes.NewReader(data), opts)
		tr := NewTracker()
		keep := newRetainer(opts.KeepPerKind)
		last := 0
		for sc.Next() {
			ev := sc.Event()
			if ev.Line <= last {
				t.Fatalf("event line %d after %d", ev.Line, last)
			}
			last = ev.Line
			tr.Add(ev)
			keep.add(&ev)
		}
		st := sc.Stats()
		if last > st.Lines || st.Bytes != int64(len(data)) {
			t.Fatalf("last event line %d of %d lines; %d of %d bytes", last, st.Lines, st.Bytes, len(data))
		}
		if lines := bytes.Count(data, []byte("\n")); st.Lines < lines || st.Lines > lines+1 {
			t.Fatalf("%d lines counted, input has %d newlines", st.Lines, lines)
		}
		if len(sc.Unknown()) > opts.UnknownSamples {
			t.Fatalf("%d unknown samples kept", len(sc.Unknown()))
		}
		s := tr.State()
		if len(s.Lifetimes) > keepLifetimes || len(s.Failures) > keepFailures || len(s.Children) > keepChildren ||
			len(s.Evidence) > keepEvidence || len(s.AOFTruncations) > keepFailures {
			t.Fatalf("retained state over its bounds: %d lifetimes, %d failures, %d children, %d evidence", len(s.Lifetimes), len(s.Failures), len(s.Children), len(s.Evidence))
		}
		for _, rg := range keep.rings {
			if len(rg.evs) > opts.KeepPerKind {
				t.Fatalf("%d events kept of one kind", len(rg.evs))
			}
		}
		if s.Step < 0 || s.Step > 4 {
			t.Fatalf("step %d", s.Step)
		}
	})
}
