package phase_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/serverlog"
)

// logMoment is one row of serverlog/testdata/*/*/moments.tsv: a log cut
// after Lines lines, and what the server was doing then.
type logMoment struct {
	name  string
	text  []byte
	phase phase.Phase
	step  int
}

func loadLogMoments(t *testing.T) []logMoment {
	t.Helper()
	files, _ := filepath.Glob("../serverlog/testdata/*/*/moments.tsv")
	if len(files) == 0 {
		t.Fatal("no captured logs in serverlog/testdata")
	}
	var out []logMoment
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(f)
		for _, row := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.HasPrefix(row, "#") {
				continue
			}
			col := strings.Split(row, "\t")
			n, _ := strconv.Atoi(col[1])
			step, _ := strconv.Atoi(col[3])
			log, err := os.ReadFile(filepath.Join(dir, col[0]))
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel("../serverlog/testdata", dir)
			out = append(out, logMoment{name: fmt.Sprintf("%s/%s:%d", rel, col[0], n), text: firstLines(log, n), phase: phase.Phase(col[2]), step: step})
		}
	}
	return out
}

func firstLines(b []byte, n int) []byte {
	cut := 0
	for i := 0; i < n; i++ {
		k := bytes.IndexByte(b[cut:], '\n')
		if k < 0 {
			return b
		}
		cut += k + 1
	}
	return b[:cut]
}

// pastes are the ways a log reaches aoftool besides a file.
var pastes = map[string]func([]byte) []byte{
	"file": func(b []byte) []byte { return b },
	"kubectl-timestamps-prefix": func(b []byte) []byte {
		var out bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for i := 0; sc.Scan(); i++ {
			fmt.Fprintf(&out, "[pod/redis-0/redis] 2026-12-03T06:50:%02d.123456789Z %s\n", i%60, sc.Text())
		}
		return out.Bytes()
	},
	"prompt-crlf": func(b []byte) []byte {
		b = append([]byte("ops@bastion:~$ kubectl logs -n cache redis-0 -c redis\n"), b...)
		return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	},
}

// At every captured moment of every server in serverlog/testdata (Redis
// 6.2.16 to 7.4.1, Valkey 7.2.7 and 8.0.1, every phase and failure), the
// log alone gives the phase and rebuild step the server was in, as a file
// and as kubectl pastes it.
func TestLogAloneAtEveryMoment(t *testing.T) {
	for _, m := range loadLogMoments(t) {
		for name, paste := range pastes {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				lg, err := serverlog.Read(bytes.NewReader(paste(m.text)), serverlog.Options{})
				if err != nil {
					t.Fatal(err)
				}
				r := phase.Classify(nil, phase.Options{Log: lg.State, LogName: "server.log"})
				if r.Phase != m.phase || r.StepNumber != m.step {
					t.Errorf("%s step %d (%s), want %s step %d: %s", r.Phase, r.StepNumber, r.Confidence, m.phase, m.step, r.Summary)
				}
				if r.Source != phase.SourceLog || r.Rule != "log" || r.Log == nil || len(r.Evidence) == 0 {
					t.Errorf("source %s rule %s log %+v evidence %d", r.Source, r.Rule, r.Log, len(r.Evidence))
				}
				for _, e := range r.Evidence {
					if e.Path != "server.log" || e.Line <= 0 {
						t.Errorf("evidence without its log line: %+v", e)
					}
				}
			})
		}
	}
}
