package replay

import (
	"bytes"
	"sort"
	"testing"

	"github.com/aoftool/aoftool/aofinspect"
)

var fuzzTokens = []string{"k0", "k1", "k2", "k3", "m0", "m1", "m2", "0", "1", "2", "3", "-1", "-2", "5", "100", "1.5",
	"1", "99999999999999", "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST",
	"LEFT", "RIGHT", "BEFORE", "AFTER", "MIN", "MAX", "COUNT", "STORE", "LIMIT", "REPLACE", "DB", "ABSTTL", "WEIGHTS",
	"AGGREGATE", "SUM", "BYSCORE", "BYLEX", "REV", "(1", "[m1", "(m2", "-", "+", "-inf", "+inf", "MKSTREAM", "NOMKSTREAM",
	"*", "ALPHA", "AND", "OR", "NOT", "CREATE", "g", "$", "\x00p", "\x02p", "\x0ep", "", "ASYNC", "15", "16"}

// fuzzNames are the commands the fuzzer draws from: every one modelled,
// plus reads, unknown and damaged names.
func fuzzNames() []string {
	var names []string
	for n := range handlers {
		if i := bytes.IndexByte([]byte(n), '|'); i > 0 {
			n = n[:i]
		}
		names = append(names, n)
	}
	names = append(names, "MULTI", "EXEC", "DISCARD", "GET", "JSON.SET", "DEBUG", "EVAL", "set", "sadd", "xgroup")
	sort.Strings(names)
	return names
}

// decodeStream turns fuzz bytes into commands: a name byte, an argument
// count byte, then one byte per argument picking a token; 0xff ends a
// file.
func decodeStream(in []byte, names []string) [][]string {
	var out [][]string
	for len(in) >= 2 {
		if in[0] == 0xff {
			out = append(out, nil)
			in = in[1:]
			continue
		}
		c := []string{names[int(in[0])%len(names)]}
		argc := int(in[1] % 8)
		in = in[2:]
		for i := 0; i < argc && len(in) > 0; i++ {
			c = append(c, fuzzTokens[int(in[0])%len(fuzzTokens)])
			in = in[1:]
		}
		out = append(out, c)
	}
	return out
}

// built turns decoded commands into the model's, once per fuzz call (nil
// ends a file), so the runs that compare models do not each rebuild them.
func built(cmds [][]string) []*Command {
	out := make([]*Command, len(cmds))
	for i, c := range cmds {
		if c != nil {
			cmd := Cmd(c...)
			out[i] = &cmd
		}
	}
	return out
}

func runStream(opt Options, cmds []*Command, twoPass bool, base Base) *Result {
	m := New(opt)
	if twoPass {
		for _, c := range cmds {
			if c == nil {
				m.EndFile()
				continue
			}
			m.Touch(*c)
		}
		m.EndFile()
		m.SetBase(base)
	} else if base != nil {
		m.SetBase(base)
	}
	for _, c := range cmds {
		if c == nil {
			m.EndFile()
			continue
		}
		m.Apply(*c)
	}
	m.EndFile()
	return m.Result()
}

func checkResult(t testing.TB, r *Result) {
	t.Helper()
	var total Count
	for _, d := range r.DBs {
		if d.Min < 0 || d.Max >= 0 && d.Min > d.Max {
			t.Fatalf("db %d: min %d max %d", d.DB, d.Min, d.Max)
		}
		total.Min += d.Min
	}
	if total.Min != r.Total.Min || r.Total.Max >= 0 && r.Total.Min > r.Total.Max {
		t.Fatalf("total %+v, dbs sum to min %d", r.Total, total.Min)
	}
}

// contains reports whether every database count of b lies within a's.
func contains(a, b *Result) bool {
	am := map[int]Count{}
	for _, d := range a.DBs {
		am[d.DB] = d.Count
	}
	bm := map[int]Count{}
	for _, d := range b.DBs {
		bm[d.DB] = d.Count
	}
	for db := 0; db < 16; db++ {
		x, y := am[db], bm[db]
		if y.Min < x.Min || x.Max >= 0 && (y.Max < 0 || y.Max > x.Max) {
			return false
		}
	}
	return true
}

