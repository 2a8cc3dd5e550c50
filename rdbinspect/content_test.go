package rdbinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"runtime"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/rdbdamage"
)

// TestContentChecksIndependentOfBlocks runs every damaged file of the
// server comparison through pipelines of tiny blocks, so containers, their
// entries and back-lengths straddle block boundaries: findings (with their
// failing-byte offsets), refusals and verdicts must not change.
func TestContentChecksIndependentOfBlocks(t *testing.T) {
	summary := func(rep *Report) string {
		j, _ := json.Marshal(struct {
			F finding.List
			R []Refusal
			L *LoadVerdict
			K *LoadedKeys
		}{rep.Findings, rep.Refusals, rep.Load, rep.LoadedKeys})
		return string(j)
	}
	var inputs [][]byte
	var names []string
	for _, c := range damageCases() {
		data, err := c.damage(payloadFixture(t, c.base))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		inputs = append(inputs, data)
		names = append(names, c.name)
	}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = summary(verifyBytes(t, in, Options{}))
	}
	old := pipeBlock
	defer func() { pipeBlock = old }()
	sizes := []int{1, 7, 100, 513, 4096}
	if testing.Short() {
		sizes = []int{7, 513}
	}
	for _, bs := range sizes {
		pipeBlock = bs
		for i, in := range inputs {
			if got := summary(verifyBytes(t, in, Options{})); got != want[i] {
				t.Errorf("block size %d, %s:\n got %s\nwant %s", bs, names[i], got, want[i])
			}
		}
	}
}

// TestLargeContainersInConstantMemory checks containers of tens of
// megabytes, plain and LZF-compressed, whose entries straddle every block:
// memory must not grow with them, and a fault deep inside must still be
// found.
func TestLargeContainersInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100 MB of containers")
	}
	big := strings.Repeat("0123456789abcdef", 1<<20) // a 16 MiB element
	var elems []string
	for i := 0; i < 200_000; i++ {
		elems = append(elems, fmt.Sprintf("element-%d", i))
	}
	elems = append(elems, big, big[:1<<20]+"x", "tail")
	lp := rdbdamage.Listpack(elems...)
	zl := rdbdamage.Ziplist(elems...)
	for _, tc := range []struct {
		name string
		typ  byte
		blob []byte
		lzf  bool
	}{
		{"listpack", typeListQuicklist2, lp, false},
		{"listpack, LZF", typeListQuicklist2, lp, true},
		{"ziplist", typeListQuicklist, zl, false},
	} {
		for _, broken := range []bool{false, true} {
			blob := tc.blob
			if broken {
				blob = bytes.Clone(blob)
				// The back-length or prev-length of the last entry.
				if tc.typ == typeListQuicklist2 {
					blob[len(blob)-2]++
				} else {
					blob[len(blob)-1-6]++ // "tail": prevlen byte before the 0x04 header
				}
			}
			w := newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0)
			w.raw(tc.typ).str("big").length(1)
			if tc.typ == typeListQuicklist2 {
				w.length(2)
			}
			if tc.lzf {
				w.raw(0xc3)
				var comp []byte
				for i := 0; i < len(blob); i += 32 {
					run := blob[i:min(i+32, len(blob))]
					comp = append(comp, byte(len(run)-1))
					comp = append(comp, run...)
				}
				w.length(uint64(len(comp))).length(uint64(len(blob))).raw(comp...)
			} else {
				w.str(string(blob))
			}
			data := w.eof(true)
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{})
			runtime.ReadMemStats(&ms)
			if alloc := ms.TotalAlloc - before; alloc > 16<<20 {
				t.Errorf("%s: %d MiB allocated for a %d MiB container", tc.name, alloc>>20, len(blob)>>20)
			}
			if got := rep.Findings.HasError(); got != broken {
				t.Errorf("%s, broken %v: findings %v", tc.name, broken, rep.Findings)
			}
		}
	}
}

