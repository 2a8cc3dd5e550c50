package serverlog

import (
	"fmt"
	"sort"
)

// State is the state after the events added so far. The tracker can go on
// taking events afterwards.
func (t *Tracker) State() *State {
	st := &State{
		Schema:              SchemaVersion,
		Phase:               Steady,
		Confidence:          High,
		Alternatives:        []Phase{},
		Evidence:            []Evidence{},
		AsOf:                t.asOf,
		LastLine:            t.lastLine,
		Lifetimes:           append([]Lifetime{}, t.lifetimes...),
		LifetimeCount:       t.count,
		Crashes:             t.crashes,
		Jobs:                []Running{},
		Children:            append([]Child{}, t.children...),
		Failures:            renderFailures(t.failures),
		FailureCount:        t.nfail,
		FullSyncs:           t.fullSyncs,
		ServedFullSyncs:     t.served,
		FullSyncsMaxPerHour: t.maxPerHour,
		FullSyncLoop:        t.maxPerHour >= loopPerHour,
		AOFTruncations:      renderFailures(t.truncs),
		LastLoad:            copyDone(t.lastLoad),
		LastRewrite:         copyDone(t.lastRewrite),
		LastBGSave:          copyDone(t.lastBGSave),
		LastSync:            copyDone(t.lastSync),
	}
	l := t.life
	if l == nil {
		st.Confidence = Low
		st.Summary = "the log holds no server line"
		return st
	}
	cur := l.Lifetime
	st.Server = &cur
	if l.End == "running" {
		st.Lifetimes = append(st.Lifetimes, cur)
		if len(st.Lifetimes) > keepLifetimes {
			st.Lifetimes = st.Lifetimes[len(st.Lifetimes)-keepLifetimes:]
		}
	}
	for i := range l.evidence {
		n := &l.evidence[i]
		st.Evidence = append(st.Evidence, Evidence{Line: n.ev.Line, Time: n.ev.Time, Fact: expand(n.text, &n.ev, "")})
	}
	if l.End != "running" {
		st.Running = false
		st.Summary = fmt.Sprintf("the server (pid %d) is not running: %s at line %d", l.PID, endWords(&cur), l.EndLine)
		return st
	}
	st.Running = true

	// Jobs running now, most decisive first: a load blocks the server and
	// kills children; the install of a rewritten base follows its child;
	// a rewrite child beats a transfer (the replica kills it when the
	// transfer ends); a transfer beats a BGSAVE child.
	var jobs []Running
	if s := l.sync; s != nil && s.full {
		switch s.stage {
		case "loading", "loaded":
			jobs = append(jobs, Running{Job: JobSync, Stage: "loading", StartLine: s.loadLine, StartedAt: s.loadAt, Phase: SyncLoading})
		case "waiting", "transfer":
			stage := "transfer"
			if s.stage == "waiting" {
				stage = "waiting-for-payload"
			}
			jobs = append(jobs, Running{Job: JobSync, Stage: stage, StartLine: s.startLine, StartedAt: s.started, Phase: SyncTransfer})
		}
	}
	if j := l.rewrite; j != nil {
		ph := AOFRewrite
		if j.stage == "child-done" || j.stage == "installing" {
			ph = AOFRewriteFinishing
		}
		jobs = append(jobs, Running{Job: JobAOFRewrite, Stage: j.stage, ChildPID: j.child, StartLine: j.startLine, StartedAt: j.started, Phase: ph})
	}
	if j := l.bgsave; j != nil {
		jobs = append(jobs, Running{Job: JobBGSave, Stage: j.stage, ChildPID: j.child, StartLine: j.startLine, StartedAt: j.started, Phase: BGSave})
	}
	if j := l.transfer; j != nil {
		jobs = append(jobs, Running{Job: JobRDBTransfer, Stage: j.stage, ChildPID: j.child, StartLine: j.startLine, StartedAt: j.started, Phase: Steady})
	}
	if ld := l.load; ld != nil {
		jobs = append(jobs, Running{Job: JobStartLoad, Stage: "loading-" + ld.source, StartLine: ld.startLine, StartedAt: ld.started, Phase: Steady})
	}
	sort.SliceStable(jobs, func(a, b int) bool { return rank(jobs[a]) < rank(jobs[b]) })
	st.Jobs = append(st.Jobs, jobs...)

	if len(jobs) == 0 {
		st.Summary = fmt.Sprintf("no persistence job is running (server pid %d, %s)", l.PID, roleWords(l.Role))
		if l.Implied {
			// Jobs started before the paste began would not show.
			st.Confidence = Medium
			st.Summary += "; the log starts after the server did, so a job started before it would not show"
		}
		if l.sync != nil && (l.sync.stage == "connecting" || l.sync.stage == "handshake") {
			st.Summary += "; the replica is connecting to its master"
		}
		return st
	}
	top := jobs[0]
	st.Phase = top.Phase
	for _, j := range jobs[1:] {
		if j.Phase != st.Phase && j.Phase != Steady && !hasPhase(st.Alternatives, j.Phase) {
			st.Alternatives = append(st.Alternatives, j.Phase)
		}
	}
	switch {
	case top.Job == JobBGSave && top.Stage == "child-done":
		// The child renamed its file and exits; the parent reaps it at
		// the next cron tick.
		st.Confidence = Medium
		if !hasPhase(st.Alternatives, Steady) {
			st.Alternatives = append(st.Alternatives, Steady)
		}
	case top.Job == JobAOFRewrite && top.Stage == "starting":
		st.Confidence = Medium
	case top.Job == JobStartLoad:
		st.Confidence = Medium
	}
	if l.Implied && st.Confidence == High {
		st.Confidence = Medium
	}

	// The replica rebuild step.
	if l.rebuild || (top.Job == JobAOFRewrite && l.rewrite != nil && l.rewrite.afterSync) {
		switch top.Phase {
		case SyncTransfer:
			st.Step = 1
		case SyncLoading:
			st.Step = 2
		case AOFRewrite:
			st.Step = 3
		case AOFRewriteFinishing:
			st.Step = 4
		}
		if st.Step > 0 {
			st.StepOf = 4
			if l.AOF == "off" {
				st.StepOf = 2
			}
		}
	}
	st.Progress = t.progress(l, top)
	st.Summary = summary(l, top, st)
	if t.lastCut && st.Confidence == High {
		// The deciding line may say more than what is left of it.
		st.Confidence = Medium
		st.Summary += "; the log's last event line is cut"
	}
	return st
}

