package replay

import (
	"sort"
	"testing"
)

func TestFinalAndOrigins(t *testing.T) {
	base := NewMemBase()
	base.Add(0, "a", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
	base.Add(0, "b", KeyInfo{Type: TypeSet, Len: 2, ExpireAt: NoExpiry, Members: []string{"x", "y"}})
	base.Add(1, "c", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
	base.Add(2, "d", KeyInfo{Type: TypeString, Len: 1, ExpireAt: NoExpiry})
	cmds := [][]string{
		{"SET", "new", "v"},
		{"DEL", "a"},
		{"SREM", "b", "x"},
		{"SWAPDB", "1", "2"},
		{"SELECT", "2"},
		{"EXPIRE", "c", "100"},
		{"SELECT", "3"},
		{"FLUSHDB"},
		{"SET", "e", "1"},
		{"SELECT", "0"},
		{"MULTI"},
		{"SET", "never", "1"},
	}
	m := New(Options{At: 1000})
	for _, c := range cmds {
		m.Touch(Cmd(c...))
	}
	m.EndFile()
	if got := m.Origins()[:4]; got[0] != 0 || got[1] != 2 || got[2] != 1 || got[3] != -1 {
		t.Errorf("origins after the first pass %v", got)
	}
	m.SetBase(base)
	for _, c := range cmds {
		m.Apply(Cmd(c...))
	}
	m.EndFile()
	if got := m.Origins()[:4]; got[0] != 0 || got[1] != 2 || got[2] != 1 || got[3] != -1 {
		t.Errorf("origins after the second pass %v", got)
	}
	var states []string
	m.Final(func(ks KeyState) bool {
		s := string(ks.Key) + "@" + string(rune('0'+ks.DB)) + ":" + ks.Exists.String() + ":" + ks.Type.String()
		if ks.Written && ks.ExpireAt != NoExpiry {
			s += ":ttl"
		}
		if !ks.Written {
			s += ":unwritten"
		}
		states = append(states, s)
		return true
	})
	sort.Strings(states)
	want := []string{"a@0:absent:none", "b@0:present:set", "c@2:present:string:ttl", "e@3:present:string", "never@0:absent:none:unwritten", "new@0:present:string"}
	if len(states) != len(want) {
		t.Fatalf("states %q, want %q", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Errorf("states %q, want %q", states, want)
			break
		}
	}
}
