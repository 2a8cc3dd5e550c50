package rdbinspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/internal/redistest"
)

// visited is what the visitor reported for one key.
type visited struct {
	Key
	name string
}

// visitFile runs Verify with a visitor over data and returns every key by
// database and name.
func visitFile(t *testing.T, data []byte, target *Server) (map[redistest.DatasetKey]visited, *Report) {
	t.Helper()
	out := map[redistest.DatasetKey]visited{}
	v := &Visitor{Digest: true, Key: func(k *Key) {
		name := string(k.Name)
		if k.NameLen > uint64(len(k.Name)) {
			name = "#" + hex.EncodeToString(k.NameHash[:])
		}
		c := *k
		c.Name = nil
		out[redistest.DatasetKey{DB: int(k.DB), Key: name}] = visited{Key: c, name: name}
	}}
	rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Visit: v, Target: target})
	return out, rep
}

// accuracy tallies memory estimates against MEMORY USAGE per type and
// encoding.
type accuracy struct {
	keys, within10, within1, exact int
	worst                          float64
	worstKey                       string
}

func (a *accuracy) add(name string, est, real int64) {
	a.keys++
	e := math.Abs(float64(est-real)) / float64(max(real, 1))
	if e <= 0.10 {
		a.within10++
	}
	if e <= 0.01 {
		a.within1++
	}
	if est == real {
		a.exact++
	}
	if e > a.worst {
		a.worst, a.worstKey = e, fmt.Sprintf("%.60q est %d real %d", name, est, real)
	}
}

// TestVisitorAgainstServer fills a real 7.0.15 with every type and
// encoding, saves, loads the dump into a fresh server and compares what
// the visitor says of each key with TYPE, OBJECT ENCODING, PEXPIRETIME,
// the element count, DEBUG DIGEST-VALUE and MEMORY USAGE key SAMPLES 0.
func TestVisitorAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	bin := redistest.Binary(t)
	visitAgainst(t, bin, bin, "redis-server on PATH", true, nil)
}

// TestVisitorUpgradeFrom62 writes the dataset with Redis 6.2.16 (RDB 9:
// ziplist hashes and sorted sets, quicklists of ziplists) and compares the
// visitor, targeting 7.0.15, with a 7.0.15 that loads that dump: the
// conversions the upgrade makes decide encodings and memory.
func TestVisitorUpgradeFrom62(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	old := redistest.SharedServer(t, "redis-6.2.16")
	visitAgainst(t, old, redistest.Binary(t), "6.2.16 dump on 7.0.15", true, &Server{Name: "redis", Version: "7.0.15"})
}

// TestVisitorAgainstOtherServers runs the same comparison on the other
// builds where they exist: types, encodings, expiries, counts and digests
// must agree; memory is only reported, as these builds use libc malloc,
// whose size classes differ from jemalloc's.
func TestVisitorAgainstOtherServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	for _, name := range []string{"redis-7.2.6", "redis-7.4.1", "valkey-7.2.7", "valkey-8.0.1"} {
		t.Run(name, func(t *testing.T) {
			bin := redistest.SharedServer(t, name)
			visitAgainst(t, bin, bin, name, false, nil)
		})
	}
}

// visitAgainst fills a server run from writer, saves, loads the dump into
// a server run from loader and compares the visitor (for target, default
// the writer) with what the loader says of every key.
func visitAgainst(t *testing.T, writer, loader, name string, jemalloc bool, target *Server) {
	w := redistest.Start(t, redistest.Options{Binary: writer, Config: []string{"list-compress-depth 1"}})
	keys := redistest.FillDataset(t, w, 1)
	if strings.Contains(name, "7.4") {
		// Hashes with field expiries: a listpack and a hash table.
		var cmds [][]string
		for _, n := range []int{3, 600} {
			k := fmt.Sprintf("hfe:%d", n)
			c := []string{"HSET", k}
			for i := 0; i < n; i++ {
				c = append(c, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
			}
			cmds = append(cmds, c, []string{"HPEXPIREAT", k, "4102444800000", "FIELDS", "2", "f0", "f1"})
			keys = append(keys, redistest.DatasetKey{DB: 0, Key: k})
		}
		w.MustQuery(append([][]string{{"SELECT", "0"}}, cmds...))
	}
	w.MustDo("SAVE")
	data, err := os.ReadFile(filepath.Join(w.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := redistest.Start(t, redistest.Options{Binary: loader, Dir: dir})
	facts := s.Facts(t, keys)
	if len(facts) < len(keys)-5 {
		t.Fatalf("the server holds %d of %d keys", len(facts), len(keys))
	}
	got, rep := visitFile(t, data, target)
	if rep.Findings.HasError() {
		t.Fatalf("findings: %v", rep.Findings)
	}
	byEnc := map[string]*accuracy{}
	total := &accuracy{}
	for k, f := range facts {
		name := k.Key
		if len(name) > 64<<10 {
			name = "#" + sha256Hex(name)
		}
		g, ok := got[redistest.DatasetKey{DB: k.DB, Key: name}]
		if !ok {
			t.Errorf("db %d key %.40q: not visited", k.DB, k.Key)
			continue
		}
		if g.Type != f.Type || g.Encoding != f.Encoding {
			t.Errorf("db %d key %.40q: type/encoding %s/%s, server says %s/%s", k.DB, k.Key, g.Type, g.Encoding, f.Type, f.Encoding)
		}
		if g.ExpireAt != f.ExpireAt {
			t.Errorf("db %d key %.40q: expires at %d, server says %d", k.DB, k.Key, g.ExpireAt, f.ExpireAt)
		}
		if g.Elements != f.Elements {
			t.Errorf("db %d key %.40q: %d elements, server says %d", k.DB, k.Key, g.Elements, f.Elements)
		}
		if f.Digest != "" && hex.EncodeToString(g.Digest[:]) != f.Digest {
			t.Errorf("db %d key %.40q (%s): digest %x, server says %s", k.DB, k.Key, f.Type, g.Digest, f.Digest)
		}
		enc := f.Type + "/" + f.Encoding
		if byEnc[enc] == nil {
			byEnc[enc] = &accuracy{}
		}
		byEnc[enc].add(k.Key, g.Memory, f.Memory)
		total.add(k.Key, g.Memory, f.Memory)
	}
	var names []string
	for n := range byEnc {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %6s %8s %8s %8s  %s\n", "type/encoding", "keys", "exact", "<=1%", "<=10%", "worst")
	for _, n := range append(names, "all") {
		a := byEnc[n]
		if n == "all" {
			a = total
		}
		fmt.Fprintf(&b, "%-22s %6d %7.1f%% %7.1f%% %7.1f%%  %.1f%% %s\n", n, a.keys, pct(a.exact, a.keys), pct(a.within1, a.keys), pct(a.within10, a.keys), 100*a.worst, a.worstKey)
	}
	t.Logf("MEMORY USAGE key SAMPLES 0 against the estimate (%s):\n%s", name, b.String())
	if jemalloc && pct(total.within10, total.keys) < 95 {
		t.Errorf("only %.1f%% of keys within 10%%", pct(total.within10, total.keys))
	}
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