func rank(r Running) int {
	switch r.Phase {
	case SyncLoading:
		return 0
	case AOFRewriteFinishing:
		return 1
	case AOFRewrite:
		return 2
	case SyncTransfer:
		return 3
	case BGSave:
		return 4
	}
	if r.Job == JobStartLoad {
		return 5
	}
	return 6
}

func hasPhase(ps []Phase, p Phase) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func roleWords(r Role) string {
	if r == "" {
		return "role unknown"
	}
	return string(r)
}

func endWords(l *Lifetime) string {
	switch l.End {
	case "shutdown":
		return "it shut down"
	case "crash":
		return "it crashed (" + l.Reason + ")"
	case "load-error":
		return "it exited on a load error (" + l.Reason + ")"
	case "fatal-error":
		return "it exited on a fatal error (" + l.Reason + ")"
	}
	return l.End
}

func (t *Tracker) progress(l *life, top Running) *Progress {
	p := &Progress{Job: top.Job, ChildPID: top.ChildPID, StartLine: top.StartLine, StartedAt: top.StartedAt}
	p.ElapsedS = secondsBetween(top.StartedAt, t.asOf)
	switch top.Phase {
	case SyncTransfer, SyncLoading:
		s := l.sync
		p.PayloadBytes, p.Streamed = s.payload, s.streamed
		p.RDBMemoryBytes = s.memoryBytes
		p.KeysBefore = t.prevKeys
		if top.Phase == SyncLoading && t.lastLoad != nil && t.lastLoad.OK {
			p.PreviousS = t.lastLoad.DurationS
		}
	case AOFRewrite, AOFRewriteFinishing:
		if t.lastRewrite != nil && t.lastRewrite.OK {
			p.PreviousS = t.lastRewrite.DurationS
		}
		p.KeysBefore = t.prevKeys
	case BGSave:
		if t.lastBGSave != nil && t.lastBGSave.OK {
			p.PreviousS = t.lastBGSave.DurationS
		}
		p.KeysBefore = t.prevKeys
	default:
		if top.Job == JobStartLoad {
			p.KeysBefore = t.prevKeys
		}
	}
	return p
}

func summary(l *life, top Running, st *State) string {
	var s string
	switch top.Phase {
	case SyncTransfer:
		if top.Stage == "waiting-for-payload" {
			s = "the replica waits for the master to produce the full-sync payload (the transfer file stays empty meanwhile)"
		} else if l.sync.streamed {
			s = "the replica receives a streamed full-sync payload to disk"
		} else {
			s = fmt.Sprintf("the replica receives a %d-byte full-sync payload to disk", l.sync.payload)
		}
	case SyncLoading:
		if l.sync.toParser {
			s = "the replica loads the full-sync payload straight from the socket (diskless load)"
		} else {
			s = "the replica loads the full-sync payload it received"
		}
	case AOFRewrite:
		if top.Stage == "starting" {
			s = "an AOF rewrite is about to fork (temp incr created)"
		} else {
			s = fmt.Sprintf("AOF rewrite child %d writes the new base", top.ChildPID)
		}
	case AOFRewriteFinishing:
		if top.Stage == "child-done" {
			s = fmt.Sprintf("AOF rewrite child %d finished its base; the server installs it at its next cron tick", top.ChildPID)
		} else {
			s = "the server installs the rewritten AOF base"
		}
	case BGSave:
		if top.Stage == "child-done" {
			s = fmt.Sprintf("BGSAVE child %d has saved the RDB and exits", top.ChildPID)
		} else {
			s = fmt.Sprintf("BGSAVE child %d writes temp-%d.rdb", top.ChildPID, top.ChildPID)
		}
	default:
		switch top.Job {
		case JobStartLoad:
			s = "the server loads its data at start (nothing changes on disk)"
		case JobRDBTransfer:
			s = fmt.Sprintf("a diskless transfer child %d streams a payload to replicas (no file is written)", top.ChildPID)
		}
	}
	if st.Step > 0 {
		s += fmt.Sprintf(" (replica rebuild step %d of %d)", st.Step, st.StepOf)
	}
	return s
}

func renderFailures(rs []failRec) []Failure {
	out := make([]Failure, 0, len(rs))
	for i := range rs {
		out = append(out, rs[i].render())
	}
	return out
}

// copyDone detaches a record from the tracker's storage, which the next
// job reuses.
func copyDone(d *Done) *Done {
	if d == nil {
		return nil
	}
	c := *d
	if d.DurationS != nil {
		v := *d.DurationS
		c.DurationS = &v
	}
	return &c
}