// TestOptionsJudgeTheTarget: the target server, its databases setting and
// its loaded modules decide the verdicts that depend on them.
func TestOptionsJudgeTheTarget(t *testing.T) {
	base := func(v int) *rdbBuilder { return newBuilder(v).aux("redis-ver", "7.4.1").raw(opSelectDB, 0) }
	setLP := base(12).raw(typeSetListpack).str("s").str(lp("a", "b")).eof(true)
	db5 := base(10).raw(opSelectDB, 5, typeString).str("k").str("v").eof(true)
	mod := base(10).raw(typeModule2).str("m").length(rdbdamage.ModuleID("ReJSON-RL", 3)).raw(2).length(1).raw(0).eof(true)
	noVer := newBuilder(11).raw(opSelectDB, 0, typeSetListpack).str("s").str(lp("a")).eof(true)
	cases := []struct {
		name    string
		data    []byte
		opt     Options
		target  string
		refuses []CheckClass // none when the start loads
		code    finding.Code
	}{
		{"7.4 file on its writer", setLP, Options{}, "Redis 7.4.1", nil, ""},
		{"7.4 file on 7.2", setLP, Options{Target: &Server{"redis", "7.2.6"}}, "Redis 7.2.6", []CheckClass{ClassVersion}, finding.RDBUnsupportedVersion},
		{"7.4 file on 7.0", setLP, Options{Target: &Server{"redis", "7.0.15"}}, "Redis 7.0.15", []CheckClass{ClassVersion, ClassObjectType}, finding.RDBTypeUnsupported},
		{"7.4 file on Valkey 8.0", setLP, Options{Target: &Server{"valkey", "8.0.1"}}, "Valkey 8.0.1", []CheckClass{ClassVersion}, finding.RDBUnsupportedVersion},
		{"RDB 11 without redis-ver: newest of its version", noVer, Options{}, "Redis 7.2", nil, ""},
		{"RDB 11 on 6.2", noVer, Options{Target: &Server{Version: "6.2.16"}}, "Redis 6.2.16", []CheckClass{ClassVersion, ClassObjectType}, finding.RDBUnsupportedVersion},
		{"database 5 with databases 4", db5, Options{Databases: 4}, "Redis 7.4.1", []CheckClass{ClassDatabase}, finding.RDBDBOutOfRange},
		{"database 5 with databases 16", db5, Options{Databases: 16}, "Redis 7.4.1", nil, ""},
		{"module not loaded", mod, Options{}, "Redis 7.4.1", []CheckClass{ClassModule}, finding.RDBModuleNotLoaded},
		{"module loaded", mod, Options{Modules: []string{"ReJSON-RL"}}, "Redis 7.4.1", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, c.data, c.opt)
			if rep.Target == nil || rep.Target.String() != c.target {
				t.Errorf("target %v, want %s", rep.Target, c.target)
			}
			var classes []CheckClass
			for _, r := range rep.Refusals {
				classes = append(classes, r.Class)
			}
			if c.refuses == nil {
				if len(classes) != 0 || rep.Load.Default != Loads || rep.Findings.HasError() {
					t.Errorf("refusals %v load %+v findings %v", classes, rep.Load, rep.Findings)
				}
				return
			}
			if fmt.Sprint(classes) != fmt.Sprint(c.refuses) || rep.Load.Default != Refuses || !rep.Findings.Has(c.code) {
				t.Errorf("refusals %v load %+v findings %v, want %s", classes, rep.Load, rep.Findings, c.refuses)
			}
			for _, f := range rep.Findings {
				if f.Code == c.code && (f.Severity != finding.Error || f.Offset == nil) {
					t.Errorf("finding %v", f)
				}
			}
		})
	}
}

