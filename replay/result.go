package replay

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Reason says why a count is a range rather than a number.
type reason uint8

const (
	reasonNone reason = iota
	reasonUnknownCommand
	reasonUntracked
	reasonArgsCut
	reasonMembersUnknown
	reasonBaseUnknown
	reasonExpiryWindow
	reasonExpiryUnknown
	reasonGeometry
	reasonLexOrder
	reasonRestore
	reasonSortContents
	nReasons
)

var reasonCodes = [nReasons]string{"", "unknown-command", "untracked-key", "args-cut", "members-unknown",
	"base-unknown", "expiry-window", "expiry-unknown", "geometry", "lex-order", "restore-payload", "sort-contents"}

var reasonTexts = [nReasons]string{"",
	"a command whose effect the model does not know (a module's, a script, DEBUG...): the keys it names, or its whole database, are unknown",
	"more keys than the model tracks one by one: a command on a key it does not track may create the key, or meet one that is already counted",
	"arguments the scanner cut (too long or too many): the keys or members they name are unknown",
	"an effect that depends on members the model does not hold (a large collection, a base without members)",
	"keys the base may hold but says nothing about",
	"keys whose expiry falls within the start window (Options.Window)",
	"keys whose expiry is not known",
	"a GEO search result stored whose members the model cannot tell (ANY, ties at COUNT, a distance at the limit, a source without scores)",
	"a lexicographic range over members with different scores (the server's result depends on its skiplist)",
	"a RESTORE payload the model does not decode (cut by the scanner, or an encoding it does not read)",
	"the contents of a SORT ... STORE result (their order depends on the server's collation and on BY/GET patterns)"}

type reasonStat struct {
	events int64
	file   int
	offset int64
	name   string
}

// note records one event of a reason, keeping the first command as an
// example.
func (m *Model) note(r reason) {
	st := &m.reasons[r]
	if st.events == 0 && m.cur != nil {
		st.file, st.offset = m.cur.File, m.cur.Offset
		if len(m.cur.Args) > 0 {
			st.name = printable(m.cur.Args[0].Data, m.cur.Args[0].Len)
		}
	}
	st.events++
}

// uncertain marks a key as made uncertain by r (or by what made its
// contents unknown).
func (m *Model) uncertain(s *state, r reason) {
	s.why = s.cause(r)
	m.note(s.why)
}

// Result is the dataset a client sees after the load, per database.
type Result struct {
	AtMs     int64 `json:"at_ms"`
	WindowMs int64 `json:"window_ms"`
	// Exact: every database's count is one number.
	Exact bool       `json:"exact"`
	DBs   []DBResult `json:"dbs"`
	Total Count      `json:"total"`
	// Reasons say why counts are ranges, with the first command that
	// caused each.
	Reasons []ReasonStat `json:"reasons"`
	// UnknownCommands are the commands the model does not know, by name.
	UnknownCommands map[string]int64 `json:"unknown_commands"`
	Commands        int64            `json:"commands"`
	TrackedKeys     int              `json:"tracked_keys"`
	UntrackedRefs   int64            `json:"untracked_refs"`
	Lost            Lost             `json:"lost"`
}

// Count is a number of keys, or a range when Min < Max; Max is -1 when
// nothing bounds it.
type Count struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// Exact reports whether the count is one number.
func (c Count) Exact() bool { return c.Min == c.Max }

func (c Count) String() string {
	switch {
	case c.Exact():
		return strconv.FormatInt(c.Min, 10)
	case c.Max < 0:
		return fmt.Sprintf("%d or more", c.Min)
	}
	return fmt.Sprintf("%d to %d", c.Min, c.Max)
}

// DBResult is one database's count.
type DBResult struct {
	DB int `json:"db"`
	Count
}

// ReasonStat is one reason with how many keys it leaves uncertain at the
// end and the first command that caused it.
type ReasonStat struct {
	Code    string `json:"code"`
	Text    string `json:"text"`
	Events  int64  `json:"events"`
	Keys    int64  `json:"keys"`
	File    int    `json:"file"`
	Offset  int64  `json:"offset"`
	Command string `json:"command"`
}

// counts is what one key adds to its database's count at the start:
// (1,1) seen, (0,0) not, (0,1) perhaps.
func (m *Model) counts(s *state) (lo, hi int64) {
	if s.ex == absent {
		return 0, 0
	}
	if !s.expKnown() {
		if s.why == reasonNone {
			s.why = reasonExpiryUnknown
		}
		return 0, 1
	}
	switch expiryClass(s.exp, m.opt.At, m.opt.Window) {
	case gone:
		return 0, 0
	case perhaps:
		if s.why == reasonNone || s.ex == present {
			s.why = reasonExpiryWindow
		}
		return 0, 1
	}
	if s.ex == maybe {
		return 0, 1
	}
	return 1, 1
}

