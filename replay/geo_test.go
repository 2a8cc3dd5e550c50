package replay

import (
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/aoftool/aoftool/internal/redistest"
)

// TestGeoAgainstServer runs GEO searches that store their result on a
// real server and on the model, fed the sorted set as the server writes
// it to the AOF (ZADD with geohash scores): the stored members must be
// the server's, or the model's range must hold their count.
func TestGeoAgainstServer(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := dial(t, srv)
	defer c.close()
	rng := rand.New(rand.NewSource(1))
	add := []string{"GEOADD", "g"}
	for i := 0; i < 300; i++ {
		add = append(add, strconv.FormatFloat(13+rng.Float64()*6-3, 'f', 6, 64), strconv.FormatFloat(38+rng.Float64()*6-3, 'f', 6, 64), "p"+strconv.Itoa(i))
	}
	if r := c.do(add...); r.err != "" {
		t.Fatal(r.err)
	}
	zadd := []string{"ZADD", "g"}
	r := c.do("ZRANGE", "g", "0", "-1", "WITHSCORES").arr
	for i := 0; i+1 < len(r); i += 2 {
		zadd = append(zadd, r[i+1].str, r[i].str)
	}
	exact, ranges := 0, 0
	for i := 0; i < 300; i++ {
		var q []string
		switch rng.Intn(3) {
		case 0:
			q = []string{"GEORADIUS", "g", "13", "38", strconv.Itoa(10 + rng.Intn(300)), "km", "STORE", "d"}
		case 1:
			q = []string{"GEORADIUSBYMEMBER", "g", "p" + strconv.Itoa(rng.Intn(300)), strconv.Itoa(10 + rng.Intn(300)), "km", "STOREDIST", "d"}
		default:
			q = []string{"GEOSEARCHSTORE", "d", "g"}
			if rng.Intn(2) == 0 {
				q = append(q, "FROMLONLAT", "12.5", "37.5")
			} else {
				q = append(q, "FROMMEMBER", "p"+strconv.Itoa(rng.Intn(300)))
			}
			if rng.Intn(2) == 0 {
				q = append(q, "BYRADIUS", strconv.Itoa(10+rng.Intn(300)), "km")
			} else {
				q = append(q, "BYBOX", strconv.Itoa(10+rng.Intn(400)), strconv.Itoa(10+rng.Intn(400)), "km")
			}
		}
		if rng.Intn(3) == 0 {
			q = append(q, "COUNT", strconv.Itoa(1+rng.Intn(20)))
			if rng.Intn(3) == 0 {
				q = append(q, "ANY")
			}
		}
		if rng.Intn(3) == 0 {
			q = append(q, "DESC")
		}
		c.do("DEL", "d")
		if r := c.do(q...); r.err != "" {
			t.Fatalf("%v: %s", q, r.err)
		}
		var want []string
		for _, x := range c.do("ZRANGE", "d", "0", "-1").arr {
			want = append(want, x.str)
		}
		sort.Strings(want)

		m := New(Options{At: now})
		m.Apply(Cmd(zadd...))
		m.Apply(Cmd(q...))
		res := m.Result()
		d := m.stateOf(0, "d")
		if d != nil && d.mem != nil {
			var got []string
			for e := range d.mem.set {
				got = append(got, e)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%v: model %v, server %v", q, got, want)
			}
			exact++
			continue
		}
		lo, hi := int64(0), int64(0)
		if d != nil {
			lo, hi = d.card()
		}
		if n := int64(len(want)); n < lo || n > hi || (d == nil || d.ex == absent) && n > 0 {
			t.Fatalf("%v: model [%d,%d] (%s), server %d", q, lo, hi, counts(res), n)
		}
		ranges++
	}
	t.Logf("%d searches exact, %d as ranges holding the server's count", exact, ranges)
	if exact < 200 {
		t.Fatalf("only %d of 300 searches exact", exact)
	}
}

// stateOf is the model's state of a tracked key, or nil.
func (m *Model) stateOf(db int, key string) *state {
	idx, _ := m.keys.find(m.mapKey(m.slots[db], []byte(key)))
	if idx < 0 {
		return nil
	}
	return m.stateAt(idx)
}