// TestFindingsPointAtTheRecord: a content finding's offset is the start
// of the record at fault (where a repair would cut); the failing byte is in
// the message.
func TestFindingsPointAtTheRecord(t *testing.T) {
	b := payloadFixture(t, "redis-7.0-raw")
	f, err := rdbdamage.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	rec := f.Record("hash:small")
	data, err := rdbdamage.ListpackBacklen(b, "hash:small", 0, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBytes(t, data, Options{Path: "dump.rdb"})
	if len(rep.Findings) != 1 {
		t.Fatalf("findings %v", rep.Findings)
	}
	fd := rep.Findings[0]
	// The listpack is stored plain: its failing byte has a file offset.
	s := rec.Strings[0]
	hdr := s.End - s.Start - len(s.Plain)
	es, _ := rdbdamage.ListpackEntries(s.Plain)
	failing := s.Start + hdr + es[3].End - 1
	if fd.Code != finding.RDBListpackCorrupt || fd.Offset == nil || *fd.Offset != int64(rec.Start) || fd.Path != "dump.rdb" ||
		!strings.Contains(fd.Message, fmt.Sprintf("failing byte at offset %d", failing)) || !strings.Contains(fd.Message, `"hash:small"`) {
		t.Errorf("finding %+v (offset %v), want record at %d and failing byte %d", fd, *fd.Offset, rec.Start, failing)
	}
	if rep.Findings.Has(finding.RDBKeysRefused) || rep.StoppedAt != nil || !rep.Complete {
		t.Errorf("a content fault stopped the walk: %+v", rep)
	}
	_ = binary.LittleEndian
}

// A name loaded twice into one database stops the server (rdbLoad panics:
// "Duplicated key found in RDB file"); the same name in two databases, a
// long name differing only in its last byte, or a name whose first copy is
// an empty key the loader drops, loads.
func TestDuplicateKeys(t *testing.T) {
	long := strings.Repeat("n", 70000)
	head := func() *rdbBuilder { return newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0) }
	cases := []struct {
		name string
		file []byte
		dup  bool
	}{
		{"same-db", head().raw(typeString).str("dup").str("1").raw(typeString).str("dup").str("2").eof(true), true},
		{"other-db", head().raw(typeString).str("dup").str("1").raw(opSelectDB, 1).raw(typeString).str("dup").str("2").eof(true), false},
		{"long-names-differ", head().raw(typeString).str(long + "a").str("1").raw(typeString).str(long + "b").str("2").eof(true), false},
		{"long-names-same", head().raw(typeString).str(long).str("1").raw(typeString).str(long).str("2").eof(true), true},
		{"empty-first", head().raw(typeSet).str("dup").length(0).raw(typeString).str("dup").str("2").eof(true), false},
		// A visitor keeping 4 bytes of each name must not change which
		// names are the same.
		{"same-past-what-a-visitor-keeps", head().raw(typeString).str("session:0123456789").str("1").raw(typeString).str("session:0123456789").str("2").eof(true), true},
		{"differ-past-what-a-visitor-keeps", head().raw(typeString).str("session:0123456789").str("1").raw(typeString).str("session:0123456780").str("2").eof(true), false},
		{"control-bytes", head().raw(typeString).str("a\x1b[2J").str("1").raw(typeString).str("a\x1b[2J").str("2").eof(true), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, visit := range []bool{false, true} {
				opt := Options{Path: "dump.rdb", Keys: true}
				if visit {
					opt.Visit = &Visitor{KeyName: 4}
				}
				rep := verifyBytes(t, c.file, opt)
				got := rep.Findings.Has(finding.RDBDuplicateKey)
				if got != c.dup {
					t.Errorf("visit %v: duplicate-key finding %v, want %v: %v", visit, got, c.dup, rep.Findings)
				}
				if c.dup && (rep.Load == nil || rep.Load.Default != Crashes || rep.Load.CheckRDB != Loads) {
					t.Errorf("visit %v: load verdict %+v, want the server to crash and redis-check-rdb to pass", visit, rep.Load)
				}
				// A name's control bytes are escaped, never written raw to
				// the operator's terminal.
				quoted := false
				for _, f := range rep.Findings {
					if strings.ContainsRune(f.Message, 0x1b) {
						t.Errorf("visit %v: raw escape byte in %q", visit, f.Message)
					}
					quoted = quoted || strings.Contains(f.Message, `key "a\x1b[2J" (db 0)`)
				}
				for _, k := range rep.Keys.Biggest {
					if strings.ContainsRune(k.Key, 0x1b) {
						t.Errorf("visit %v: raw escape byte in the biggest key %q", visit, k.Key)
					}
				}
				if c.name == "control-bytes" && (!quoted || len(rep.Keys.Biggest) == 0) {
					t.Errorf("visit %v: %v, biggest %v", visit, rep.Findings, rep.Keys.Biggest)
				}
			}
		})
	}
}

