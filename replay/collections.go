package replay

import (
	"math"
	"slices"
	"sort"
	"strings"
)

func initCollections(h, p func(func(*Model, *argv), ...string)) {
	p(cmdPush(true, false), "LPUSH")
	p(cmdPush(false, false), "RPUSH")
	p(cmdPush(true, true), "LPUSHX")
	p(cmdPush(false, true), "RPUSHX")
	h(cmdLInsert, "LINSERT")
	h(cmdLSet, "LSET")
	h(cmdPop(TypeList), "LPOP", "RPOP")
	h(cmdLRem, "LREM")
	h(cmdLTrim, "LTRIM")
	h(cmdLMove, "LMOVE", "RPOPLPUSH", "BLMOVE", "BRPOPLPUSH")
	h(cmdBlockingPop(TypeList), "BLPOP", "BRPOP")
	h(cmdMPop(TypeList), "LMPOP", "BLMPOP")

	p(cmdAdd(TypeSet), "SADD")
	p(cmdRem(TypeSet), "SREM")
	h(cmdSMove, "SMOVE")
	h(cmdSPop, "SPOP")
	h(cmdSetStore, "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")

	p(cmdAdd(TypeHash), "HSET", "HMSET")
	h(cmdHSetNX, "HSETNX")
	p(cmdRem(TypeHash), "HDEL")
	h(cmdHIncr, "HINCRBY", "HINCRBYFLOAT")

	p(cmdZAdd, "ZADD")
	h(cmdZIncrBy, "ZINCRBY")
	p(cmdRem(TypeZSet), "ZREM")
	h(cmdZRemRange, "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX")
	h(cmdPop(TypeZSet), "ZPOPMIN", "ZPOPMAX")
	h(cmdBlockingPop(TypeZSet), "BZPOPMIN", "BZPOPMAX")
	h(cmdMPop(TypeZSet), "ZMPOP", "BZMPOP")
	h(cmdZStore, "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
	h(cmdZRangeStore, "ZRANGESTORE")
	p(cmdGeoAdd, "GEOADD")
	h(cmdGeoStore, "GEORADIUS", "GEORADIUSBYMEMBER", "GEOSEARCHSTORE")

	p(cmdXAdd, "XADD")
	h(cmdXGroupCreate, "XGROUP|CREATE")
}

// Contents kept: members are added through these so the budget holds.

func (m *Model) forget(s *state) { s.mem = nil }

// newMembers gives an absent or fresh key exact contents, if they fit.
func (m *Model) newMembers(s *state) *members {
	s.mem = &members{}
	if s.typ == TypeList {
		s.mem.list = []string{}
	} else {
		s.mem.set = map[string]float64{}
	}
	return s.mem
}

// settleMembers keeps lo/hi in step with exact contents, and drops them
// when they outgrow the caps.
func (m *Model) settleMembers(s *state, added int64) {
	if s.mem == nil {
		return
	}
	n := int64(s.mem.len())
	s.lo, s.hi = n, n
	if n == 0 {
		s.setAbsent()
		return
	}
	if n > int64(m.opt.MaxMembers) || !m.fits(added) {
		s.mem = nil
		return
	}
	m.memberBytes += added
}

// collection checks key s is usable as type t: false when it holds
// another type (the command fails).
func collection(s *state, t Type) bool { return typeOK(s, t) }

// Lists.

func cmdPush(head, onlyIfExists bool) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		s := m.k(a, 1)
		if !collection(s, TypeList) {
			return
		}
		if onlyIfExists {
			if s.ex == absent {
				return
			}
			assumeExists(s)
		}
		n := a.c.Argc - 2
		exact := a.complete()
		for i := 2; i < a.n() && exact; i++ {
			exact = !a.cut(i)
		}
		if s.ex == absent && exact {
			s.setNew(TypeList, 0)
			m.newMembers(s)
		}
		if s.mem == nil || !exact {
			m.forget(s)
			s.grow(TypeList, n, n)
			return
		}
		var added int64
		for i := 2; i < a.n(); i++ {
			e := string(a.b(i))
			if head {
				s.mem.list = slices.Insert(s.mem.list, 0, e)
			} else {
				s.mem.list = append(s.mem.list, e)
			}
			added += int64(len(e)) + 16
		}
		m.settleMembers(s, added)
	}
}

func cmdLInsert(m *Model, a *argv) {
	after := a.is(2, "AFTER")
	if !after && !a.is(2, "BEFORE") {
		return
	}
	s := m.k(a, 1)
	if s.ex == absent || !collection(s, TypeList) {
		return
	}
	assumeExists(s)
	if s.mem == nil || a.cut(3) || a.cut(4) {
		m.forget(s)
		s.grow(TypeList, 1, 1)
		return
	}
	i := slices.Index(s.mem.list, string(a.b(3)))
	if i < 0 {
		return
	}
	if after {
		i++
	}
	e := string(a.b(4))
	s.mem.list = slices.Insert(s.mem.list, i, e)
	m.settleMembers(s, int64(len(e))+16)
}

func cmdLSet(m *Model, a *argv) {
	idx, ok := a.int(2)
	s := m.k(a, 1)
	if !ok || s.ex == absent || !collection(s, TypeList) {
		return
	}
	assumeExists(s)
	if s.mem == nil {
		return
	}
	n := int64(len(s.mem.list))
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		return
	}
	if a.cut(3) {
		m.forget(s)
		return
	}
	s.mem.list[idx] = string(a.b(3))
}

