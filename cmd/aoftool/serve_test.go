package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/metrics"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/internal/scenario"
)

func TestServeFlags(t *testing.T) {
	d := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", d}, "--listen"},
		{[]string{"serve", "--listen", "9479", d}, "--listen"},
		{[]string{"serve", "--listen", ":0", "--min-interval", "100ms", d}, "--min-interval"},
		{[]string{"serve", "--listen", ":0", "--verify-every", "10s", d}, "--verify-every"},
		{[]string{"serve", "--listen", ":0", d, d + "/"}, "twice"},
		{[]string{"serve", "--listen", ":0"}, "data directory"},
		{[]string{"serve", "--listen", "127.0.0.1:0", filepath.Join(d, "missing")}, "missing"},
		{[]string{"serve", "--listen", ":0", "--appenddirname", "a/b", d}, "--appenddirname"},
		{[]string{"serve", "--listen", ":0", "--dbfilename", "../dump.rdb", d}, "--dbfilename"},
	} {
		r := runCLI(t, "", c.args...)
		if r.code != exitCannot || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// buildAoftool builds the binary as the Dockerfile and .ci/run do: static,
// trimmed paths.
func buildAoftool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "aoftool")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/aoftool/aoftool/cmd/aoftool")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// served is a running aoftool serve.
type served struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
	// exited is closed once the process has exited, with waitErr set.
	exited  chan struct{}
	waitErr error
}

func (s *served) stderr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.logs.String() }

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

// startServe runs bin serve on a free port of 127.0.0.1 and waits until it
// listens. The test's cleanup stops it with SIGTERM if it still runs.
func startServe(t *testing.T, bin string, args ...string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...), exited: make(chan struct{})}
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				s.cmd.Process.Kill()
				<-s.exited
			}
		}
	})
	select {
	case s.addr = <-addr:
	case <-s.exited:
		t.Fatalf("serve exited before listening: %v\n%s", s.waitErr, s.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within 60s\n%s", s.stderr())
	}
	return s
}

// stop sends SIGTERM and requires a graceful exit 0.
func (s *served) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", s.waitErr, s.stderr())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("serve still runs 10s after SIGTERM")
	}
	if !strings.Contains(s.stderr(), "stopped") {
		t.Errorf("no graceful stop in the log:\n%s", s.stderr())
	}
}

func (s *served) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b
}

// scrape gets /metrics, lints it with promlint (and promtool check metrics
// where promtool is installed) and parses it.
func (s *served) scrape(t *testing.T) exposition {
	t.Helper()
	body := s.get(t, "/metrics")
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Errorf("promtool is missing under CI (apt-get install prometheus)")
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return exposition(fams)
}

type exposition map[string]*dto.MetricFamily

// value is the value of the series of name whose labels include want.
func (e exposition) value(name string, want map[string]string) (float64, bool) {
	mf := e[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		if m.Counter != nil {
			return m.Counter.GetValue(), true
		}
		return m.Gauge.GetValue(), true
	}
	return 0, false
}

// phaseOf is the phase whose gauge is 1 for dir.
func (e exposition) phaseOf(dir string) string {
	mf := e[metrics.Phase]
	if mf == nil {
		return ""
	}
	for _, m := range mf.Metric {
		l := map[string]string{}
		for _, p := range m.Label {
			l[p.GetName()] = p.GetValue()
		}
		if l["dir"] == dir && m.Gauge.GetValue() == 1 {
			return l["phase"]
		}
	}
	return ""
}

