package keyspace

import (
	"sort"
	"testing"

	"github.com/aoftool/aoftool/internal/redistest"
)

var globNames = []string{"", "a", "b", "ab", "abc", "abd", "aXc", "a*c", "a?c", "a[c", "a]c", "a\\c", "a-c", "user:1", "user:12",
	"user:1:profile", "\xff", "\x80x", "a\x00c", "hello", "hallo", "hxllo", "hllo", "heeeello", "[", "]", "^", "-", "zz"}

var globPatterns = []string{"*", "?", "a*", "*c", "a?c", "a[bc]*", "a[^b]c", "a[a-c]?", "a[c-a]?", "h[ae]llo", "h[^e]llo", "h*llo",
	"user:*", "user:?", "user:*:profile", "a\\*c", "a\\?c", "a[\\]]c", "[", "a[", "[]", "[]]", "a[]c", "\\", "a\\", "**", "*?*",
	"[\x80-\xff]*", "[\x00-a]", "a[-]c", "a[x-]c", "*[", "[^]", "a[\\", "h*l*o", "*e*e*"}

// TestMatchAgainstKEYS compares Match with what KEYS answers on a real
// server for the same names and patterns.
func TestMatchAgainstKEYS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	s := redistest.Start(t, redistest.Options{})
	var cmds [][]string
	for _, n := range globNames {
		cmds = append(cmds, []string{"SET", n, "1"})
	}
	s.MustQuery(cmds)
	for _, p := range globPatterns {
		r := s.MustDo("KEYS", p)
		var want []string
		for _, e := range r.Array {
			want = append(want, e.Str)
		}
		var got []string
		for _, n := range globNames {
			if Match([]byte(p), []byte(n)) {
				got = append(got, n)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if len(want) != len(got) {
			t.Errorf("pattern %q: KEYS %q, Match %q", p, want, got)
			continue
		}
		for i := range want {
			if want[i] != got[i] {
				t.Errorf("pattern %q: KEYS %q, Match %q", p, want, got)
				break
			}
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, p := range globPatterns {
		f.Add(p, "abc")
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 64 || len(s) > 256 {
			return
		}
		Match([]byte(p), []byte(s))
	})
}
