package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/manifest"
)

func TestInspectPathForms(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "redis7-multi-incr")
	var want string
	for _, p := range []string{dir, filepath.Join(dir, "appendonlydir"), filepath.Join(dir, "appendonlydir", mf)} {
		r, err := inspectManifest(t, p, false)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(r.Verdict.Files, ",")
		if want == "" {
			want = got
		}
		if got != want || len(r.Files) != 3 || r.DataDir != dir || !r.Verdict.Loads {
			t.Errorf("%s: files %s data dir %q verdict %+v", p, got, r.DataDir, r.Verdict)
		}
	}
	var pe *PathError
	if _, err := inspectManifest(t, filepath.Join(t.TempDir(), "missing"), false); !errors.As(err, &pe) {
		t.Errorf("missing path: %v", err)
	}
}

// build makes a data dir from a fixture, then applies edits.
func build(t *testing.T, fixture string, edit func(c caseDir)) string {
	t.Helper()
	dir := t.TempDir()
	c := caseDir{t, dir}
	if fixture != "" {
		c.from(fixture)
	}
	if edit != nil {
		edit(c)
	}
	return dir
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestInspectDirectory(t *testing.T) {
	cases := []struct {
		name    string
		dir     func(t *testing.T) string
		opt     manifestOpt
		loads   bool
		risk    bool           // loads, but loses or changes data: an error all the same
		codes   []finding.Code // each must be present
		unlist  map[string]string
		af      string
		content map[string]string
	}{
		{name: "orphans classified", dir: func(t *testing.T) string {
			return build(t, "redis7-history", func(c caseDir) {
				c.manifest(line("appendonly.aof.2.base.rdb", "2", "b")+line("appendonly.aof.2.incr.aof", "2", "i")).
					write("appendonly.aof.5.base.rdb", []byte("REDIS0010\xff")).
					write("temp-appendonly.aof.incr", nil).write("temp-appendonly.aof.manifest", nil).
					write("appendonly.aof.9.incr.aof", nil).write("junk", nil)
			})
		}, loads: true, codes: []finding.Code{finding.ManifestOrphanFile},
			unlist: map[string]string{"appendonly.aof.1.base.rdb": "old-base", "appendonly.aof.1.incr.aof": "old-incr", "appendonly.aof.3.base.rdb": "newer-base",
				"appendonly.aof.5.base.rdb": "newer-base", "appendonly.aof.3.incr.aof": "newer-incr", "appendonly.aof.9.incr.aof": "newer-incr",
				"temp-appendonly.aof.incr": "temp-incr", "temp-appendonly.aof.manifest": "temp-manifest", "junk": "unknown"}},
		{name: "two appendfilenames share the dir", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) {
				c.rename(b1, "cache.aof.1.base.rdb").rename(i1, "cache.aof.1.incr.aof").remove(mf).
					write("cache.aof.manifest", []byte(line("cache.aof.1.base.rdb", "1", "b")+line("cache.aof.1.incr.aof", "1", "i"))).
					write("other.aof.manifest", []byte(line("other.aof.1.base.rdb", "1", "b"))).write("other.aof.1.base.rdb", nil)
			})
		}, loads: true, af: "cache.aof", unlist: map[string]string{"other.aof.manifest": "other-manifest"}},
		{name: "explicit appendfilename without manifest", dir: func(t *testing.T) string { return build(t, "redis7-writes", nil) },
			opt: manifestOpt{AppendFilename: "cache.aof"}, loads: true, af: "cache.aof", codes: []finding.Code{finding.ManifestAbsent}},
		{name: "no manifest, parts present", dir: func(t *testing.T) string { return build(t, "redis7-writes", func(c caseDir) { c.remove(mf) }) },
			loads: true, risk: true, codes: []finding.Code{finding.ManifestAbsent, finding.ManifestAbsentSetFound}},
		{name: "base only, next incr name taken", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) { c.manifest(line(b1, "1", "b")) })
		}, loads: true, codes: []finding.Code{finding.ManifestNextNameExists}},
		{name: "fifo listed is never opened", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) {
				c.remove(i1)
				if err := syscall.Mkfifo(c.aof(i1), 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}, loads: false, codes: []finding.Code{finding.ManifestFileNotRegular}, content: map[string]string{i1: manifest.ContentNotRegular}},
		{name: "symlinked base followed", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) {
				c.rename(b1, "real.rdb")
				symlink(t, "real.rdb", c.aof(b1))
			})
		}, opt: manifestOpt{FollowSymlinks: true}, loads: true, content: map[string]string{b1: manifest.ContentRDB}},
		{name: "dangling symlink is missing", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) {
				c.remove(b1)
				symlink(t, "gone.rdb", c.aof(b1))
			})
		}, loads: false, codes: []finding.Code{finding.ManifestMissingFile}},
		{name: "suffix mismatch and name mismatch", dir: func(t *testing.T) string {
			return build(t, "redis7-writes", func(c caseDir) {
				c.rename(b1, "appendonly.aof.4.base.aof").manifest(line("appendonly.aof.4.base.aof", "1", "b") + line(i1, "1", "i"))
			})
		}, loads: true, codes: []finding.Code{finding.ManifestSuffixMismatch, finding.ManifestNameMismatch}},
		{name: "empty base and incr", dir: func(t *testing.T) string { return build(t, "redis7-empty", func(c caseDir) { c.write(b1, nil) }) },
			loads: true, risk: true, codes: []finding.Code{finding.ManifestEmptyRDB, finding.ManifestAllEmpty}},
		{name: "legacy ignored beside a set", dir: func(t *testing.T) string {
			d := build(t, "redis7-writes", nil)
			fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", "legacy-appendonly"), d)
			return d
		}, loads: true, codes: []finding.Code{finding.ManifestLegacyIgnored}},
		{name: "aof dir name taken by a file", dir: func(t *testing.T) string {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, "appendonlydir"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return d
		}, loads: false, codes: []finding.Code{finding.ManifestNotRegular}},
		{name: "custom appenddirname", dir: func(t *testing.T) string {
			d := build(t, "redis7-rewrite", nil)
			if err := os.Rename(filepath.Join(d, "appendonlydir"), filepath.Join(d, "aof")); err != nil {
				t.Fatal(err)
			}
			return d
		}, opt: manifestOpt{AppendDirName: "aof"}, loads: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := inspectWith(t, tc.dir(t), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Loads != tc.loads || r.Findings.HasError() != (!tc.loads || tc.risk) {
				t.Errorf("verdict %+v, errors %v:\n%s", r.Verdict, r.Findings.HasError(), findingsText(r))
			}
			for _, c := range tc.codes {
				if !r.Findings.Has(c) {
					t.Errorf("missing %s:\n%s", c, findingsText(r))
				}
			}
			for name, kind := range tc.unlist {
				found := false
				for _, u := range r.Unlisted {
					if u.Name == name {
						found = true
						if u.Kind != kind {
							t.Errorf("%s: kind %s, want %s", name, u.Kind, kind)
						}
					}
				}
				if !found {
					t.Errorf("%s not reported as unlisted (%+v)", name, r.Unlisted)
				}
			}
			if tc.af != "" && r.AppendFilename != tc.af {
				t.Errorf("appendfilename %q, want %q", r.AppendFilename, tc.af)
			}
			for name, content := range tc.content {
				for _, f := range r.Files {
					if f.Name == name && f.Content != content {
						t.Errorf("%s: content %s, want %s", name, f.Content, content)
					}
				}
			}
		})
	}
}