// aoftool serve over frozen copies of real Redis 7.0.15 data directories
// in every phase (internal/scenario): each directory's phase gauge and
// rebuild step are what the server was doing, the exposition passes the
// linters, the background verification is exported, SIGTERM stops the
// server gracefully, and no directory changed.
func TestServeRealDirectories(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real servers for about a minute")
	}
	redistest.Binary(t)
	bin := buildAoftool(t)
	// The frozen copies live as long as this test: the scenarios run on
	// its t, one after the other.
	moments := scenario.ReplicaRebuild(t, scenario.Settings{}, true)
	moments = append(moments, scenario.BGSave(t, scenario.Settings{})...)
	var dirs []string
	var guards []*fsguard.State
	seen := map[string]bool{}
	for _, m := range moments {
		dirs = append(dirs, m.Dir)
		guards = append(guards, fsguard.Record(t, m.Dir))
		seen[m.Phase] = true
	}
	if len(seen) < 5 {
		t.Fatalf("the scenarios froze only the phases %v", seen)
	}

	// One reading per directory for the whole test: a frozen copy does not
	// grow, and a second reading would rightly call its temp files dead.
	s := startServe(t, bin, append([]string{"--min-interval", "1h", "--verify-every", "1m", "--instance", "redis-test"}, dirs...)...)
	if got := string(s.get(t, "/healthz")); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	e := s.scrape(t)
	for _, m := range moments {
		if got := e.phaseOf(m.Dir); got != m.Phase {
			t.Errorf("%s: phase gauge says %q, want %q", m.Name, got, m.Phase)
		}
		l := map[string]string{"dir": m.Dir, "redis_instance": "redis-test"}
		if got, _ := e.value(metrics.PhaseStep, l); int(got) != m.Step {
			t.Errorf("%s: step %v, want %d", m.Name, got, m.Step)
		}
		if got, _ := e.value(metrics.EvaluationSuccess, l); got != 1 {
			t.Errorf("%s: evaluation_success %v", m.Name, got)
		}
	}

	// The verification runs in the background, one directory at a time.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done := 0
		for _, d := range dirs {
			if _, ok := e.value(metrics.VerificationTimestamp, map[string]string{"dir": d}); ok {
				done++
			}
		}
		if done == len(dirs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d directories verified within 2 minutes\n%s", done, len(dirs), s.stderr())
		}
		time.Sleep(200 * time.Millisecond)
		e = s.scrape(t)
	}
	for _, m := range moments {
		l := map[string]string{"dir": m.Dir, "judged": "true"}
		starts, ok := e.value(metrics.NextStartSucceeds, l)
		if !ok {
			t.Errorf("%s: no next-start verdict", m.Name)
			continue
		}
		if m.Phase == "steady" && starts != 1 {
			t.Errorf("%s: a finished job's directory would not start (%v)", m.Name, starts)
		}
		t.Logf("%s: phase %s, next start succeeds %v", m.Name, e.phaseOf(m.Dir), starts)
	}
	s.stop(t)
	for _, g := range guards {
		g.AssertUnchanged(t)
	}
}

// aoftool serve over a live BGSAVE slowed with rdb-key-save-delay: the
// rate and ETA come from two evaluations; a child stopped with SIGSTOP is
// a job that stopped growing, which the next evaluations report as a
// leftover instead of a running BGSAVE.
func TestServeLiveBGSave(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real server")
	}
	bin := buildAoftool(t)
	srv := redistest.Start(t, redistest.Options{})
	srv.MustDo("DEBUG", "POPULATE", "5000", "key", "1000")
	srv.MustDo("SAVE")
	srv.MustDo("CONFIG", "SET", "rdb-key-save-delay", "2000")
	srv.MustDo("BGSAVE")
	scenario.MustWaitFile(t, srv.Dir, `^temp-\d+\.rdb$`, 10*time.Second)
	children := srv.Children()
	if len(children) != 1 {
		t.Fatalf("BGSAVE children %v", children)
	}
	child := children[0]
	t.Cleanup(func() {
		syscall.Kill(child, syscall.SIGCONT)
		srv.Do("CONFIG", "SET", "rdb-key-save-delay", "0")
		srv.WaitInfo("rdb_bgsave_in_progress", "0", 30*time.Second)
	})
	s := startServe(t, bin, "--min-interval", "1s", srv.Dir)
	time.Sleep(1200 * time.Millisecond)
	e := s.scrape(t)
	if got := e.phaseOf(srv.Dir); got != "bgsave" {
		t.Fatalf("phase %q, want bgsave\n%s", got, s.stderr())
	}
	rate, ok := e.value(metrics.ProgressRate, map[string]string{"dir": srv.Dir})
	eta, okETA := e.value(metrics.ProgressETA, map[string]string{"dir": srv.Dir})
	if !ok || rate <= 0 || !okETA || eta <= 0 {
		t.Errorf("rate %v (%v), ETA %v (%v): want both observed between the two evaluations", rate, ok, eta, okETA)
	}
	t.Logf("live BGSAVE: %.0f bytes/s, ETA %.0fs", rate, eta)

	if err := syscall.Kill(child, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The first evaluation after the stop may still see the last writes;
	// the one after it sees none.
	var code float64
	for range 3 {
		time.Sleep(1100 * time.Millisecond)
		e = s.scrape(t)
		code, _ = e.value(metrics.FindingsByCode, map[string]string{"dir": srv.Dir, "code": "stale-bgsave-temp"})
		if code == 1 {
			break
		}
	}
	if code != 1 || e.phaseOf(srv.Dir) == "bgsave" {
		t.Errorf("a stopped BGSAVE child: phase %s, stale-bgsave-temp %v; want a leftover, not a running BGSAVE", e.phaseOf(srv.Dir), code)
	}
	s.stop(t)
}

