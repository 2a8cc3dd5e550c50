package hardening

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
)

// TestOddFilesystemObjects puts symlinks (a loop, one pointing outside the
// data dir), FIFOs and a device named like artifacts into a data dir. No
// command may open a FIFO (it would hang) or crash; symlinks are reported.
func TestOddFilesystemObjects(t *testing.T) {
	dir := leftoverDir(t)
	aofdir := filepath.Join(dir, "appendonlydir")
	outside := filepath.Join(t.TempDir(), "secret.rdb")
	copyFile(t, realFiles(t).dump, outside)
	mk := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	mk(os.Symlink(outside, filepath.Join(dir, "temp-1795000001.77.rdb")))
	mk(os.Symlink("loop-b", filepath.Join(dir, "temp-rewriteaof-78.aof")))
	mk(os.Symlink("temp-rewriteaof-78.aof", filepath.Join(dir, "loop-b")))
	mk(syscall.Mkfifo(filepath.Join(dir, "temp-79.rdb"), 0o644))
	mk(syscall.Mkfifo(filepath.Join(aofdir, "temp-appendonly.aof.manifest"), 0o644))
	if os.Geteuid() == 0 {
		// /dev/null's numbers: a character device named like a BGSAVE temp.
		mk(syscall.Mknod(filepath.Join(dir, "temp-80.rdb"), syscall.S_IFCHR|0o644, 1<<8|3))
	}
	for _, args := range [][]string{
		{"manifest", dir}, {"check", dir}, {"snapshot", dir}, {"phase", dir},
		{"rdb", filepath.Join(dir, "temp-79.rdb")},
		{"aof", filepath.Join(dir, "temp-79.rdb")},
		{"rdb", filepath.Join(dir, "temp-rewriteaof-78.aof")},
		{"rdb", filepath.Join(dir, "temp-1795000001.77.rdb")},
		{"watch", "--timeout", "2s", "--json", dir},
	} {
		r := runLimited(t, 30*time.Second, args...)
		if why := healthy(r); why != "" {
			t.Errorf("%s\n%s", why, r)
		}
	}
	// Opening a FIFO or following a symlink without being asked is refused
	// with the path named.
	for _, name := range []string{"temp-79.rdb", "temp-1795000001.77.rdb"} {
		r := runLimited(t, 30*time.Second, "rdb", filepath.Join(dir, name))
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, name) {
			t.Errorf("rdb on %s: want a refusal naming the path, got %s\nstdout: %.400s", name, r, r.stdout)
		}
	}
	// The symlink to a real RDB is read when asked.
	if r := runLimited(t, 30*time.Second, "rdb", "--follow-symlinks", filepath.Join(dir, "temp-1795000001.77.rdb")); r.code != 0 {
		t.Errorf("rdb --follow-symlinks on a link to a good dump: %s", r)
	}
}

// TestUnreadableFiles runs as an unprivileged user over a dir holding an
// unreadable dump.rdb, then an unreadable appendonlydir: every command that
// needs the path exits 2 naming it and the permission, never reporting it
// as absent or corrupt.
func TestUnreadableFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another user; permissions do not stop root")
	}
	base, err := os.MkdirTemp("", "aoftool-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	bin := filepath.Join(base, "aoftool")
	copyFile(t, aoftoolBin, bin)
	os.Chmod(base, 0o755)
	os.Chmod(bin, 0o755)
	for _, tc := range []struct {
		locked string // made mode 0
		cmds   [][]string
	}{
		{"dump.rdb", [][]string{{"rdb", "dump.rdb"}, {"check"}, {"snapshot"}, {"phase"}}},
		{"appendonlydir", [][]string{{"manifest"}, {"check"}, {"snapshot"}, {"phase"}, {"aof"}, {"aof", "appendonlydir"}}},
	} {
		dir := filepath.Join(base, "data-"+tc.locked)
		fsguard.CopyTree(t, leftoverDir(t), dir)
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil {
				if info.IsDir() {
					os.Chmod(p, 0o755)
				} else {
					os.Chmod(p, 0o644)
				}
			}
			return nil
		})
		os.Chmod(filepath.Join(dir, tc.locked), 0)
		for _, c := range tc.cmds {
			args := append([]string{}, c...)
			if len(args) == 1 {
				args = append(args, dir)
			} else {
				args[1] = filepath.Join(dir, args[1])
			}
			cmd := exec.Command(bin, args...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, _ := cmd.CombinedOutput()
			r := result{args: args, code: cmd.ProcessState.ExitCode(), stderr: string(out)}
			if why := healthy(r); why != "" {
				t.Errorf("%s\n%s", why, r)
				continue
			}
			if r.code != 2 || !strings.Contains(string(out), filepath.Join(dir, tc.locked)) || !strings.Contains(string(out), "permission denied") {
				t.Errorf("%v with %s unreadable: exit %d, want 2 naming the path and the permission:\n%s", args, tc.locked, r.code, out)
			}
		}
	}
}

// TestFilesChangingWhileRead runs snapshot, phase and check while files are
// created, grown, renamed and deleted in the directory, the way a live
// server does: each run must finish with a report (exit 0 or 1), never fail
// as a whole.
func TestFilesChangingWhileRead(t *testing.T) {
	dir := leftoverDir(t)
	dump, _ := os.ReadFile(realFiles(t).dump)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.rdb", 5000+i))
			os.WriteFile(tmp, dump[:len(dump)/2], 0o644)
			f, _ := os.OpenFile(tmp, os.O_APPEND|os.O_WRONLY, 0)
			if f != nil {
				f.Write(dump[len(dump)/2:])
				f.Close()
			}
			os.Rename(tmp, filepath.Join(dir, "dump.rdb"))
			bg := filepath.Join(dir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", 6000+i))
			os.WriteFile(bg, dump, 0o644)
			os.Truncate(bg, int64(len(dump)/3))
			os.Remove(bg)
		}
	}()
	deadline := time.Now().Add(4 * time.Second)
	runs := 0
	for time.Now().Before(deadline) {
		for _, cmd := range []string{"snapshot", "phase", "check"} {
			r := runLimited(t, 30*time.Second, cmd, dir)
			runs++
			if why := healthy(r); why != "" || r.code == 2 {
				t.Errorf("%s while files change: %s\n%s", cmd, why, r)
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d runs during churn", runs)
}
