package check

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// Story is what the server's log tells of the incident: the server's
// lifetimes and how each ended, the events before the copy, the jobs that
// failed and why, full-sync loops, and how long the last load, rewrite,
// save and sync took, so that the next one can be estimated.
type Story struct {
	// Log names the log; Lines is how many lines it held, AsOf the time of
	// its last timestamped line.
	Log   string    `json:"log"`
	Lines int       `json:"lines"`
	AsOf  time.Time `json:"as_of,omitzero"`
	// LogEndsBeforeFilesS is how many seconds the log ends before the
	// directory's last change (negative: after it); nil when either time
	// is unknown.
	LogEndsBeforeFilesS *float64 `json:"log_ends_before_files_s"`
	// Server is the last lifetime in the log; Running says it shows no
	// end of it.
	Server    *serverlog.Lifetime  `json:"server"`
	Running   bool                 `json:"running"`
	Lifetimes []serverlog.Lifetime `json:"lifetimes"`
	Crashes   int                  `json:"crashes"`
	// Events are the notable events, oldest first (the last MaxStoryEvents).
	Events []StoryEvent `json:"events"`
	// Failures are the jobs that failed and why (the last few;
	// FailureCount counts all).
	Failures     []serverlog.Failure `json:"failures"`
	FailureCount int                 `json:"failure_count"`
	// FullSyncs counts the full syncs the replica began; FullSyncLoop is
	// set at three or more within an hour.
	FullSyncs           int  `json:"full_syncs"`
	FullSyncsMaxPerHour int  `json:"full_syncs_max_per_hour"`
	FullSyncLoop        bool `json:"full_sync_loop"`
	// Durations are the last load, AOF rewrite, BGSAVE and full sync.
	Durations []serverlog.Done `json:"durations"`
	// Running jobs at the log's end.
	Jobs []serverlog.Running `json:"jobs"`
	// Estimates say how long the next load takes, from the last one.
	Estimates []string `json:"estimates"`
	// Summary is the story in one sentence.
	Summary string `json:"summary"`
}

// StoryEvent is one notable line of the log, in words.
type StoryEvent struct {
	Line int            `json:"line"`
	Time time.Time      `json:"time,omitzero"`
	PID  int            `json:"pid,omitempty"`
	Kind serverlog.Kind `json:"kind"`
	Text string         `json:"text"`
}

// MaxStoryEvents bounds the events a story lists.
const MaxStoryEvents = 40

// tell is the story of the log beside the report: the directory's last
// change, and the keys the next start loads in the judged mode.
func (r *Report) tell(lg *serverlog.Log, name string, snap *snapshot.Snapshot) *Story {
	var last time.Time
	for i := range snap.Entries {
		if e := &snap.Entries[i]; e.MTime.After(last) {
			last = e.MTime
		}
	}
	if snap.RootDir != nil && snap.RootDir.MTime.After(last) {
		last = snap.RootDir.MTime
	}
	next := r.Start.AOFOn.Keys
	if r.Start.Judged.Mode == AOFOff {
		next = r.Start.AOFOff.Keys
	}
	return storyOf(lg, name, last, next)
}

// storyOf tells the story of lg. filesAt is the directory's last change
// (zero when unknown); nextKeys the keys the next start loads, when known.
func storyOf(lg *serverlog.Log, name string, filesAt time.Time, nextKeys *int64) *Story {
	st := lg.State
	s := &Story{Log: name, Lines: lg.Stats.Lines, AsOf: st.AsOf, Server: st.Server, Running: st.Running,
		Lifetimes: append([]serverlog.Lifetime{}, st.Lifetimes...), Crashes: st.Crashes,
		Events: []StoryEvent{}, Failures: append([]serverlog.Failure{}, st.Failures...), FailureCount: st.FailureCount,
		FullSyncs: st.FullSyncs, FullSyncsMaxPerHour: st.FullSyncsMaxPerHour, FullSyncLoop: st.FullSyncLoop,
		Durations: []serverlog.Done{}, Jobs: append([]serverlog.Running{}, st.Jobs...), Estimates: []string{}}
	if !st.AsOf.IsZero() && !filesAt.IsZero() {
		d := filesAt.Sub(st.AsOf).Seconds()
		s.LogEndsBeforeFilesS = &d
	}
	for _, e := range lg.Events {
		if text := eventWords(&e); text != "" {
			s.Events = append(s.Events, StoryEvent{Line: e.Line, Time: e.Time, PID: e.PID, Kind: e.Kind, Text: text})
		}
	}
	sort.SliceStable(s.Events, func(i, j int) bool { return s.Events[i].Line < s.Events[j].Line })
	// A server says some things twice in a row (ready on TCP, then on the
	// unix socket): once is the story.
	kept := s.Events[:0]
	for _, e := range s.Events {
		if n := len(kept); n > 0 && kept[n-1].Text == e.Text && kept[n-1].PID == e.PID {
			continue
		}
		kept = append(kept, e)
	}
	s.Events = kept
	if len(s.Events) > MaxStoryEvents {
		s.Events = s.Events[len(s.Events)-MaxStoryEvents:]
	}
	for _, d := range []*serverlog.Done{st.LastLoad, st.LastRewrite, st.LastBGSave, st.LastSync} {
		if d != nil {
			s.Durations = append(s.Durations, *d)
		}
	}
	s.Estimates = estimates(st, nextKeys)
	s.Summary = storySummary(s)
	return s
}

