package serverlog

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixtureMoment is one row of a moments.tsv with the log cut at it.
type fixtureMoment struct {
	moment
	dir  string
	text []byte // the first Line lines of the log
}

func loadMoments(t testing.TB) []fixtureMoment {
	t.Helper()
	files, err := filepath.Glob("testdata/*/*/moments.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no captured logs in testdata/ (make them with -make-logs)")
	}
	var out []fixtureMoment
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
			if len(col) < 5 {
				t.Fatalf("%s: bad row %q", f, row)
			}
			n, _ := strconv.Atoi(col[1])
			step, _ := strconv.Atoi(col[3])
			m := moment{Log: col[0], Line: n, Phase: Phase(col[2]), Step: step, Label: col[4]}
			if len(col) > 5 && col[5] != "" {
				m.Expect = strings.Fields(col[5])
			}
			log, err := os.ReadFile(filepath.Join(dir, m.Log))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fixtureMoment{moment: m, dir: dir, text: firstLines(log, n)})
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

// checkExpect asserts the key=value facts a moment names.
func checkExpect(t *testing.T, st *State, expect []string) {
	t.Helper()
	for _, e := range expect {
		k, v, _ := strings.Cut(e, "=")
		switch k {
		case "running":
			if strconv.FormatBool(st.Running) != v {
				t.Errorf("running = %v, want %s", st.Running, v)
			}
		case "failure":
			found := false
			for _, f := range st.Failures {
				if string(f.Kind) == v {
					found = true
				}
			}
			if !found {
				t.Errorf("no failure of kind %s in %+v", v, st.Failures)
			}
		case "lifetimes":
			if strconv.Itoa(st.LifetimeCount) != v {
				t.Errorf("lifetimes = %d, want %s", st.LifetimeCount, v)
			}
		case "crashes":
			if strconv.Itoa(st.Crashes) != v {
				t.Errorf("crashes = %d, want %s", st.Crashes, v)
			}
		case "truncations":
			if strconv.Itoa(len(st.AOFTruncations)) != v {
				t.Errorf("truncations = %d, want %s", len(st.AOFTruncations), v)
			}
		case "fullsyncs":
			if strconv.Itoa(st.FullSyncs) != v {
				t.Errorf("full syncs = %d, want %s", st.FullSyncs, v)
			}
		case "loop":
			if strconv.FormatBool(st.FullSyncLoop) != v {
				t.Errorf("full-sync loop = %v (max %d per hour), want %s", st.FullSyncLoop, st.FullSyncsMaxPerHour, v)
			}
		case "job":
			if len(st.Jobs) == 0 || string(st.Jobs[0].Job) != v {
				t.Errorf("jobs = %+v, want %s first", st.Jobs, v)
			}
		case "lastload":
			if st.LastLoad == nil || string(st.LastLoad.Job) != v || st.LastLoad.DurationS == nil {
				t.Errorf("last load = %+v, want a %s with a duration", st.LastLoad, v)
			}
		case "payload>0":
			if st.Progress == nil || st.Progress.PayloadBytes <= 0 {
				t.Errorf("progress = %+v, want the payload size", st.Progress)
			}
		default:
			t.Fatalf("unknown expectation %q", e)
		}
	}
}

