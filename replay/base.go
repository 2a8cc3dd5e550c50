package replay

import "sort"

// Type is a key's type as TYPE names it.
type Type uint8

const (
	TypeNone Type = iota // no key
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
	TypeModule
	TypeUnknown // the key may exist; its type is not known
)

var typeNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream", "module", "unknown"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// NoExpiry is KeyInfo.ExpireAt for a key without a TTL (Redis's -1).
const NoExpiry = -1

// KeyInfo is what a base file holds about one key.
type KeyInfo struct {
	Type Type
	// Len is the number of elements of a collection (entries of a stream)
	// or the bytes of a string; -1 when not known.
	Len int64
	// ExpireAt is the absolute expiry in Unix milliseconds, or NoExpiry.
	ExpireAt int64
	// Members lists every element when the base gives them: the members of
	// a set or sorted set, the fields of a hash, the elements of a list in
	// order. Nil when not given (a large collection); never a part.
	Members []string
	// Scores are the sorted set scores, parallel to Members; nil when not
	// given.
	Scores []float64
}

// DBCount is what a base holds in one database, classified against the
// model's start time: Options.At and Options.Window.
type DBCount struct {
	// Keys the base holds in the database, expired ones included (an AOF
	// base is loaded whole, expired keys too, and they are deleted after
	// the load).
	Keys int64
	// Expired counts those whose expiry is at or before At: gone at the
	// start.
	Expired int64
	// Expiring counts those whose expiry falls in (At, At+Window]: the
	// start may or may not see them.
	Expiring int64
}

// Base answers what the base file of the set (an RDB, or a RESP base
// replayed elsewhere) holds, for the keys the incr files touch
// (Model.Keys) and per database. A nil Base is an empty base.
type Base interface {
	// Lookup returns what the base holds for key in db; false when the
	// base does not hold it. Type TypeUnknown means the base may hold it
	// but says nothing more.
	Lookup(db int, key []byte) (KeyInfo, bool)
	// Count returns the base's keys in db, classified for at and window.
	Count(db int, at, window int64) DBCount
}

// MemBase is a Base held in memory, for tests and for small bases.
type MemBase struct {
	dbs map[int]map[string]KeyInfo
}

// NewMemBase returns an empty MemBase.
func NewMemBase() *MemBase { return &MemBase{dbs: map[int]map[string]KeyInfo{}} }

// Add records a key; Len is taken from Members when it is -1.
func (b *MemBase) Add(db int, key string, info KeyInfo) {
	if b.dbs[db] == nil {
		b.dbs[db] = map[string]KeyInfo{}
	}
	if info.Len < 0 && info.Members != nil {
		info.Len = int64(len(info.Members))
	}
	b.dbs[db][key] = info
}

// Lookup implements Base.
func (b *MemBase) Lookup(db int, key []byte) (KeyInfo, bool) {
	k, ok := b.dbs[db][string(key)]
	return k, ok
}

// Count implements Base.
func (b *MemBase) Count(db int, at, window int64) DBCount {
	var c DBCount
	for _, k := range b.dbs[db] {
		c.Keys++
		switch expiryClass(k.ExpireAt, at, window) {
		case gone:
			c.Expired++
		case perhaps:
			c.Expiring++
		}
	}
	return c
}

// DBs lists the databases holding keys, in order.
func (b *MemBase) DBs() []int {
	var out []int
	for db, m := range b.dbs {
		if len(m) > 0 {
			out = append(out, db)
		}
	}
	sort.Ints(out)
	return out
}

type liveness uint8

const (
	alive liveness = iota
	perhaps
	gone
)

// expiryClass says whether a key with this expiry is seen at the start:
// the server deletes keys whose expiry has passed right after the load.
func expiryClass(exp, at, window int64) liveness {
	switch {
	case exp < 0:
		return alive
	case exp <= at:
		return gone
	case exp <= at+window:
		return perhaps
	}
	return alive
}
