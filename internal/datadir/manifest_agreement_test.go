package datadir

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/manifest"
)

// The agreement test is the oracle for Parse and Inspect: each case is a data
// directory generated in code from the real fixtures in ../testdata, started
// under a real redis-server (on a copy, since Redis edits files at start).
// Redis refusing to start must coincide with an error finding, Redis loading
// with none.

const (
	b1 = "appendonly.aof.1.base.rdb"
	i1 = "appendonly.aof.1.incr.aof"
	i2 = "appendonly.aof.2.incr.aof"
	mf = "appendonly.aof.manifest"
)

// caseDir is a data directory being built for one case.
type caseDir struct {
	t   *testing.T
	dir string
}

func (c caseDir) aof(name string) string { return filepath.Join(c.dir, "appendonlydir", name) }

func (c caseDir) from(fixture string) caseDir {
	c.t.Helper()
	fsguard.CopyTree(c.t, filepath.Join("..", "..", "testdata", fixture), c.dir)
	return c
}

func (c caseDir) manifest(text string) caseDir {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Join(c.dir, "appendonlydir"), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(c.aof(mf), []byte(text), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func (c caseDir) write(name string, data []byte) caseDir {
	c.t.Helper()
	if err := os.WriteFile(c.aof(name), data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func (c caseDir) rename(from, to string) caseDir {
	c.t.Helper()
	if err := os.Rename(c.aof(from), c.aof(to)); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func (c caseDir) remove(name string) caseDir {
	c.t.Helper()
	if err := os.RemoveAll(c.aof(name)); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func (c caseDir) mkdir(name string) caseDir {
	c.t.Helper()
	if err := os.MkdirAll(c.aof(name), 0o755); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func line(name, seq, typ string) string {
	return "file " + name + " seq " + seq + " type " + typ + "\n"
}

// std is the writes fixture's manifest: base 1 (empty RDB) and incr 1 (RESP).
var std = line(b1, "1", "b") + line(i1, "1", "i")

// agreementCase builds one directory; wantLoads is the expectation written
// down when the case was added, checked against Redis too so a wrong belief
// about Redis is caught as well as a wrong aoftool.
type agreementCase struct {
	name      string
	wantLoads bool
	build     func(c caseDir)
}

func agreementCases() []agreementCase {
	pad := func(n int) string { return strings.Repeat("x", n) }
	// A base line padded with an ignored pair to exactly n bytes before '\n'.
	padded := func(n int) string {
		l := "file " + b1 + " seq 1 type b x "
		return l + pad(n-len(l)) + "\n"
	}
	return []agreementCase{
		{"fixture-empty", true, func(c caseDir) { c.from("redis7-empty") }},
		{"fixture-writes", true, func(c caseDir) { c.from("redis7-writes") }},
		{"fixture-rewrite", true, func(c caseDir) { c.from("redis7-rewrite") }},
		{"fixture-history", true, func(c caseDir) { c.from("redis7-history") }},
		{"fixture-multi-incr", true, func(c caseDir) { c.from("redis7-multi-incr") }},
		{"fixture-legacy", true, func(c caseDir) { c.from("legacy-appendonly") }},
		{"no-aof-dir", true, func(c caseDir) {}},
		{"no-manifest-parts-present", true, func(c caseDir) { c.from("redis7-writes").remove(mf) }},
		{"empty-manifest", false, func(c caseDir) { c.from("redis7-writes").manifest("") }},
		{"comments-only", true, func(c caseDir) { c.from("redis7-writes").manifest("# nothing here\n#\n") }},
		{"comment-without-newline", true, func(c caseDir) { c.from("redis7-writes").manifest(std + "# trailing") }},
		{"no-final-newline", false, func(c caseDir) { c.from("redis7-writes").manifest(strings.TrimSuffix(std, "\n")) }},
		{"crlf", true, func(c caseDir) { c.from("redis7-writes").manifest(strings.ReplaceAll(std, "\n", "\r\n")) }},
		{"blank-line", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "b") + "\n" + line(i1, "1", "i")) }},
		{"whitespace-only-line", false, func(c caseDir) { c.from("redis7-writes").manifest(std + " \t\r\n") }},
		{"leading-blanks", true, func(c caseDir) {
			c.from("redis7-writes").manifest(" \t" + line(b1, "1", "b") + "\t " + line(i1, "1", "i"))
		}},
		{"line-1023-bytes", true, func(c caseDir) { c.from("redis7-writes").manifest(padded(1023) + line(i1, "1", "i")) }},
		{"line-1024-bytes", false, func(c caseDir) { c.from("redis7-writes").manifest(padded(1024) + line(i1, "1", "i")) }},
		{"huge-line", false, func(c caseDir) { c.from("redis7-writes").manifest(padded(10<<20) + line(i1, "1", "i")) }},
		{"comment-1023-bytes", true, func(c caseDir) { c.from("redis7-writes").manifest("#" + pad(1022) + "\n" + std) }},
		{"comment-1024-bytes", false, func(c caseDir) { c.from("redis7-writes").manifest("#" + pad(1023) + "\n" + std) }},
		{"comment-split-into-line", true, func(c caseDir) { c.from("redis7-writes").manifest("#" + pad(1023) + std) }},
		{"comment-split-into-comment", true, func(c caseDir) { c.from("redis7-writes").manifest("#" + pad(1023) + "#more\n" + std) }},
		{"nul-in-line", false, func(c caseDir) {
			c.from("redis7-writes").manifest(line(b1, "1", "b") + "file " + i1 + " seq 1 type i\x00\n")
		}},
		{"nul-in-comment", true, func(c caseDir) { c.from("redis7-writes").manifest("# a\x00b\n" + std) }},
		{"five-tokens", false, func(c caseDir) { c.from("redis7-writes").manifest("file " + b1 + " seq 1 type\n" + line(i1, "1", "i")) }},
		{"seven-tokens", false, func(c caseDir) {
			c.from("redis7-writes").manifest("file " + b1 + " seq 1 type b x\n" + line(i1, "1", "i"))
		}},
		{"extra-pairs", true, func(c caseDir) {
			c.from("redis7-writes").manifest("file " + b1 + " seq 1 type b color blue\n" + line(i1, "1", "i"))
		}},
		{"upper-case-keys", true, func(c caseDir) {
			c.from("redis7-writes").manifest("FILE " + b1 + " SEQ 1 TYPE b\nFile " + i1 + " Seq 1 Type i\n")
		}},
		{"repeated-key-last-wins", true, func(c caseDir) {
			c.from("redis7-writes").manifest("file nothing.rdb seq 7 type i file " + b1 + " seq 1 type b\n" + line(i1, "1", "i"))
		}},
		{"repeated-file-key-first-is-path", false, func(c caseDir) {
			c.from("redis7-writes").manifest("file a/b seq 1 type b file " + b1 + "\n" + line(i1, "1", "i"))
		}},
		{"type-words", true, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "base") + line(i1, "1", "incr")) }},
		{"type-upper-B", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "B") + line(i1, "1", "i")) }},
		{"type-x", false, func(c caseDir) { c.from("redis7-writes").manifest(std + line("x.aof", "9", "x")) }},
		{"type-empty", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", `""`) + line(i1, "1", "i")) }},
		{"seq-zero", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "0", "b") + line(i1, "1", "i")) }},
		{"seq-zero-history", false, func(c caseDir) { c.from("redis7-writes").manifest(std + line("old.rdb", "0", "h")) }},
		{"seq-not-number", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "abc", "b") + line(i1, "1", "i")) }},
		{"seq-leading-digits", true, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1abc", "b") + line(i1, "1x", "i")) }},
		{"seq-quoted-blanks", true, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, `" +1"`, "b") + line(i1, "1", "i")) }},
		{"seq-overflow", true, func(c caseDir) {
			c.from("redis7-writes").manifest(line(b1, "99999999999999999999", "b") + line(i1, "1", "i"))
		}},
		{"negative-base-seq", true, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "-5", "b") + line(i1, "1", "i")) }},
		{"negative-incr-seq", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "b") + line(i1, "-1", "i")) }},
		{"duplicate-base", false, func(c caseDir) { c.from("redis7-writes").manifest(std + line(b1, "-3", "b")) }},
		{"non-monotonic-incr", false, func(c caseDir) {
			c.from("redis7-multi-incr").manifest(line(b1, "1", "b") + line(i2, "2", "i") + line(i1, "1", "i"))
		}},
		{"equal-incr-seq", false, func(c caseDir) {
			c.from("redis7-multi-incr").manifest(line(b1, "1", "b") + line(i1, "2", "i") + line(i2, "2", "i"))
		}},
		{"incr-seq-gap", true, func(c caseDir) {
			c.from("redis7-multi-incr").manifest(line(b1, "1", "b") + line(i1, "1", "i") + line(i2, "5", "i"))
		}},
		{"incr-only", true, func(c caseDir) { c.from("redis7-writes").manifest(line(i1, "1", "i")) }},
		{"base-only", true, func(c caseDir) { c.from("redis7-rewrite").manifest(line("appendonly.aof.2.base.rdb", "2", "b")) }},
		{"name-with-slash", false, func(c caseDir) { c.from("redis7-writes").manifest(line("../"+b1, "1", "b") + line(i1, "1", "i")) }},
		{"name-with-backslash", false, func(c caseDir) {
			c.from("redis7-writes").manifest(line(`"a\\b.rdb"`, "1", "b") + line(i1, "1", "i"))
		}},
		{"name-quoted-blank", true, func(c caseDir) {
			c.from("redis7-writes").rename(b1, "base one.rdb").manifest(line(`"base one.rdb"`, "1", "b") + line(i1, "1", "i"))
		}},
		{"name-hex-escape", true, func(c caseDir) {
			c.from("redis7-writes").manifest(line(`"appendonly.aof.1.base\x2erdb"`, "1", "b") + line(i1, "1", "i"))
		}},
		{"name-single-quoted", true, func(c caseDir) { c.from("redis7-writes").manifest(line("'"+b1+"'", "1", "b") + line(i1, "1", "i")) }},
		{"name-newline-escape", true, func(c caseDir) {
			c.from("redis7-writes").rename(b1, "b\n1.rdb").manifest(line(`"b\n1.rdb"`, "1", "b") + line(i1, "1", "i"))
		}},
		{"quote-followed-by-text", false, func(c caseDir) { c.from("redis7-writes").manifest(line(`"`+b1+`"x`, "1", "b") + line(i1, "1", "i")) }},
		{"unterminated-quote", false, func(c caseDir) { c.from("redis7-writes").manifest(line(`"`+b1, "1", "b") + line(i1, "1", "i")) }},
		{"key-with-nul-escape", true, func(c caseDir) {
			c.from("redis7-writes").manifest(`"file\x00junk" ` + b1 + " seq 1 type b\n" + line(i1, "1", "i"))
		}},
		{"redis8-offsets", true, func(c caseDir) {
			c.from("redis7-writes").manifest(line(b1, "1", "b") + "file " + i1 + " seq 1 type i startoffset 0 endoffset 497\n")
		}},
		{"missing-base", false, func(c caseDir) { c.from("redis7-writes").remove(b1) }},
		{"missing-incr", false, func(c caseDir) { c.from("redis7-multi-incr").remove(i1) }},
		{"empty-base-and-incr", true, func(c caseDir) { c.from("redis7-empty").write(b1, nil) }},
		{"base-rdb-holding-resp", true, func(c caseDir) {
			c.from("redis7-writes").write(b1, []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"))
		}},
		{"base-aof-holding-rdb", true, func(c caseDir) {
			c.from("redis7-writes").rename(b1, "appendonly.aof.1.base.aof").manifest(line("appendonly.aof.1.base.aof", "1", "b") + line(i1, "1", "i"))
		}},
		{"base-garbage", false, func(c caseDir) { c.from("redis7-writes").write(b1, []byte("hello world\n")) }},
		{"orphans", true, func(c caseDir) {
			c.from("redis7-rewrite").write("temp-appendonly.aof.incr", []byte("*1\r\n$4\r\nPING\r\n")).
				write("temp-appendonly.aof.manifest", []byte(std)).write(b1, nil).write("notes.txt", []byte("x"))
		}},
		{"history-file-missing", true, func(c caseDir) { c.from("redis7-writes").manifest(std + line("appendonly.aof.0.base.rdb", "7", "h")) }},
		{"history-names-live-base", true, func(c caseDir) {
			c.from("redis7-writes").manifest(line(b1, "1", "b") + line(b1, "1", "h") + line(i1, "1", "i"))
		}},
		{"history-only-next-base", true, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "h")) }},
		{"base-named-dotdot", false, func(c caseDir) { c.from("redis7-writes").manifest(line("..", "1", "b") + line(i1, "1", "i")) }},
		{"incr-named-dot", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", "b") + line(".", "1", "i")) }},
		{"base-named-empty", false, func(c caseDir) { c.from("redis7-writes").manifest(line(`""`, "1", "b") + line(i1, "1", "i")) }},
		{"history-named-dotdot", true, func(c caseDir) { c.from("redis7-writes").manifest(std + line("..", "3", "h")) }},
		{"same-incr-twice", true, func(c caseDir) { c.from("redis7-writes").manifest(std + line(i1, "2", "i")) }},
		{"rdb-with-keys-twice", false, func(c caseDir) {
			c.from("redis7-rewrite").manifest(line("appendonly.aof.2.base.rdb", "2", "b") + line("appendonly.aof.2.base.rdb", "2", "i"))
		}},
		{"empty-rdb-twice", true, func(c caseDir) { c.from("redis7-writes").manifest(std + line(b1, "2", "i")) }},
		{"manifest-is-directory", false, func(c caseDir) { c.from("redis7-writes").remove(mf).mkdir(mf) }},
		{"base-is-directory", false, func(c caseDir) { c.from("redis7-writes").remove(b1).mkdir(b1) }},
		{"legacy-beside-manifest", true, func(c caseDir) {
			c.from("redis7-writes")
			fsguard.CopyTree(c.t, filepath.Join("..", "..", "testdata", "legacy-appendonly"), c.dir)
		}},
		{"legacy-beside-dir-without-manifest", true, func(c caseDir) {
			c.from("legacy-appendonly").mkdir("").write("unrelated", nil)
		}},
		{"legacy-twice-without-manifest", false, func(c caseDir) {
			c.from("legacy-appendonly").mkdir("")
			data, err := os.ReadFile(filepath.Join(c.dir, "appendonly.aof"))
			if err != nil {
				c.t.Fatal(err)
			}
			c.write("appendonly.aof", data)
		}},
		{"legacy-interrupted-upgrade", true, func(c caseDir) {
			c.from("legacy-appendonly").manifest(line("appendonly.aof", "1", "b"))
		}},
		{"type-quoted-leading-blank", false, func(c caseDir) { c.from("redis7-writes").manifest(line(b1, "1", `" b"`) + line(i1, "1", "i")) }},
		{"cr-only-line-ends", false, func(c caseDir) { c.from("redis7-writes").manifest(strings.ReplaceAll(std, "\n", "\r")) }},
		{"comment-1023-bytes-at-eof", true, func(c caseDir) { c.from("redis7-writes").manifest(std + "#" + pad(1022)) }},
		{"name-vertical-tab", true, func(c caseDir) {
			c.from("redis7-writes").rename(b1, "b\v1.rdb").manifest("file b\v1.rdb seq 1 type b\n" + line(i1, "1", "i"))
		}},
		{"name-quoted-tab-crlf", true, func(c caseDir) {
			c.from("redis7-writes").rename(b1, "b\t1.rdb").manifest(`file "b\t1.rdb" seq 1 type b` + "  \r\n" + line(i1, "1", "i"))
		}},
		{"base-short-magic", false, func(c caseDir) { c.from("redis7-writes").write(b1, []byte("RED")) }},
		{"incr-garbage", false, func(c caseDir) { c.from("redis7-multi-incr").write(i2, []byte("\x00\x01")) }},
		{"incr-annotation-only", true, func(c caseDir) { c.from("redis7-writes").write(i1, []byte("#TS:1700000000\r\n")) }},
		{"legacy-rdb-preamble", true, func(c caseDir) {
			base, err := os.ReadFile(filepath.Join("..", "..", "testdata", "redis7-rewrite", "appendonlydir", "appendonly.aof.2.base.rdb"))
			if err != nil {
				c.t.Fatal(err)
			}
			tail, err := os.ReadFile(filepath.Join("..", "..", "testdata", "redis7-rewrite", "appendonlydir", "appendonly.aof.2.incr.aof"))
			if err != nil {
				c.t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(c.dir, "appendonly.aof"), append(base, tail...), 0o644); err != nil {
				c.t.Fatal(err)
			}
		}},
		{"legacy-garbage", false, func(c caseDir) {
			if err := os.WriteFile(filepath.Join(c.dir, "appendonly.aof"), []byte("not an aof\n"), 0o644); err != nil {
				c.t.Fatal(err)
			}
		}},
		{"upgraded-base-missing", false, func(c caseDir) {
			c.from("redis7-writes").manifest(line("appendonly.aof", "1", "b") + line(i1, "1", "i"))
		}},
	}
}