// Every captured moment: the phase and rebuild step from the log alone
// are what the server was doing when the log was read.
func TestCapturedMoments(t *testing.T) {
	for _, m := range loadMoments(t) {
		t.Run(m.dir+"/"+m.Log+":"+strconv.Itoa(m.Line), func(t *testing.T) {
			lg, err := Read(bytes.NewReader(m.text), Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := lg.State
			if st.Phase != m.Phase || st.Step != m.Step {
				t.Errorf("%s: phase %s step %d, want %s step %d\nsummary: %s\nevidence: %+v", m.Label, st.Phase, st.Step, m.Phase, m.Step, st.Summary, st.Evidence)
			}
			checkExpect(t, st, m.Expect)
			if lg.Stats.Unknown != 0 {
				t.Errorf("%d unknown lines in a real log: %+v", lg.Stats.Unknown, lg.Unknown)
			}
		})
	}
}

// pasteVariants are the ways a log reaches aoftool besides a file: through
// kubectl with --timestamps and --prefix, after a shell prompt and the
// command, with CRLF line ends, and cut at a terminal's width.
var pasteVariants = map[string]func([]byte) []byte{
	"kubectl-timestamps": func(b []byte) []byte {
		return eachLine(b, func(i int, l string) string { return "2026-12-03T06:50:" + twoDigits(i%60) + ".123456789Z " + l })
	},
	"kubectl-prefix": func(b []byte) []byte {
		return eachLine(b, func(i int, l string) string { return "[pod/redis-0/redis] " + l })
	},
	"kubectl-both": func(b []byte) []byte {
		return eachLine(b, func(i int, l string) string {
			return "[pod/redis-node-1/redis] 2026-12-03T06:50:" + twoDigits(i%60) + ".1Z " + l
		})
	},
	"prompt": func(b []byte) []byte {
		return append([]byte("ops@bastion:~$ kubectl logs -n cache redis-0 -c redis --tail=200\n\n"), b...)
	},
	"crlf": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	},
	"cut-at-80": func(b []byte) []byte {
		return eachLine(b, func(i int, l string) string {
			if len(l) > 80 {
				return l[:80]
			}
			return l
		})
	},
	"cut-at-120-with-prompt-after": func(b []byte) []byte {
		cut := eachLine(b, func(i int, l string) string {
			if len(l) > 120 {
				return l[:120]
			}
			return l
		})
		return append(cut, []byte("ops@bastion:~$ \n")...)
	},
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

func eachLine(b []byte, f func(int, string) string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		out.WriteString(f(i, sc.Text()))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// The same moments pasted: the answer does not change.
func TestPastedMoments(t *testing.T) {
	for _, m := range loadMoments(t) {
		for name, variant := range pasteVariants {
			t.Run(m.dir+"/"+m.Log+":"+strconv.Itoa(m.Line)+"/"+name, func(t *testing.T) {
				lg, err := Read(bytes.NewReader(variant(m.text)), Options{})
				if err != nil {
					t.Fatal(err)
				}
				st := lg.State
				if st.Phase != m.Phase || st.Step != m.Step {
					t.Errorf("%s: phase %s step %d, want %s step %d\nsummary: %s", m.Label, st.Phase, st.Step, m.Phase, m.Step, st.Summary)
				}
				if lg.Stats.Unknown != 0 {
					t.Errorf("%d unknown lines: %+v", lg.Stats.Unknown, lg.Unknown)
				}
				if strings.HasPrefix(name, "valkey-logfmt") && (lg.Stats.Logfmt == 0 || lg.Stats.Legacy != 0) {
					t.Errorf("logfmt variant read as %d logfmt and %d legacy lines", lg.Stats.Logfmt, lg.Stats.Legacy)
				}
			})
		}
	}
}

// valkeyFormat rewrites a legacy log in the layouts Valkey 8.1+ writes
// with log-format and log-timestamp-format, as serverLogRaw (src/server.c,
// valkey commit 55bbbe09) formats them: the same events, other headers.
// Raw lines (logo, bug report) are written raw in every layout; a message
// holding newlines (the manifest error) is one logfmt line with the
// newlines turned into spaces.
func valkeyFormat(logfmt bool, stamp string) func([]byte) []byte {
	roles := map[Role]string{RoleMaster: "primary", RoleReplica: "replica", RoleChild: "RDB/AOF", RoleSentinel: "sentinel"}
	roleChar := map[Role]byte{RoleMaster: 'M', RoleReplica: 'S', RoleChild: 'C', RoleSentinel: 'X'}
	levels := map[Level]string{LevelDebug: "debug", LevelVerbose: "info", LevelNotice: "notice", LevelWarning: "warning"}
	levelChar := map[Level]byte{LevelDebug: '.', LevelVerbose: '-', LevelNotice: '*', LevelWarning: '#'}
	return func(b []byte) []byte {
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		var out strings.Builder
		for i := 0; i < len(lines); i++ {
			var ln Line
			if !parseHeader([]byte(lines[i]), time.UTC, &ln, nil) || ln.Format != FormatLegacy {
				out.WriteString(lines[i] + "\n")
				continue
			}
			msg := string(ln.Message)
			if logfmt && msg == "" && i+1 < len(lines) && lines[i+1] != "" {
				var next Line
				if !parseHeader([]byte(lines[i+1]), time.UTC, &next, nil) {
					msg = " " + lines[i+1] + " "
					i++
					if i+1 < len(lines) && lines[i+1] == "" {
						i++
					}
				}
			}
			var ts string
			switch stamp {
			case "iso8601":
				ts = ln.Time.Format("2006-01-02T15:04:05.000") + "+00:00"
			case "milliseconds":
				ts = strconv.FormatInt(ln.Time.UnixMilli(), 10)
			default:
				ts = ln.Time.Format("02 Jan 2006 15:04:05.000")
			}
			if logfmt {
				fmt.Fprintf(&out, "pid=%d role=%s timestamp=\"%s\" level=%s message=\"%s\"\n", ln.PID, roles[ln.Role], ts, levels[ln.Level], strings.ReplaceAll(msg, `"`, "'"))
			} else {
				fmt.Fprintf(&out, "%d:%c %s %c %s\n", ln.PID, roleChar[ln.Role], ts, levelChar[ln.Level], msg)
			}
		}
		return []byte(out.String())
	}
}

func init() {
	pasteVariants["valkey-iso8601"] = valkeyFormat(false, "iso8601")
	pasteVariants["valkey-milliseconds"] = valkeyFormat(false, "milliseconds")
	pasteVariants["valkey-logfmt"] = valkeyFormat(true, "legacy")
	pasteVariants["valkey-logfmt-iso8601"] = valkeyFormat(true, "iso8601")
}
