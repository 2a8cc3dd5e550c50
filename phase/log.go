package phase

import (
	"fmt"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// SourceLog is Result.Source when the answer comes from a server log
// alone.
const SourceLog snapshot.Source = "log"

// LogSummary is what the server's log said, beside the files' answer.
type LogSummary struct {
	// Name is the log as given (a path, or "stdin").
	Name       string     `json:"name"`
	Phase      Phase      `json:"phase"`
	Confidence Confidence `json:"confidence"`
	StepNumber int        `json:"step_number"`
	Summary    string     `json:"summary"`
	// AsOf is the time of its last timestamped line; LastLine its number.
	AsOf     time.Time `json:"as_of,omitzero"`
	LastLine int       `json:"last_line"`
	// ServerPID is the pid of the server the log ends with; Running says
	// the log shows no end of it.
	ServerPID int  `json:"server_pid,omitempty"`
	Running   bool `json:"running"`
}

// LogProgress is what the log says about the running job's progress.
type LogProgress struct {
	Job       serverlog.Job `json:"job"`
	ChildPID  int           `json:"child_pid,omitempty"`
	StartLine int           `json:"start_line"`
	StartedAt time.Time     `json:"started_at,omitzero"`
	// ElapsedS is from the job's start to the log's last line; PreviousS
	// how long the previous job of the kind took, and ETAS the difference
	// when both are known.
	ElapsedS  *float64 `json:"elapsed_s"`
	PreviousS *float64 `json:"previous_s"`
	ETAS      *float64 `json:"eta_s"`
	// PayloadBytes is the full-sync payload size the master announced (0
	// when streamed); KeysBefore the keys of the server's previous load,
	// the best guess of this load's; RDBMemoryBytes the payload's "RDB
	// memory usage when created".
	PayloadBytes   int64 `json:"payload_bytes,omitempty"`
	Streamed       bool  `json:"streamed,omitempty"`
	KeysBefore     int64 `json:"keys_before,omitempty"`
	RDBMemoryBytes int64 `json:"rdb_memory_bytes,omitempty"`
}

// logChildrenKept is how many children serverlog.State keeps: a full list
// may have dropped the one a file names.
const logChildrenKept = 32

// logSlack is how far the log's clock and the files' may disagree before
// one is taken to be behind the other: log lines carry milliseconds, a
// transfer file's name whole seconds.
const logSlack = 2 * time.Second

func (f *facts) logName() string {
	if f.opt.LogName != "" {
		return f.opt.LogName
	}
	return "log"
}

// logEvidence is a fact of the log, as evidence.
func (f *facts) logEvidence(line int, format string, args ...any) Evidence {
	return Evidence{Path: f.logName(), Line: line, Fact: fmt.Sprintf(format, args...)}
}

// logBehind reports that the files changed after the log's last line: the
// log does not show what happened since.
func (f *facts) logBehind() bool {
	st := f.opt.Log
	return st != nil && f.latest != nil && !st.AsOf.IsZero() && f.latest.MTime.After(st.AsOf.Add(logSlack))
}

// logCovers reports that the log holds the moment t: it starts before it
// and ends after it.
func logCovers(st *serverlog.State, t time.Time) bool {
	if len(st.Lifetimes) == 0 || st.AsOf.IsZero() {
		return false
	}
	first := st.Lifetimes[0].StartedAt
	return !first.IsZero() && !t.Before(first) && !t.After(st.AsOf.Add(logSlack))
}

func logChild(st *serverlog.State, pid int) *serverlog.Child {
	for i := len(st.Children) - 1; i >= 0; i-- {
		if st.Children[i].PID == pid {
			return &st.Children[i]
		}
	}
	return nil
}

func logJob(st *serverlog.State, job serverlog.Job) *serverlog.Running {
	for i := range st.Jobs {
		if st.Jobs[i].Job == job {
			return &st.Jobs[i]
		}
	}
	return nil
}

func logLifetime(st *serverlog.State, pid int) *serverlog.Lifetime {
	for i := len(st.Lifetimes) - 1; i >= 0; i-- {
		if st.Lifetimes[i].PID == pid {
			return &st.Lifetimes[i]
		}
	}
	return nil
}

func outcomeWords(c *serverlog.Child) string {
	switch c.Outcome {
	case "ok":
		return "finished"
	case "error":
		return "failed"
	case "killed":
		if c.Signal != 0 {
			return fmt.Sprintf("was killed by signal %d", c.Signal)
		}
		return "was killed"
	case "died-with-server":
		return "died with its server"
	}
	return c.Outcome
}

// logJudge settles the liveness of temp files with what the log says of
// the processes their names hold: a child the log shows running is alive,
// one it shows ended is not, and a pid the log's server never had belongs
// to another server. Disagreements between the two are findings.
func (f *facts) logJudge() {
	st := f.opt.Log
	if st == nil || st.Server == nil {
		return
	}
	behind := f.logBehind()
	for _, a := range f.jobs {
		switch a.e.Kind {
		case snapshot.KindBgsaveTemp, snapshot.KindRewriteTemp, snapshot.KindRewriteBgTemp:
			f.logChildFile(a, st, behind)
		case snapshot.KindTransferTemp:
			f.logTransferFile(a, st, behind)
		case snapshot.KindTempIncr:
			if !st.Running || behind {
				continue
			}
			if j := logJob(st, serverlog.JobAOFRewrite); j != nil {
				f.logLive(a, fmt.Sprintf("the log shows the AOF rewrite it belongs to running since line %d", j.StartLine))
			} else if a.state != live {
				a.state, a.decisive = stale, true
				a.why = fmt.Sprintf("the log shows no AOF rewrite running at its end (line %d): AOF was switched off, or the rewrite failed", st.LastLine)
			}
		}
	}
}

// logLive marks a as alive on the log's word.
func (f *facts) logLive(a *artifact, why string) {
	if a.state == live {
		return
	}
	a.state, a.decisive, a.why = live, true, why
}

func (f *facts) logChildFile(a *artifact, st *serverlog.State, behind bool) {
	pid := a.e.NamePID
	if pid == 0 || pid == st.Server.PID {
		return
	}
	c := logChild(st, pid)
	if c == nil {
		if behind || len(st.Children) >= logChildrenKept || !logCovers(st, a.e.MTime) {
			return
		}
		f.logFindings = append(f.logFindings, finding.New(finding.LogPIDMismatch, a.e.Path, "%s names child %d, which the log (server pid %d, up to line %d) never started: the file is another server's, or the log is",
			a.e.Name, pid, st.Server.PID, st.LastLine).
			WithHint("check that the log is this directory's server's (kubectl logs --previous shows the one before a restart)"))
		if a.state != live {
			a.state, a.decisive = stale, false
			a.why = fmt.Sprintf("the log of the server running when it was written never started a child %d", pid)
		}
		return
	}
	if c.Outcome == "running" {
		if st.Running && !behind {
			f.logLive(a, fmt.Sprintf("the log shows child %d running since line %d", pid, c.StartLine))
		}
		return
	}
	if a.e.Kind == snapshot.KindRewriteBgTemp && c.Outcome == "ok" && st.Running {
		if j := logJob(st, serverlog.JobAOFRewrite); j != nil && j.ChildPID == pid {
			f.logLive(a, fmt.Sprintf("the log shows child %d finished and its base being installed (line %d)", pid, c.EndLine))
			return
		}
	}
	if c.Outcome == "died-with-server" && !st.Running {
		// The job ran when the server the log ends with died: what was
		// running then, which --server-stopped reports.
		return
	}
	a.state, a.decisive = stale, true
	a.why = fmt.Sprintf("the log says child %d %s (line %d)", pid, outcomeWords(c), c.EndLine)
	if c.Outcome == "died-with-server" {
		return
	}
	// A finished BGSAVE child renames its file, a failed one removes it,
	// the server removes a killed child's file and installs a finished
	// rewrite: a file left behind means a step of that went wrong, or the
	// log is not this directory's.
	f.logFindings = append(f.logFindings, finding.New(finding.LogJobEndedFileRemains, a.e.Path, "the log says child %d %s at line %d, yet its file %s remains", pid, outcomeWords(c), c.EndLine, a.e.Name).
		WithHint("the server removes or renames this file when the child ends; it is a leftover now (see its safe-to-delete verdict), unless the log is of another server"))
}

func (f *facts) logTransferFile(a *artifact, st *serverlog.State, behind bool) {
	pid := a.e.NamePID
	if pid == 0 {
		return
	}
	if pid == st.Server.PID {
		sync := logJob(st, serverlog.JobSync)
		switch {
		case st.Running && sync != nil && !behind:
			f.logLive(a, fmt.Sprintf("the log shows replica %d in its full sync since line %d", pid, sync.StartLine))
		case st.Running && sync == nil && !behind && a.e.NameTime != nil && logCovers(st, *a.e.NameTime) && a.state != live:
			a.state, a.decisive = stale, true
			a.why = fmt.Sprintf("the log of replica %d shows no full sync running at its end (line %d)", pid, st.LastLine)
			f.logFindings = append(f.logFindings, finding.New(finding.LogJobEndedFileRemains, a.e.Path, "the log of replica %d shows its full syncs ended (last line %d), yet the transfer file %s remains", pid, st.LastLine, a.e.Name).
				WithHint("a replica renames a complete payload and removes an aborted one; this file is a leftover"))
		}
		return
	}
	if lt := logLifetime(st, pid); lt != nil && lt.End != "running" {
		if a.state != live {
			a.state, a.decisive = stale, true
			a.why = fmt.Sprintf("replica pid %d is a server the log shows ending at line %d (%s)", pid, lt.EndLine, lt.End)
		}
		return
	}
	if !behind && a.e.NameTime != nil && logCovers(st, *a.e.NameTime) && !st.Server.StartedAt.IsZero() && st.Server.StartedAt.Before(*a.e.NameTime) {
		f.logFindings = append(f.logFindings, finding.New(finding.LogPIDMismatch, a.e.Path, "%s names replica pid %d, but the log's server is pid %d, running since %s, before that sync began", a.e.Name, pid, st.Server.PID, st.Server.StartedAt.UTC().Format(time.RFC3339)).
			WithHint("check that the log is this directory's server's"))
	}
}

// logStops reports that the log ends with the server gone (shutdown,
// crash, load error) and nothing in the directory changed after that:
// no job runs, as with Options.ServerStopped.
func (f *facts) logStops() (string, bool) {
	st := f.opt.Log
	if st == nil || st.Server == nil || st.Running {
		return "", false
	}
	if f.latest != nil && !st.Server.EndedAt.IsZero() && f.latest.MTime.After(st.Server.EndedAt.Add(logSlack)) {
		return "", false
	}
	return fmt.Sprintf("the log ends with the server (pid %d) gone at line %d: %s", st.Server.PID, st.Server.EndLine, st.Summary), true
}

// jobWritesNoFile: the log's job leaves nothing on disk to see (a load).
func jobWritesNoFile(p Phase) bool { return p == SyncLoading }

func up(c Confidence) Confidence {
	if c == Low {
		return Medium
	}
	return High
}

func maxConfidence(a, b Confidence) Confidence {
	rank := map[Confidence]int{Low: 0, Medium: 1, High: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// combineLog makes one verdict of the files' answer r and the log's.
func combineLog(f *facts, r *Result) {
	st := f.opt.Log
	if st == nil {
		return
	}
	r.Log = logSummary(f, st)
	r.LogProgress = logProgress(st)
	r.Findings = append(r.Findings, f.logFindings...)
	if f.logBehind() {
		path, what := f.latest.Path, f.latest.Path
		if path == "." {
			path, what = "", "the data directory itself"
		}
		r.Findings = append(r.Findings, finding.New(finding.LogBehindFiles, path, "the log ends at %s, %s before the directory's last change (%s): it does not show what happened since",
			st.AsOf.UTC().Format(time.RFC3339), ago(f.latest.MTime.Sub(st.AsOf)), what).
			WithHint("take the log again (kubectl logs), or give --log-tz when its times are in another zone than UTC"))
	}
	if st.FullSyncLoop {
		r.Findings = append(r.Findings, finding.New(finding.FullSyncLoop, "", "the log shows %d full syncs, up to %d within one hour: the full sync keeps restarting", st.FullSyncs, st.FullSyncsMaxPerHour).
			WithHint("each failure and its cause are in the log; aoftool check --log tells them in its story"))
	}
	if r.Rule == "server-stopped" {
		r.LogProgress = nil
		for _, e := range lastEvidence(st, 3) {
			r.Evidence = append(r.Evidence, f.logEvidence(e.Line, "%s", e.Fact))
		}
		return
	}
	if !st.Running {
		// The log ends with the server gone, yet files changed after: a
		// later server the log does not show.
		return
	}
	lp := Phase(st.Phase)
	lc := Confidence(st.Confidence)
	name := f.logName()
	logJobFact := fmt.Sprintf("the log says: %s (up to line %d)", st.Summary, st.LastLine)
	switch {
	case lp == r.Phase:
		both := r.Confidence != Low && lc != Low
		r.Confidence = maxConfidence(r.Confidence, lc)
		if both {
			r.Confidence = up(r.Confidence)
		}
		if r.Confidence == High {
			r.Alternatives = []Phase{}
			for _, p := range st.Alternatives {
				r.Alternatives = addAlt(r.Alternatives, Phase(p))
			}
		}
		if r.StepNumber == 0 && st.Step > 0 {
			r.StepNumber, r.Step = st.Step, fmt.Sprintf("step %d of %d", st.Step, st.StepOf)
			r.Summary += " (replica rebuild " + r.Step + ", from the log)"
		}
		r.Evidence = append(r.Evidence, Evidence{Path: name, Line: st.LastLine, Fact: logJobFact + "; it agrees with the files"})
	case r.Phase == Steady && (jobWritesNoFile(lp) || logJobAfterFiles(f, st)):
		why := "a load changes nothing on disk, so the files cannot show it"
		if !jobWritesNoFile(lp) {
			why = "the job began after the files' last change: they predate it"
		}
		alts := []Phase{}
		for _, p := range st.Alternatives {
			alts = addAlt(alts, Phase(p))
		}
		if lc != High {
			alts = addAlt(alts, Steady)
		}
		adoptLog(r, st, alts, st.Summary+" (from the log; "+why+")")
		r.Evidence = append(r.Evidence, Evidence{Path: name, Line: st.LastLine, Fact: logJobFact + "; " + why})
	case logJobAfterFiles(f, st) && lp != Steady:
		// The files predate the log's job: the log is the newer picture.
		adoptLog(r, st, addAlt(r.Alternatives, r.Phase), st.Summary+" (from the log, newer than the files)")
		r.Evidence = append(r.Evidence, Evidence{Path: name, Line: st.LastLine, Fact: logJobFact + "; the job began after the files' last change"})
	case lp == AOFRewrite && r.Phase == AOFRewriteFinishing && logChildFinishedFile(f, st):
		// The child renames its finished base before it logs so: a copy
		// taken between the two shows the file a step ahead of the log.
		r.Evidence = append(r.Evidence, Evidence{Path: name, Line: st.LastLine, Fact: logJobFact + "; the same child's finished base shows the next step, which the child logs only after the rename"})
	default:
		r.Findings = append(r.Findings, finding.New(finding.LogPhaseDisagrees, "", "the files say %s (%s) but the log says %s (%s, up to line %d)", r.Phase, r.Summary, lp, st.Summary, st.LastLine).
			WithHint("the files were kept as the answer; take the log and the listing at the same moment, and check that the log is this directory's server's"))
		r.Confidence = lower(r.Confidence)
		r.Alternatives = addAlt(r.Alternatives, lp)
		r.Evidence = append(r.Evidence, Evidence{Path: name, Line: st.LastLine, Fact: logJobFact + "; it disagrees with the files"})
	}
	if r.Progress == nil && r.Phase == SyncTransfer && st.Progress != nil && st.Progress.PayloadBytes > 0 {
		if t := newestAlive(f.transfers); t != nil {
			p := &Progress{Path: t.e.Path, Bytes: t.e.Size, ExpectedBytes: st.Progress.PayloadBytes,
				Basis: fmt.Sprintf("the payload size the master announced (%s line %d)", name, st.Progress.StartLine)}
			p.Percent = min(100, float64(int64(1000*float64(p.Bytes)/float64(p.ExpectedBytes)))/10)
			if rate := t.rate(); rate > 0 {
				p.RateBytesPerS = float64(int64(rate))
				eta := float64(int64(float64(max(0, p.ExpectedBytes-p.Bytes)) / rate))
				p.ETAS = &eta
			}
			r.Progress = p
		}
	}
}

// adoptLog makes the log's answer the result's.
func adoptLog(r *Result, st *serverlog.State, alts []Phase, summary string) {
	r.Phase, r.Confidence, r.Rule = Phase(st.Phase), Confidence(st.Confidence), "log"
	r.Alternatives, r.Summary = alts, summary
	r.StepNumber, r.Step = st.Step, ""
	if st.Step > 0 {
		r.Step = fmt.Sprintf("step %d of %d", st.Step, st.StepOf)
	}
}

// logChildFinishedFile: the rewrite child the log shows running is the
// one whose temp-rewriteaof-bg-<pid>.aof the files hold.
func logChildFinishedFile(f *facts, st *serverlog.State) bool {
	done, job := newestAlive(f.rewriteBgs), logJob(st, serverlog.JobAOFRewrite)
	return done != nil && job != nil && job.ChildPID != 0 && job.ChildPID == done.e.NamePID
}

// logJobAfterFiles: the log's running job began after the files' last
// change (a listing or copy taken before it).
func logJobAfterFiles(f *facts, st *serverlog.State) bool {
	if len(st.Jobs) == 0 || f.latest == nil || st.Jobs[0].StartedAt.IsZero() {
		return false
	}
	return st.Jobs[0].StartedAt.After(f.latest.MTime.Add(logSlack))
}

func lastEvidence(st *serverlog.State, n int) []serverlog.Evidence {
	if len(st.Evidence) <= n {
		return st.Evidence
	}
	return st.Evidence[len(st.Evidence)-n:]
}

func logSummary(f *facts, st *serverlog.State) *LogSummary {
	s := &LogSummary{Name: f.logName(), Phase: Phase(st.Phase), Confidence: Confidence(st.Confidence), StepNumber: st.Step,
		Summary: st.Summary, AsOf: st.AsOf, LastLine: st.LastLine, Running: st.Running}
	if st.Server != nil {
		s.ServerPID = st.Server.PID
	}
	return s
}

func logProgress(st *serverlog.State) *LogProgress {
	p := st.Progress
	if p == nil || !st.Running {
		return nil
	}
	lp := &LogProgress{Job: p.Job, ChildPID: p.ChildPID, StartLine: p.StartLine, StartedAt: p.StartedAt, ElapsedS: p.ElapsedS, PreviousS: p.PreviousS,
		PayloadBytes: p.PayloadBytes, Streamed: p.Streamed, KeysBefore: p.KeysBefore, RDBMemoryBytes: p.RDBMemoryBytes}
	if p.ElapsedS != nil && p.PreviousS != nil {
		eta := max(0, *p.PreviousS-*p.ElapsedS)
		lp.ETAS = &eta
	}
	return lp
}

// classifyLog is the answer from the log alone.
func classifyLog(opt Options) *Result {
	f := newFacts(nil, opt)
	st := opt.Log
	r := &Result{
		Schema:       SchemaVersion,
		Phase:        Phase(st.Phase),
		Confidence:   Confidence(st.Confidence),
		Alternatives: []Phase{},
		Summary:      st.Summary,
		Evidence:     []Evidence{},
		Findings:     finding.List{},
		Leftovers:    []Leftover{},
		Rule:         "log",
		TakenAt:      st.AsOf,
		Source:       SourceLog,
	}
	for _, p := range st.Alternatives {
		r.Alternatives = addAlt(r.Alternatives, Phase(p))
	}
	if st.Step > 0 {
		r.StepNumber, r.Step = st.Step, fmt.Sprintf("step %d of %d", st.Step, st.StepOf)
	}
	for _, e := range st.Evidence {
		r.Evidence = append(r.Evidence, f.logEvidence(e.Line, "%s", e.Fact))
	}
	if st.Server != nil {
		s := st.Server
		who := fmt.Sprintf("server pid %d", s.PID)
		if s.Product != "" || s.Version != "" {
			who += fmt.Sprintf(" (%s %s)", s.Product, s.Version)
		}
		r.Evidence = append(r.Evidence, f.logEvidence(max(1, s.StartLine), "%s, %d lifetime(s) in the log", who, st.LifetimeCount))
	}
	r.Evidence = append(r.Evidence, f.logEvidence(max(1, st.LastLine), "at the log's last line: %s", st.Summary))
	r.Log = logSummary(f, st)
	r.LogProgress = logProgress(st)
	if st.FullSyncLoop {
		r.Findings = append(r.Findings, finding.New(finding.FullSyncLoop, "", "the log shows %d full syncs, up to %d within one hour: the full sync keeps restarting", st.FullSyncs, st.FullSyncsMaxPerHour).
			WithHint("each failure and its cause are in the log; aoftool check --log tells them in its story"))
	}
	r.Next = next(f, r)
	r.Findings.Sort()
	return r
}
