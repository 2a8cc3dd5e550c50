package replay

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
)

// TestLargeAOF runs both passes over the incr file named by REPLAY_AOF
// (bench/replay.sh makes a 500 MB one) and prints time and heap; peak RSS
// is measured by the script around the test binary. REPLAY_MAX_KEYS sets
// Options.MaxKeys.
func TestLargeAOF(t *testing.T) {
	path := os.Getenv("REPLAY_AOF")
	if path == "" {
		t.Skip("REPLAY_AOF not set")
	}
	opt := Options{At: time.Now().UnixMilli()}
	if v, err := strconv.Atoi(os.Getenv("REPLAY_MAX_KEYS")); err == nil && v > 0 {
		opt.MaxKeys = v
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	m := New(opt)
	pass := func(each func(Command)) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s := aofinspect.NewScanner(f, aofinspect.Options{Size: fi.Size(), Args: aofinspect.DefaultArgLimits})
		for s.Next() {
			if c := s.Command(); c.Kind == aofinspect.KindCommand {
				each(FromAOF(1, c))
			}
		}
		if s.Err() != nil {
			t.Logf("scan: %v", s.Err())
		}
	}
	start := time.Now()
	pass(m.Touch)
	m.EndFile()
	t1 := time.Since(start)
	keys, untracked := m.Tracked()
	m.SetBase(nil)
	pass(m.Apply)
	m.EndFile()
	r := m.Result()
	total := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	inUse := ms.HeapInuse
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(m)
	mb := float64(fi.Size()) / 1e6
	fmt.Printf("file %d bytes, %d commands\n", fi.Size(), r.Commands)
	fmt.Printf("pass 1 %.2fs (%.0f MB/s), both passes %.2fs (%.0f MB/s)\n", t1.Seconds(), mb/t1.Seconds(), total.Seconds(), 2*mb/total.Seconds())
	fmt.Printf("tracked keys %d, untracked references %d, heap in use %.1f MiB, live after GC %.1f MiB (%.0f bytes per key), heap sys %.1f MiB\n", keys, untracked,
		float64(inUse)/(1<<20), float64(ms.HeapAlloc)/(1<<20), float64(ms.HeapAlloc)/float64(max(keys, 1)), float64(ms.HeapSys)/(1<<20))
	fmt.Printf("result: %s (total %s)\n", counts(r), r.Total)
	for _, x := range r.Reasons {
		fmt.Printf("  reason %s: %d events, %d keys\n", x.Code, x.Events, x.Keys)
	}
}