// popN removes n elements (from the head, or the tail) of a collection
// known to exist: exactly with contents, else by count.
func (m *Model) popN(s *state, n int64, head bool) {
	if s.mem != nil {
		switch {
		case s.typ == TypeList:
			k := min(n, int64(len(s.mem.list)))
			if head {
				s.mem.list = s.mem.list[k:]
			} else {
				s.mem.list = s.mem.list[:int64(len(s.mem.list))-k]
			}
			m.settleMembers(s, 0)
			return
		case s.typ == TypeZSet && s.flags&flagScoresUnknown == 0:
			order := zsetOrder(s.mem.set)
			k := min(n, int64(len(order)))
			drop := order[:k]
			if !head {
				drop = order[int64(len(order))-k:]
			}
			for _, e := range drop {
				delete(s.mem.set, e)
			}
			m.settleMembers(s, 0)
			return
		}
	}
	// The count left is known; which elements left is not.
	m.forget(s)
	lo, hi := max(s.lo-n, 0), max(s.hi-n, 0)
	if hi == 0 {
		s.setAbsent()
		return
	}
	if lo == 0 {
		s.ex, s.lo, s.hi = maybe, 1, hi
		m.uncertain(s, reasonMembersUnknown)
		return
	}
	s.lo, s.hi = lo, hi
}

// cmdPop is [LR]POP and ZPOP{MIN,MAX} with an optional count.
func cmdPop(t Type) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		n := int64(1)
		if a.n() > 3 {
			return
		}
		if a.n() == 3 {
			v, ok := a.int(2)
			if !ok || v < 0 {
				return
			}
			n = v
		}
		if n == 0 {
			return
		}
		s := m.k(a, 1)
		if s.ex == absent || !collection(s, t) {
			return
		}
		assumeExists(s)
		m.popN(s, n, a.name == "LPOP" || a.name == "ZPOPMIN")
	}
}

func cmdLRem(m *Model, a *argv) {
	count, ok := a.int(2)
	if !ok {
		return
	}
	s := m.k(a, 1)
	if s.ex == absent || !collection(s, TypeList) {
		return
	}
	assumeExists(s)
	if s.mem != nil && !a.cut(3) {
		e := string(a.b(3))
		l := s.mem.list
		out := l[:0:0]
		removed := int64(0)
		limit := count
		if limit < 0 {
			limit = -limit
		}
		if count >= 0 {
			for _, x := range l {
				if x == e && (limit == 0 || removed < limit) {
					removed++
					continue
				}
				out = append(out, x)
			}
		} else {
			keep := make([]bool, len(l))
			for i := len(l) - 1; i >= 0; i-- {
				if l[i] == e && removed < limit {
					removed++
					continue
				}
				keep[i] = true
			}
			for i, x := range l {
				if keep[i] {
					out = append(out, x)
				}
			}
		}
		s.mem.list = out
		m.settleMembers(s, 0)
		return
	}
	limit := s.hi
	if count != 0 {
		limit = min(abs(count), s.hi)
	}
	s.shrink(1, limit, reasonMembersUnknown)
	if s.ex == maybe {
		m.note(s.why)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		if v == math.MinInt64 {
			return math.MaxInt64
		}
		return -v
	}
	return v
}

// ltrimLen is what LTRIM leaves of a list of n elements (ltrimCommand).
func ltrimRange(start, end, n int64) (from, to int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		return 0, 0
	}
	if end >= n {
		end = n - 1
	}
	return start, end + 1
}

func cmdLTrim(m *Model, a *argv) {
	start, ok1 := a.int(2)
	end, ok2 := a.int(3)
	if !ok1 || !ok2 {
		return
	}
	s := m.k(a, 1)
	if s.ex == absent || !collection(s, TypeList) {
		return
	}
	assumeExists(s)
	if s.mem != nil {
		from, to := ltrimRange(start, end, int64(len(s.mem.list)))
		s.mem.list = s.mem.list[from:to]
		m.settleMembers(s, 0)
		return
	}
	lo, hi := s.lo, s.hi
	var nlo, nhi int64
	if hi-lo <= 4096 {
		nlo, nhi = many, 0
		for n := lo; n <= hi; n++ {
			f, t := ltrimRange(start, end, n)
			nlo, nhi = min(nlo, t-f), max(nhi, t-f)
		}
	} else {
		nlo, nhi = 0, hi
	}
	m.setCard(s, nlo, nhi, reasonMembersUnknown)
}

// setCard sets an existing collection's cardinality range, deleting it
// when it is empty and making it uncertain when it may be.
func (m *Model) setCard(s *state, lo, hi int64, why reason) {
	m.forget(s)
	switch {
	case hi <= 0:
		s.setAbsent()
	case lo <= 0:
		s.ex, s.lo, s.hi = maybe, 1, hi
		m.uncertain(s, why)
	default:
		s.lo, s.hi = lo, hi
	}
}

func cmdLMove(m *Model, a *argv) {
	fromHead, toHead := false, true
	dstIdx := 2
	switch a.name {
	case "LMOVE", "BLMOVE":
		var ok1, ok2 bool
		fromHead, ok1 = side(a, 3)
		toHead, ok2 = side(a, 4)
		if !ok1 || !ok2 {
			return
		}
	}
	src := m.k(a, 1)
	if src.ex == absent || !collection(src, TypeList) {
		return
	}
	dst := m.k(a, dstIdx)
	if !collection(dst, TypeList) {
		return
	}
	assumeExists(src)
	var elem string
	known := src.mem != nil
	if known {
		if fromHead {
			elem = src.mem.list[0]
		} else {
			elem = src.mem.list[len(src.mem.list)-1]
		}
	}
	m.popN(src, 1, fromHead)
	if dst.ex == absent && known {
		dst.setNew(TypeList, 0)
		m.newMembers(dst)
	}
	if dst.mem == nil || !known {
		m.forget(dst)
		dst.grow(TypeList, 1, 1)
		return
	}
	if toHead {
		dst.mem.list = slices.Insert(dst.mem.list, 0, elem)
	} else {
		dst.mem.list = append(dst.mem.list, elem)
	}
	m.settleMembers(dst, int64(len(elem))+16)
}

