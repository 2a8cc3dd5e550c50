package rdbinspect

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/rdbdamage"
	"github.com/aoftool/aoftool/internal/redistest"
)

// serverOutcome is what a real server did on a file: its Outcome, the keys
// it holds when it started, the TTL of one key, and its log.
type serverOutcome struct {
	outcome Outcome
	keys    int64
	ttl     int64
	length  int64
	log     string
}

// startOn starts the server binary on a copy of data as its dump.rdb with
// the given sanitize-dump-payload setting and reports what it did.
func startOn(t *testing.T, bin string, data []byte, sanitize, ttlKey string, lenCmd []string) serverOutcome {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := redistest.Launch(t, redistest.Options{Dir: dir, Binary: bin, StartTimeout: 30 * time.Second,
		Config: []string{"dbfilename dump.rdb", "appendonly no", "sanitize-dump-payload " + sanitize}})
	if err != nil {
		if s == nil {
			t.Fatal(err)
		}
		log := s.Log()
		o := serverOutcome{outcome: Refuses, log: log}
		for _, crash := range []string{"crashed by signal", "ASSERTION FAILED", "Guru Meditation", "REDIS BUG REPORT"} {
			if strings.Contains(log, crash) {
				o.outcome = Crashes
			}
		}
		return o
	}
	defer s.Shutdown()
	o := serverOutcome{outcome: Loads, ttl: -3, log: s.Log()}
	r, err := s.Do("DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	o.keys = r.Int
	if ttlKey != "" {
		r, err := s.Do("PTTL", ttlKey)
		if err != nil {
			t.Fatal(err)
		}
		o.ttl = r.Int
	}
	if lenCmd != nil {
		r, err := s.Do(lenCmd...)
		if err != nil {
			t.Fatal(err)
		}
		o.length = r.Int
	}
	return o
}

// serverBinary is Debian's redis-server for "", else a build of
// ../shared/servers (the test skips without it).
func serverBinary(t *testing.T, server string) string {
	t.Helper()
	if server == "" {
		return redistest.Binary(t)
	}
	return redistest.SharedServer(t, server)
}

// checkBinary is the redis-check-rdb of a server: the server binary run
// through a link of that name.
func checkBinary(t *testing.T, server string) string {
	t.Helper()
	if server == "" {
		return redistest.CheckRDBBinary(t)
	}
	real, err := filepath.EvalSymlinks(redistest.SharedServer(t, server))
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "redis-check-rdb")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// checkRDBOutcome runs redis-check-rdb on data.
func checkRDBOutcome(t *testing.T, bin string, data []byte) (Outcome, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, p).CombinedOutput()
	if strings.Contains(string(out), "RDB looks OK") {
		return Loads, string(out)
	}
	return Refuses, string(out)
}

func payloadFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "payload", name+".rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// damageCase is one damaged real-server file and the check class it must
// trip.
type damageCase struct {
	name   string
	base   string // fixture in testdata/payload
	damage func(b []byte) ([]byte, error)
	class  CheckClass // "" for a file that must pass
	// ttlKey is read back after a start: the file holds a TTL for it.
	ttlKey string
	// lenCmd asks the length of a value the server must keep at lenWant.
	lenCmd  []string
	lenWant int64
	// opt adds options (a target) to the check.
	opt Options
	// server is the build of ../shared/servers the case runs on, "" for
	// Debian's 7.0.15.
	server string
	// code is a finding the report must carry (warnings, which have no
	// refusal class).
	code finding.Code
}