// procIO reads the rchar of a process: every byte it read through read(2)
// and friends, files and sockets alike.
func procIO(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		t.Skipf("no /proc/<pid>/io here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	t.Fatalf("no rchar in /proc/%d/io", pid)
	return 0
}

// vmHWM is the peak resident set of a process, from /proc/<pid>/status.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// 100 scrapes a second for 10 s against a directory with a 100 GiB sparse
// dump.rdb, each directory read as often as --min-interval allows (1s):
// the exporter stays under 64 MiB of resident memory and reads less than
// 1 MiB per scrape (rchar counts every read, /proc included).
func TestServeUnderScrapeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 10 seconds")
	}
	bin := buildAoftool(t)
	d := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, "../../testdata/redis7-rewrite", d)
	dump := filepath.Join(d, "dump.rdb")
	rdb, err := os.ReadFile(filepath.Join(d, "appendonlydir", "appendonly.aof.2.base.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, rdb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(dump, 100<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	// fsguard would hash 100 GiB of zeros: the dump is held to its stat,
	// the AOF directory to its content.
	g := fsguard.Record(t, filepath.Join(d, "appendonlydir"))
	dumpBefore := statOf(t, dump)
	s := startServe(t, bin, "--min-interval", "1s", d)
	pid := s.cmd.Process.Pid
	s.scrape(t)
	before := procIO(t, pid)

	const rate, seconds, workers = 100, 10, 8
	total := rate * seconds
	var ok, failed int
	var mu sync.Mutex
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp, err := client.Get("http://" + s.addr + "/metrics")
			good := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				good = good && err == nil
			}
			mu.Lock()
			if good {
				ok++
			} else {
				failed++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	read := procIO(t, pid) - before
	hwm := vmHWM(t, pid)
	e := s.scrape(t)
	evals, _ := e.value(metrics.Evaluations, map[string]string{"dir": d})
	evalRead, _ := e.value(metrics.EvaluationReadBytes, map[string]string{"dir": d})
	perScrape := float64(read) / float64(ok)
	t.Logf("%d scrapes in %v (%d failed); %d evaluations in all, %v bytes of file content each; rchar %d bytes in all, %.0f bytes per scrape; peak RSS (VmHWM) %.1f MiB",
		ok, elapsed.Round(time.Millisecond), failed, int(evals), evalRead, read, perScrape, float64(hwm)/(1<<20))
	if failed > 0 || ok != total {
		t.Errorf("%d of %d scrapes failed", failed, total)
	}
	if elapsed > seconds*time.Second+2*time.Second {
		t.Errorf("%d scrapes took %v: the exporter did not keep up with %d a second", total, elapsed, rate)
	}
	if perScrape >= 1<<20 {
		t.Errorf("%.0f bytes read per scrape, want < 1 MiB", perScrape)
	}
	if hwm >= 64<<20 {
		t.Errorf("peak RSS %d bytes, want < 64 MiB", hwm)
	}
	if evals > seconds+3 {
		t.Errorf("%v evaluations in %v with --min-interval 1s: scrapes are not sharing readings", evals, elapsed)
	}
	s.stop(t)
	g.AssertUnchanged(t)
	if after := statOf(t, dump); after != dumpBefore {
		t.Errorf("dump.rdb changed: %s -> %s", dumpBefore, after)
	}
}

// statOf is what a write would change in a file too large to hash.
func statOf(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("size %d mode %v mtime %v ctime %d.%d inode %d", fi.Size(), fi.Mode(), fi.ModTime(), st.Ctim.Sec, st.Ctim.Nsec, st.Ino)
}