// estimates words how long the next load takes, from the last one.
func estimates(st *serverlog.State, nextKeys *int64) []string {
	out := []string{}
	ld := st.LastLoad
	if ld == nil || !ld.OK || ld.DurationS == nil {
		return out
	}
	took := secondsWords(*ld.DurationS)
	what := loadSourceWords(ld.Source)
	if ld.Keys <= 0 || *ld.DurationS <= 0 {
		out = append(out, fmt.Sprintf("the last load (%s, line %d) took %s", what, ld.EndLine, took))
		return out
	}
	rate := float64(ld.Keys) / *ld.DurationS
	out = append(out, fmt.Sprintf("the last load (%s, line %d) took %s for %d keys: about %.0f keys/s", what, ld.EndLine, took, ld.Keys, rate))
	if nextKeys != nil && *nextKeys > 0 {
		out = append(out, fmt.Sprintf("the next start loads %d keys: about %s at that rate", *nextKeys, secondsWords(float64(*nextKeys)/rate)))
	}
	return out
}

func loadSourceWords(src string) string {
	switch src {
	case "sync-disk":
		return "a full-sync payload from disk"
	case "sync-socket":
		return "a full-sync payload from the socket"
	case "aof":
		return "the AOF at start"
	case "rdb":
		return "dump.rdb at start"
	}
	return src
}