func damageCases() []damageCase {
	key := func(f func(b []byte, key string) ([]byte, error), k string) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return f(b, k) }
	}
	count := func(k string, node, n int) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return rdbdamage.SetHeaderCount(b, k, node, n) }
	}
	backlen := func(k string, node, entry int) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return rdbdamage.ListpackBacklen(b, k, node, entry, 1) }
	}
	both := func(fs ...func([]byte) ([]byte, error)) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) {
			var err error
			for _, f := range fs {
				if b, err = f(b); err != nil {
					return nil, err
				}
			}
			return b, nil
		}
	}
	edit := func(k string, node int, e func(c []byte) ([]byte, error)) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return rdbdamage.EditContainer(b, k, node, e) }
	}
	insert := func(rec []byte) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return rdbdamage.InsertRecord(b, rec) }
	}
	zipmap := func(key string, z []byte) []byte {
		return append(append([]byte{typeHashZipmap}, rdbdamage.String([]byte(key))...), rdbdamage.String(z)...)
	}
	return []damageCase{
		{name: "intact 7.0", base: "redis-7.0", damage: func(b []byte) ([]byte, error) { return b, nil }},
		{name: "intact 6.2", base: "redis-6.2", damage: func(b []byte) ([]byte, error) { return b, nil }},

		// Listpacks (7.0): the header is always checked, the entries only
		// when sanitizing.
		{name: "listpack hash: header count 4 instead of 8", base: "redis-7.0-raw", damage: count("hash:small", 0, 4), class: ClassListpack, lenCmd: []string{"HLEN", "hash:small"}, lenWant: 4},
		{name: "listpack hash: header count 0", base: "redis-7.0-raw", damage: count("hash:small", 0, 0), class: ClassListpack},
		{name: "listpack hash: back-length of entry 3", base: "redis-7.0-raw", damage: backlen("hash:small", 0, 3), class: ClassListpack},
		{name: "listpack hash, compressed: back-length of entry 3", base: "redis-7.0", damage: backlen("hash:small", 0, 3), class: ClassListpack},
		{name: "listpack hash: unknown count and a bad back-length", base: "redis-7.0-raw", damage: both(count("hash:small", 0, 0xffff), backlen("hash:small", 0, 3)), class: ClassListpack},
		{name: "listpack hash of 200 fields: back-length of entry 3", base: "redis-7.0-raw", damage: backlen("hash:big", 0, 3), class: ClassListpack},
		{name: "listpack hash of 600 fields", base: "redis-7.0", damage: key(rdbdamage.AsListpack, "hash:600")},
		{name: "listpack hash of 600 fields: back-length of entry 3", base: "redis-7.0", damage: both(key(rdbdamage.AsListpack, "hash:600"), backlen("hash:600", 0, 3)), class: ClassListpack},
		{name: "listpack hash of 600 fields: duplicate field", base: "redis-7.0", damage: both(key(rdbdamage.AsListpack, "hash:600"), key(rdbdamage.DuplicateElement, "hash:600")), class: ClassListpack},
		{name: "listpack hash of 600 fields: header count 1100", base: "redis-7.0", damage: both(key(rdbdamage.AsListpack, "hash:600"), count("hash:600", 0, 1100)), class: ClassListpack, lenCmd: []string{"HLEN", "hash:600"}, lenWant: 600},
		{name: "hashtable hash: duplicate field", base: "redis-7.0", damage: key(rdbdamage.DuplicateElement, "hash:600"), class: ClassDuplicate},
		{name: "small plain hash: duplicate field", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			return rdbdamage.AsPlainHash(b, "hash:small", func(el []string) []string { el[2] = el[0]; return el })
		}, class: ClassDuplicate},
		{name: "small plain hash: duplicate field, then a long value", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			return rdbdamage.AsPlainHash(b, "hash:small", func(el []string) []string {
				el[2] = el[0]
				el[5] = strings.Repeat("v", 100)
				return el
			})
		}, class: ClassDuplicate},
		{name: "small plain hash: a long value, then a duplicate field", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			return rdbdamage.AsPlainHash(b, "hash:small", func(el []string) []string {
				el[1] = strings.Repeat("v", 100)
				el[4] = el[0]
				return el
			})
		}, class: ClassDuplicate},
		{name: "listpack hash: duplicate field", base: "redis-7.0-raw", damage: key(rdbdamage.DuplicateElement, "hash:small"), class: ClassListpack},
		{name: "listpack hash of 200 fields: duplicate field", base: "redis-7.0-raw", damage: key(rdbdamage.DuplicateElement, "hash:big"), class: ClassListpack},
		{name: "listpack zset: duplicate member", base: "redis-7.0", damage: key(rdbdamage.DuplicateElement, "zset:small"), class: ClassListpack},
		{name: "listpack zset: header count 1", base: "redis-7.0-raw", damage: count("zset:small", 0, 1), class: ClassListpack},
		{name: "listpack: byte count in the header", base: "redis-7.0-raw", damage: edit("zset:small", 0, func(c []byte) ([]byte, error) { c[0]++; return c, nil }), class: ClassListpackHeader},
		{name: "listpack: no end byte", base: "redis-7.0-raw", damage: edit("hash:small", 0, func(c []byte) ([]byte, error) { c[len(c)-1] = 0xfe; return c, nil }), class: ClassListpackHeader},
		{name: "quicklist node: back-length", base: "redis-7.0-raw", damage: backlen("list:small", 0, 2), class: ClassListpack},
		{name: "quicklist node: header count 0", base: "redis-7.0-nodes", damage: count("list:two", 1, 0), class: ClassListpack, lenCmd: []string{"LLEN", "list:two"}, lenWant: 200},
		{name: "quicklist node: header count 3 instead of 4", base: "redis-7.0-nodes", damage: count("list:two", 1, 3), class: ClassListpack, lenCmd: []string{"LLEN", "list:two"}, lenWant: 200},
		{name: "quicklist node: unknown count and a bad back-length", base: "redis-7.0-raw", damage: both(count("list:small", 0, 0xffff), backlen("list:small", 0, 2)), class: ClassListpack},

		// Intsets: the header always, the order only when sanitizing.
		{name: "intset: header count", base: "redis-7.0", damage: count("set:int", 0, 9), class: ClassIntset},
		{name: "intset: duplicate", base: "redis-7.0", damage: key(rdbdamage.DuplicateElement, "set:int"), class: ClassIntsetOrder},
		{name: "intset: out of order", base: "redis-7.0", damage: edit("set:int", 0, func(c []byte) ([]byte, error) {
			v := rdbdamage.IntsetValues(c)
			v[0], v[1] = v[1], v[0]
			return rdbdamage.Intset(v...), nil
		}), class: ClassIntsetOrder},

		// Empty collections are skipped at load.
		{name: "empty listpack hash", base: "redis-7.0", damage: key(rdbdamage.EmptyCollection, "hash:small"), class: ClassEmptyKey},
		{name: "empty listpack zset", base: "redis-7.0", damage: key(rdbdamage.EmptyCollection, "zset:small"), class: ClassEmptyKey},
		{name: "empty quicklist", base: "redis-7.0", damage: key(rdbdamage.EmptyCollection, "list:small"), class: ClassEmptyKey},
		{name: "empty hashtable set", base: "redis-7.0", damage: key(rdbdamage.EmptyCollection, "set:str"), class: ClassEmptyKey},
		{name: "empty skiplist zset", base: "redis-7.0", damage: key(rdbdamage.EmptyCollection, "zset:big"), class: ClassEmptyKey},

		// Plain-encoded collections.
		{name: "hashtable set: duplicate member", base: "redis-7.0", damage: key(rdbdamage.DuplicateElement, "set:str"), class: ClassDuplicate},
		{name: "skiplist zset: duplicate member", base: "redis-7.0", damage: key(rdbdamage.DuplicateElement, "zset:big"), class: ClassDuplicate},
		{name: "skiplist zset: NaN score", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			f, err := rdbdamage.Parse(b)
			if err != nil {
				return nil, err
			}
			r := f.Record("zset:big")
			at := r.Strings[0].End // the first member's 8-byte score
			return rdbdamage.Splice(b, at, at+8, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}), nil
		}, class: ClassScore},

		// Keys and file-level rules.
		{name: "expire of all ones", base: "redis-7.0", damage: key(rdbdamage.ExpireAllOnes, "str:ttl"), class: ClassExpire, ttlKey: "str:ttl"},
		{name: "RDB version 11 on 7.0.15", base: "redis-7.0", damage: func(b []byte) ([]byte, error) { return rdbdamage.SetVersion(b, 11), nil }, class: ClassVersion},
		{name: "bytes after the checksum", base: "redis-7.0", damage: func(b []byte) ([]byte, error) { return rdbdamage.Append(b, []byte("garbage\n")), nil }, code: finding.RDBTrailingBytes},
		{name: "RESIZEDB of 2^24 keys", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			ins := append([]byte{opResizeDB}, rdbdamage.Length(1<<24)...)
			return rdbdamage.InsertBeforeKey(b, rdbdamageFirstKey(b), append(ins, 0))
		}, code: finding.RDBResizeOversized},
		{name: "RESIZEDB of 2^40 keys", base: "redis-7.0", damage: func(b []byte) ([]byte, error) {
			ins := append([]byte{opResizeDB}, rdbdamage.Length(1<<40)...)
			return rdbdamage.InsertBeforeKey(b, rdbdamageFirstKey(b), append(ins, 0))
		}, code: finding.RDBResizeOversized},
		{name: "module value of a module not loaded", base: "redis-7.0", damage: insert(rdbdamage.ModuleRecord("mod:key", "ReJSON-RL", 42)), class: ClassModule},
		{name: "object type 20 on 7.0.15", base: "redis-7.0", damage: insert(append(append([]byte{typeSetListpack}, rdbdamage.String([]byte("set:lp"))...), rdbdamage.String(rdbdamage.Listpack("a", "b"))...)), class: ClassObjectType},

		// Zipmaps (Redis 2.4 hashes), built by hand: always checked deeply.
		{name: "zipmap hash", base: "redis-7.0", damage: insert(zipmap("hash:zm", rdbdamage.Zipmap("f1", "v1", "f2", "v2")))},
		{name: "zipmap hash: duplicate field", base: "redis-7.0", damage: insert(zipmap("hash:zm", rdbdamage.Zipmap("f1", "v1", "f1", "v2"))), class: ClassZipmap},
		{name: "zipmap hash: count byte", base: "redis-7.0", damage: insert(zipmap("hash:zm", append([]byte{3}, rdbdamage.Zipmap("f1", "v1", "f2", "v2")[1:]...))), class: ClassZipmap},

		// Streams.
		{name: "stream: PEL entry without consumer", base: "redis-7.0", damage: key(rdbdamage.StreamUnclaimPEL, "stream:s"), class: ClassStreamPEL},
		{name: "stream: consumer entry not in the PEL", base: "redis-7.0", damage: key(rdbdamage.StreamForeignNACK, "stream:s"), class: ClassStream},
		{name: "stream: PEL entry twice", base: "redis-7.0", damage: key(rdbdamage.StreamDuplicatePEL, "stream:s"), class: ClassStream},
		{name: "stream: two groups of one name", base: "redis-7.0", damage: key(rdbdamage.StreamDuplicateGroupName, "stream:s"), class: ClassStream},
		{name: "stream: master entry count", base: "redis-7.0", damage: func(b []byte) ([]byte, error) { return rdbdamage.StreamMasterCount(b, "stream:s", 1) }, class: ClassStreamListpack},
		{name: "stream: empty node", base: "redis-7.0", damage: key(rdbdamage.StreamEmptyNode, "stream:s"), class: ClassStream},
		{name: "stream: first entry's back-length", base: "redis-7.0-raw", damage: func(b []byte) ([]byte, error) {
			f, err := rdbdamage.Parse(b)
			if err != nil {
				return nil, err
			}
			s := f.Record("stream:s").Stream.Nodes[1]
			lp := append([]byte(nil), s.Plain...)
			es, err := rdbdamage.ListpackEntries(lp)
			if err != nil {
				return nil, err
			}
			lp[es[0].End-1]++
			return rdbdamage.ReplaceString(b, s, lp), nil
		}, class: ClassStreamListpack},

		// Ziplists (6.2 files): converted on load, so always checked.
		{name: "ziplist hash: header count 4 instead of 8", base: "redis-6.2-raw", damage: count("hash:small", 0, 4), class: ClassZiplist},
		{name: "ziplist hash, compressed: header count", base: "redis-6.2", damage: count("hash:small", 0, 6), class: ClassZiplist},
		{name: "ziplist zset: prevlen of entry 2", base: "redis-6.2-raw", damage: func(b []byte) ([]byte, error) { return rdbdamage.ZiplistPrevlen(b, "zset:small", 2, 1) }, class: ClassZiplist},
		{name: "ziplist hash: duplicate field", base: "redis-6.2", damage: key(rdbdamage.DuplicateElement, "hash:small"), class: ClassZiplist},
		{name: "quicklist v1 node: header count", base: "redis-6.2-raw", damage: count("list:small", 0, 3), class: ClassZiplist},
		{name: "empty ziplist hash", base: "redis-6.2", damage: key(rdbdamage.EmptyCollection, "hash:small"), class: ClassEmptyKey},
		{name: "stream v1: PEL entry without consumer", base: "redis-6.2", damage: key(rdbdamage.StreamUnclaimPEL, "stream:s"), class: ClassStreamPEL},

		// Redis 7.2: set listpacks, stream v3.
		{name: "7.2 intact", base: "redis-7.2", server: "redis-7.2.6", damage: func(b []byte) ([]byte, error) { return b, nil }},
		{name: "7.2 set listpack: duplicate member", base: "redis-7.2", server: "redis-7.2.6", damage: key(rdbdamage.DuplicateElement, "set:str"), class: ClassListpack},
		{name: "7.2 set listpack: header count 0", base: "redis-7.2-raw", server: "redis-7.2.6", damage: count("set:str", 0, 0), class: ClassListpack},
		{name: "7.2 set listpack: back-length", base: "redis-7.2-raw", server: "redis-7.2.6", damage: backlen("set:str", 0, 1), class: ClassListpack},
		{name: "7.2 empty set listpack", base: "redis-7.2", server: "redis-7.2.6", damage: key(rdbdamage.EmptyCollection, "set:str"), class: ClassEmptyKey},
		{name: "7.2 stream v3: PEL entry without consumer", base: "redis-7.2", server: "redis-7.2.6", damage: key(rdbdamage.StreamUnclaimPEL, "stream:s"), class: ClassStreamPEL},
		{name: "7.2 stream v3: consumer entry not in the PEL", base: "redis-7.2", server: "redis-7.2.6", damage: key(rdbdamage.StreamForeignNACK, "stream:s"), class: ClassStream},

		// Redis 7.4: hashes with field TTLs.
		{name: "7.4 intact", base: "redis-7.4", server: "redis-7.4.1", damage: func(b []byte) ([]byte, error) { return b, nil }},
		{name: "7.4 listpack-ex: TTLs out of order", base: "redis-7.4", server: "redis-7.4.1", damage: edit("hash:ttl", 0, func(c []byte) ([]byte, error) {
			el, err := rdbdamage.ListpackElements(c)
			if err != nil {
				return nil, err
			}
			el[5], el[8] = "0", el[2]
			return rdbdamage.Listpack(el...), nil
		}), class: ClassListpack},
		{name: "7.4 listpack-ex: duplicate field", base: "redis-7.4", server: "redis-7.4.1", damage: key(rdbdamage.DuplicateElement, "hash:ttl"), class: ClassListpack},
		{name: "7.4 listpack-ex: header count 0", base: "redis-7.4-raw", server: "redis-7.4.1", damage: count("hash:ttl", 0, 0), class: ClassListpack},
		{name: "7.4 hashtable with TTLs: duplicate field", base: "redis-7.4", server: "redis-7.4.1", damage: key(rdbdamage.DuplicateElement, "hash:600"), class: ClassDuplicate},
		{name: "7.4 file on 7.0.15", base: "redis-7.4", damage: func(b []byte) ([]byte, error) { return b, nil }, opt: Options{Target: &Server{"redis", "7.0.15"}}, class: ClassVersion},
	}
}