func side(a *argv, i int) (head, ok bool) {
	switch {
	case a.is(i, "LEFT"):
		return true, true
	case a.is(i, "RIGHT"):
		return false, true
	}
	return false, false
}

// popFirst pops n elements from the first non-empty key among the
// arguments [from, to): the blocking pops and [LZ]MPOP, which the loader
// runs without blocking. A key that may or may not exist leaves it open
// which key was popped.
func (m *Model) popFirst(a *argv, t Type, from, to int, n int64, head bool) {
	for i := from; i < to; i++ {
		s := m.k(a, i)
		if s.ex == absent {
			continue
		}
		if !collection(s, t) {
			return
		}
		if s.ex == present {
			m.popN(s, n, head)
			return
		}
		// Popped from this key, or from a later one.
		for j := i; j < to; j++ {
			s := m.k(a, j)
			if s.ex == absent || !collection(s, t) {
				continue
			}
			before := *s
			before.mem = s.mem.clone()
			m.popN(s, n, head)
			s.merge(&before, reasonMembersUnknown)
			m.note(s.why)
			if before.ex == present {
				return
			}
		}
		return
	}
}

func cmdBlockingPop(t Type) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		head := a.name == "BLPOP" || a.name == "BZPOPMIN"
		m.popFirst(a, t, 1, a.n()-1, 1, head)
	}
}

// cmdMPop is LMPOP, BLMPOP, ZMPOP and BZMPOP: numkeys keys, a side, COUNT.
func cmdMPop(t Type) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		first := 1
		if a.name[0] == 'B' {
			first = 2
		}
		nk, ok := a.int(first)
		if !ok || nk <= 0 || int64(first)+nk+1 >= int64(a.n()) {
			return
		}
		keysEnd := first + 1 + int(nk)
		var head bool
		if t == TypeList {
			if head, ok = side(a, keysEnd); !ok {
				return
			}
		} else {
			switch {
			case a.is(keysEnd, "MIN"):
				head = true
			case a.is(keysEnd, "MAX"):
			default:
				return
			}
		}
		count := int64(1)
		for j := keysEnd + 1; j < a.n(); j++ {
			if !a.is(j, "COUNT") || j+1 >= a.n() {
				return
			}
			v, ok := a.int(j + 1)
			if !ok || v <= 0 {
				return
			}
			count = v
			j++
		}
		m.popFirst(a, t, first+1, keysEnd, count, head)
	}
}

// Sets, hashes, and sorted sets share the keyed-collection operations.

// elems returns the distinct element arguments (every step-th from
// first) and whether each of them was kept whole.
func elems(a *argv, first, step int) (out []string, whole bool) {
	whole = a.complete()
	var seen map[string]bool
	for i := first; i < a.n(); i += step {
		if a.cut(i) {
			whole = false
			continue
		}
		e := a.b(i)
		if seen == nil && len(out) < 16 {
			if !slices.Contains(out, string(e)) {
				out = append(out, string(e))
			}
			continue
		}
		if seen == nil {
			seen = make(map[string]bool, len(out))
			for _, x := range out {
				seen[x] = true
			}
		}
		if !seen[string(e)] {
			seen[string(e)] = true
			out = append(out, string(e))
		}
	}
	return out, whole
}

// cmdAdd is SADD and HSET/HMSET: SADD is written only when it added a
// member; HSET always is.
func cmdAdd(t Type) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		first, step := 2, 1
		if t == TypeHash {
			step = 2
			if (a.c.Argc-2)%2 != 0 || a.c.Argc < 4 {
				return
			}
		}
		s := m.k(a, 1)
		if !collection(s, t) {
			return
		}
		es, whole := elems(a, first, step)
		total := (a.c.Argc - int64(first) + int64(step) - 1) / int64(step)
		if s.ex == absent && whole {
			s.setNew(t, 0)
			m.newMembers(s)
		}
		if s.mem != nil && whole {
			var added int64
			for _, e := range es {
				if _, ok := s.mem.set[e]; !ok {
					s.mem.set[e] = 0
					added += int64(len(e)) + memberOverhead
				}
			}
			m.settleMembers(s, added)
			return
		}
		m.forget(s)
		dlo := int64(0)
		if t == TypeSet {
			dlo = 1 // SADD is written only when it added a member
		}
		if s.ex == absent {
			dlo = max(dlo, int64(len(es)))
		}
		s.grow(t, dlo, total)
	}
}

// cmdRem is SREM, HDEL and ZREM: written only when they removed something.
func cmdRem(t Type) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		s := m.k(a, 1)
		if s.ex == absent || !collection(s, t) {
			return
		}
		assumeExists(s)
		es, whole := elems(a, 2, 1)
		if s.mem != nil && whole {
			for _, e := range es {
				delete(s.mem.set, e)
			}
			m.settleMembers(s, 0)
			return
		}
		total := a.c.Argc - 2
		if s.mem != nil {
			// The members kept whole are known; the cut ones are not.
			removed := int64(0)
			for _, e := range es {
				if _, ok := s.mem.set[e]; ok {
					removed++
				}
			}
			n := int64(s.mem.len())
			m.forget(s)
			s.lo, s.hi = n, n
			m.setCard(s, n-removed-(total-int64(len(es))), n-max(removed, 1), reasonArgsCut)
			return
		}
		s.shrink(1, min(total, s.hi), reasonMembersUnknown)
		if s.ex == maybe {
			m.note(s.why)
		}
	}
}

