package check_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/serverlog"
)

func readLog(t *testing.T, path string) *serverlog.Log {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lg, err := serverlog.Read(f, serverlog.Options{KeepPerKind: 16})
	if err != nil {
		t.Fatal(err)
	}
	return lg
}

// The post-mortem with the server's log tells the incident's story from
// real logs: a full-sync loop and its failures, a crash, a start refused
// on a damaged AOF, and how long the last load took.
func TestStoryFromRealLogs(t *testing.T) {
	logs := filepath.Join("..", "..", "serverlog", "testdata", "redis-7.0.15")
	cases := []struct {
		log   string
		check func(*testing.T, *check.Story, *check.Report)
	}{
		{"sync-loop/replica.log", func(t *testing.T, s *check.Story, r *check.Report) {
			if !s.FullSyncLoop || s.FullSyncs != 3 || s.FailureCount != 2 || len(s.Failures) != 2 {
				t.Errorf("loop %v, %d syncs, %d failures %+v", s.FullSyncLoop, s.FullSyncs, s.FailureCount, s.Failures)
			}
			if !strings.Contains(s.Failures[0].Why, "closed the link") || !strings.Contains(s.Summary, "full-sync loop") {
				t.Errorf("failure %q, summary %q", s.Failures[0].Why, s.Summary)
			}
			if len(s.Estimates) != 2 || !strings.Contains(s.Estimates[0], "300 keys") || !strings.Contains(s.Estimates[1], "loads 13 keys") {
				t.Errorf("estimates %q", s.Estimates)
			}
			if !r.Findings.Has(finding.FullSyncLoop) {
				t.Errorf("no full-sync-loop finding: %v", r.Findings)
			}
		}},
		{"crash/server.log", func(t *testing.T, s *check.Story, r *check.Report) {
			if s.Crashes != 1 || s.Running || s.Server == nil || s.Server.End != "crash" || !strings.Contains(s.Summary, "crashed") {
				t.Errorf("crashes %d running %v server %+v: %s", s.Crashes, s.Running, s.Server, s.Summary)
			}
		}},
		{"load-errors/aof-truncated-refused.log", func(t *testing.T, s *check.Story, r *check.Report) {
			if s.Running || s.Server == nil || s.Server.End != "load-error" || s.FailureCount == 0 {
				t.Errorf("server %+v failures %+v", s.Server, s.Failures)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.log, func(t *testing.T) {
			dir := copyFixture(t, "redis7-rewrite")
			d, err := datadir.Open(dir, datadir.DefaultConfig(), datadir.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := check.Run(context.Background(), d, check.Options{Log: readLog(t, filepath.Join(logs, c.log)), LogName: c.log})
			if err != nil {
				t.Fatal(err)
			}
			s := r.Story
			if s == nil || s.Log != c.log || s.Lines == 0 || len(s.Events) == 0 || s.Summary == "" || r.Phase.Log == nil {
				t.Fatalf("story %+v, phase log %+v", s, r.Phase.Log)
			}
			for i := 1; i < len(s.Events); i++ {
				if s.Events[i].Line < s.Events[i-1].Line {
					t.Errorf("events out of order: %+v", s.Events)
				}
			}
			c.check(t, s, r)
		})
	}
	// Without a log there is no story.
	dir := copyFixture(t, "redis7-rewrite")
	if r := run(t, dir); r.Story != nil {
		t.Errorf("a story without a log: %+v", r.Story)
	}
}