func secondsWords(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func storySummary(s *Story) string {
	var parts []string
	n := len(s.Lifetimes)
	parts = append(parts, plural(int64(n), "server lifetime", "server lifetimes"))
	if s.Crashes > 0 {
		parts = append(parts, plural(int64(s.Crashes), "crash", "crashes"))
	}
	if s.Server != nil {
		if s.Running {
			parts = append(parts, fmt.Sprintf("the last (pid %d) still running at the log's end", s.Server.PID))
		} else {
			parts = append(parts, fmt.Sprintf("the last (pid %d) ended: %s", s.Server.PID, endWords(s.Server)))
		}
	}
	if s.FullSyncs > 0 {
		p := plural(int64(s.FullSyncs), "full sync", "full syncs")
		if s.FullSyncLoop {
			p += fmt.Sprintf(" (up to %d within an hour: a full-sync loop)", s.FullSyncsMaxPerHour)
		}
		parts = append(parts, p)
	}
	if s.FailureCount > 0 {
		parts = append(parts, plural(int64(s.FailureCount), "failure", "failures"))
	}
	if d := s.LogEndsBeforeFilesS; d != nil {
		switch {
		case *d > 2:
			parts = append(parts, fmt.Sprintf("the log ends %s before the directory's last change", secondsWords(*d)))
		case *d < -2:
			parts = append(parts, fmt.Sprintf("the log goes on %s after the directory's last change", secondsWords(-*d)))
		}
	}
	return strings.Join(parts, "; ")
}

func endWords(l *serverlog.Lifetime) string {
	switch l.End {
	case "shutdown":
		return "shut down"
	case "crash":
		return "crashed (" + l.Reason + ")"
	case "load-error":
		return "exited on a load error (" + l.Reason + ")"
	case "vanished":
		return "vanished with no exit line (killed, OOM-killed, or the log was cut)"
	}
	if l.Reason != "" {
		return l.End + " (" + l.Reason + ")"
	}
	return l.End
}

// eventWords says a notable event in words; "" for the others.
func eventWords(e *serverlog.Event) string {
	switch e.Kind {
	case serverlog.KindVersion:
		return fmt.Sprintf("server pid %d started (%s %s)", e.PID, e.Product, e.Version)
	case serverlog.KindReady:
		return "ready to accept connections"
	case serverlog.KindExit:
		return "shut down"
	case serverlog.KindShutdownRefuse:
		return "refused to shut down"
	case serverlog.KindCrashSignal:
		return fmt.Sprintf("crashed by signal %d", e.Signal)
	case serverlog.KindAssertion:
		return "crashed: assertion failed " + e.Reason
	case serverlog.KindOOM:
		return fmt.Sprintf("out of memory allocating %d bytes", e.Bytes)
	case serverlog.KindFatalLoad:
		return "fatal error loading the data: " + e.Reason
	case serverlog.KindAOFLoaded:
		return fmt.Sprintf("AOF loaded in %.3fs", e.Seconds)
	case serverlog.KindRDBLoaded:
		return fmt.Sprintf("dump.rdb loaded in %.3fs", e.Seconds)
	case serverlog.KindRDBDone:
		return fmt.Sprintf("%d keys loaded, %d expired", e.Keys, e.Expired)
	case serverlog.KindAOFTruncating:
		return fmt.Sprintf("AOF %s truncated at offset %d while loading", e.File, e.Offset)
	case serverlog.KindAOFManifestErr, serverlog.KindAOFBadFormat, serverlog.KindAOFUnexpectedEOF, serverlog.KindAOFMissing,
		serverlog.KindRDBShortRead, serverlog.KindRDBChecksum, serverlog.KindRDBVersion, serverlog.KindRDBSignature:
		return "load error: " + strings.ReplaceAll(string(e.Kind), "-", " ")
	case serverlog.KindReplicaOf:
		return "REPLICAOF " + e.Addr
	case serverlog.KindMasterMode:
		return "became a master"
	case serverlog.KindFullResync:
		return "full sync from the master began (" + e.ReplID + ")"
	case serverlog.KindPsyncAccepted:
		return "partial resync accepted"
	case serverlog.KindTransferDisk:
		return fmt.Sprintf("receiving a %d-byte payload to disk", e.Bytes)
	case serverlog.KindStreamDisk:
		return "receiving a streamed payload to disk"
	case serverlog.KindTransferParser, serverlog.KindStreamParser:
		return "loading the payload from the socket (diskless load)"
	case serverlog.KindLoadingDB:
		return "loading the payload"
	case serverlog.KindReplicaKills:
		return fmt.Sprintf("killed child %d to load the payload", e.ChildPID)
	case serverlog.KindSyncDone:
		return "full sync finished"
	case serverlog.KindSyncLoadFailed:
		return "could not load the payload"
	case serverlog.KindSyncFailed:
		if e.Reason == "Success" || e.Reason == "connection lost" {
			// errno 0: the master closed the link.
			return "full sync failed: the master closed the link"
		}
		if e.Reason != "" {
			return "full sync failed: " + e.Reason
		}
		return "full sync failed"
	case serverlog.KindServeFull:
		return "a replica asked for a full sync"
	case serverlog.KindBGSaveStart:
		return fmt.Sprintf("BGSAVE child %d started", e.ChildPID)
	case serverlog.KindBGSaveOK:
		return "BGSAVE finished"
	case serverlog.KindBGSaveError:
		return "BGSAVE failed"
	case serverlog.KindBGSaveKilled:
		return fmt.Sprintf("BGSAVE child killed by signal %d", e.Signal)
	case serverlog.KindForkFailed:
		return "fork failed: " + e.Reason
	case serverlog.KindRewriteStart:
		return fmt.Sprintf("AOF rewrite child %d started", e.ChildPID)
	case serverlog.KindRewriteDone:
		return "AOF rewrite finished"
	case serverlog.KindRewriteError:
		return "AOF rewrite failed"
	case serverlog.KindRewriteKilled:
		return fmt.Sprintf("AOF rewrite child killed by signal %d", e.Signal)
	case serverlog.KindRewriteKill:
		return fmt.Sprintf("the server killed AOF rewrite child %d", e.ChildPID)
	case serverlog.KindRewriteBackoff:
		return fmt.Sprintf("AOF rewrites keep failing: the next automatic one waits %d minutes", e.N)
	case serverlog.KindAOFWriteError:
		return "writing the AOF failed: " + e.Reason
	case serverlog.KindChildOrphaned:
		return fmt.Sprintf("child %d found its parent gone and exited", e.PID)
	}
	return ""
}
