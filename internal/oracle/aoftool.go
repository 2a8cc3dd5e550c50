package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MainWithAoftool is the TestMain of an agreement test: it builds
// cmd/aoftool into a temporary directory, as a release is built, sets *bin
// to it, runs the tests and removes the directory; it returns the exit
// code.
func MainWithAoftool(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "aoftool-agreement-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "aoftool")
	build := exec.Command("go", "build", "-trimpath", "-o", *bin, "github.com/aoftool/aoftool/cmd/aoftool")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build aoftool: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// CheckReport is the part of `aoftool check --json` the agreement tests
// read.
type CheckReport struct {
	Start struct {
		AOFOn  Prediction `json:"aof_on"`
		AOFOff Prediction `json:"aof_off"`
	} `json:"start"`
	Findings  []Finding  `json:"findings"`
	Verdict   string     `json:"verdict"`
	Rehearsal *Rehearsal `json:"rehearsal"`
}

// Rehearsal is what check --rehearse puts beside the prediction.
type Rehearsal struct {
	Mode        string   `json:"mode"`
	Agrees      bool     `json:"agrees"`
	Differences []string `json:"differences"`
}

// Prediction is aoftool's answer for one start.
type Prediction struct {
	Starts   bool     `json:"starts"`
	Loads    []string `json:"loads"`
	Keys     *int64   `json:"keys"`
	KeysMin  *int64   `json:"keys_min"`
	KeysMax  *int64   `json:"keys_max"`
	KeysNote string   `json:"keys_note"`
	Dataset  string   `json:"dataset"`
	Modifies []string `json:"modifies"`
	Loses    []string `json:"loses"`
	Losses   []Loss   `json:"losses"`
}

// Loss is one thing a predicted start does not bring back.
type Loss struct {
	Path      string `json:"path"`
	Keys      *int64 `json:"keys"`
	Only      *int64 `json:"keys_not_in_start"`
	OnlyMaybe int64  `json:"keys_maybe_in_start"`
	Detail    string `json:"detail"`
}

// Finding is one finding of the report.
type Finding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path"`
	Offset   *int64 `json:"offset"`
	Message  string `json:"message"`
}

// Checked is one run of aoftool check.
type Checked struct {
	Args     []string
	ExitCode int
	Report   *CheckReport // nil when no JSON came out
	Stderr   string
	// WithConfig says the run was given the configuration through
	// --config; otherwise aoftool judged the mode the directory shows.
	WithConfig bool
}

// For returns the prediction for the start in cfg's mode, nil without a
// report.
func (c *Checked) For(cfg Config) *Prediction {
	if c.Report == nil {
		return nil
	}
	if cfg.AppendOnly {
		return &c.Report.Start.AOFOn
	}
	return &c.Report.Start.AOFOff
}

// Errors lists the codes of the error findings.
func (c *Checked) Errors() []string {
	if c.Report == nil {
		return nil
	}
	var out []string
	for _, f := range c.Report.Findings {
		if f.Severity == "error" {
			out = append(out, f.Code)
		}
	}
	return out
}

var (
	configFlagOnce sync.Once
	configFlag     bool
	releases       sync.Map // binary → "redis-7.0.15"
)

// Release names the release of a server binary as aoftool --server takes
// it ("redis-7.0.15", "valkey-8.0.1"); Debian's redis-server when empty.
func Release(binary string) string {
	if binary == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			return ""
		}
		binary = p
	}
	if v, ok := releases.Load(binary); ok {
		return v.(string)
	}
	out, _ := exec.Command(binary, "--version").Output()
	rel := ""
	// "Redis server v=7.0.15 sha=..." or "Valkey server v=8.0.1 sha=..."
	if f := strings.Fields(string(out)); len(f) >= 3 && strings.HasPrefix(f[2], "v=") {
		rel = strings.ToLower(f[0]) + "-" + strings.TrimPrefix(f[2], "v=")
	}
	releases.Store(binary, rel)
	return rel
}

// SupportsConfig reports whether check takes --config redis.conf.
func SupportsConfig(bin string) bool {
	configFlagOnce.Do(func() {
		out, _ := exec.Command(bin, "check", "--help").CombinedOutput()
		configFlag = strings.Contains(string(out), "--config")
	})
	return configFlag
}

// Check runs `aoftool check --json` on dir. With withConfig (and a binary
// that takes --config) cfg is given as a redis.conf written in scratch;
// the name flags are given whenever cfg sets names.
//
// The oracle starts a server on a copy of a stopped directory, following
// symbolic links, so aoftool is told the same: --server-stopped,
// --follow-symlinks, and the release of the server the oracle runs.
func Check(bin, dir string, cfg Config, withConfig bool, scratch string) Checked {
	args := []string{"check", "--json", "--server-stopped", "--follow-symlinks"}
	if rel := Release(cfg.Binary); rel != "" {
		args = append(args, "--server", rel)
	}
	c := Checked{}
	if withConfig && SupportsConfig(bin) {
		conf := filepath.Join(scratch, "redis.conf")
		if err := os.WriteFile(conf, []byte(strings.Join(cfg.Lines(), "\n")+"\n"), 0o644); err == nil {
			args = append(args, "--config", conf)
			c.WithConfig = true
		}
	}
	if cfg.DBFilename != "" {
		args = append(args, "--dbfilename", cfg.DBFilename)
	}
	if cfg.AppendDirName != "" {
		args = append(args, "--appenddirname", cfg.AppendDirName)
	}
	if cfg.AppendFilename != "" {
		args = append(args, "--appendfilename", cfg.AppendFilename)
	}
	args = append(args, dir)
	c.Args = args
	c.run(bin, nil)
	return c
}

// Rehearse runs `aoftool check --json --rehearse` on dir with the mode of
// cfg given (--appendonly) and the server binary of cfg, its scratch copy
// made under scratch.
func Rehearse(bin, dir string, cfg Config, scratch string) Checked {
	mode := "no"
	if cfg.AppendOnly {
		mode = "yes"
	}
	args := []string{"check", "--json", "--server-stopped", "--follow-symlinks", "--rehearse", "--appendonly", mode}
	if cfg.Binary != "" {
		args = append(args, "--redis-server", cfg.Binary)
	}
	if rel := Release(cfg.Binary); rel != "" {
		args = append(args, "--server", rel)
	}
	for flag, v := range map[string]string{"--dbfilename": cfg.DBFilename, "--appenddirname": cfg.AppendDirName, "--appendfilename": cfg.AppendFilename} {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	c := Checked{Args: append(args, dir)}
	c.run(bin, []string{"TMPDIR=" + scratch})
	return c
}

// run runs aoftool with c.Args and keeps what it said.
func (c *Checked) run(bin string, env []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	c.ExitCode = -1
	if cmd.ProcessState != nil {
		c.ExitCode = cmd.ProcessState.ExitCode()
	}
	c.Stderr = errb.String()
	var rep CheckReport
	if json.Unmarshal(out.Bytes(), &rep) == nil && out.Len() > 0 {
		c.Report = &rep
	}
}