// atRisk are the cases Redis starts from but where it loses or changes data
// (on this start or the next): aoftool must report an error, with this code.
var atRisk = map[string]finding.Code{
	"no-manifest-parts-present": finding.ManifestAbsentSetFound,
	"comments-only":             finding.ManifestAbsentSetFound,
	"empty-base-and-incr":       finding.ManifestEmptyRDB,
	"history-names-live-base":   finding.ManifestHNamesLiveFile,
	"history-only-next-base":    finding.ManifestHNamesLiveFile,
	"same-incr-twice":           finding.ManifestDuplicateName,
}

// refusalCodes is the error finding each refusing case must carry.
var refusalCodes = map[string]finding.Code{
	"empty-manifest":                  finding.ManifestEmpty,
	"no-final-newline":                finding.ManifestTooLongLine,
	"blank-line":                      finding.ManifestInvalidFormat,
	"whitespace-only-line":            finding.ManifestInvalidFormat,
	"line-1024-bytes":                 finding.ManifestTooLongLine,
	"huge-line":                       finding.ManifestTooLongLine,
	"comment-1024-bytes":              finding.ManifestInvalidFormat,
	"nul-in-line":                     finding.ManifestTooLongLine,
	"five-tokens":                     finding.ManifestInvalidFormat,
	"seven-tokens":                    finding.ManifestInvalidFormat,
	"repeated-file-key-first-is-path": finding.ManifestFileIsPath,
	"type-upper-B":                    finding.ManifestUnknownType,
	"type-x":                          finding.ManifestUnknownType,
	"type-empty":                      finding.ManifestInvalidFormat,
	"seq-zero":                        finding.ManifestInvalidFormat,
	"seq-zero-history":                finding.ManifestInvalidFormat,
	"seq-not-number":                  finding.ManifestInvalidFormat,
	"negative-incr-seq":               finding.ManifestNonMonotonicIncr,
	"duplicate-base":                  finding.ManifestDuplicateBase,
	"non-monotonic-incr":              finding.ManifestNonMonotonicIncr,
	"equal-incr-seq":                  finding.ManifestNonMonotonicIncr,
	"name-with-slash":                 finding.ManifestFileIsPath,
	"name-with-backslash":             finding.ManifestFileIsPath,
	"quote-followed-by-text":          finding.ManifestInvalidFormat,
	"unterminated-quote":              finding.ManifestInvalidFormat,
	"missing-base":                    finding.ManifestMissingFile,
	"missing-incr":                    finding.ManifestMissingFile,
	"base-garbage":                    finding.ManifestBadContent,
	"base-named-dotdot":               finding.ManifestUnsafeName,
	"incr-named-dot":                  finding.ManifestUnsafeName,
	"base-named-empty":                finding.ManifestUnsafeName,
	"rdb-with-keys-twice":             finding.ManifestRDBLoadedTwice,
	"manifest-is-directory":           finding.ManifestNotRegular,
	"base-is-directory":               finding.ManifestFileNotRegular,
	"legacy-twice-without-manifest":   finding.ManifestLegacyIgnored,
	"upgraded-base-missing":           finding.ManifestMissingFile,
	"type-quoted-leading-blank":       finding.ManifestUnknownType,
	"cr-only-line-ends":               finding.ManifestTooLongLine,
	"base-short-magic":                finding.ManifestBadContent,
	"incr-garbage":                    finding.ManifestBadContent,
	"legacy-garbage":                  finding.ManifestBadContent,
}