// rdbdamageFirstKey is the name of the first key of a file.
func rdbdamageFirstKey(b []byte) string {
	f, err := rdbdamage.Parse(b)
	if err != nil || len(f.Records) == 0 {
		return ""
	}
	return f.Records[0].Key
}

// TestContentChecksAgainstRedis damages real-server files one rule at a
// time and starts redis-server 7.0.15 on each, with sanitize-dump-payload
// no and yes, and runs redis-check-rdb: each outcome must be the one the
// report predicts, and a start that loads must hold the keys (and TTL) the
// report predicts.
func TestContentChecksAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server about 150 times")
	}
	for _, c := range damageCases() {
		t.Run(c.name, func(t *testing.T) {
			bin, check := serverBinary(t, c.server), checkBinary(t, c.server)
			data, err := c.damage(payloadFixture(t, c.base))
			if err != nil {
				t.Fatal(err)
			}
			rep := verifyBytes(t, data, c.opt)
			if rep.Load == nil || rep.LoadedKeys == nil {
				t.Fatalf("no load verdict: %v", rep.Findings)
			}
			classes := []string{}
			for _, r := range rep.Refusals {
				classes = append(classes, string(r.Class))
			}
			if c.class != "" && !strings.Contains(" "+strings.Join(classes, " ")+" ", " "+string(c.class)+" ") {
				t.Fatalf("refusals %v lack %s; findings %v", classes, c.class, rep.Findings)
			}
			if c.code != "" && !rep.Findings.Has(c.code) {
				t.Fatalf("findings %v lack %s", rep.Findings, c.code)
			}
			if c.class == "" && len(rep.Refusals) != 0 {
				t.Fatalf("refusals %v on a file the server loads; findings %v", rep.Refusals, rep.Findings)
			}
			got := LoadVerdict{}
			for i, setting := range []string{"no", "yes"} {
				o := startOn(t, bin, data, setting, c.ttlKey, c.lenCmd)
				want, keys := rep.Load.Default, rep.LoadedKeys.Default
				if i == 1 {
					want, keys = rep.Load.SanitizeYes, rep.LoadedKeys.SanitizeYes
				}
				server := o.outcome
				if server == Loads && (o.keys != rep.Keys.Keys || (c.ttlKey != "" && o.ttl < 0) || (c.lenCmd != nil && o.length != c.lenWant)) {
					server = LoadsChanged
				}
				if i == 0 {
					got.Default = server
				} else {
					got.SanitizeYes = server
				}
				if server != want {
					t.Errorf("sanitize-dump-payload %s: server %s (%d keys, ttl %d), aoftool predicts %s (%d keys); findings %v\nlog:\n%s", setting, server, o.keys, o.ttl, want, keys, rep.Findings, tail(o.log, 15))
					continue
				}
				if (server == Loads || server == LoadsChanged) && o.keys != keys {
					t.Errorf("sanitize-dump-payload %s: server holds %d keys, aoftool predicts %d", setting, o.keys, keys)
				}
			}
			checked, out := checkRDBOutcome(t, check, data)
			got.CheckRDB = checked
			if checked != rep.Load.CheckRDB {
				t.Errorf("redis-check-rdb %s, aoftool predicts %s:\n%s", checked, rep.Load.CheckRDB, tail(out, 8))
			}
			t.Logf("server: %+v; aoftool: %+v %v", got, *rep.Load, classes)
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
