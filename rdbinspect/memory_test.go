package rdbinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand"
	"sort"
	"testing"

	"github.com/aoftool/aoftool/internal/rdbdamage"
)

func TestJeSize(t *testing.T) {
	for _, c := range [][2]uint64{{0, 8}, {8, 8}, {9, 16}, {17, 32}, {128, 128}, {129, 160}, {160, 160}, {161, 192}, {257, 320},
		{513, 640}, {1025, 1280}, {4097, 5120}, {14337, 16384}, {16385, 20480}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<18}} {
		if got := jeSize(c[0]); got != c[1] {
			t.Errorf("jeSize(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// trieNodes counts rax nodes of a key set by building the compressed trie
// the slow way: a node per branching point, per key, and per run of
// single-child characters below a branching point.
func trieNodes(keys [][]byte) uint64 {
	var count func(keys [][]byte, depth int, root bool) uint64
	count = func(keys [][]byte, depth int, root bool) uint64 {
		// Follow single-child characters.
		start := depth
		for depth < 16 {
			same := true
			for _, k := range keys[1:] {
				if k[depth] != keys[0][depth] {
					same = false
					break
				}
			}
			if !same {
				break
			}
			depth++
		}
		var n uint64
		if !root && depth-start >= 1 {
			n++ // the run below the parent's edge character
		}
		if root {
			n++ // the head node, run or branch
		}
		if depth == 16 {
			return n + 1 // the key's leaf
		}
		if !root || depth > start {
			// The branching node; at the root without a run the head is it.
			n++
		}
		i := 0
		for i < len(keys) {
			j := i
			for j < len(keys) && keys[j][depth] == keys[i][depth] {
				j++
			}
			n += count(keys[i:j], depth+1, false)
			i = j
		}
		return n
	}
	if len(keys) == 0 {
		return 1
	}
	return count(keys, 0, true)
}

func TestRaxCounter(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 300; round++ {
		n := rng.Intn(200)
		seen := map[[16]byte]bool{}
		var keys [][]byte
		base := uint64(1700000000000 + rng.Intn(1000))
		for len(keys) < n {
			var k [16]byte
			binary.BigEndian.PutUint64(k[:], base+uint64(rng.Intn(1+rng.Intn(5000))))
			binary.BigEndian.PutUint64(k[8:], uint64(rng.Intn(3)))
			if rng.Intn(10) == 0 {
				rng.Read(k[:])
			}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k[:])
			}
		}
		sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
		var c raxCounter
		for _, k := range keys {
			c.add(k)
		}
		if got, want := c.nodes(), trieNodes(keys); got != want || c.unordered {
			t.Fatalf("round %d, %d keys: counter says %d nodes, the trie has %d", round, len(keys), got, want)
		}
	}
}

// TestVisitorEmptyKey: a key the loader skips as empty is reported so.
func TestVisitorEmptyKey(t *testing.T) {
	b := []byte("REDIS0010")
	b = append(b, 0xFE, 0, typeSet)
	b = append(b, rdbdamage.String([]byte("empty"))...)
	b = append(b, 0, typeString)
	b = append(b, rdbdamage.String([]byte("s"))...)
	b = append(b, rdbdamage.String([]byte("v"))...)
	b = append(b, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	b = rdbdamage.FixCRC(b)
	var got []Key
	v := &Visitor{Key: func(k *Key) {
		c := *k
		c.Name = append([]byte(nil), k.Name...)
		got = append(got, c)
	}}
	Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Visit: v})
	if len(got) != 2 || !got[0].Skipped || got[1].Skipped || string(got[0].Name) != "empty" {
		t.Fatalf("%+v", got)
	}
}