func TestAgreementWithRedis(t *testing.T) {
	redistest.Binary(t)
	cases := agreementCases()
	if len(cases) < 40 {
		t.Fatalf("only %d agreement cases", len(cases))
	}
	var loads, refuses int
	t.Cleanup(func() { t.Logf("%d cases: Redis loads %d, refuses %d", len(cases), loads, refuses) })
	for _, tc := range cases {
		if tc.wantLoads {
			loads++
		} else {
			refuses++
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inspected := t.TempDir()
			tc.build(caseDir{t, inspected})
			served := t.TempDir()
			fsguard.CopyTree(t, inspected, served)

			rep, err := inspectManifest(t, inspected, false)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			s, lerr := redistest.Launch(t, redistest.Options{Dir: served, Config: []string{"appendonly yes"}, StartTimeout: 5 * time.Second})
			redisLoads := lerr == nil
			if s != nil {
				s.Stop()
			}
			if os.Getenv("AGREEMENT_LOG") != "" && s != nil {
				t.Logf("redis log tail: %s", lastLines(s.Log(), 3))
			}
			if redisLoads != tc.wantLoads {
				t.Errorf("redis-server loads=%v, the case expected %v; log:\n%v", redisLoads, tc.wantLoads, serverLog(s))
			}
			risk, isRisk := atRisk[tc.name]
			if rep.Findings.HasError() != (!redisLoads || isRisk) {
				t.Errorf("redis-server loads=%v (data at risk: %v) but aoftool has error findings=%v:\n%s\nlog:\n%s", redisLoads, isRisk, rep.Findings.HasError(), findingsText(rep), serverLog(s))
			}
			if isRisk && !hasError(rep, risk) {
				t.Errorf("no error finding %s:\n%s", risk, findingsText(rep))
			}
			if !tc.wantLoads {
				code, ok := refusalCodes[tc.name]
				if !ok {
					t.Fatalf("refusing case %s has no expected finding code", tc.name)
				}
				if !hasError(rep, code) {
					t.Errorf("no error finding %s:\n%s", code, findingsText(rep))
				}
			}
			// A manifest refusal must be the one Redis logs, at the same line.
			if m := rep.Parsed(); m != nil && m.Fatal != nil && s != nil {
				log := s.Log()
				if want := strings.Trim(manifest.RedisWords(m.Fatal.Message), `"`); !strings.Contains(log, want) {
					t.Errorf("Redis did not log %q; log:\n%s", want, log)
				}
				// Redis names the line only once it has trimmed it.
				if m.Fatal.Code != finding.ManifestEmpty && m.Fatal.Code != finding.ManifestTooLongLine && !strings.Contains(log, "at line "+strconv.Itoa(m.Fatal.Line)+"\n") {
					t.Errorf("Redis did not refuse line %d; log:\n%s", m.Fatal.Line, log)
				}
			}
			if rep.Verdict.Loads != redisLoads {
				t.Errorf("verdict loads=%v (%s), redis-server loads=%v", rep.Verdict.Loads, rep.Verdict.Reason, redisLoads)
			}
		})
	}
}