func cmdSMove(m *Model, a *argv) {
	src := m.k(a, 1)
	if src.ex == absent || !collection(src, TypeSet) {
		return
	}
	dst := m.k(a, 2)
	if !collection(dst, TypeSet) || sameKey(a, 1, 2) {
		return
	}
	assumeExists(src)
	e, whole := "", !a.cut(3)
	if whole {
		e = string(a.b(3))
	}
	if src.mem != nil && whole {
		if _, ok := src.mem.set[e]; !ok {
			return
		}
		delete(src.mem.set, e)
		m.settleMembers(src, 0)
	} else {
		m.forget(src)
		src.shrink(1, 1, reasonMembersUnknown)
	}
	if dst.ex == absent && whole {
		dst.setNew(TypeSet, 0)
		m.newMembers(dst)
	}
	if dst.mem != nil && whole {
		added := int64(0)
		if _, ok := dst.mem.set[e]; !ok {
			dst.mem.set[e] = 0
			added = int64(len(e)) + memberOverhead
		}
		m.settleMembers(dst, added)
		return
	}
	m.forget(dst)
	dst.grow(TypeSet, 0, 1)
}

// cmdSPop: the members popped are random, so only the count is known
// after (7.0 writes SPOP as SREM or DEL; this is an older file's form).
func cmdSPop(m *Model, a *argv) {
	n := int64(1)
	if a.n() == 3 {
		v, ok := a.int(2)
		if !ok || v < 0 {
			return
		}
		n = v
	} else if a.n() > 3 {
		return
	}
	s := m.k(a, 1)
	if n == 0 || s.ex == absent || !collection(s, TypeSet) {
		return
	}
	assumeExists(s)
	m.forget(s)
	m.popN(s, n, true)
}

// setSources reads the source keys of a set (or sorted set) operation:
// their exact members when every source has them.
type source struct {
	st    *state
	exact bool
}

func (m *Model) sources(a *argv, from, to int, zsetOK bool) ([]source, bool) {
	out := make([]source, 0, to-from)
	for i := from; i < to; i++ {
		s := m.k(a, i)
		if s.ex != absent && s.typ != TypeSet && !(zsetOK && s.typ == TypeZSet) {
			if s.typ != TypeUnknown {
				return nil, false
			}
		}
		out = append(out, source{st: s, exact: s.ex == absent || s.ex == present && s.mem != nil})
	}
	return out, true
}

// combine computes a set operation's result: exactly when every source's
// members are known (with scores for sorted sets), else as a cardinality
// range.
func (m *Model) combine(op string, srcs []source, weights []float64, agg string) (res map[string]float64, scoresKnown bool, lo, hi int64, exact bool) {
	exact = true
	scoresKnown = true
	for _, s := range srcs {
		exact = exact && s.exact
		if s.st.typ == TypeZSet && s.st.flags&flagScoresUnknown != 0 {
			scoresKnown = false
		}
	}
	if exact {
		res = map[string]float64{}
		score := func(i int, s *state, e string) float64 {
			v := 1.0
			if s.typ == TypeZSet {
				v = s.mem.set[e]
			}
			w := 1.0
			if weights != nil {
				w = weights[i]
			}
			r := v * w
			if math.IsNaN(r) {
				r = 0
			}
			return r
		}
		aggregate := func(acc, v float64) float64 {
			switch agg {
			case "MIN":
				return math.Min(acc, v)
			case "MAX":
				return math.Max(acc, v)
			}
			r := acc + v
			if math.IsNaN(r) {
				r = 0
			}
			return r
		}
		switch op {
		case "UNION":
			for i, s := range srcs {
				if s.st.ex == absent {
					continue
				}
				for e := range s.st.mem.set {
					v := score(i, s.st, e)
					if cur, ok := res[e]; ok {
						res[e] = aggregate(cur, v)
					} else {
						res[e] = v
					}
				}
			}
		case "INTER":
			for _, s := range srcs {
				if s.st.ex == absent {
					return res, scoresKnown, 0, 0, true
				}
			}
			for e := range srcs[0].st.mem.set {
				v := score(0, srcs[0].st, e)
				in := true
				for i, s := range srcs[1:] {
					if _, ok := s.st.mem.set[e]; !ok {
						in = false
						break
					}
					v = aggregate(v, score(i+1, s.st, e))
				}
				if in {
					res[e] = v
				}
			}
		case "DIFF":
			if srcs[0].st.ex != absent {
				for e := range srcs[0].st.mem.set {
					in := false
					for _, s := range srcs[1:] {
						if s.st.ex != absent {
							if _, ok := s.st.mem.set[e]; ok {
								in = true
								break
							}
						}
					}
					if !in {
						res[e] = score(0, srcs[0].st, e)
					}
				}
			}
		}
		n := int64(len(res))
		return res, scoresKnown, n, n, true
	}
	switch op {
	case "UNION":
		for _, s := range srcs {
			l, h := s.st.card()
			lo, hi = max(lo, l), min(hi+h, many)
		}
	case "INTER":
		hi = many
		for _, s := range srcs {
			l, h := s.st.card()
			_ = l
			hi = min(hi, h)
		}
	case "DIFF":
		l, h := srcs[0].st.card()
		others := int64(0)
		for _, s := range srcs[1:] {
			_, oh := s.st.card()
			others = min(others+oh, many)
		}
		lo, hi = max(l-others, 0), h
	}
	return nil, false, lo, hi, false
}

// sourcesCause is why a set operation's result is uncertain: what made a
// source's contents unknown, when one says.
func sourcesCause(srcs []source) reason {
	for _, s := range srcs {
		if c := s.st.cause(reasonMembersUnknown); c != reasonMembersUnknown {
			return c
		}
	}
	return reasonMembersUnknown
}

