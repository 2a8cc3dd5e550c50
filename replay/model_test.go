package replay

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

const now = int64(1_700_000_000_000)

// counts renders a result as "db:count db:count".
func counts(r *Result) string {
	var parts []string
	for _, d := range r.DBs {
		parts = append(parts, fmt.Sprintf("%d:%s", d.DB, d.Count))
	}
	return strings.Join(parts, " ")
}

func split(cmds string) [][]string {
	var out [][]string
	for _, line := range strings.Split(cmds, ";") {
		if f := strings.Fields(line); len(f) > 0 {
			for i := range f {
				f[i] = strings.ReplaceAll(f[i], "_", " ")
				if f[i] == "''" {
					f[i] = ""
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// replay runs the commands through both passes (one file) and returns the
// result; lazy skips the first pass.
func replay(t testing.TB, opt Options, base Base, lazy bool, cmds [][]string) *Result {
	t.Helper()
	m := New(opt)
	if !lazy {
		for _, c := range cmds {
			m.Touch(Cmd(c...))
		}
		m.EndFile()
		m.SetBase(base)
	} else if base != nil {
		m.SetBase(base)
	}
	for _, c := range cmds {
		m.Apply(Cmd(c...))
	}
	m.EndFile()
	return m.Result()
}

type tcase struct {
	name string
	cmds string
	want string
}

func runCases(t *testing.T, cases []tcase, base func() Base) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, lazy := range []bool{false, true} {
				var b Base
				if base != nil {
					b = base()
				}
				r := replay(t, Options{At: now, Window: 1000}, b, lazy, split(tc.cmds))
				if got := counts(r); got != tc.want {
					t.Fatalf("lazy=%v: got %q, want %q; reasons %+v", lazy, got, tc.want, r.Reasons)
				}
			}
		})
	}
}

// Expiries are relative to now = 1_700_000_000_000; "past" and "future"
// below are PEXPIREAT arguments.
const (
	past   = "1699999999000"
	future = "1700000100000"
	inWin  = "1700000000500" // within the 1000 ms window
)

func TestKeyspace(t *testing.T) {
	runCases(t, []tcase{
		{"set-del", "SET a 1; SET b 2; DEL a", "0:1"},
		{"select", "SET a 1; SELECT 3; SET a 1; SET b 1", "0:1 3:2"},
		{"select-out-of-range", "SELECT 16; SET a 1", "0:1"},
		{"unlink-many", "MSET a 1 b 2 c 3; UNLINK a b x", "0:1"},
		{"expired", "SET a 1 PXAT " + past + "; SET b 1 PXAT " + future + "; SET c 1", "0:2"},
		{"expire-window", "SET a 1 PXAT " + inWin + "; SET b 1", "0:1 to 2"},
		{"pexpireat-past-kept-while-loading", "SET a 1; PEXPIREAT a " + past + "; PERSIST a", "0:1"},
		{"pexpireat-missing-key", "PEXPIREAT a " + past, ""},
		{"expire-relative-counts-from-at", "SET a 1; EXPIRE a 100", "0:1"},
		{"expire-negative-while-loading", "SET a 1; EXPIRE a -1", ""},
		{"expire-nx-kept", "SET a 1 PXAT " + past + "; PEXPIREAT a " + future + " NX", ""},
		{"expire-gt", "SET a 1 PXAT " + past + "; PEXPIREAT a " + future + " GT", "0:1"},
		{"expire-lt-no-ttl", "SET a 1; PEXPIREAT a " + past + " LT", ""},
		{"expire-xx-no-ttl", "SET a 1; PEXPIREAT a " + past + " XX", "0:1"},
		{"expire-bad-flags", "SET a 1; PEXPIREAT a " + past + " NX XX", "0:1"},
		{"rename", "SET a 1; RENAME a b; RENAME x y", "0:1"},
		{"rename-keeps-ttl", "SET a 1 PXAT " + past + "; RENAME a b", ""},
		{"rename-over", "SET a 1; SET b 2; RENAME a b", "0:1"},
		{"renamenx", "SET a 1; SET b 2; RENAMENX a b; RENAMENX a c", "0:2"},
		{"rename-same", "SET a 1; RENAME a a", "0:1"},
		{"move", "SET a 1; MOVE a 2; SET b 1; SELECT 2; SET b 1; SELECT 0; MOVE b 2", "0:1 2:2"},
		{"move-same-db", "SET a 1; MOVE a 0", "0:1"},
		{"move-out-of-range", "SET a 1; MOVE a 16", "0:1"},
		{"copy", "SET a 1; COPY a b; COPY a c DB 5; COPY a b", "0:2 5:1"},
		{"copy-replace-ttl", "SET a 1 PXAT " + past + "; SET b 2; COPY a b REPLACE", ""},
		{"copy-members", "SADD a x; COPY a b; SREM a x; SREM b x; SREM b y", ""},
		{"swapdb", "SET a 1; SELECT 1; SET b 1; SET c 1; SWAPDB 0 1", "0:2 1:1"},
		{"swapdb-then-write", "SET a 1; SWAPDB 0 1; SET b 1; SELECT 1; DEL a", "0:1"},
		{"flushdb", "SET a 1; SELECT 1; SET b 1; FLUSHDB; SET c 1", "0:1 1:1"},
		{"flushall", "SET a 1; SELECT 1; SET b 1; FLUSHALL ASYNC; SELECT 2; SET c 1", "2:1"},
		{"restore", "RESTORE a 0 \x00payload; RESTORE b " + past + " \x02x ABSTTL; RESTORE a 0 x", "0:1"},
		{"restore-replace", "SET a 1; RESTORE a 0 \x00p REPLACE", "0:1"},
		{"sort-store", "RPUSH l a b c; SORT l STORE d; SORT l LIMIT 5 2 STORE e; SORT x STORE l", "0:1"},
		{"sort-get", "SADD s 1 2; SORT s GET # GET x STORE d; SORT s LIMIT 0 0 STORE s", "0:1"},
		{"unknown-command", "SET a 1; JSON.SET b $ 1", "0:1 to 2"},
		{"debug-unbounded", "SET a 1; DEBUG POPULATE 10", "0:0 or more"},
		{"read-commands", "SET a 1; GET a; PFCOUNT a; PUBLISH c m; FUNCTION LOAD x", "0:1"},
		{"wrong-arity", "SET a; SET b 1", "0:1 to 2"},
		{"lower-case", "set a 1; sadd s x; zadd z 1 m", "0:3"},
	}, nil)
}

func TestTransactions(t *testing.T) {
	runCases(t, []tcase{
		{"multi-exec", "MULTI; SET a 1; SET b 1; EXEC", "0:2"},
		{"open-multi-reverted", "SET a 1; MULTI; DEL a; SET b 1", "0:1"},
		{"open-multi-swapdb", "SET a 1; MULTI; SWAPDB 0 3; FLUSHALL", "0:1"},
		{"open-multi-select", "MULTI; SELECT 2; SET a 1", ""},
		{"nested-multi", "MULTI; SET a 1; MULTI; SET b 1; EXEC", "0:2"},
		{"stray-exec", "EXEC; SET a 1; EXEC", "0:1"},
		{"select-in-multi", "MULTI; SELECT 4; SET a 1; EXEC; SET b 1", "4:2"},
	}, nil)
}

func TestStrings(t *testing.T) {
	runCases(t, []tcase{
		{"keepttl", "SET a 1 PXAT " + past + "; SET a 2 KEEPTTL", ""},
		{"set-drops-ttl", "SET a 1 PXAT " + past + "; SET a 2", "0:1"},
		{"set-nx-xx", "SET a 1 NX; SET a 2 NX; SET b 1 XX", "0:1"},
		{"set-get-wrongtype", "SADD a m; SET a 1 GET; SET b 1 GET", "0:2"},
		{"set-bad-options", "SET a 1 EX 0; SET b 1 NX XX; SET c 1 EX 10 PX 10", ""},
		{"setnx-msetnx", "SETNX a 1; MSETNX a 1 b 2; MSETNX c 1 d 2", "0:3"},
		{"mset-odd", "MSET a 1 b", ""},
		{"getset-getdel", "GETSET a 1; GETSET b 1; GETDEL a", "0:1"},
		{"getex", "SET a 1; GETEX a PXAT " + past + "; SET b 1; GETEX b PERSIST", "0:1"},
		{"setex-psetex", "SETEX a 100 v; PSETEX b 100000 v; PSETEX c 1 v", "0:2 to 3"},
		{"append-setrange", "APPEND a x; SETRANGE b 0 ''; SETRANGE c 3 x; APPEND d ''", "0:3"},
		{"incr", "INCR a; INCRBYFLOAT b 1.5; INCRBY c x", "0:2"},
		{"bitop", "SET a x; BITOP OR d a b; BITOP AND e x y; SET f ''; BITOP NOT g f", "0:3"},
		{"bitop-deletes", "SET d 1; BITOP OR d x y", ""},
		{"pf", "PFADD h a; PFMERGE d h x; PFMERGE e", "0:3"},
		{"setbit-bitfield", "SETBIT a 7 1; BITFIELD b GET u8 0; BITFIELD c SET u8 0 1", "0:2"},
		// 7.0 writes SET EX as SET PXAT, INCRBYFLOAT as SET KEEPTTL, GETEX
		// as PEXPIREAT or PERSIST, an expiry in the past as DEL or UNLINK.
		{"propagated", "SET a 1 PXAT " + future + "; SET b 1.5 KEEPTTL; SET c 1; PEXPIREAT c " + past + "; SET d 1; UNLINK d", "0:2"},
	}, nil)
}

func TestLists(t *testing.T) {
	runCases(t, []tcase{
		{"pop-empties", "RPUSH l a b; LPOP l; RPOP l; RPUSH m a b c; LPOP m 2", "0:1"},
		{"pop-count", "RPUSH l a b; LPOP l 5; RPUSH m a; LPOP m 0", "0:1"},
		{"pushx", "LPUSHX l a; RPUSH m a; RPUSHX m b", "0:1"},
		{"lrem", "RPUSH l a b a; LREM l 0 a; LREM l 1 b; RPUSH m a b a; LREM m -1 a", "0:1"},
		{"linsert", "RPUSH l a; LINSERT l BEFORE x y; LPOP l; LINSERT m AFTER a b", ""},
		{"ltrim", "RPUSH l a b c; LTRIM l 1 -1; LTRIM l 5 10; RPUSH m a b; LTRIM m 0 0", "0:1"},
		{"lmove", "RPUSH l a; LMOVE l m LEFT RIGHT; RPOPLPUSH m m; RPOPLPUSH x y", "0:1"},
		{"lmove-wrongtype", "RPUSH l a; SET s 1; LMOVE l s LEFT LEFT", "0:2"},
		{"lset", "RPUSH l a; LSET l 0 b; LREM l 0 b", ""},
		// Older forms, which 7.0 writes as LPOP/RPOP (with a count) and
		// LMOVE/RPOPLPUSH.
		{"blocking-forms", "RPUSH l a; BLPOP x l 0; RPUSH m a b; BLMOVE m n LEFT LEFT 0", "0:2"},
		{"lmpop", "RPUSH l a b; LMPOP 2 x l LEFT COUNT 5; RPUSH m a b; LMPOP 1 m RIGHT", "0:1"},
	}, nil)
}

func TestSets(t *testing.T) {
	runCases(t, []tcase{
		{"sadd-srem", "SADD s a b; SREM s a; SREM s b; SADD t a; SREM t x", "0:1"},
		{"smove", "SADD s a; SMOVE s t a; SMOVE s t a; SADD u a; SMOVE u u a", "0:2"},
		{"spop", "SADD s a b; SPOP s; SPOP s; SADD t a b c; SPOP t 2; SADD u a; SPOP u 5", "0:1"},
		// SPOP with a count as 7.0 writes it: SREMs in MULTI/EXEC, or DEL.
		{"spop-propagated", "SADD s a b c; MULTI; SREM s b; SREM s a; EXEC; SADD t a; DEL t", "0:1"},
		{"store", "SADD a 1 2; SADD b 3; SINTERSTORE d a b; SUNIONSTORE e a b; SDIFFSTORE f a a", "0:3"},
		{"store-deletes", "SET d x; SADD a 1; SINTERSTORE d a x", "0:1"},
		{"wrongtype", "SET a 1; SADD a x; LPUSH a x; SREM a 1", "0:1"},
	}, nil)
}

func TestHashes(t *testing.T) {
	runCases(t, []tcase{
		{"hset-hdel", "HSET h a 1 b 2; HDEL h a; HSETNX h b 3; HDEL h b", ""},
		{"hincr", "HINCRBY g f 1; HINCRBYFLOAT k f 1.5; HINCRBY x f y", "0:2"},
		// 7.0 writes HINCRBYFLOAT as HSET.
		{"propagated", "HSET h f 2.5; HDEL h f; HSET h g 1", "0:1"},
		{"hset-arity", "HSET h a", "0:0 to 1"}, // the loader checks no arity: unknown
	}, nil)
}

func TestSortedSets(t *testing.T) {
	runCases(t, []tcase{
		{"zadd-zrem", "ZADD z 1 a 2 b; ZREM z a b; ZADD y XX 1 a; ZADD x NX 1 a; ZINCRBY w 1 a", "0:2"},
		{"zadd-bad", "ZADD z 1 a 2; ZADD y x a; ZADD w NX XX 1 a; ZADD v INCR 1 a 2 b", ""},
		{"zremrange", "ZADD z 1 a 2 b 3 c; ZREMRANGEBYSCORE z 1 (3; ZREMRANGEBYRANK z 0 0; ZADD y 0 a 0 b; ZREMRANGEBYLEX y [a [b", ""},
		{"zremrange-partial", "ZADD z 1 a 2 b 3 c; ZREMRANGEBYSCORE z -inf 2; ZREMRANGEBYRANK z 1 5", "0:1"},
		// A lex range over different scores in a listpack walks score
		// order: from b (the first >= [b), while <= [c: b only.
		{"zremrangebylex-listpack", "ZADD z 1 b 2 a 3 c; ZREMRANGEBYLEX z [b [c; ZREM z a c", ""},
		{"zpop", "ZADD z 1 a 2 b; ZPOPMIN z; ZPOPMAX z; ZADD y 1 a 2 b; ZPOPMIN y 1; ZMPOP 1 y MAX COUNT 3", ""},
		// 7.0 writes ZMPOP and BZPOPMIN as ZPOPMIN/ZPOPMAX with a count.
		{"zpop-propagated", "ZADD z 1 a 2 b 3 c; ZPOPMIN z 3; ZADD y 1 a; ZPOPMAX y", ""},
		{"zstore", "ZADD a 1 x 2 y; SADD b y; ZINTERSTORE d 2 a b; ZUNIONSTORE e 2 a b WEIGHTS 1 2; ZDIFFSTORE f 2 a a", "0:4"},
		{"zrangestore", "ZADD a 1 x 2 y 3 z; ZRANGESTORE d a 0 0; ZRANGESTORE e a (3 +inf BYSCORE; ZRANGESTORE f a 2 1 BYSCORE REV LIMIT 0 1", "0:3"},
		// GEOADD as 7.0 writes it: a lower-case zadd with 52-bit geohash
		// scores.
		{"geoadd-propagated", "zadd g 3479099943497504 p; ZREM g p", ""},
		{"geo", "GEOADD g 13.3 38.1 a; GEOSEARCHSTORE d x FROMMEMBER a BYRADIUS 1 km", "0:1"},
		{"geo-store-unknown", "GEOADD g 13.3 38.1 a; GEOSEARCHSTORE d g FROMLONLAT 13 38 BYRADIUS 1 km", "0:1 to 2"},
	}, nil)
}

func TestStreams(t *testing.T) {
	runCases(t, []tcase{
		{"stream", "XADD s * f v; XDEL s 1-1; XTRIM s MAXLEN 0; XADD t NOMKSTREAM * f v; XGROUP CREATE u g $ MKSTREAM", "0:2"},
		// 7.0 writes XADD with an approximate trim as an exact one, with
		// the ID it generated.
		{"propagated", "XADD s MAXLEN = 1 1-0 f v; XGROUP CREATE s g 0; XCLAIM s g c 0 1-0; XGROUP SETID s g 1-0", "0:1"},
		{"xgroup-create-missing", "XGROUP CREATE s g $", ""},
	}, nil)
}

// TestWriteCoverage: every command 7.0's table flags as a write has a
// model, except MIGRATE (the loader would connect elsewhere).
func TestWriteCoverage(t *testing.T) {
	for name, info := range commandTable {
		if _, ok := handlers[name]; !ok && info.write && name != "MIGRATE" {
			t.Errorf("write command %s has no model", name)
		}
	}
}

// TestBase: keys the base holds, looked up in the second pass.
func TestBase(t *testing.T) {
	base := func() Base {
		b := NewMemBase()
		b.Add(0, "s", KeyInfo{Type: TypeSet, Len: -1, ExpireAt: NoExpiry, Members: []string{"a", "b"}})
		b.Add(0, "big", KeyInfo{Type: TypeSet, Len: 5000, ExpireAt: NoExpiry})
		b.Add(0, "one", KeyInfo{Type: TypeSet, Len: 1, ExpireAt: NoExpiry})
		b.Add(0, "old", KeyInfo{Type: TypeString, Len: 1, ExpireAt: 1})
		b.Add(0, "win", KeyInfo{Type: TypeString, Len: 1, ExpireAt: now + 500})
		b.Add(0, "x", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
		b.Add(1, "y", KeyInfo{Type: TypeHash, Len: 3, ExpireAt: NoExpiry})
		b.Add(1, "z", KeyInfo{Type: TypeString, Len: 3, ExpireAt: NoExpiry})
		return b
	}
	runCases(t, []tcase{
		{"untouched", "", "0:4 to 5 1:2"},
		{"srem-members", "SREM s a; SREM s b", "0:3 to 4 1:2"},
		{"srem-one", "SREM one q", "0:3 to 4 1:2"},
		{"srem-big", "SREM big q", "0:4 to 5 1:2"},
		{"persist-expired", "PERSIST old", "0:5 to 6 1:2"},
		{"del-expired", "DEL old", "0:4 to 5 1:2"},
		{"persist-window", "PERSIST win", "0:5 1:2"},
		{"swapdb", "SWAPDB 0 1; DEL y", "0:1 1:4 to 5"},
		{"flush-base", "SELECT 1; FLUSHDB; SET q 1", "0:4 to 5 1:1"},
		{"hdel-unknown-members", "SELECT 1; HDEL y f", "0:4 to 5 1:2"},
		{"hdel-all-unknown", "SELECT 1; HDEL y f g h", "0:4 to 5 1:1 to 2"},
		{"rename-over-base", "RENAME x s", "0:3 to 4 1:2"},
		{"sinterstore-base", "SINTERSTORE d s big", "0:4 to 6 1:2"},
	}, base)
}

// TestUntracked: past MaxKeys, commands on further keys widen the range.
func TestUntracked(t *testing.T) {
	cmds := split("SET a 1; SET b 1; SET c 1; DEL c; SET d 1")
	r := replay(t, Options{At: now, MaxKeys: 2}, nil, false, cmds)
	if got := counts(r); got != "0:1 to 4" {
		t.Fatalf("got %q; reasons %+v", got, r.Reasons)
	}
	if r.UntrackedRefs != 3 || !hasReason(r, "untracked-key") {
		t.Fatalf("untracked %d reasons %+v", r.UntrackedRefs, r.Reasons)
	}
}

func hasReason(r *Result, code string) bool {
	for _, x := range r.Reasons {
		if x.Code == code {
			return true
		}
	}
	return false
}

// TestArgsCut: a key cut by the scanner cannot be told from others.
func TestArgsCut(t *testing.T) {
	m := New(Options{At: now})
	c := Cmd("SET", "longkey", "v")
	c.Args[1].Data = c.Args[1].Data[:3]
	m.Apply(Cmd("SET", "a", "1"))
	m.Apply(c)
	m.Apply(Cmd("DEL", "a"))
	if got := counts(m.Result()); got != "0:0 to 1" {
		t.Fatalf("got %q", got)
	}
	// Hidden arguments of DEL may each delete a key.
	m = New(Options{At: now})
	m.Apply(Cmd("SET", "a", "1"))
	m.Apply(Cmd("SET", "b", "1"))
	del := Cmd("DEL", "x")
	del.Argc = 4
	m.Apply(del)
	if got := counts(m.Result()); got != "0:0 to 2" {
		t.Fatalf("got %q", got)
	}
}

// TestLost: an open MULTI at the end of a file and dropped commands are
// itemised.
func TestLost(t *testing.T) {
	m := New(Options{At: now})
	for _, c := range split("SET a 1; MULTI; SET b 1; SELECT 2; DEL a") {
		m.Apply(Cmd(c...))
	}
	m.EndFile()
	d := Cmd("SADD", "s", "m")
	d.File, d.Offset = 1, 99
	m.Drop(d, LostTornTail)
	m.Drop(Command{File: 1, Offset: 120}, LostTornTail)
	r := m.Result()
	if got := counts(r); got != "0:1" {
		t.Fatalf("got %q", got)
	}
	var items []string
	for _, it := range r.Lost.Items {
		items = append(items, fmt.Sprintf("%s@%d/db%d%v:%s", it.Name, it.Offset, it.DB, it.Keys, it.Why))
	}
	sort.Strings(items)
	want := "(partial command)@120/db0[]:torn-tail DEL@0/db2[a]:open-multi MULTI@0/db0[]:open-multi SADD@99/db0[s]:torn-tail SELECT@0/db0[]:open-multi SET@0/db0[b]:open-multi"
	if strings.Join(items, " ") != want || r.Lost.Commands != 6 || r.Lost.ByReason[LostOpenMulti] != 4 {
		t.Fatalf("lost %d %v:\n%s", r.Lost.Commands, r.Lost.ByReason, strings.Join(items, " "))
	}
}

// TestKeysToAsk: the first pass names each key by the base database it
// would come from, following SWAPDB, and leaves out keys written after a
// flush.
func TestKeysToAsk(t *testing.T) {
	m := New(Options{At: now})
	for _, c := range split("SET a 1; SELECT 1; SET b 1; SWAPDB 0 1; SET c 1; COPY c e DB 3; FLUSHDB; SET d 1; SELECT 3; MOVE e 2") {
		m.Touch(Cmd(c...))
	}
	m.EndFile()
	var got []string
	m.Keys(func(db int, key string) bool {
		got = append(got, fmt.Sprintf("%d:%s", db, key))
		return true
	})
	sort.Strings(got)
	// After SWAPDB, database 1 holds base database 0: c comes from there.
	// COPY names its destination in the source database too (its key
	// spec), which only asks the base one more key.
	if strings.Join(got, " ") != "0:a 0:c 0:e 1:b 2:e 3:e" {
		t.Fatalf("keys %v", got)
	}
	if !m.Wants(0, []byte("c")) || m.Wants(1, []byte("c")) || m.Wants(0, []byte("d")) {
		t.Fatal("Wants disagrees with Keys")
	}
	// The base is asked about those keys only, in the second pass.
	b := &countingBase{MemBase: NewMemBase(), asked: map[string]bool{}}
	b.Add(1, "c", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
	b.Add(1, "z", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
	m.SetBase(b)
	for _, c := range split("SET a 1; SELECT 1; SET b 1; SWAPDB 0 1; SET c 1; COPY c e DB 3; FLUSHDB; SET d 1; SELECT 3; MOVE e 2") {
		m.Apply(Cmd(c...))
	}
	m.EndFile()
	// Database 0 holds b and base database 1's c and z, untouched.
	if got := counts(m.Result()); got != "0:3 1:1 2:1" {
		t.Fatalf("counts %s", got)
	}
	for k := range b.asked {
		if !slices.Contains(got, k) {
			t.Fatalf("asked the base about %s", k)
		}
	}
}

type countingBase struct {
	*MemBase
	asked map[string]bool
}

func (b *countingBase) Lookup(db int, key []byte) (KeyInfo, bool) {
	b.asked[fmt.Sprintf("%d:%s", db, key)] = true
	return b.MemBase.Lookup(db, key)
}

// TestResultJSON: the result is one JSON document with counts, reasons and
// lost commands.
func TestResultJSON(t *testing.T) {
	m := New(Options{At: now})
	for _, c := range split("SET a 1; JSON.SET b $ 1; MULTI; DEL a") {
		m.Apply(Cmd(c...))
	}
	m.EndFile()
	b, err := json.Marshal(m.Result())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"dbs":[{"db":0,"min":1,"max":2}]`, `"code":"unknown-command"`, `"unknown_commands":{"JSON.SET":1}`, `"by_reason":{"open-multi":2}`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("%s lacks %s", b, want)
		}
	}
}
