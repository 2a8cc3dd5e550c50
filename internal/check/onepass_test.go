package check

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/fsguard"
)

// The replay in one pass (a small base read whole first) and in two (the
// incr files' keys asked of the base) predict the same dataset, including
// when a cut drops commands the one pass applied.
func TestOnePassEqualsTwoPasses(t *testing.T) {
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	dirs := map[string]string{}
	for _, name := range []string{"redis7-writes", "redis7-rewrite", "redis7-history", "redis7-multi-incr", "legacy-appendonly"} {
		dst := filepath.Join(t.TempDir(), name)
		fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", name), dst)
		dirs[name] = dst
	}
	// A torn command behind a MULTI: the one pass applied the transaction.
	torn := filepath.Join(t.TempDir(), "torn")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", "redis7-rewrite"), torn)
	incrs, _ := filepath.Glob(filepath.Join(torn, "appendonlydir", "*.incr.aof"))
	f, err := os.OpenFile(incrs[len(incrs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$5\r\nkey:1\r\n*3\r\n$3\r\nSET\r\n$3\r\nab")
	f.Close()
	dirs["torn"] = torn

	predict := func(dir string) (string, bool) {
		d, err := datadir.Open(dir, datadir.DefaultConfig(), datadir.Options{Now: now, ServerStopped: true})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r.Start.AOFOn)
		// Which way it went: a one-pass model keeps its whole base.
		return string(b), r.Start.AOFOn.Keyspace != nil
	}
	for name, dir := range dirs {
		one, _ := predict(dir)
		old := wholeBaseMax
		wholeBaseMax = -1
		two, ok := predict(dir)
		wholeBaseMax = old
		if !ok {
			t.Errorf("%s: no dataset predicted", name)
		}
		if one != two {
			t.Errorf("%s: one pass and two passes differ:\none: %s\ntwo: %s", name, one, two)
		}
	}
}
