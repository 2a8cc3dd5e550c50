package aofinspect

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// A large RESP file is scanned in chunks on all cores and the chunks are
// joined in file order into exactly the report the sequential scan gives.
//
// A chunk's nominal range [from, limit) starts at its first candidate
// record start: a line starting with '*' and a digit or with "#TS:" right
// after "\r\n". Such a line can also lie inside a bulk, so each seam is
// verified: the chunk to the left parses on past its limit to the end of
// the record that crosses it, and the chunk to the right is used only when
// it started exactly there. Otherwise the right chunk is parsed again from
// where the left one really ended. Every byte is parsed once when the seams
// hold, which is the common case.
//
// A chunk does not know the state the file is in at its start (a
// transaction left open, the last annotation's time): it is scanned as if
// no transaction were open, and keeps what the join needs to correct that,
// since every EXEC closes a transaction whatever came before. The end of
// the file (a torn tail, an open MULTI there, a live server's pending
// write), any damage, and a chunk with more distinct names than the report
// keeps are left to the sequential scan, which resumes from the last
// verified seam with the joined state.

// parallelPlan says when and how a file is scanned in chunks.
type parallelPlan struct {
	min     int64 // files smaller than this are scanned sequentially
	chunk   int64
	workers int
}

func defaultPlan() parallelPlan {
	return parallelPlan{min: 64 << 20, chunk: 8 << 20, workers: runtime.GOMAXPROCS(0)}
}

// fits says whether a scan goes parallel. A consumer of records (Each)
// needs them in order, and a live file's end moves.
func (p parallelPlan) fits(size int64, opt Options) bool {
	return p.workers > 1 && p.chunk > 0 && size >= p.min && size > p.chunk &&
		opt.Each == nil && !opt.Live && opt.BaseOffset == 0
}

// chunkMarks bounds the "#TS" annotations a chunk keeps; a chunk with
// more is left to the sequential scan, so memory stays bounded.
const chunkMarks = 1 << 14

// chunk is what the scan of one chunk found.
type chunk struct {
	start int64 // the first record, or -1 when the range holds no candidate
	end   int64 // the end of the first record reaching the limit
	ok    bool  // parsed to end without damage, end of file or cancellation
	lines int64
	rep   Report
	t     *tally

	// The scanner's state at end, as if no transaction were open at start;
	// -1 for an offset no command moved.
	okUpTo, serverValid, beforeMulti int64
	sawMulti                         bool
	inMulti                          bool
	multiStart, multiCmds            int64
	// opened: a transaction opened in the chunk, openedAfterExec: after
	// its first EXEC.
	opened, openedAfterExec bool
	firstExecEnd            int64 // the end of the first EXEC, or -1
	beforeExec              int64 // commands before the first EXEC (all when none)
}

// joinState is the scanner's state at the verified end of the joined
// chunks.
type joinState struct {
	lines                            int64
	okUpTo, serverValid, beforeMulti int64
	inMulti                          bool
	multiStart, multiCmds            int64
}

// scanParallel scans the file in chunks up to its last chunk and returns a
// scanner positioned at the last verified seam with the joined state, and
// the joined tally, for the sequential scan to finish.
func (rep *Report) scanParallel(ctx context.Context, ra io.ReaderAt, size int64, opt Options, buf []byte, plan parallelPlan) (*Scanner, *tally) {
	opt.Size = size
	lim := opt.Limits.withDefaults()
	t := newTally(lim, true)
	wopt := opt
	wopt.Progress, wopt.Each, wopt.Args = nil, nil, ArgLimits{}
	n := int((size - 1) / plan.chunk) // chunks before the last, which is left to the sequential scan
	wctx, cancel := context.WithCancel(ctx)
	// Workers run at most a few chunks ahead of the join: a worker holds a
	// token from taking a chunk until the join has its result, so the
	// chunks in flight never share a slot of the ring of results.
	window := 2 * plan.workers
	tokens := make(chan struct{}, window)
	results := make([]chan *chunk, window)
	for i := range results {
		results[i] = make(chan *chunk, 1)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range plan.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &Scanner{}
			wbuf := make([]byte, bufFor(size))
			for {
				select {
				case tokens <- struct{}{}:
				case <-wctx.Done():
					return
				}
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				from := i * plan.chunk
				results[i%int64(window)] <- scanChunk(wctx, w, ra, wopt, from, from+plan.chunk, i > 0, wbuf, lim)
			}
		}()
	}
	g := joinState{}
	var at int64