func TestInspectSymlinkedManifest(t *testing.T) {
	d := build(t, "redis7-writes", func(c caseDir) {
		c.rename(mf, "real.manifest")
		symlink(t, "real.manifest", c.aof(mf))
	})
	var ue *UnreadableError
	if _, err := inspectManifest(t, d, false); !errors.As(err, &ue) {
		t.Fatalf("symlinked manifest without FollowSymlinks: %v", err)
	}
	r, err := inspectManifest(t, d, true)
	if err != nil || !r.Verdict.Loads || len(r.Files) != 2 {
		t.Fatalf("followed: %v %+v", err, r)
	}
}

// manifestOpt are the server settings a case gives.
type manifestOpt struct {
	AppendDirName, AppendFilename string
	FollowSymlinks                bool
}

// inspectWith reads a directory through the front door, as every command
// does, and returns its manifest report.
func inspectWith(t *testing.T, path string, o manifestOpt) (*manifest.Report, error) {
	t.Helper()
	cfg := DefaultConfig()
	if o.AppendDirName != "" {
		_ = cfg.Set("appenddirname", []string{o.AppendDirName}, OriginFlag)
	}
	if o.AppendFilename != "" {
		_ = cfg.Set("appendfilename", []string{o.AppendFilename}, OriginFlag)
	}
	d, err := Open(path, cfg, Options{FollowSymlinks: o.FollowSymlinks})
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

func inspectManifest(t *testing.T, path string, follow bool) (*manifest.Report, error) {
	t.Helper()
	return inspectWith(t, path, manifestOpt{FollowSymlinks: follow})
}
