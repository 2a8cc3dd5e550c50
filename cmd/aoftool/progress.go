package main

import (
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressMin is the size from which a long read shows a progress bar:
// smaller files are read before a bar would be seen. Tests lower it.
var progressMin int64 = 64 << 20

// progressThrottle is how often the bar is redrawn at most.
var progressThrottle = 100 * time.Millisecond

// progressStats is the room the bar's numbers take after it: percentage,
// bytes read of the total, rate and times.
const progressStats = 52

// readProgress is the one progress display of every long read (rdb, aof,
// check, keys): a bar on stderr, only on a terminal, sized to it and
// cleared when the read ends so the report starts on a clean screen. It is
// told either the offset reached (set) or bytes read since the last call
// (add, safe from several goroutines).
type readProgress struct {
	bar  *progressbar.ProgressBar
	done atomic.Int64
}

// progress starts a bar for reading total bytes of name; nil (whose methods
// do nothing) when no bar is wanted.
func (g *globalOptions) progress(name string, total int64) *readProgress {
	if total < progressMin || !isTerminal(g.stderr) {
		return nil
	}
	width := g.outputWidth(g.stderr)
	if width == 0 {
		width = defaultWidth
	}
	desc := name
	if r := []rune(desc); len(r) > 24 {
		desc = "…" + string(r[len(r)-23:])
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(g.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(max(10, width-textWidth(desc)-progressStats)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionThrottle(progressThrottle),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)
	return &readProgress{bar: bar}
}

// set reports the offset reached. Two lanes of an RDB walk both read the
// block where they meet, so the count may pass the total by a block or two.
func (p *readProgress) set(off int64) {
	if p != nil {
		_ = p.bar.Set64(min(off, p.bar.GetMax64()))
	}
}

// add reports n more bytes read.
func (p *readProgress) add(n int64) {
	if p != nil {
		p.set(p.done.Add(n))
	}
}

// finish clears the bar.
func (p *readProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// setFunc and addFunc are the callbacks the inspectors take; nil when no
// bar is drawn, so the inspectors skip the calls.
func (p *readProgress) setFunc() func(int64) {
	if p == nil {
		return nil
	}
	return p.set
}

func (p *readProgress) addFunc() func(int64) {
	if p == nil {
		return nil
	}
	return p.add
}
