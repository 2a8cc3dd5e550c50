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
