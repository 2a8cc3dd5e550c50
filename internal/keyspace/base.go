// Package keyspace answers key-level questions about dumps and data
// directories: which keys the next start of a server loads (an RDB, or an
// AOF set's base with the keyspace effect of its incr files), and which
// keys differ between two of them. It joins rdbinspect's key visitor, which
// walks an RDB once in constant memory, and replay's model of AOF commands,
// which needs facts about the keys the incr files touch.
//
// Nothing here prints; commands render what it returns.
package keyspace

import (
	"encoding/binary"

	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

// Base is an RDB base as the replay model asks about it: the facts of the
// keys the model wants and each database's keys classified by expiry,
// gathered by one visit of the file.
type Base struct {
	want   func(db int, key []byte) bool
	keys   map[string]replay.KeyInfo
	v      *rdbinspect.Visitor
	kbuf   []byte
	counts map[int]rdbinspect.ExpiryCounts
}

// NewBase makes v gather, as Verify walks the file, the facts of every key
// want asks for (members of small collections included) and the counts
// per database for v.At and v.Window. Call v's own Key and Want as before:
// NewBase wraps them.
func NewBase(v *rdbinspect.Visitor, want func(db int, key []byte) bool) *Base {
	b := &Base{want: want, keys: map[string]replay.KeyInfo{}, v: v}
	prevWant, prevKey := v.Want, v.Key
	v.Want = func(db uint64, name []byte, n uint64) bool {
		w := b.wanted(db, name, n)
		if prevWant != nil && prevWant(db, name, n) {
			return true
		}
		return w
	}
	v.Key = func(k *rdbinspect.Key) {
		if b.wanted(k.DB, k.Name, k.NameLen) {
			b.keys[string(b.mapKey(int(k.DB), k.Name))] = keyInfo(k)
		}
		if prevKey != nil {
			prevKey(k)
		}
	}
	return b
}

func (b *Base) wanted(db uint64, name []byte, n uint64) bool {
	return b.want != nil && n == uint64(len(name)) && db < 1<<31 && b.want(int(db), name)
}

func (b *Base) mapKey(db int, key []byte) []byte {
	b.kbuf = binary.BigEndian.AppendUint32(b.kbuf[:0], uint32(db))
	return append(b.kbuf, key...)
}

// keyInfo is what the replay model needs of a visited key.
func keyInfo(k *rdbinspect.Key) replay.KeyInfo {
	info := replay.KeyInfo{Type: replayType(k.Type), Len: k.Elements, ExpireAt: k.ExpireAt}
	if k.MembersKept {
		info.Members = make([]string, len(k.Members))
		for i, m := range k.Members {
			info.Members[i] = string(m)
		}
		if len(k.Scores) == len(k.Members) && info.Type == replay.TypeZSet {
			info.Scores = append([]float64(nil), k.Scores...)
		}
	}
	return info
}

func replayType(t string) replay.Type {
	switch t {
	case "string":
		return replay.TypeString
	case "list":
		return replay.TypeList
	case "set":
		return replay.TypeSet
	case "zset":
		return replay.TypeZSet
	case "hash":
		return replay.TypeHash
	case "stream":
		return replay.TypeStream
	}
	return replay.TypeModule
}

// Len is how many keys the base holds facts of: every key of the file
// when want asked for all and no name was too long to keep.
func (b *Base) Len() int { return len(b.keys) }

// Lookup implements replay.Base.
func (b *Base) Lookup(db int, key []byte) (replay.KeyInfo, bool) {
	k, ok := b.keys[string(b.mapKey(db, key))]
	return k, ok
}

// Count implements replay.Base with the counts the visit took for the
// visitor's At and Window (the model's must be the same).
func (b *Base) Count(db int, at, window int64) replay.DBCount {
	if b.counts == nil {
		b.counts = map[int]rdbinspect.ExpiryCounts{}
		for _, c := range b.v.Counts {
			b.counts[int(c.DB)] = c
		}
	}
	c := b.counts[db]
	return replay.DBCount{Keys: c.Keys, Expired: c.Expired, Expiring: c.Expiring}
}
