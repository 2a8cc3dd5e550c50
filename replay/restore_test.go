package replay

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/internal/redistest"
)

// TestDecodePayload decodes DUMP payloads a real server makes, of every
// type in each encoding it picks (small and large, integers, compressed
// strings), and compares with what the server holds.
func TestDecodePayload(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := dial(t, srv)
	defer c.close()
	long := strings.Repeat("abcdefgh", 40) // compressible: LZF
	many := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	cases := []struct {
		name  string
		setup [][]string
		n     int64
	}{
		{"string", [][]string{{"SET", "k", "hello"}}, 5},
		{"string-int", [][]string{{"SET", "k", "-12345"}}, 6},
		{"string-lzf", [][]string{{"SET", "k", long}}, int64(len(long))},
		{"list-listpack", [][]string{append([]string{"RPUSH", "k", "a", "-3", "70000", "1234567890123", long}, many("e", 5)...)}, 10},
		{"list-quicklist", [][]string{append([]string{"RPUSH", "k"}, many("element-", 400)...)}, 400},
		{"set-intset", [][]string{{"SADD", "k", "1", "-2", "300000", "5000000000"}}, 4},
		{"set-hashtable", [][]string{append([]string{"SADD", "k", long}, many("m", 200)...)}, 201},
		{"zset-listpack", [][]string{{"ZADD", "k", "1.5", "a", "-2", "b", "inf", "c", "3", long}}, 4},
		{"zset-skiplist", [][]string{append([]string{"ZADD", "k"}, interleave(many("", 200), many("z", 200))...)}, 200},
		{"hash-listpack", [][]string{{"HSET", "k", "f", "v", "g", long, "12", "34"}}, 3},
		{"hash-hashtable", [][]string{append([]string{"HSET", "k"}, interleave(many("f", 300), many("v", 300))...)}, 300},
		{"stream", [][]string{{"XADD", "k", "*", "f", "v"}}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.do("DEL", "k")
			for _, s := range tc.setup {
				if r := c.do(s...); r.err != "" {
					t.Fatal(r.err)
				}
			}
			dump := c.do("DUMP", "k").str
			p, ok := decodePayload([]byte(dump), 1024)
			typ := c.do("TYPE", "k").str
			if !ok || p.t.String() != typ || p.n != tc.n {
				t.Fatalf("decoded %v %s n=%d, want %s n=%d", ok, p.t, p.n, typ, tc.n)
			}
			var want []string
			switch typ {
			case "list":
				for _, r := range c.do("LRANGE", "k", "0", "-1").arr {
					want = append(want, r.str)
				}
			case "set":
				for _, r := range c.do("SMEMBERS", "k").arr {
					want = append(want, r.str)
				}
			case "hash":
				for _, r := range c.do("HKEYS", "k").arr {
					want = append(want, r.str)
				}
			case "zset":
				r := c.do("ZRANGE", "k", "0", "-1", "WITHSCORES").arr
				for i := 0; i+1 < len(r); i += 2 {
					want = append(want, r[i].str)
					sc, _ := strconv.ParseFloat(r[i+1].str, 64)
					for j, m := range p.members {
						if m == r[i].str && p.scores[j] != sc {
							t.Fatalf("score of %s: %v, want %v", m, p.scores[j], sc)
						}
					}
				}
			default:
				return
			}
			got := slices.Clone(p.members)
			if typ != "list" {
				sort.Strings(got)
				sort.Strings(want)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("members %q, want %q", got, want)
			}
		})
	}
}

func interleave(a, b []string) []string {
	var out []string
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

// FuzzDecodePayload: any bytes decode without panic, and members never
// outnumber the count.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("\x00\x05hello\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x10\xc3\x0b\x14\x14\x00\x00\x00\x02\x00\x81f\x02\x81v\x02\xff\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := decodePayload(b, 8)
		if ok && p.n >= 0 && int64(len(p.members)) > p.n || len(p.members) > 8 {
			t.Fatalf("%d members for count %d", len(p.members), p.n)
		}
	})
}