join:
	for i := range n {
		var ch *chunk
		select {
		case ch = <-results[i%window]:
		case <-wctx.Done():
			// Cancelled: workers may stop before taking chunk i.
			break join
		}
		<-tokens
		limit := int64(i+1) * plan.chunk
		if at >= limit {
			continue // a record of an earlier chunk spans this one
		}
		if ch.start != at {
			ch = scanChunk(ctx, &Scanner{}, ra, wopt, at, limit, false, buf, lim)
		}
		if !ch.ok {
			break join
		}
		rep.join(t, &g, ch)
		at = ch.end
		if opt.Progress != nil {
			opt.Progress(at)
		}
	}
	cancel()
	wg.Wait()

	s := &Scanner{}
	s.init(io.NewSectionReader(ra, at, size-at), opt, at, buf)
	s.lines = g.lines
	s.okUpTo, s.serverValid, s.beforeMulti = g.okUpTo, g.serverValid, g.beforeMulti
	s.inMulti, s.multiStart, s.multiCmds = g.inMulti, g.multiStart, g.multiCmds
	return s, t
}

// scanChunk scans the records starting before limit, from the first
// candidate at or after from when find is set, else from from itself.
func scanChunk(ctx context.Context, s *Scanner, ra io.ReaderAt, opt Options, from, limit int64, find bool, buf []byte, lim Limits) *chunk {
	ch := &chunk{start: from, end: from, firstExecEnd: -1}
	if find {
		if ch.start = findStart(ra, from, limit, buf); ch.start < 0 {
			return ch
		}
	}
	s.init(ctxReader{ctx, io.NewSectionReader(ra, ch.start, opt.Size-ch.start)}, opt, ch.start, buf)
	s.okUpTo, s.serverValid, s.beforeMulti = -1, -1, -1
	s.lazyLines = true
	t := newTally(lim, false)
	ch.t = t
	for n := 1; s.Offset() < limit; n++ {
		if n&0xfff == 0 && ctx.Err() != nil {
			return ch
		}
		wasInMulti := s.inMulti
		if !s.Next() {
			return ch
		}
		c := s.Command()
		if c.Kind == KindCommand {
			if ch.firstExecEnd < 0 {
				if string(c.Name) == "EXEC" && c.NameLen == 4 {
					ch.firstExecEnd = c.End
				} else {
					ch.beforeExec++
				}
			}
			if string(c.Name) == "MULTI" && c.NameLen == 5 {
				ch.sawMulti = true
				if !wasInMulti {
					ch.opened = true
					ch.openedAfterExec = ch.firstExecEnd >= 0
				}
			}
		}
		ch.rep.add(t, c, s.openMultiStart())
		if t.other != nil || len(ch.rep.tsMarks) > chunkMarks {
			return ch
		}
	}
	if s.Offset() >= opt.Size {
		return ch // the end of the file is the sequential scan's
	}
	ch.ok = true
	ch.end = s.Offset()
	ch.lines = s.line()
	ch.okUpTo, ch.serverValid, ch.beforeMulti = s.okUpTo, s.serverValid, s.beforeMulti
	ch.inMulti, ch.multiStart, ch.multiCmds = s.inMulti, s.multiStart, s.multiCmds
	return ch
}

// ctxReader stops reading once ctx is done, so a chunk parsing a long
// bulk stops when its scan is no longer wanted.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// findStart returns the first candidate record start in [from, limit), or
// -1: a line starting with '*' and a digit, or with "#TS:", right after
// "\r\n".
func findStart(ra io.ReaderAt, from, limit int64, buf []byte) int64 {
	const tailLen = 6 // "\r\n#TS:" is the longest pattern
	for pos := max(from-2, 0); pos < limit-2; {
		n, err := ra.ReadAt(buf, pos)
		w := buf[:n]
		for i := 0; ; {
			j := bytes.Index(w[i:], crlf)
			if j < 0 {
				break
			}
			p := i + j + 2 // the candidate's index in w
			if pos+int64(p) >= limit {
				return -1
			}
			if p+tailLen-2 > n && err == nil {
				break // read again from here
			}
			if r := w[p:]; len(r) >= 2 && r[0] == '*' && r[1] >= '0' && r[1] <= '9' || bytes.HasPrefix(r, tsPrefix) {
				return pos + int64(p)
			}
			i = p - 1
		}
		if err != nil || n < tailLen {
			return -1
		}
		pos += int64(n - tailLen)
	}
	return -1
}

