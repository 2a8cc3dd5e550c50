package keyspace

import (
	"bytes"
	"container/heap"
	"sort"
)

// PrefixStat is one name prefix with what its keys add up to. After
// Prefixes evicted entries, a stat is an overcount: the true values lie
// in [value-Err, value].
type PrefixStat struct {
	Prefix    string `json:"prefix"`
	Depth     int    `json:"depth"`
	Keys      int64  `json:"keys"`
	Memory    int64  `json:"memory"`
	Size      int64  `json:"size"`
	KeysErr   int64  `json:"keys_error,omitempty"`
	MemoryErr int64  `json:"memory_error,omitempty"`
	SizeErr   int64  `json:"size_error,omitempty"`
	index     int
}

// Prefixes aggregates keys by name prefix (the name up to and including
// the first, second, ... Depth-th separator) in bounded memory: at most
// Capacity prefixes are kept, with the Space-Saving algorithm weighted by
// memory. While fewer distinct prefixes than Capacity were seen, every
// count is exact; after that a new prefix replaces the one holding the
// least memory and inherits its values as an error bound, so the heavy
// prefixes stay and their counts are overcounts by at most their Err.
type Prefixes struct {
	Sep      []byte
	Depth    int
	Capacity int
	// MaxPrefix caps a prefix's bytes (default 256); a longer one is cut.
	MaxPrefix int

	entries map[string]*PrefixStat
	h       prefixHeap
	evicted int64
}

// NewPrefixes returns an empty aggregation.
func NewPrefixes(sep string, depth, capacity int) *Prefixes {
	if depth <= 0 {
		depth = 1
	}
	if capacity <= 0 {
		capacity = 1 << 16
	}
	return &Prefixes{Sep: []byte(sep), Depth: depth, Capacity: capacity, MaxPrefix: 256, entries: map[string]*PrefixStat{}}
}

// Add counts one key; memory below 0 (unknown) adds nothing to memory.
func (p *Prefixes) Add(name []byte, memory, size int64) {
	memory, size = max(memory, 0), max(size, 0)
	end := 0
	for d := 1; d <= p.Depth; d++ {
		i := -1
		if len(p.Sep) > 0 {
			i = bytes.Index(name[end:], p.Sep)
		}
		if i < 0 {
			if d == 1 {
				p.add("", 0, memory, size)
			}
			return
		}
		end += i + len(p.Sep)
		pre := name[:end]
		if len(pre) > p.MaxPrefix {
			pre = pre[:p.MaxPrefix]
		}
		p.add(string(pre), d, memory, size)
	}
}

func (p *Prefixes) add(prefix string, depth int, memory, size int64) {
	key := prefix
	if depth == 0 {
		key = "\x00none"
	}
	if s, ok := p.entries[key]; ok {
		s.Keys++
		s.Memory += memory
		s.Size += size
		heap.Fix(&p.h, s.index)
		return
	}
	s := &PrefixStat{Prefix: prefix, Depth: depth, Keys: 1, Memory: memory, Size: size}
	if len(p.entries) >= p.Capacity {
		m := p.h[0]
		delete(p.entries, entryKey(m))
		p.evicted++
		*s = PrefixStat{Prefix: prefix, Depth: depth, Keys: m.Keys + 1, Memory: m.Memory + memory, Size: m.Size + size,
			KeysErr: m.Keys, MemoryErr: m.Memory, SizeErr: m.Size, index: 0}
		p.entries[key] = s
		p.h[0] = s
		heap.Fix(&p.h, 0)
		return
	}
	p.entries[key] = s
	heap.Push(&p.h, s)
}

func entryKey(s *PrefixStat) string {
	if s.Depth == 0 {
		return "\x00none"
	}
	return s.Prefix
}

// Exact reports whether no prefix was ever evicted: every stat is exact.
func (p *Prefixes) Exact() bool { return p.evicted == 0 }

// Evicted is how many times a prefix was replaced.
func (p *Prefixes) Evicted() int64 { return p.evicted }

// Top returns the n prefixes holding the most memory (all when n <= 0),
// by depth then memory.
func (p *Prefixes) Top(n int) []PrefixStat {
	out := make([]PrefixStat, 0, len(p.entries))
	for _, s := range p.entries {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Memory != out[j].Memory {
			return out[i].Memory > out[j].Memory
		}
		if out[i].Keys != out[j].Keys {
			return out[i].Keys > out[j].Keys
		}
		return out[i].Prefix < out[j].Prefix
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

type prefixHeap []*PrefixStat

func (h prefixHeap) Len() int { return len(h) }
func (h prefixHeap) Less(i, j int) bool {
	if h[i].Memory != h[j].Memory {
		return h[i].Memory < h[j].Memory
	}
	return h[i].Keys < h[j].Keys
}
func (h prefixHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *prefixHeap) Push(x any) {
	s := x.(*PrefixStat)
	s.index = len(*h)
	*h = append(*h, s)
}
func (h *prefixHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
