package serverlog

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Several server runs pasted one after the other: each start is a
// lifetime; a run with no exit line before the next start vanished.
func TestSeveralRestartsInOnePaste(t *testing.T) {
	var paste bytes.Buffer
	paste.Write(readFixture(t, "testdata/redis-7.0.15/crash/server.log"))
	paste.Write(readFixture(t, "testdata/redis-7.0.15/bgsave/server.log"))
	paste.Write(readFixture(t, "testdata/redis-7.0.15/replica-rebuild/replica.log"))
	lg, err := Read(&paste, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := lg.State
	if st.LifetimeCount != 3 || len(st.Lifetimes) != 3 {
		t.Fatalf("%d lifetimes (%d kept), want 3", st.LifetimeCount, len(st.Lifetimes))
	}
	ends := []string{st.Lifetimes[0].End, st.Lifetimes[1].End, st.Lifetimes[2].End}
	if strings.Join(ends, ",") != "crash,vanished,running" {
		t.Errorf("ends %v", ends)
	}
	if st.Phase != Steady || !st.Running || st.Server.Role != RoleReplica || st.Crashes != 1 {
		t.Errorf("phase %s running %v role %s crashes %d", st.Phase, st.Running, st.Server.Role, st.Crashes)
	}
	if lg.Stats.Unknown != 0 {
		t.Errorf("unknown lines %+v", lg.Unknown)
	}
}

// Derive over retained events gives what Read gives when nothing was
// dropped.
func TestDeriveMatchesRead(t *testing.T) {
	b := readFixture(t, "testdata/redis-7.0.15/replica-rebuild/replica.log")
	b = firstLines(b, 27)
	lg, err := Read(bytes.NewReader(b), Options{KeepPerKind: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := Derive(lg.Events)
	if got.Phase != lg.State.Phase || got.Step != lg.State.Step || got.Summary != lg.State.Summary {
		t.Errorf("derive: %s %d %q; read: %s %d %q", got.Phase, got.Step, got.Summary, lg.State.Phase, lg.State.Step, lg.State.Summary)
	}
}

// The JSON document: snake_case keys, RFC 3339 times, seconds as numbers.
func TestStateJSON(t *testing.T) {
	b := firstLines(readFixture(t, "testdata/redis-7.0.15/replica-rebuild/replica.log"), 23)
	lg, err := Read(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(lg)
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`"([A-Za-z_]+)":`).FindAllStringSubmatch(string(out), -1)
	for _, k := range keys {
		if k[1] != strings.ToLower(k[1]) {
			t.Errorf("key %q is not snake_case", k[1])
		}
	}
	var doc struct {
		State struct {
			Phase    string `json:"phase"`
			Step     int    `json:"step"`
			AsOf     string `json:"as_of"`
			Progress struct {
				ElapsedS     float64 `json:"elapsed_s"`
				PayloadBytes int64   `json:"payload_bytes"`
			} `json:"progress"`
		} `json:"state"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.State.Phase != "sync-loading" || doc.State.Step != 2 || doc.State.Progress.PayloadBytes <= 0 || doc.State.Progress.ElapsedS <= 0 {
		t.Errorf("state %+v", doc.State)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`).MatchString(doc.State.AsOf) {
		t.Errorf("as_of %q is not RFC 3339", doc.State.AsOf)
	}
	if strings.Contains(string(out), "0001-01-01") {
		t.Errorf("a zero time is rendered")
	}
}

// Moments no capture pins down, written with the servers' wording. None
// has a start line, so a job started before the paste could be missing:
// the confidence is at most medium.
func TestStateEdges(t *testing.T) {
	const h = "7:M 03 Dec 2026 06:50:0"
	const r = "7:S 03 Dec 2026 06:50:0"
	cases := []struct {
		name  string
		log   string
		phase Phase
		step  int
		conf  Confidence
		alt   []Phase
	}{
		{"bgsave child done, not yet reaped", h + "1.000 * Background saving started by pid 42\n42:C 03 Dec 2026 06:50:02.000 * DB saved on disk\n", BGSave, 0, Medium, []Phase{Steady}},
		{"AOF being switched on: temp incr, no child yet", h + "1.000 * Creating AOF incr file temp-appendonly.aof.incr on background rewrite\n", AOFRewrite, 0, Medium, nil},
		{"rewrite installing", h + "1.000 * Background append only file rewriting started by pid 9\n" + h + "2.000 * Background AOF rewrite terminated with success\n", AOFRewriteFinishing, 0, Medium, nil},
		{"partial resync: nothing to rebuild", r + "1.000 * Connecting to MASTER m:6379\n" + r + "1.100 * MASTER <-> REPLICA sync started\n" + r + "1.200 * MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.\n", Steady, 0, Medium, nil},
		{"transfer while a BGSAVE runs", r + "1.000 * Background saving started by pid 11\n" + r + "2.000 * Full resync from master: abc:1\n" + r + "3.000 * MASTER <-> REPLICA sync: receiving 100 bytes from master to disk\n", SyncTransfer, 1, Medium, []Phase{BGSave}},
		{"promoted during a sync", r + "1.000 * Full resync from master: abc:1\n7:M 03 Dec 2026 06:50:02.000 * MASTER MODE enabled (user request from 'id=3')\n", Steady, 0, Medium, nil},
		{"load at start", h + "1.000 * Reading RDB base file on AOF loading...\n" + h + "1.001 * Loading RDB produced by version 7.0.15\n", Steady, 0, Medium, nil},
		{"crash in a child is its job's failure, not the server's", h + "1.000 * Background saving started by pid 42\n42:C 03 Dec 2026 06:50:02.000 # Redis 7.0.15 crashed by signal: 11, si_code: 1\n", BGSave, 0, Medium, nil},
	}
	for _, c := range cases {
		lg, err := Read(strings.NewReader(c.log), Options{})
		if err != nil {
			t.Fatal(err)
		}
		st := lg.State
		if st.Phase != c.phase || st.Step != c.step || st.Confidence != c.conf || len(st.Alternatives) != len(c.alt) {
			t.Errorf("%s: %s step %d %s alt %v, want %s step %d %s alt %v (%s)", c.name, st.Phase, st.Step, st.Confidence, st.Alternatives, c.phase, c.step, c.conf, c.alt, st.Summary)
		}
		for i := range c.alt {
			if i < len(st.Alternatives) && st.Alternatives[i] != c.alt[i] {
				t.Errorf("%s: alternatives %v, want %v", c.name, st.Alternatives, c.alt)
			}
		}
		if lg.Stats.Unknown != 0 {
			t.Errorf("%s: unknown %+v", c.name, lg.Unknown)
		}
	}
}

// A server killed alone (the OOM killer picks the parent) writes no exit
// line; its BGSAVE child says so when its next progress report finds no
// parent (src/childinfo.c, Redis 6.2.8 and 7.0.6 on).
func TestOrphanedChildEndsItsServer(t *testing.T) {
	log := `4100:C 03 Dec 2026 07:10:00.000 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=4100, just started
4100:M 03 Dec 2026 07:10:00.001 * Ready to accept connections
4100:M 03 Dec 2026 07:10:01.000 * Background saving started by pid 4177
4177:C 03 Dec 2026 07:10:03.500 # Child failed reporting info to parent, exiting. Broken pipe
`
	lg, err := Read(strings.NewReader(log), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := lg.State
	if st.Running || st.Server == nil || st.Server.End != "vanished" || st.Phase != Steady {
		t.Fatalf("running %v server %+v phase %s", st.Running, st.Server, st.Phase)
	}
	if len(st.Children) != 1 || st.Children[0].Outcome != "died-with-server" || st.Children[0].EndLine != 4 {
		t.Errorf("children %+v", st.Children)
	}
	if lg.Stats.Unknown != 0 {
		t.Errorf("unknown lines: %+v", lg.Unknown)
	}
}