// storeMembers makes dst the result of a set operation.
func (m *Model) storeMembers(dst *state, t Type, res map[string]float64, scoresKnown bool, lo, hi int64, exact bool, why reason) {
	if !exact {
		m.forget(dst)
		m.store(dst, t, lo, hi, why)
		return
	}
	if len(res) == 0 {
		dst.setAbsent()
		return
	}
	dst.setNew(t, int64(len(res)))
	if !scoresKnown {
		dst.flags |= flagScoresUnknown
	}
	if t == TypeZSet && !fitsListpack(res) {
		dst.flags |= flagSkiplist
	}
	var size int64
	for e := range res {
		size += int64(len(e)) + memberOverhead
	}
	if len(res) <= m.opt.MaxMembers && m.fits(size) {
		dst.mem = &members{set: res}
		m.memberBytes += size
	}
}

func cmdSetStore(m *Model, a *argv) {
	op := strings.TrimSuffix(strings.TrimPrefix(a.name, "S"), "STORE")
	srcs, ok := m.sources(a, 2, a.n(), false)
	if !ok {
		return
	}
	res, _, lo, hi, exact := m.combine(op, srcs, nil, "")
	m.storeMembers(m.k(a, 1), TypeSet, res, true, lo, hi, exact, sourcesCause(srcs))
}

// Hashes.

func cmdHSetNX(m *Model, a *argv) {
	s := m.k(a, 1)
	if !collection(s, TypeHash) {
		return
	}
	m.addOne(s, TypeHash, a, 2, 0, true, true)
}

// addOne adds the element at argument i with a score, to a key that may
// not exist. written says the command is written only when it added the
// element.
func (m *Model) addOne(s *state, t Type, a *argv, i int, score float64, scoreKnown, written bool) {
	whole := !a.cut(i)
	if s.ex == absent && whole {
		s.setNew(t, 0)
		m.newMembers(s)
		if !scoreKnown {
			s.flags |= flagScoresUnknown
		}
	}
	if s.mem != nil && whole {
		e := string(a.b(i))
		added := int64(0)
		if _, ok := s.mem.set[e]; !ok {
			added = int64(len(e)) + memberOverhead
			s.mem.set[e] = score
			if !scoreKnown {
				s.flags |= flagScoresUnknown
			}
		} else if written {
			return
		}
		m.settleMembers(s, added)
		return
	}
	m.forget(s)
	dlo := int64(0)
	if written {
		dlo = 1
	}
	s.grow(t, dlo, 1)
}

func cmdHIncr(m *Model, a *argv) {
	if a.name == "HINCRBY" {
		if _, ok := a.int(3); !ok {
			return
		}
	} else if v, ok := a.float(3); !ok || math.IsInf(v, 0) {
		return
	}
	s := m.k(a, 1)
	if !collection(s, TypeHash) {
		return
	}
	m.addOne(s, TypeHash, a, 2, 0, true, false)
}

// Sorted sets.

// The defaults of zset-max-listpack-entries and -value: a sorted set
// within both is kept in a listpack, where lex ranges are walked in score
// order; beyond them it becomes a skiplist (for good, unless a STORE or a
// load rebuilds it), where a lex range over different scores has no
// defined result.
const (
	zsetListpackEntries = 128
	zsetListpackValue   = 64
)

func fitsListpack(set map[string]float64) bool {
	if len(set) > zsetListpackEntries {
		return false
	}
	for e := range set {
		if len(e) > zsetListpackValue {
			return false
		}
	}
	return true
}

// lexListpack is a lex range over a listpack sorted set in score order
// (zzlFirstInLexRange, zzlLastInLexRange): from the first element (last,
// when rev) within the range, offset skipped, then elements while they
// stay on the range's far side; limit < 0 for all.
func lexListpack(order []string, r zrange, rev bool, offset, limit int64) []string {
	// zzlIsInLexRange: the range is not empty, the last element is not
	// below it, the first not above it.
	if c := lexBoundCmp(r); c > 0 || c == 0 && (r.minex || r.maxex) {
		return nil
	}
	if len(order) == 0 || !lexGteMin(r, order[len(order)-1]) || !lexLteMax(r, order[0]) {
		return nil
	}
	var start int
	if !rev {
		start = -1
		for i, e := range order {
			if lexGteMin(r, e) {
				if lexLteMax(r, e) {
					start = i
				}
				break
			}
		}
	} else {
		start = -1
		for i := len(order) - 1; i >= 0; i-- {
			if lexLteMax(r, order[i]) {
				if lexGteMin(r, order[i]) {
					start = i
				}
				break
			}
		}
	}
	if start < 0 || offset < 0 {
		return nil
	}
	var out []string
	step := 1
	if rev {
		step = -1
	}
	i := start + step*int(min(offset, int64(len(order))))
	for ; i >= 0 && i < len(order) && limit != 0; i += step {
		if !rev && !lexLteMax(r, order[i]) || rev && !lexGteMin(r, order[i]) {
			break
		}
		out = append(out, order[i])
		limit--
	}
	return out
}

// lexBoundCmp compares a lex range's bounds as sdscmplex does ("-" below
// everything, "+" above).
func lexBoundCmp(r zrange) int {
	switch {
	case r.lminInf != 0 && r.lminInf == r.lmaxInf:
		return 0
	case r.lminInf == -1 || r.lmaxInf == 1:
		return -1
	case r.lminInf == 1 || r.lmaxInf == -1:
		return 1
	}
	return strings.Compare(r.lmin, r.lmax)
}

func lexGteMin(r zrange, e string) bool {
	return r.lminInf == -1 || r.lminInf == 0 && (e > r.lmin || !r.minex && e == r.lmin)
}