func hasError(r *manifest.Report, code finding.Code) bool {
	for _, f := range r.Findings {
		if f.Code == code && f.Severity == finding.Error {
			return true
		}
	}
	return false
}

func serverLog(s *redistest.Server) string {
	if s == nil {
		return ""
	}
	return s.Log()
}

func findingsText(r *manifest.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// TestHazardsAcrossTwoStarts covers the directories Redis 7.0.15 starts from
// but leaves unstartable: aoftool must report the hazard before the first
// start (an error: the start, or the manifest write after it, leaves the
// directory unstartable) and an error after it, when Redis refuses.
func TestHazardsAcrossTwoStarts(t *testing.T) {
	redistest.Binary(t)
	cases := []struct {
		name  string
		warn  finding.Code
		build func(c caseDir)
	}{
		{"name-with-single-quote", finding.ManifestNotRewritable, func(c caseDir) {
			// No incr is listed, so Redis creates one and rewrites the manifest.
			c.from("redis7-writes").rename(b1, "it's.rdb").remove(i1).manifest(line(`"it's.rdb"`, "1", "b"))
		}},
		{"history-names-live-base", finding.ManifestHNamesLiveFile, func(c caseDir) {
			c.from("redis7-writes").manifest(line(b1, "1", "b") + line(b1, "1", "h") + line(i1, "1", "i"))
		}},
		{"history-names-next-base", finding.ManifestHNamesLiveFile, func(c caseDir) {
			c.from("redis7-writes").remove(b1).remove(i1).manifest(line(b1, "1", "h"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.build(caseDir{t, dir})
			before, err := inspectManifest(t, dir, false)
			if err != nil {
				t.Fatal(err)
			}
			if !hasError(before, tc.warn) || !before.Verdict.Loads {
				t.Fatalf("before the first start: want error %s and a start that loads:\n%s", tc.warn, findingsText(before))
			}
			s, err := redistest.Launch(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes"}, StartTimeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("first start refused: %v", err)
			}
			s.Stop()
			after, err := inspectManifest(t, dir, false)
			if err != nil {
				t.Fatal(err)
			}
			if !after.Findings.HasError() || after.Verdict.Loads {
				t.Errorf("after the first start: want an error finding:\n%s", findingsText(after))
			}
			s2, err := redistest.Launch(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes"}, StartTimeout: 5 * time.Second})
			if err == nil {
				s2.Stop()
				t.Fatalf("second start loaded; the hazard did not happen")
			}
		})
	}
}
