package hardening

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/damage"
	"github.com/aoftool/aoftool/internal/fsguard"
)

// variant is one hostile input; the builders live in internal/damage,
// which also turns them into damage cases asked of a real server.
type variant = damage.Variant

// TestHostileInputs runs rdb, keys, aof, manifest and check on hostile inputs
// derived from real files, each under a 1 GiB address-space limit and a
// timeout: no panic, no hang, no out-of-memory kill, an exit code of 0, 1
// or 2, and exit 1 for every input Redis would refuse or truncate.
func TestHostileInputs(t *testing.T) {
	rd := realFiles(t)
	dump, _ := os.ReadFile(rd.dump)
	base, _ := os.ReadFile(rd.base)
	incr, _ := os.ReadFile(rd.incr)
	manifest, _ := os.ReadFile(rd.manifest)

	type job struct {
		kind string // rdb, keys, aof or manifest
		v    variant
	}
	var jobs []job
	for _, v := range damage.RDBVariants(dump) {
		jobs = append(jobs, job{"rdb", v})
	}
	for i, v := range damage.RDBVariants(base) {
		if i%3 == 0 { // a sample: the base shares the dump's layout
			v.Name = "base-" + v.Name
			jobs = append(jobs, job{"rdb", v})
		}
	}
	for i, v := range damage.RDBVariants(dump) {
		if i%2 == 0 { // keys walks the same records with a visitor
			v.Name = "keys-" + v.Name
			jobs = append(jobs, job{"keys", v})
		}
	}
	aofs, err := damage.AOFVariants(incr)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range aofs {
		jobs = append(jobs, job{"aof", v})
	}
	for _, v := range damage.ManifestVariants(manifest, true) {
		jobs = append(jobs, job{"manifest", v})
	}
	if len(jobs) < 200 {
		t.Fatalf("only %d hostile inputs; the suite promises at least 200", len(jobs))
	}
	t.Logf("%d hostile inputs", len(jobs))

	work := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest, hungriest result
	var hungriestInput string
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				r1, r2 := runHostile(t, rd, j.kind, j.v)
				mu.Lock()
				for _, r := range []result{r1, r2} {
					if r.elapsed > slowest.elapsed {
						slowest = r
					}
					if r.maxRSS > hungriest.maxRSS {
						hungriest, hungriestInput = r, j.v.Name
					}
				}
				mu.Unlock()
				if why := healthy(r1); why != "" {
					t.Errorf("%s: %s\n%s", j.v.Name, why, r1)
				} else if j.v.WantExit >= 0 && r1.code != j.v.WantExit {
					t.Errorf("%s: exit %d, want %d\n%s\nstdout: %.800s", j.v.Name, r1.code, j.v.WantExit, r1, r1.stdout)
				}
				if why := healthy(r2); why != "" {
					t.Errorf("%s (check): %s\n%s", j.v.Name, why, r2)
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	t.Logf("slowest run: %s", slowest)
	t.Logf("peak RSS %d MiB on %s: aoftool %s", hungriest.maxRSS>>20, hungriestInput, strings.Join(hungriest.args, " "))
	// Memory must not follow the lengths the files claim.
	if hungriest.maxRSS == 0 {
		t.Logf("peak RSS not measured: %s is missing", gnuTime)
	} else if hungriest.maxRSS > 64<<20 {
		t.Errorf("a hostile input drove RSS to %d MiB (limit 64 MiB): %s", hungriest.maxRSS>>20, hungriest)
	}
}

// runHostile places the input where Redis would find it and runs the
// command for its kind on the file and check on the whole directory.
func runHostile(t *testing.T, rd realDir, kind string, v variant) (result, result) {
	dir := t.TempDir()
	aofdir := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(aofdir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, rd.base, filepath.Join(aofdir, filepath.Base(rd.base)))
	copyFile(t, rd.incr, filepath.Join(aofdir, filepath.Base(rd.incr)))
	copyFile(t, rd.manifest, filepath.Join(aofdir, filepath.Base(rd.manifest)))
	copyFile(t, rd.dump, filepath.Join(dir, "dump.rdb"))
	var target string
	var args []string
	switch kind {
	case "rdb":
		target = filepath.Join(dir, "dump.rdb")
		args = []string{"rdb", target}
	case "keys":
		target = filepath.Join(dir, "dump.rdb")
		args = []string{"keys", "--format", "ndjson", "--values", target}
	case "aof":
		target = filepath.Join(aofdir, filepath.Base(rd.incr))
		args = []string{"aof", target}
	case "manifest":
		target = filepath.Join(aofdir, filepath.Base(rd.manifest))
		args = []string{"manifest", aofdir}
	}
	if err := os.WriteFile(target, v.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	// These are damaged copies of a stopped server's files: written an
	// hour ago, so no file reads as one a live server is appending to.
	fsguard.Touch(t, dir, time.Now().Add(-time.Hour))
	const timeout = 60 * time.Second
	return runLimited(t, timeout, args...), runLimited(t, timeout, "check", dir)
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
