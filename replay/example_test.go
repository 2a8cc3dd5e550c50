package replay_test

import (
	"fmt"
	"strings"

	"github.com/aoftool/aoftool/replay"
)

// Two passes over an incr file's commands (here written by hand; a caller
// reads them with aofinspect's scanner and replay.FromAOF), with a base
// that holds a set of two members and an expired key.
func Example() {
	incr := []string{"SELECT 0", "SREM tags a", "SREM tags b", "SET x 1", "PERSIST old", "MULTI", "DEL x"}
	cmds := make([]replay.Command, len(incr))
	for i, line := range incr {
		cmds[i] = replay.Cmd(strings.Fields(line)...)
	}
	const start = 1_700_000_000_000
	m := replay.New(replay.Options{At: start})
	for _, c := range cmds {
		m.Touch(c)
	}
	m.EndFile()

	base := replay.NewMemBase()
	m.Keys(func(db int, key string) bool {
		fmt.Printf("ask the base about db %d %q\n", db, key)
		return true
	})
	base.Add(0, "tags", replay.KeyInfo{Type: replay.TypeSet, Len: -1, ExpireAt: replay.NoExpiry, Members: []string{"a", "b"}})
	base.Add(0, "old", replay.KeyInfo{Type: replay.TypeString, Len: 1, ExpireAt: start - 1000})
	base.Add(0, "other", replay.KeyInfo{Type: replay.TypeString, Len: 1, ExpireAt: replay.NoExpiry})
	m.SetBase(base)
	for _, c := range cmds {
		m.Apply(c)
	}
	m.EndFile() // the open MULTI is never executed

	r := m.Result()
	for _, d := range r.DBs {
		fmt.Printf("db %d: %s keys\n", d.DB, d.Count)
	}
	fmt.Printf("lost: %d commands %v\n", r.Lost.Commands, r.Lost.ByReason)
	// Unordered output:
	// ask the base about db 0 "tags"
	// ask the base about db 0 "x"
	// ask the base about db 0 "old"
	// db 0: 3 keys
	// lost: 2 commands map[open-multi:2]
}
