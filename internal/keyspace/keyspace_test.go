package keyspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/rdbdamage"
	"github.com/aoftool/aoftool/internal/wopen"
)

// rdbOf builds an RDB 10 file of string keys in db 0: name → value, and
// an expiry (ms) for names in ttl.
func rdbOf(t *testing.T, kv map[string]string, ttl map[string]int64) string {
	t.Helper()
	b := []byte("REDIS0010")
	b = append(b, 0xFE, 0)
	var names []string
	for k := range kv {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if ms, ok := ttl[k]; ok {
			b = append(b, 0xFC, byte(ms), byte(ms>>8), byte(ms>>16), byte(ms>>24), byte(ms>>32), byte(ms>>40), byte(ms>>48), byte(ms>>56))
		}
		b = append(b, 0)
		b = append(b, rdbdamage.String([]byte(k))...)
		b = append(b, rdbdamage.String([]byte(kv[k]))...)
	}
	b = append(b, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	p := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(p, rdbdamage.FixCRC(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func side(t *testing.T, p string) Side {
	f, err := datadir.OpenLone(p, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return Side{Path: p, File: f}
}

func TestDiffSpillsAndAgrees(t *testing.T) {
	oldKV, newKV := map[string]string{}, map[string]string{}
	ttlOld, ttlNew := map[string]int64{}, map[string]int64{}
	want := map[string]string{}
	for i := 0; i < 30000; i++ {
		k := fmt.Sprintf("key:%05d", i)
		oldKV[k] = "v" + k
		newKV[k] = "v" + k
		switch i % 100 {
		case 1:
			delete(newKV, k)
			want[k] = Removed
		case 2:
			newKV[k] = "changed"
			want[k] = Changed + " value"
		case 3:
			ttlNew[k] = 4102444800000
			want[k] = Changed + " ttl"
		case 4:
			ttlOld[k], ttlNew[k] = 4102444800000, 4102444801000
			want[k] = Changed + " ttl"
		}
	}
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("added:%d", i)
		newKV[k] = "x"
		want[k] = Added
	}
	oldP, newP := rdbOf(t, oldKV, ttlOld), rdbOf(t, newKV, ttlNew)
	for _, limit := range []int64{64 << 20, 1 << 20} {
		scratch := t.TempDir()
		got := map[string]string{}
		res, err := Diff(context.Background(), side(t, oldP), side(t, newP), DiffOptions{MemoryLimit: limit,
			Scratch: func() (*wopen.Scratch, error) { return wopen.NewScratch("--spill-dir", scratch) }}, func(c *Change) {
			v := c.Change
			if v == Changed {
				if c.ValueChanged {
					v += " value"
				}
				if c.TTLChanged {
					v += " ttl"
				}
			}
			got[string(c.Name)] = v
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Spilled != (limit == 1<<20) {
			t.Errorf("limit %d: spilled %v", limit, res.Spilled)
		}
		if res.Spilled && res.PeakRecords > (1<<20)/recordOverhead {
			t.Errorf("limit %d: %d records held at once", limit, res.PeakRecords)
		}
		if len(got) != len(want) {
			t.Errorf("limit %d: %d changes, want %d", limit, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("limit %d: %s: %q, want %q", limit, k, got[k], v)
				break
			}
		}
		if res.Unchanged != int64(30000-len(want)+300) {
			t.Errorf("limit %d: %d unchanged", limit, res.Unchanged)
		}
		if ents, _ := os.ReadDir(scratch); len(ents) != 0 {
			t.Errorf("limit %d: scratch left: %v", limit, ents)
		}
	}
}

func TestPrefixes(t *testing.T) {
	p := NewPrefixes(":", 2, 1000)
	for i := 0; i < 100; i++ {
		p.Add([]byte(fmt.Sprintf("user:%d:profile", i)), 100, 10)
		p.Add([]byte(fmt.Sprintf("session:%d", i)), 10, 1)
	}
	p.Add([]byte("plain"), 5, 1)
	if !p.Exact() {
		t.Fatal("evicted below capacity")
	}
	top := p.Top(3)
	if top[0].Prefix != "user:" || top[0].Keys != 100 || top[0].Memory != 10000 || top[0].Depth != 1 {
		t.Errorf("top %+v", top[0])
	}
	if top[1].Prefix != "session:" || top[1].Memory != 1000 {
		t.Errorf("second %+v", top[1])
	}
	// Past capacity the heavy prefixes stay, their counts upper bounds.
	q := NewPrefixes(":", 1, 16)
	for i := 0; i < 5000; i++ {
		q.Add([]byte(fmt.Sprintf("noise%d:x", i)), 1, 1)
		if i%10 == 0 {
			q.Add([]byte("heavy:x"), 1000, 1)
		}
	}
	if q.Exact() {
		t.Fatal("no eviction past capacity")
	}
	h := q.Top(1)[0]
	if h.Prefix != "heavy:" || h.Memory < 500000 || h.Memory-h.MemoryErr > 500000 {
		t.Errorf("heavy prefix %+v", h)
	}
	for _, s := range q.Top(0) {
		if strings.HasPrefix(s.Prefix, "noise") && s.Memory-s.MemoryErr > 1 {
			t.Errorf("noise bound %+v", s)
		}
	}
}