// Result counts the keys a client sees at Options.At. It can be called at
// any point; the model goes on.
func (m *Model) Result() *Result {
	r := &Result{AtMs: m.opt.At, WindowMs: m.opt.Window, Exact: true, DBs: []DBResult{}, Reasons: []ReasonStat{},
		UnknownCommands: map[string]int64{}, Commands: m.commands, TrackedKeys: m.keys.len(), UntrackedRefs: m.untracked, Lost: m.lost}
	for k, v := range m.unknownCmds {
		r.UnknownCommands[k] = v
	}
	if r.Lost.Items == nil {
		r.Lost.Items = []LostCommand{}
	}
	if r.Lost.ByReason == nil {
		r.Lost.ByReason = map[LostReason]int64{}
	}
	byID := make(map[uint32]*Count, len(m.slots))
	for db, id := range m.slots {
		_ = db
		byID[id] = &Count{}
	}
	var keys [nReasons]int64
	expWindow := int64(0)
	m.keys.each(func(k []byte, idx int32) bool {
		c := byID[binary.BigEndian.Uint32(k[:4])]
		s := m.stateAt(idx)
		if c == nil || s.flags&flagMaterialized == 0 {
			return true
		}
		lo, hi := m.counts(s)
		c.Min += lo
		c.Max += hi
		if lo != hi {
			keys[s.why]++
		}
		return true
	})
	for db, id := range m.slots {
		c := byID[id]
		g := m.gens[id]
		untrackedLo := g.lo
		if !m.ttlSet {
			untrackedLo = g.loNoTTL
		}
		if g.origin >= 0 && m.base != nil {
			bc := m.base.Count(g.origin, m.opt.At, m.opt.Window)
			if bc.Expired+bc.Expiring > 0 {
				untrackedLo = g.lo
			}
			aliveU := bc.Keys - bc.Expired - bc.Expiring - g.consumed[alive]
			perhapsU := bc.Expiring - g.consumed[perhaps]
			c.Min += aliveU - g.consumedUnknown
			c.Max += aliveU + perhapsU
			expWindow += perhapsU
			keys[reasonBaseUnknown] += g.consumedUnknown
		}
		c.Min += untrackedLo
		c.Max += g.hi
		if c.Min < 0 || g.unbounded {
			c.Min = 0
		}
		if g.unbounded {
			c.Max = -1
		}
		if c.Min != 0 || c.Max != 0 {
			r.DBs = append(r.DBs, DBResult{DB: db, Count: *c})
		}
		r.Total.Min += c.Min
		if c.Max < 0 || r.Total.Max < 0 {
			r.Total.Max = -1
		} else {
			r.Total.Max += c.Max
		}
		if !c.Exact() {
			r.Exact = false
		}
	}
	keys[reasonExpiryWindow] += expWindow
	for i := reason(1); i < nReasons; i++ {
		st := m.reasons[i]
		if st.events == 0 && keys[i] == 0 {
			continue
		}
		r.Reasons = append(r.Reasons, ReasonStat{Code: reasonCodes[i], Text: reasonTexts[i], Events: st.events, Keys: keys[i],
			File: st.file, Offset: st.offset, Command: st.name})
	}
	return r
}

// LostReason says why a command is not loaded.
type LostReason string

const (
	// LostOpenMulti: a transaction without EXEC at the end of a file; the
	// loader never executes it (and cuts it off the last file).
	LostOpenMulti LostReason = "open-multi"
	// LostTornTail: the commands past the cut of a torn last file, and
	// the partial command itself.
	LostTornTail LostReason = "torn-tail"
	// LostRefused: commands of a file the server refuses to load, or that
	// follow a cut it makes in a file that is not the last.
	LostRefused LostReason = "refused"
	// LostAfterDamage: commands past a bad record, read by resyncing.
	LostAfterDamage LostReason = "after-damage"
)

// Lost itemises the commands a start drops.
type Lost struct {
	Commands int64                `json:"commands"`
	ByReason map[LostReason]int64 `json:"by_reason"`
	// Items are the first commands lost (Options.MaxLost).
	Items []LostCommand `json:"items"`
}

// LostCommand is one command the start drops, with the keys it names.
type LostCommand struct {
	File   int        `json:"file"`
	Offset int64      `json:"offset"`
	DB     int        `json:"db"`
	Name   string     `json:"name"`
	Keys   []string   `json:"keys"`
	Why    LostReason `json:"why"`
}

func (l *Lost) add(n int64, items []LostCommand, why LostReason, maxItems int) {
	if n == 0 {
		return
	}
	l.Commands += n
	if l.ByReason == nil {
		l.ByReason = map[LostReason]int64{}
	}
	l.ByReason[why] += n
	for _, it := range items {
		if len(l.Items) >= maxItems {
			break
		}
		it.Why = why
		l.Items = append(l.Items, it)
	}
}

const maxLostKeys = 16

func (m *Model) lostItem(a *argv, db int, why LostReason) LostCommand {
	it := LostCommand{File: a.c.File, Offset: a.c.Offset, DB: db, Why: why, Keys: []string{}}
	if len(a.c.Args) == 0 {
		it.Name = "(partial command)"
		return it
	}
	it.Name = printable(a.c.Args[0].Data, a.c.Args[0].Len)
	m.kp = a.keyPositions(m.kp)
	for _, i := range m.kp {
		if len(it.Keys) == maxLostKeys {
			it.Keys = append(it.Keys, fmt.Sprintf("(%d more)", len(m.kp)-maxLostKeys))
			break
		}
		it.Keys = append(it.Keys, printable(a.c.Args[i].Data, a.c.Args[i].Len))
	}
	return it
}

// printable shows an argument: quoted when it is not plain UTF-8 text,
// with an ellipsis when cut, at most 64 bytes.
func printable(b []byte, full uint64) string {
	cut := uint64(len(b)) < full
	if len(b) > 64 {
		b, cut = b[:64], true
	}
	s := string(b)
	plain := utf8.ValidString(s)
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			plain = false
		}
	}
	if !plain {
		s = strconv.Quote(s)
	}
	if cut {
		s += "…"
	}
	return s
}
