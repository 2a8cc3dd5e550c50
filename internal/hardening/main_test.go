package hardening

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// aoftoolBin is the aoftool built once for the whole package.
var aoftoolBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aoftool-hardening-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	aoftoolBin = filepath.Join(dir, "aoftool")
	// Built as a release is: static, trimmed paths, the commit stamped in.
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=auto", "-o", aoftoolBin, "github.com/aoftool/aoftool/cmd/aoftool")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build aoftool: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gnuTime measures a run's peak RSS; .ci/run installs it (Debian's time).
const gnuTime = "/usr/bin/time"

// addressSpaceLimit is the RLIMIT_AS every hostile run gets: a decoder that
// believed a length read from the file would hit it and be killed, which the
// test reports as an out-of-memory failure.
const addressSpaceLimit = 1 << 30

// result is one run of the binary.
type result struct {
	args     []string
	code     int
	stdout   string
	stderr   string
	elapsed  time.Duration
	timedOut bool
	signal   string
	maxRSS   int64 // bytes, from the kernel's rusage of the process
}

func (r result) String() string {
	return fmt.Sprintf("aoftool %s: exit %d signal %q timeout %v in %v\nstderr: %.600s", strings.Join(r.args, " "), r.code, r.signal, r.timedOut, r.elapsed, r.stderr)
}

// runLimited runs aoftool with the address-space limit and a timeout.
func runLimited(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpaceLimit/1024)
	// The kernel's rusage of a process started by Go carries the test
	// process's own peak (Go spawns with vfork), so peak memory is measured
	// by GNU time, which forks a clean child.
	rssFile := ""
	if _, err := os.Stat(gnuTime); err == nil {
		rssFile = filepath.Join(t.TempDir(), "maxrss")
		script = fmt.Sprintf(`ulimit -v %d && exec %s -q -f %%M -o %q "$0" "$@"`, addressSpaceLimit/1024, gnuTime, rssFile)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, aoftoolBin}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start), code: -1}
	if ctx.Err() != nil {
		r.timedOut = true
	}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		if rssFile != "" {
			if b, err := os.ReadFile(rssFile); err == nil {
				kb, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				r.maxRSS = kb * 1024
			}
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal().String()
		}
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

// healthy reports why a run broke the never-crash rules, or "" when it kept
// them: exit 0, 1 or 2, no signal, no timeout, no panic or runtime crash
// text.
func healthy(r result) string {
	switch {
	case r.timedOut:
		return "timed out"
	case r.signal != "":
		return "killed by " + r.signal
	case r.code < 0 || r.code > 2:
		return fmt.Sprintf("exit code %d", r.code)
	}
	for _, s := range []string{"panic:", "internal error", "fatal error:", "out of memory", "goroutine "} {
		if strings.Contains(r.stderr, s) {
			return "stderr shows " + s
		}
	}
	return ""
}