func TestDuplicateCheckIsBounded(t *testing.T) {
	var d dupCheck
	d.setSeed(maphash.MakeSeed())
	w := &walker{}
	n := maxCheckedKeys + 1000
	for i := 0; i < n; i++ {
		d.add(keyHash(0, uint64(i+1)*0x9E3779B97F4A7C15), w, int64(i))
	}
	d.add(keyHash(0, 0x9E3779B97F4A7C15), w, 0) // past the bound: not checked
	if twice := d.twice(); len(twice) != 0 || d.kept != maxCheckedKeys || d.unchecked != 1001 {
		t.Errorf("%d found twice, %d kept, %d unchecked", len(twice), d.kept, d.unchecked)
	}
	d = dupCheck{}
	d.add(keyHash(3, 42), w, 0)
	d.add(keyHash(4, 42), w, 1)
	d.add(keyHash(3, 42), w, 2)
	if twice := d.twice(); len(twice) != 1 || !twice[keyHash(3, 42)] {
		t.Errorf("found twice: %v", twice)
	}
}

// A master's rdbLoad skips keys whose expiry has passed; ExpiredAt counts
// them per database, empty keys (dropped anyway) not included.
func TestExpiredAt(t *testing.T) {
	ms := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	file := newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0).
		raw(opExpireTimeMS).raw(ms(1000)...).raw(typeString).str("past").str("v").
		raw(opExpireTimeMS).raw(ms(5000)...).raw(typeString).str("future").str("v").
		raw(typeString).str("forever").str("v").
		raw(opExpireTimeMS).raw(ms(^uint64(0))...).raw(typeString).str("all-ones").str("v").
		raw(opExpireTimeMS).raw(ms(1000)...).raw(typeSet).str("empty").length(0).
		raw(opSelectDB, 3).raw(opExpireTimeMS).raw(ms(1999)...).raw(typeString).str("past3").str("v").
		eof(true)
	rep := verifyBytes(t, file, Options{ExpiredAt: 2000})
	if rep.Keys.Expired != 2 || len(rep.Keys.DBs) != 2 || rep.Keys.DBs[0].Expired != 1 || rep.Keys.DBs[1].Expired != 1 {
		t.Errorf("expired %d, dbs %+v", rep.Keys.Expired, rep.Keys.DBs)
	}
	if rep := verifyBytes(t, file, Options{}); rep.Keys.Expired != 0 {
		t.Errorf("expired counted without ExpiredAt: %d", rep.Keys.Expired)
	}
}

// A WantedOnly visitor describes the wanted keys alone, as fully as a
// visitor of every key, and still counts every key.
func TestVisitorWantedOnly(t *testing.T) {
	file := newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0).
		raw(typeString).str("a").str("v").
		raw(typeList).str("b").length(2).str("x").str("yy").
		raw(typeSet).str("c").length(1).str("m").
		eof(true)
	var all, only []Key
	v := &Visitor{Key: func(k *Key) { all = append(all, *k) }}
	verifyBytes(t, file, Options{Visit: v})
	w := &Visitor{WantedOnly: true, Want: func(_ uint64, name []byte, _ uint64) bool { return string(name) == "b" },
		Key: func(k *Key) { c := *k; c.Name = append([]byte(nil), k.Name...); only = append(only, c) }}
	verifyBytes(t, file, Options{Visit: w})
	if len(only) != 1 || string(only[0].Name) != "b" || only[0].Elements != 2 || only[0].Type != all[1].Type || only[0].Memory != all[1].Memory {
		t.Errorf("wanted-only keys %+v; all %+v", only, all)
	}
	if len(w.Counts) != 1 || w.Counts[0].Keys != 3 {
		t.Errorf("counts %+v", w.Counts)
	}
}