func lexLteMax(r zrange, e string) bool {
	return r.lmaxInf == 1 || r.lmaxInf == 0 && (e < r.lmax || !r.maxex && e == r.lmax)
}

// zsetOrder lists members by score, then member: the server's order.
func zsetOrder(set map[string]float64) []string {
	out := make([]string, 0, len(set))
	for e := range set {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := set[out[i]], set[out[j]]
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

const (
	zNX = 1 << iota
	zXX
	zGT
	zLT
	zIncr
)

func cmdZAdd(m *Model, a *argv) {
	flags := 0
	j := 2
	for ; j < a.n(); j++ {
		switch {
		case a.is(j, "NX"):
			flags |= zNX
		case a.is(j, "XX"):
			flags |= zXX
		case a.is(j, "CH"):
		case a.is(j, "INCR"):
			flags |= zIncr
		case a.is(j, "GT"):
			flags |= zGT
		case a.is(j, "LT"):
			flags |= zLT
		default:
			goto parsed
		}
	}
parsed:
	elements := a.c.Argc - int64(j)
	if elements%2 != 0 || elements == 0 || flags&zNX != 0 && flags&(zXX|zGT|zLT) != 0 || flags&zGT != 0 && flags&zLT != 0 ||
		flags&zIncr != 0 && elements > 2 {
		return
	}
	m.zadd(a, j, flags)
}

func cmdZIncrBy(m *Model, a *argv) {
	// ZINCRBY key increment member is ZADD key INCR increment member.
	m.zadd(a, 2, zIncr)
}

// zadd adds score-member pairs from argument j (zsetAdd).
func (m *Model) zadd(a *argv, j, flags int) {
	type pair struct {
		score float64
		ok    bool
		e     string
		whole bool
	}
	var pairs []pair
	for i := j; i+1 < a.n(); i += 2 {
		sc, ok := a.float(i)
		if !ok && !a.cut(i) {
			return // the whole command fails on a bad score
		}
		pairs = append(pairs, pair{score: sc, ok: ok, e: string(a.b(i + 1)), whole: !a.cut(i + 1)})
	}
	s := m.k(a, 1)
	if !collection(s, TypeZSet) {
		return
	}
	if s.ex == absent && flags&zXX != 0 {
		return
	}
	whole := a.complete()
	for _, p := range pairs {
		whole = whole && p.ok && p.whole
	}
	if s.ex == absent && whole {
		s.setNew(TypeZSet, 0)
		m.newMembers(s)
	}
	if s.mem != nil && whole {
		var added int64
		for _, p := range pairs {
			cur, exists := s.mem.set[p.e]
			score := p.score
			if exists {
				if flags&zNX != 0 {
					continue
				}
				if flags&zIncr != 0 {
					if s.flags&flagScoresUnknown != 0 {
						continue // the score stays unknown
					}
					score += cur
					if math.IsNaN(score) {
						break
					}
				}
				if s.flags&flagScoresUnknown == 0 && (flags&zLT != 0 && score >= cur || flags&zGT != 0 && score <= cur) {
					continue
				}
				s.mem.set[p.e] = score
				continue
			}
			if flags&zXX != 0 {
				continue
			}
			s.mem.set[p.e] = score
			added += int64(len(p.e)) + memberOverhead
			if len(p.e) > zsetListpackValue {
				s.flags |= flagSkiplist
			}
		}
		if len(s.mem.set) > zsetListpackEntries {
			s.flags |= flagSkiplist
		}
		m.settleMembers(s, added)
		return
	}
	m.forget(s)
	n := a.c.Argc - int64(j)
	n /= 2
	if flags&zXX != 0 {
		return // only updates: the cardinality stays
	}
	distinct := map[string]bool{}
	for _, p := range pairs {
		if p.whole {
			distinct[p.e] = true
		}
	}
	dlo := int64(0)
	if s.ex == absent {
		dlo = int64(len(distinct))
	}
	s.grow(TypeZSet, dlo, n)
	s.flags |= flagScoresUnknown
}

// zrange is a parsed score or lex range bound pair (zslParseRange,
// zslParseLexRange).
type zrange struct {
	lex              bool
	min, max         float64
	minex, maxex     bool
	lmin, lmax       string
	lminInf, lmaxInf int // -1 for "-", +1 for "+"
}

func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := false
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	v, ok := parseScore(b)
	if !ok {
		return 0, false, false
	}
	return v, ex, true
}

func parseLexBound(b []byte) (s string, ex bool, inf int, ok bool) {
	if len(b) == 0 {
		return "", false, 0, false
	}
	switch b[0] {
	case '+':
		return "", false, 1, len(b) == 1
	case '-':
		return "", false, -1, len(b) == 1
	case '(':
		return string(b[1:]), true, 0, true
	case '[':
		return string(b[1:]), false, 0, true
	}
	return "", false, 0, false
}

func (a *argv) zrange(i int, lex bool) (zrange, bool) {
	if a.cut(i) || a.cut(i+1) {
		return zrange{}, false
	}
	r := zrange{lex: lex}
	var ok1, ok2 bool
	if lex {
		r.lmin, r.minex, r.lminInf, ok1 = parseLexBound(a.b(i))
		r.lmax, r.maxex, r.lmaxInf, ok2 = parseLexBound(a.b(i + 1))
	} else {
		r.min, r.minex, ok1 = parseScoreBound(a.b(i))
		r.max, r.maxex, ok2 = parseScoreBound(a.b(i + 1))
	}
	return r, ok1 && ok2
}

func (r zrange) contains(e string, score float64) bool {
	if r.lex {
		geMin := r.lminInf == -1 || r.lminInf == 0 && (e > r.lmin || !r.minex && e == r.lmin)
		leMax := r.lmaxInf == 1 || r.lmaxInf == 0 && (e < r.lmax || !r.maxex && e == r.lmax)
		return geMin && leMax
	}
	geMin := score > r.min || !r.minex && score == r.min
	leMax := score < r.max || !r.maxex && score == r.max
	return geMin && leMax
}

// lexable: a lex range has a defined result only when every score is the
// same (the server walks its skiplist assuming so).
func lexable(set map[string]float64) bool {
	first, seen := 0.0, false
	for _, v := range set {
		if seen && v != first {
			return false
		}
		first, seen = v, true
	}
	return true
}

func cmdZRemRange(m *Model, a *argv) {
	s := m.k(a, 1)
	var r zrange
	rank := a.name == "ZREMRANGEBYRANK"
	var start, end int64
	if rank {
		var ok1, ok2 bool
		start, ok1 = a.int(2)
		end, ok2 = a.int(3)
		if !ok1 || !ok2 {
			return
		}
	} else {
		var ok bool
		if r, ok = a.zrange(2, a.name == "ZREMRANGEBYLEX"); !ok {
			return
		}
	}
	if s.ex == absent || !collection(s, TypeZSet) {
		return
	}
	assumeExists(s)
	scores := s.mem != nil && s.flags&flagScoresUnknown == 0
	switch {
	case rank && scores:
		order := zsetOrder(s.mem.set)
		from, to := ltrimRange(start, end, int64(len(order)))
		for _, e := range order[from:to] {
			delete(s.mem.set, e)
		}
		m.settleMembers(s, 0)
	case rank:
		lo, hi := s.lo, s.hi
		f := func(n int64) int64 { a, b := ltrimRange(start, end, n); return n - (b - a) }
		if hi-lo <= 4096 {
			nlo, nhi := many, int64(0)
			for n := lo; n <= hi; n++ {
				nlo, nhi = min(nlo, f(n)), max(nhi, f(n))
			}
			m.setCard(s, nlo, nhi, reasonMembersUnknown)
		} else {
			m.setCard(s, 0, hi-1, reasonMembersUnknown)
		}
	case scores && (!r.lex || lexable(s.mem.set)):
		for e, v := range s.mem.set {
			if r.contains(e, v) {
				delete(s.mem.set, e)
			}
		}
		m.settleMembers(s, 0)
	case scores && s.flags&flagSkiplist == 0:
		// zzlDeleteRangeByLex
		for _, e := range lexListpack(zsetOrder(s.mem.set), r, false, 0, -1) {
			delete(s.mem.set, e)
		}
		m.settleMembers(s, 0)
	default:
		why := reasonMembersUnknown
		if scores {
			why = reasonLexOrder
		}
		m.forget(s)
		s.shrink(1, s.hi, why)
		if s.ex == maybe {
			m.note(s.why)
		}
	}
}

func cmdZStore(m *Model, a *argv) {
	nk, ok := a.int(2)
	if !ok || nk < 1 || 3+nk > int64(a.n()) {
		return
	}
	end := 3 + int(nk)
	var weights []float64
	agg := "SUM"
	diff := a.name == "ZDIFFSTORE"
	for j := end; j < a.n(); j++ {
		switch {
		case !diff && a.is(j, "WEIGHTS") && j+int(nk) < a.n():
			weights = make([]float64, nk)
			for w := range weights {
				v, ok := a.float(j + 1 + w)
				if !ok {
					return
				}
				weights[w] = v
			}
			j += int(nk)
		case !diff && a.is(j, "AGGREGATE") && j+1 < a.n():
			switch {
			case a.is(j+1, "SUM"), a.is(j+1, "MIN"), a.is(j+1, "MAX"):
				agg = strings.ToUpper(string(a.b(j + 1)))
			default:
				return
			}
			j++
		default:
			return
		}
	}
	srcs, ok := m.sources(a, 3, end, true)
	if !ok {
		return
	}
	op := map[string]string{"ZUNIONSTORE": "UNION", "ZINTERSTORE": "INTER", "ZDIFFSTORE": "DIFF"}[a.name]
	res, scoresKnown, lo, hi, exact := m.combine(op, srcs, weights, agg)
	m.storeMembers(m.k(a, 1), TypeZSet, res, scoresKnown, lo, hi, exact, sourcesCause(srcs))
}

// cmdZRangeStore is ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV]
// [LIMIT offset count].
func cmdZRangeStore(m *Model, a *argv) {
	byScore, byLex, rev := false, false, false
	var off, cnt int64 = 0, -1
	limit := false
	for j := 5; j < a.n(); j++ {
		switch {
		case a.is(j, "BYSCORE") && !byLex:
			byScore = true
		case a.is(j, "BYLEX") && !byScore:
			byLex = true
		case a.is(j, "REV"):
			rev = true
		case a.is(j, "LIMIT") && j+2 < a.n():
			var ok1, ok2 bool
			off, ok1 = a.int(j + 1)
			cnt, ok2 = a.int(j + 2)
			if !ok1 || !ok2 {
				return
			}
			limit = true
			j += 2
		default:
			return
		}
	}
	if limit && !byScore && !byLex {
		return
	}
	var r zrange
	var start, end int64
	if byScore || byLex {
		lo, hi := 3, 4
		if rev {
			lo, hi = 4, 3
		}
		var ok bool
		if r, ok = (&argv{c: &Command{Args: []argT{a.c.Args[lo], a.c.Args[hi]}, Argc: 2}}).zrange(0, byLex); !ok {
			return
		}
	} else {
		var ok1, ok2 bool
		start, ok1 = a.int(3)
		end, ok2 = a.int(4)
		if !ok1 || !ok2 {
			return
		}
	}
	src := m.k(a, 2)
	if src.ex != absent && !collection(src, TypeZSet) {
		return
	}
	dst := m.k(a, 1)
	if src.ex == absent {
		dst.setAbsent()
		return
	}
	scores := src.ex == present && src.mem != nil && src.flags&flagScoresUnknown == 0
	if scores && byLex && !lexable(src.mem.set) && src.flags&flagSkiplist == 0 {
		picked := lexListpack(zsetOrder(src.mem.set), r, rev, off, cnt)
		res := make(map[string]float64, len(picked))
		for _, e := range picked {
			res[e] = src.mem.set[e]
		}
		m.storeMembers(dst, TypeZSet, res, true, int64(len(res)), int64(len(res)), true, reasonNone)
		return
	}
	if scores && (!byLex || lexable(src.mem.set)) {
		order := zsetOrder(src.mem.set)
		if rev {
			slices.Reverse(order)
		}
		var picked []string
		if byScore || byLex {
			skipped := int64(0)
			for _, e := range order {
				if !r.contains(e, src.mem.set[e]) {
					continue
				}
				if off > 0 && skipped < off {
					skipped++
					continue
				}
				if off < 0 || cnt >= 0 && int64(len(picked)) >= cnt {
					break
				}
				picked = append(picked, e)
			}
		} else {
			from, to := ltrimRange(start, end, int64(len(order)))
			picked = order[from:to]
		}
		res := make(map[string]float64, len(picked))
		for _, e := range picked {
			res[e] = src.mem.set[e]
		}
		m.storeMembers(dst, TypeZSet, res, true, int64(len(res)), int64(len(res)), true, reasonNone)
		return
	}
	l, h := src.card()
	var lo, hi int64
	if byScore || byLex {
		lo, hi = 0, h
		if cnt >= 0 {
			hi = min(hi, cnt)
		}
	} else {
		f := func(n int64) int64 { a, b := ltrimRange(start, end, n); return b - a }
		lo, hi = many, 0
		if h-l <= 4096 {
			for n := l; n <= h; n++ {
				lo, hi = min(lo, f(n)), max(hi, f(n))
			}
		} else {
			lo, hi = 0, h
		}
	}
	why := src.cause(reasonMembersUnknown)
	if src.mem != nil {
		why = reasonLexOrder
	}
	m.storeMembers(dst, TypeZSet, nil, false, lo, hi, false, why)
}

// cmdGeoAdd is ZADD with scores the model does not compute (geohashes).
func cmdGeoAdd(m *Model, a *argv) {
	j := 2
	xx, nx := false, false
	for ; j < a.n(); j++ {
		switch {
		case a.is(j, "NX"):
			nx = true
		case a.is(j, "XX"):
			xx = true
		case a.is(j, "CH"):
		default:
			goto parsed
		}
	}
parsed:
	if xx && nx || (a.c.Argc-int64(j))%3 != 0 || a.c.Argc == int64(j) {
		return
	}
	for i := j; i+1 < a.n(); i += 3 {
		lon, ok1 := a.float(i)
		lat, ok2 := a.float(i + 1)
		if !ok1 || !ok2 || lon < -180 || lon > 180 || lat < -85.05112878 || lat > 85.05112878 {
			return
		}
	}
	s := m.k(a, 1)
	if !collection(s, TypeZSet) || s.ex == absent && xx {
		return
	}
	es, whole := elems(a, j+2, 3)
	if s.ex == absent && whole {
		s.setNew(TypeZSet, 0)
		m.newMembers(s)
	}
	if s.mem != nil && whole {
		var added int64
		for _, e := range es {
			if _, ok := s.mem.set[e]; !ok && !xx {
				s.mem.set[e] = 0
				added += int64(len(e)) + memberOverhead
			}
		}
		s.flags |= flagScoresUnknown
		m.settleMembers(s, added)
		return
	}
	m.forget(s)
	s.flags |= flagScoresUnknown
	if xx {
		return
	}
	dlo := int64(0)
	if s.ex == absent {
		dlo = int64(len(es))
	}
	s.grow(TypeZSet, dlo, (a.c.Argc-int64(j))/3)
	s.flags |= flagScoresUnknown
}

// Streams: a stream exists until deleted, however many entries it has.

func cmdXAdd(m *Model, a *argv) {
	nomk := false
	for j := 2; j < a.n(); j++ {
		switch {
		case a.is(j, "NOMKSTREAM"):
			nomk = true
		case a.is(j, "MAXLEN"), a.is(j, "MINID"):
			j++
			if a.is(j, "=") || a.is(j, "~") {
				j++
			}
		case a.is(j, "LIMIT"):
			j++
		default:
			j = a.n()
		}
	}
	s := m.k(a, 1)
	if !collection(s, TypeStream) {
		return
	}
	if nomk {
		if s.ex == absent {
			return
		}
		assumeExists(s)
	}
	if s.ex == absent {
		s.setNew(TypeStream, 1)
		s.hi = many
		return
	}
	if s.ex == maybe {
		s.ex = present
		s.flags |= flagExpUnknown
		if s.exp == NoExpiry && s.expKnown() {
			s.flags &^= flagExpUnknown
		}
	}
	s.hi = many
}

func cmdXGroupCreate(m *Model, a *argv) {
	mk := false
	for j := 5; j < a.n(); j++ {
		if a.is(j, "MKSTREAM") {
			mk = true
		}
	}
	s := m.k(a, 2)
	if !collection(s, TypeStream) {
		return
	}
	switch {
	case s.ex == absent && mk:
		s.setNew(TypeStream, 0)
	case s.ex == maybe && !mk:
		assumeExists(s)
	case s.ex == maybe:
		s.ex = present
		if s.exp != NoExpiry || !s.expKnown() {
			s.flags |= flagExpUnknown
		}
	}
}