// FuzzModel feeds random command streams: the model must never panic,
// min ≤ max always, one pass and two give the same counts over an empty
// base, and withholding facts (few tracked keys, few members, a base the
// model knows nothing about) only widens the counts.
func FuzzModel(f *testing.F) {
	names := fuzzNames()
	f.Add([]byte{})
	f.Add([]byte("\x10\x03\x00\x04\x05\x20\x02\x01\x06"))
	for _, tc := range []string{"SADD k0 m0 m1", "SREM k0 m0", "MULTI", "RENAME k0 k1", "SWAPDB 0 1", "FLUSHDB", "ZADD k2 1 m1", "LPUSH k3 m1 m2"} {
		var b []byte
		w := bytes.Fields([]byte(tc))
		for i, n := range names {
			if n == string(w[0]) {
				b = append(b, byte(i), byte(len(w)-1))
			}
		}
		for _, a := range w[1:] {
			for i, tok := range fuzzTokens {
				if tok == string(a) {
					b = append(b, byte(i))
					break
				}
			}
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) { fuzzModelOne(t, names, in) })
}

// fuzzModelOne is one call of FuzzModel.
func fuzzModelOne(t testing.TB, names []string, in []byte) {
	if len(in) > 4096 {
		return
	}
	cmds := built(decodeStream(in, names))
	opt := Options{At: now, Window: 100}
	lazy := runStream(opt, cmds, false, nil)
	two := runStream(opt, cmds, true, nil)
	checkResult(t, lazy)
	checkResult(t, two)
	if counts(lazy) != counts(two) {
		t.Fatalf("one pass %s, two passes %s", counts(lazy), counts(two))
	}
	for _, o := range []Options{{At: now, Window: 100, MaxKeys: 2}, {At: now, Window: 100, MaxMembers: 1}} {
		r := runStream(o, cmds, true, nil)
		checkResult(t, r)
		if !contains(r, two) {
			t.Fatalf("with %+v: %s does not hold %s", o, counts(r), counts(two))
		}
	}
	unknown := runStream(opt, cmds, true, unknownBase{})
	checkResult(t, unknown)
	// With a base: keys asked in the first pass are the ones the
	// second pass needs, so both agree with one lazy pass.
	lazyBase := runStream(opt, cmds, false, fuzzBase())
	twoBase := runStream(opt, cmds, true, fuzzBase())
	checkResult(t, twoBase)
	if counts(lazyBase) != counts(twoBase) {
		t.Fatalf("with a base: one pass %s, two passes %s", counts(lazyBase), counts(twoBase))
	}
}

// fuzzBase holds a few keys of each type in databases 0 to 3.
func fuzzBase() *MemBase {
	b := NewMemBase()
	for db := 0; db < 4; db++ {
		b.Add(db, "k0", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
		b.Add(db, "k1", KeyInfo{Type: TypeSet, Len: -1, ExpireAt: NoExpiry, Members: []string{"m0", "m1"}})
		b.Add(db, "k2", KeyInfo{Type: TypeZSet, Len: -1, ExpireAt: now - 1, Members: []string{"m1"}, Scores: []float64{2}})
		b.Add(db, "k9", KeyInfo{Type: TypeList, Len: 3, ExpireAt: now + 50})
	}
	return b
}

// unknownBase may hold any key and says nothing about it.
type unknownBase struct{}

func (unknownBase) Lookup(int, []byte) (KeyInfo, bool) { return KeyInfo{Type: TypeUnknown}, true }
func (unknownBase) Count(int, int64, int64) DBCount    { return DBCount{Keys: 3} }

// FuzzModelRESP feeds raw bytes through the scanner keeping arguments, as
// a caller does, so cut and missing arguments reach the model.
func FuzzModelRESP(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n"))
	f.Add([]byte("*1\r\n$5\r\nMULTI\r\n*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$10\r\nabcdefghij\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		for _, lim := range []aofinspect.ArgLimits{aofinspect.DefaultArgLimits, {MaxArgs: 3, MaxArgBytes: 4}} {
			m := New(Options{At: now})
			s := aofinspect.NewScanner(bytes.NewReader(in), aofinspect.Options{Size: int64(len(in)), Args: lim})
			for s.Next() {
				if c := s.Command(); c.Kind == aofinspect.KindCommand {
					m.Apply(FromAOF(1, c))
				}
			}
			m.EndFile()
			checkResult(t, m.Result())
		}
	})
}

// BenchmarkFuzzModelCall measures one FuzzModel call, which must stay
// cheap enough for thousands a second.
func BenchmarkFuzzModelCall(b *testing.B) {
	names := fuzzNames()
	in := make([]byte, 200)
	for i := range in {
		in[i] = byte(i*37 + i/7)
	}
	for b.Loop() {
		fuzzModelOne(b, names, in)
	}
}