var (
	crlf     = []byte("\r\n")
	tsPrefix = []byte("#TS:")
)

// join adds a chunk that starts where the joined ones end.
func (rep *Report) join(t *tally, g *joinState, ch *chunk) {
	open, openStart, openCmds := g.inMulti, g.multiStart, g.multiCmds
	// The scanner's state.
	if ch.sawMulti {
		g.beforeMulti = ch.beforeMulti
		if g.beforeMulti < 0 {
			g.beforeMulti = g.serverValid
		}
	}
	if ch.serverValid >= 0 {
		g.serverValid = ch.serverValid
	}
	switch {
	case open && ch.firstExecEnd < 0:
		// The transaction stays open through the chunk.
		g.multiCmds += ch.beforeExec
	case open && !ch.openedAfterExec:
		g.okUpTo = ch.okUpTo
		g.inMulti, g.multiCmds = false, openCmds+ch.beforeExec
	case open:
		g.okUpTo = ch.okUpTo
		g.inMulti, g.multiStart, g.multiCmds = ch.inMulti, ch.multiStart, ch.multiCmds
	default:
		if ch.okUpTo >= 0 {
			g.okUpTo = ch.okUpTo
		}
		if ch.opened {
			g.inMulti, g.multiStart, g.multiCmds = ch.inMulti, ch.multiStart, ch.multiCmds
		}
	}
	g.lines += ch.lines

	// The report.
	c, ct := &ch.rep, ch.t
	rep.Commands += c.Commands
	rep.Annotations += c.Annotations
	for _, name := range ct.names {
		ce := ct.counts[name]
		k := ce.n
		if e, ok := t.counts[name]; ok {
			e.n += k
		} else if len(t.counts) < t.lim.MaxDistinctNames {
			t.counts[name] = ce
			t.names = append(t.names, name)
		} else {
			if t.other == nil {
				t.other = new(int64)
			}
			*t.other += k
		}
	}
	// The chunk's first MaxDBs databases hold the first ones new to the
	// report, as many as it still keeps.
	for _, db := range ct.dbOrder {
		if len(t.dbs) >= t.lim.MaxDBs {
			break
		}
		if !t.dbs[db] {
			t.dbs[db] = true
			t.dbOrder = append(t.dbOrder, db)
		}
	}
	if c.highDB.count > 0 {
		if rep.highDB.count == 0 {
			rep.highDB.offset, rep.highDB.db = c.highDB.offset, c.highDB.db
		}
		rep.highDB.count += c.highDB.count
	}
	if ct.txKnown {
		t.txEvent(&rep.Transactions, ct.txFirst)
		tx := &rep.Transactions
		tx.Multi += c.Transactions.Multi
		tx.Exec += c.Transactions.Exec
		tx.NestedMulti += c.Transactions.NestedMulti
		tx.UnmatchedExec += c.Transactions.UnmatchedExec
		t.open = ct.open
	}
	if c.oddHeader.count > 0 {
		if rep.oddHeader.count == 0 {
			rep.oddHeader.offset = c.oddHeader.offset
		}
		rep.oddHeader.count += c.oddHeader.count
	}
	if c.badCRLF.count > 0 {
		if rep.badCRLF.count == 0 {
			rep.badCRLF = c.badCRLF
		} else {
			rep.badCRLF.count += c.badCRLF.count
		}
	}
	if c.badTS.count > 0 {
		if rep.badTS.count == 0 {
			rep.badTS.offset = c.badTS.offset
		}
		rep.badTS.count += c.badTS.count
	}
	if u := c.firstUnknown; u != nil {
		if rep.firstUnknown == nil {
			rep.firstUnknown = u
		} else {
			rep.firstUnknown.count += u.count
		}
	}
	if cts := c.Timestamps; cts != nil {
		if ts := rep.Timestamps; ts == nil {
			rep.Timestamps = cts
		} else {
			if t.lastTS >= 0 && cts.FirstUnix < t.lastTS {
				ts.Backwards++
			}
			ts.Count += cts.Count
			ts.Backwards += cts.Backwards
			ts.LastUnix = cts.LastUnix
		}
		t.lastTS = ct.lastTS
	}
	for _, m := range c.tsMarks {
		if len(rep.tsMarks) >= maxTSMarks {
			break
		}
		if open && (ch.firstExecEnd < 0 || m.Offset < ch.firstExecEnd) {
			m.MultiStart = openStart
		}
		rep.tsMarks = append(rep.tsMarks, m)
	}
}
