// Package damage builds the damage corpus: damaged, odd and unusual data
// directories derived from files real servers wrote, each with a name, a
// description and a class. The agreement test asks a real redis-server
// (internal/oracle) what it does with each and compares aoftool's check
// with it; the hardening tests reuse the hostile-input builders.
//
// Everything is deterministic given the server-written sources: offsets
// come from the files' structure or from seeded generators.
package damage

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aoftool/aoftool/internal/fsguard"
)

// Class groups cases by what is wrong with them.
type Class string

const (
	Intact        Class = "intact"         // as a server wrote it
	Unusual       Class = "unusual"        // valid, but rare: old encodings, rdbchecksum no, quoted names
	DataAtRisk    Class = "data-at-risk"   // loads, but loses or overwrites data now or on the next start
	ServerCatches Class = "server-catches" // corruptions the loader detects
	NeverWritten  Class = "never-written"  // bytes no server writes
	OddEntry      Class = "odd-entry"      // directory entries that are not what their name claims
	StartupTrap   Class = "startup-trap"   // the start itself damages the directory
	TornTail      Class = "torn-tail"
	CutRDB        Class = "cut-rdb"
	FlippedByte   Class = "flipped-byte"
	BadCRC        Class = "bad-crc"
	MissingFile   Class = "missing-file"
	UnlistedFile  Class = "unlisted"
	Leftover      Class = "leftover" // temp files of dead jobs
	CustomNames   Class = "custom-names"
	ManifestForm  Class = "manifest" // manifest syntax the loader accepts or refuses
	HostileRDB    Class = "hostile-rdb"
	HostileAOF    Class = "hostile-aof"
	HostileMan    Class = "hostile-manifest"
)

// Case is one directory of the corpus.
type Case struct {
	Name        string
	Description string
	Class       Class
	Dir         string
	// Names the server must be configured with; empty for the defaults.
	DBFilename, AppendDirName, AppendFilename string
	// Mode is the appendonly setting the case is about ("yes" or "no");
	// empty means the mode the directory shows.
	Mode string
	// Source names the intact case this one was derived from without
	// removing any data: the keys it loads are what the files hold.
	Source string
	// Databases, when set, adds a start with that many databases.
	Databases int
	// KnownHarm is a change to the data the oracle does not observe by
	// itself (a TTL dropped), known from the server's source.
	KnownHarm string
}

type gen struct {
	t     *testing.T
	root  string
	src   *Sources
	cases []Case
	seen  map[string]bool
}

// Build derives the corpus from the sources into root.
func Build(t *testing.T, src *Sources, root string) []Case {
	t.Helper()
	g := &gen{t: t, root: root, src: src, seen: map[string]bool{}}
	g.intact()
	g.dataAtRisk()
	g.serverCatches()
	g.neverWritten()
	g.oddEntries()
	g.startupTraps()
	g.tornTails()
	g.cutFlipCRC()
	g.missingUnlistedLeftovers()
	g.customNames()
	g.manifests()
	g.hostile()
	return g.cases
}

// add creates the case's directory, fills it and records the case.
func (g *gen) add(c Case, fill func(dir string)) {
	g.t.Helper()
	if g.seen[c.Name] {
		g.t.Fatalf("duplicate case name %s", c.Name)
	}
	g.seen[c.Name] = true
	c.Dir = filepath.Join(g.root, strings.ReplaceAll(c.Name, "/", "__"))
	mkdir(g.t, c.Dir)
	fill(c.Dir)
	g.cases = append(g.cases, c)
}

// fromSet is add for a case that starts as a copy of a source set and
// keeps its names.
func (g *gen) fromSet(sd SetDir, c Case, edit func(dir string)) {
	c.DBFilename, c.AppendDirName, c.AppendFilename = sd.DBFilename, sd.AppendDirName, sd.AppendFilename
	g.add(c, func(dir string) {
		fsguard.CopyTree(g.t, sd.Dir, dir)
		if edit != nil {
			edit(dir)
		}
	})
}

func (g *gen) read(dir, rel string) []byte {
	g.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		g.t.Fatal(err)
	}
	return b
}

func (g *gen) write(dir, rel string, data []byte) {
	g.t.Helper()
	p := filepath.Join(dir, rel)
	mkdir(g.t, filepath.Dir(p))
	// Write through a new inode, so a copy never shares a file with its
	// source (cp -a keeps hard links apart anyway).
	os.Remove(p)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gen) remove(dir, rel string) {
	g.t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, rel)); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gen) fifo(dir, rel string) {
	g.t.Helper()
	g.remove(dir, rel)
	if err := syscall.Mkfifo(filepath.Join(dir, rel), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gen) symlink(dir, rel, target string) {
	g.t.Helper()
	g.remove(dir, rel)
	if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
		g.t.Fatal(err)
	}
}

func mline(name string, seq int, typ string) string {
	return fmt.Sprintf("file %s seq %d type %s\n", name, seq, typ)
}

// set7 file names, for readable manifests.
func (g *gen) s7() (base, i1, i2 string, dir SetDir) {
	sd := g.src.Set7
	return filepath.Base(sd.Base), filepath.Base(sd.Incrs[0]), filepath.Base(sd.Incrs[1]), sd
}

// seq1 rewrites a copy of Set7 as a set numbered from 1 (base 1, incr 1
// and 2): a server names the files it recreates without a manifest with
// seq 1, so only this layout shows what that does to existing files.
func (g *gen) seq1(dir string, withManifest bool) {
	base, i1, i2, sd := g.s7()
	for _, n := range []string{base, i1, i2, filepath.Base(sd.Manifest)} {
		g.remove(dir, filepath.Join("appendonlydir", n))
	}
	g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", g.read(sd.Dir, sd.Base))
	g.write(dir, "appendonlydir/appendonly.aof.1.incr.aof", g.read(sd.Dir, sd.Incrs[0]))
	g.write(dir, "appendonlydir/appendonly.aof.2.incr.aof", g.read(sd.Dir, sd.Incrs[1]))
	if withManifest {
		g.write(dir, "appendonlydir/appendonly.aof.manifest", []byte(mline("appendonly.aof.1.base.rdb", 1, "b")+
			mline("appendonly.aof.1.incr.aof", 1, "i")+mline("appendonly.aof.2.incr.aof", 2, "i")))
	}
}

func (g *gen) intact() {
	_, _, _, sd := g.s7()
	g.fromSet(sd, Case{Name: "intact/set7", Class: Intact, Description: "7.0.15 set: dump.rdb, an RDB-preamble base and two incr files, every type, TTLs, transactions, three databases"}, nil)
	g.fromSet(g.src.TS7, Case{Name: "intact/ts7", Class: Intact, Description: "aof-timestamp-enabled yes and a RESP base: #TS annotations in base and incr"}, nil)
	g.fromSet(g.src.Empty7, Case{Name: "intact/empty7", Class: Intact, Description: "the start set of an empty server: an 89-byte base and a 0-byte incr"}, nil)
	g.fromSet(g.src.Custom7, Case{Name: "intact/custom7", Class: Intact, Description: "dbfilename db-6379.rdb, appenddirname aof-6379, appendfilename redis-6379.aof"}, nil)
	g.fromSet(g.src.Quoted7, Case{Name: "intact/quoted7", Class: Intact, Description: "appendfilename with a blank: the manifest quotes the names"}, nil)
	g.fromSet(sd, Case{Name: "intact/set7-seq1", Class: Intact, Description: "the set7 files renumbered from 1, with a matching manifest", Source: "intact/set7"},
		func(dir string) { g.seq1(dir, true) })
	g.add(Case{Name: "intact/dump-only", Class: Intact, Description: "set7's dump.rdb alone"}, func(dir string) {
		g.write(dir, "dump.rdb", g.read(sd.Dir, "dump.rdb"))
	})
	g.fromSet(sd, Case{Name: "intact/aof-only", Class: Intact, Description: "set7's AOF without dump.rdb"}, func(dir string) { g.remove(dir, "dump.rdb") })
	if g.src.Legacy62 != "" {
		g.add(Case{Name: "intact/legacy62", Class: Intact, Description: "Redis 6.2.16 appendonly.aof (RDB preamble and RESP tail) beside its dump.rdb (RDB 9): upgraded at the first 7.0 start"},
			func(dir string) { fsguard.CopyTree(g.t, g.src.Legacy62, dir) })
	}
}

func (g *gen) dataAtRisk() {
	base, i1, i2, sd := g.s7()
	man := filepath.Base(sd.Manifest)
	adir := "appendonlydir/"
	g.fromSet(sd, Case{Name: "risk/no-manifest-seq1", Class: DataAtRisk, Description: "parts numbered from 1 and no manifest: an AOF start overwrites base 1 with an empty one and appends to incr 1", Source: "intact/set7-seq1"},
		func(dir string) { g.seq1(dir, false) })
	g.fromSet(sd, Case{Name: "risk/no-manifest-seq2", Class: DataAtRisk, Description: "base 2, incr 2 and 3 and no manifest: an AOF start begins empty beside them", Source: "intact/set7"},
		func(dir string) { g.remove(dir, sd.Manifest) })
	g.fromSet(sd, Case{Name: "risk/no-manifest-base1-only", Class: DataAtRisk, Description: "only base 1 with data, no manifest, no incr"},
		func(dir string) {
			g.seq1(dir, false)
			g.remove(dir, adir+"appendonly.aof.1.incr.aof")
			g.remove(dir, adir+"appendonly.aof.2.incr.aof")
		})
	g.fromSet(sd, Case{Name: "risk/comment-only-manifest-seq1", Class: DataAtRisk, Description: "a manifest of comments beside parts numbered from 1", Source: "intact/set7-seq1"},
		func(dir string) {
			g.seq1(dir, false)
			g.write(dir, adir+"appendonly.aof.manifest", []byte("# emptied by hand\n"))
		})
	g.fromSet(sd, Case{Name: "risk/comment-only-manifest-seq2", Class: DataAtRisk, Description: "a manifest of comments beside base 2, incr 2 and 3", Source: "intact/set7"},
		func(dir string) { g.write(dir, sd.Manifest, []byte("# emptied by hand\n")) })
	g.fromSet(sd, Case{Name: "risk/base-line-removed", Class: DataAtRisk, Description: "the manifest lists the incr files only: the base's keys are not loaded", Source: "intact/set7"},
		func(dir string) { g.write(dir, sd.Manifest, []byte(mline(i1, 2, "i")+mline(i2, 3, "i"))) })
	g.fromSet(sd, Case{Name: "risk/base-0-bytes", Class: DataAtRisk, Description: "a listed .base.rdb of 0 bytes: the start loads the incr files alone, without the base's keys", Source: "intact/set7"},
		func(dir string) { g.write(dir, sd.Base, nil) })
	g.fromSet(sd, Case{Name: "risk/incr-listed-twice", Class: DataAtRisk, Description: "the first incr listed twice with rising seqs: its commands are applied twice", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline(i1, 2, "i")+mline(i1, 3, "i")+mline(i2, 4, "i")))
		})
	g.fromSet(sd, Case{Name: "risk/last-incr-listed-twice", Class: DataAtRisk, Description: "the last incr listed twice: loaded twice, and written through one of the two", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline(i1, 2, "i")+mline(i2, 3, "i")+mline(i2, 4, "i")))
		})
	g.fromSet(sd, Case{Name: "risk/history-names-live-base", Class: DataAtRisk, Description: "an h line naming the live base: the start deletes it as history", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline(base, 1, "h")+mline(i1, 2, "i")+mline(i2, 3, "i")))
		})
	g.fromSet(sd, Case{Name: "risk/history-names-live-incr", Class: DataAtRisk, Description: "an h line naming the last incr", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline(i2, 1, "h")+mline(i1, 2, "i")+mline(i2, 3, "i")))
		})
	g.fromSet(sd, Case{Name: "risk/base-also-incr", Class: DataAtRisk, Description: "the base listed again as an incr"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline(base, 2, "i")+mline(i1, 3, "i")+mline(i2, 4, "i")))
		})
	g.add(Case{Name: "risk/empty-appendonlydir-beside-dump", Class: DataAtRisk, Mode: "yes", Description: "appendonly yes, an empty appendonlydir and a dump.rdb holding the data"},
		func(dir string) {
			g.write(dir, "dump.rdb", g.read(sd.Dir, "dump.rdb"))
			mkdir(g.t, filepath.Join(dir, "appendonlydir"))
		})
	g.add(Case{Name: "risk/dump-only-aof-on", Class: DataAtRisk, Mode: "yes", Description: "appendonly yes and only a dump.rdb: the start creates an empty AOF and ignores the dump"},
		func(dir string) { g.write(dir, "dump.rdb", g.read(sd.Dir, "dump.rdb")) })
	g.add(Case{Name: "risk/aof-only-aof-off", Class: DataAtRisk, Mode: "no", Description: "appendonly no and the data only in the AOF: the start is empty"},
		func(dir string) { fsguard.CopyTree(g.t, sd.Dir, dir); g.remove(dir, "dump.rdb") })
	g.fromSet(sd, Case{Name: "risk/manifest-is-directory", Class: DataAtRisk, Description: "the manifest path is a directory", Source: "intact/set7"},
		func(dir string) {
			g.remove(dir, sd.Manifest)
			mkdir(g.t, filepath.Join(dir, sd.Manifest))
		})
	g.fromSet(sd, Case{Name: "risk/history-file-missing", Class: Unusual, Description: "an h line whose file is gone (history is never loaded)", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline("appendonly.aof.1.base.rdb", 1, "h")+mline(i1, 2, "i")+mline(i2, 3, "i")))
		})
	g.fromSet(sd, Case{Name: "risk/history-file-present", Class: Unusual, Description: "an h line with its file present: the start deletes both", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, adir+"appendonly.aof.1.base.rdb", g.read(g.src.Empty7.Dir, g.src.Empty7.Base))
			g.write(dir, sd.Manifest, []byte(mline(base, 2, "b")+mline("appendonly.aof.1.base.rdb", 1, "h")+mline(i1, 2, "i")+mline(i2, 3, "i")))
		})
	_ = man
}

// rdbCase writes a hand-built RDB as dump.rdb, or as the base of a set
// with an empty incr.
func (g *gen) rdbCase(c Case, rdb []byte, asBase bool) {
	g.add(c, func(dir string) {
		if !asBase {
			g.write(dir, "dump.rdb", rdb)
			return
		}
		g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", rdb)
		g.write(dir, "appendonlydir/appendonly.aof.1.incr.aof", nil)
		g.write(dir, "appendonlydir/appendonly.aof.manifest", []byte(mline("appendonly.aof.1.base.rdb", 1, "b")+mline("appendonly.aof.1.incr.aof", 1, "i")))
	})
}

func (g *gen) serverCatches() {
	_, _, _, sd := g.s7()
	plain := StringRecord("plain", "v")
	hashZL := func(count int) []Record {
		return []Record{plain, {Type: 13, Key: "h", Value: RDBBlob(Ziplist([]string{"f1", "v1", "f2", "v2"}, count))}}
	}
	g.rdbCase(Case{Name: "catch/ziplist-hash-count/dump", Class: ServerCatches, Description: "a hash ziplist whose header counts 3 entries for 4"}, BuildRDB(map[int][]Record{0: hashZL(3)}), false)
	g.rdbCase(Case{Name: "catch/ziplist-hash-count/base", Class: ServerCatches, Description: "the same ziplist in an AOF base"}, BuildRDB(map[int][]Record{0: hashZL(3)}), true)
	g.rdbCase(Case{Name: "catch/ziplist-zset-count", Class: ServerCatches, Description: "a zset ziplist whose header counts 6 entries for 4"},
		BuildRDB(map[int][]Record{0: {plain, {Type: 12, Key: "z", Value: RDBBlob(Ziplist([]string{"a", "1", "b", "2"}, 6))}}}), false)
	g.rdbCase(Case{Name: "catch/ziplist-list-count", Class: ServerCatches, Description: "a list ziplist whose header counts 1 entry for 3"},
		BuildRDB(map[int][]Record{0: {plain, {Type: 10, Key: "l", Value: RDBBlob(Ziplist([]string{"a", "b", "c"}, 1))}}}), false)
	if g.src.Legacy62 != "" {
		d62 := g.read(g.src.Legacy62, "dump.rdb")
		if at := bytes.Index(d62, []byte{13, 1, 'h'}); at > 0 && d62[at+3] < 64 {
			// The 6.2 dump's hash "h" is a ziplist; its entry count is at
			// offset 8 of the blob, after the blob's 1-byte length.
			zl := at + 4
			patched := append([]byte{}, d62...)
			patched[zl+8]--
			g.rdbCase(Case{Name: "catch/ziplist-hash-count/dump62", Class: ServerCatches, Description: "Redis 6.2.16's dump.rdb with the entry count of its hash ziplist lowered by one (checksum fixed)"}, Resum(patched), false)
			g.rdbCase(Case{Name: "unusual/dump62", Class: Unusual, Description: "Redis 6.2.16's dump.rdb (RDB 9, ziplist encodings) alone"}, d62, false)
		} else {
			g.t.Errorf("no ziplist hash \"h\" found in the 6.2 dump")
		}
	}
	g.rdbCase(Case{Name: "unusual/ziplist-hash-valid", Class: Unusual, Description: "a well-formed hash ziplist (6.2 writes them; 7.0 converts on load)"}, BuildRDB(map[int][]Record{0: hashZL(-1)}), false)
	hashLP := func(count int) []Record {
		return []Record{plain, {Type: 16, Key: "h", Value: RDBBlob(Listpack([]string{"f1", "v1", "f2", "v2"}, count))}}
	}
	g.rdbCase(Case{Name: "catch/listpack-hash-count/dump", Class: ServerCatches, Description: "a hash listpack whose header counts 6 elements for 4"}, BuildRDB(map[int][]Record{0: hashLP(6)}), false)
	g.rdbCase(Case{Name: "catch/listpack-hash-count/base", Class: ServerCatches, Description: "the same listpack in an AOF base"}, BuildRDB(map[int][]Record{0: hashLP(6)}), true)
	g.rdbCase(Case{Name: "catch/listpack-zset-count", Class: ServerCatches, Description: "a zset listpack whose header counts 2 elements for 4"},
		BuildRDB(map[int][]Record{0: {plain, {Type: 17, Key: "z", Value: RDBBlob(Listpack([]string{"a", "1", "b", "2"}, 2))}}}), false)
	g.rdbCase(Case{Name: "unusual/listpack-hash-valid", Class: Unusual, Description: "a well-formed hand-built hash listpack"}, BuildRDB(map[int][]Record{0: hashLP(-1)}), false)

	dump := g.read(sd.Dir, "dump.rdb")
	for _, v := range []int{11, 12, 99} {
		g.rdbCase(Case{Name: fmt.Sprintf("catch/rdb-version-%d/dump", v), Class: ServerCatches, Description: fmt.Sprintf("set7's dump.rdb relabelled RDB version %d (checksum fixed)", v)}, SetVersion(dump, v), false)
	}
	g.fromSet(sd, Case{Name: "catch/rdb-version-11/base", Class: ServerCatches, Description: "set7's base relabelled RDB version 11 (checksum fixed)"},
		func(dir string) { g.write(dir, sd.Base, SetVersion(g.read(sd.Dir, sd.Base), 11)) })
	for _, name := range []string{"redis-7.2.6", "redis-7.4.1", "valkey-8.0.1"} {
		if b, ok := g.src.Dumps[name]; ok {
			g.rdbCase(Case{Name: "catch/newer-server-dump/" + name, Class: ServerCatches, Description: "a dump.rdb saved by " + name}, b, false)
		}
	}
	module := Record{Type: 7, Key: "m", Value: append(Len64(ModuleID("aoftoolmd", 1)), 0x02, 0x01, 0x00)}
	g.rdbCase(Case{Name: "catch/module-unknown/dump", Class: ServerCatches, Description: "a module value whose module is not loaded"}, BuildRDB(map[int][]Record{0: {plain, module}}), false)
	g.rdbCase(Case{Name: "catch/module-unknown/base", Class: ServerCatches, Description: "the same module value in an AOF base"}, BuildRDB(map[int][]Record{0: {plain, module}}), true)
	allOnes := StringRecord("forever", "v")
	allOnes.Expires = append([]byte{0xFC}, bytes.Repeat([]byte{0xFF}, 8)...)
	g.rdbCase(Case{Name: "catch/expire-all-ones", Class: ServerCatches, Description: "an expire of all ones (-1 ms), which the loader reads as no expiry",
		KnownHarm: "the key loses the expiry the file gives it (the loader reads -1 ms as none)"}, BuildRDB(map[int][]Record{0: {plain, allOnes}}), false)
	for _, e := range []struct {
		name string
		rec  Record
	}{
		{"list", Record{Type: 1, Key: "empty", Value: RDBLen(0)}},
		{"set", Record{Type: 2, Key: "empty", Value: RDBLen(0)}},
		{"zset", Record{Type: 5, Key: "empty", Value: RDBLen(0)}},
		{"hash", Record{Type: 4, Key: "empty", Value: RDBLen(0)}},
		{"hash-listpack", Record{Type: 16, Key: "empty", Value: RDBBlob(Listpack(nil, -1))}},
	} {
		g.rdbCase(Case{Name: "catch/empty-" + e.name, Class: ServerCatches, Description: "an empty " + e.name + " (old servers could write one)"}, BuildRDB(map[int][]Record{0: {plain, e.rec}}), false)
	}
	g.rdbCase(Case{Name: "catch/empty-set/base", Class: ServerCatches, Description: "an empty set in an AOF base"}, BuildRDB(map[int][]Record{0: {plain, {Type: 2, Key: "empty", Value: RDBLen(0)}}}), true)
	g.rdbCase(Case{Name: "catch/selectdb-20", Class: ServerCatches, Databases: 32, Description: "keys in database 20: refused with 16 databases, loaded with 32"},
		BuildRDB(map[int][]Record{0: {plain}, 20: {StringRecord("db20", "v")}}), false)
	g.rdbCase(Case{Name: "catch/duplicate-key", Class: ServerCatches, Description: "the same key twice in one database"},
		BuildRDB(map[int][]Record{0: {plain, StringRecord("dup", "1"), StringRecord("dup", "2")}}), false)
	g.rdbCase(Case{Name: "catch/duplicate-key/base", Class: ServerCatches, Description: "the same key twice in an AOF base"},
		BuildRDB(map[int][]Record{0: {plain, StringRecord("dup", "1"), StringRecord("dup", "2")}}), true)
	g.rdbCase(Case{Name: "catch/type-8", Class: ServerCatches, Description: "object type 8, which no version defines"},
		BuildRDB(map[int][]Record{0: {plain, {Type: 8, Key: "x", Value: RDBBlob([]byte("v"))}}}), false)
	g.rdbCase(Case{Name: "catch/type-22", Class: ServerCatches, Description: "object type 22 (a 7.4 hash with field TTLs), unknown to 7.0"},
		BuildRDB(map[int][]Record{0: {plain, {Type: 22, Key: "x", Value: RDBBlob([]byte("v"))}}}), false)
	zeroCRC := append([]byte{}, dump...)
	copy(zeroCRC[len(zeroCRC)-8:], make([]byte, 8))
	g.rdbCase(Case{Name: "unusual/rdb-checksum-zero", Class: Unusual, Description: "a trailer of zeros, as rdbchecksum no writes: not verified"}, zeroCRC, false)
}

func (g *gen) neverWritten() {
	_, _, _, sd := g.s7()
	last := sd.LastIncr()
	incr := g.read(sd.Dir, last)
	ends, _, err := RESPBoundaries(incr)
	if err != nil {
		g.t.Fatal(err)
	}
	// The second command of the file: past the SELECT every incr opens with.
	second := ends[0]
	edit := func(name, desc string, f func(cmd []byte) []byte) {
		g.fromSet(sd, Case{Name: "never/" + name, Class: NeverWritten, Description: desc, Source: "intact/set7"}, func(dir string) {
			cmd := append([]byte{}, incr[second:ends[1]]...)
			out := append(append(append([]byte{}, incr[:second]...), f(cmd)...), incr[ends[1]:]...)
			g.write(dir, last, out)
		})
	}
	replaceFirst := func(old, new string) func([]byte) []byte {
		return func(cmd []byte) []byte { return bytes.Replace(cmd, []byte(old), []byte(new), 1) }
	}
	edit("aof-argc-formfeed", `"*3\f\n" for "*3\r\n" in the last incr`, func(cmd []byte) []byte {
		i := bytes.Index(cmd, []byte("\r\n"))
		cmd[i] = '\f'
		return cmd
	})
	edit("aof-bulklen-formfeed", `"$3\f\n" for "$3\r\n"`, func(cmd []byte) []byte {
		i := bytes.Index(cmd, []byte("$"))
		j := bytes.Index(cmd[i:], []byte("\r\n"))
		cmd[i+j] = '\f'
		return cmd
	})
	edit("aof-argc-trailing-letters", `"*3abc\r\n"`, func(cmd []byte) []byte {
		i := bytes.Index(cmd, []byte("\r\n"))
		return append(append(append([]byte{}, cmd[:i]...), "abc"...), cmd[i:]...)
	})
	edit("aof-bulklen-leading-zeros", `"$003\r\n"`, replaceFirst("$", "$00"))
	edit("aof-argc-leading-zeros", `"*03\r\n"`, replaceFirst("*", "*0"))
	edit("aof-argc-plus-sign", `"*+3\r\n"`, replaceFirst("*", "*+"))
	edit("aof-bulk-crlf-replaced", `"XX" where a bulk's CRLF belongs (skipped unchecked)`, func(cmd []byte) []byte {
		i := bytes.Index(cmd, []byte("$"))
		j := bytes.Index(cmd[i:], []byte("\r\n")) + i + 2
		k := bytes.Index(cmd[j:], []byte("\r\n")) + j
		cmd[k], cmd[k+1] = 'X', 'X'
		return cmd
	})
	edit("aof-lf-only", "a command with LF line ends", func(cmd []byte) []byte { return bytes.ReplaceAll(cmd, []byte("\r\n"), []byte("\n")) })
	g.fromSet(sd, Case{Name: "never/aof-blank-line", Class: NeverWritten, Description: "an empty line between commands"},
		func(dir string) {
			g.write(dir, last, append(append(append([]byte{}, incr[:second]...), "\r\n"...), incr[second:]...))
		})
	g.fromSet(sd, Case{Name: "never/ts-overlong", Class: NeverWritten, Description: "a #TS annotation of 2000 bytes in the middle of the last incr"},
		func(dir string) {
			line := "#TS:" + strings.Repeat("1", 1996) + "\r\n"
			g.write(dir, last, append(append(append([]byte{}, incr[:second]...), line...), incr[second:]...))
		})
	g.fromSet(sd, Case{Name: "never/comment-line", Class: NeverWritten, Description: "a # comment line between commands (skipped like an annotation)", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, last, append(append(append([]byte{}, incr[:second]...), "# hello\r\n"...), incr[second:]...))
		})

	dump := g.read(sd.Dir, "dump.rdb")
	g.rdbCase(Case{Name: "never/rdb-bytes-after-checksum", Class: NeverWritten, Description: "set7's dump.rdb with 7 bytes after the checksum"}, append(append([]byte{}, dump...), "garbage"...), false)
	g.fromSet(sd, Case{Name: "never/base-bytes-after-checksum", Class: NeverWritten, Description: "set7's base with a newline after the checksum (read as the start of a RESP tail)"},
		func(dir string) { g.write(dir, sd.Base, append(g.read(sd.Dir, sd.Base), '\n')) })
	g.fromSet(sd, Case{Name: "never/base-nul-after-checksum", Class: NeverWritten, Description: "set7's base with 16 NUL bytes after the checksum"},
		func(dir string) { g.write(dir, sd.Base, append(g.read(sd.Dir, sd.Base), make([]byte, 16)...)) })
	resize := func(n uint64) []byte {
		b := RDBHeader()
		b = append(b, 0xFE, 0x00, 0xFB)
		b = append(b, RDBLen(n)...)
		b = append(b, RDBLen(0)...)
		b = append(append(b, 0x00), RDBBlob([]byte("k"))...)
		return WithCRC(append(b, RDBBlob([]byte("v"))...))
	}
	g.rdbCase(Case{Name: "never/resizedb-1e6", Class: NeverWritten, Description: "RESIZEDB announcing 1,000,000 keys for 1"}, resize(1000000), false)
	g.rdbCase(Case{Name: "never/resizedb-2^32", Class: NeverWritten, Description: "RESIZEDB announcing 2^32 keys for 1"}, resize(1<<32), false)
	aux := func() []byte {
		b := RDBHeader()
		b = append(append(append(b, 0xFA), RDBString("aoftool-unknown")...), RDBString("x")...)
		b = append(b, 0xFE, 0x00)
		b = append(append(b, 0x00), RDBBlob([]byte("k"))...)
		return WithCRC(append(b, RDBBlob([]byte("v"))...))
	}
	g.rdbCase(Case{Name: "never/rdb-unknown-aux", Class: NeverWritten, Description: "an aux field no server writes (skipped)"}, aux(), false)
	g.rdbCase(Case{Name: "never/rdb-no-selectdb", Class: NeverWritten, Description: "keys before any SELECTDB (database 0 assumed)"},
		WithCRC(append(append(append(RDBHeader(), 0x00), RDBBlob([]byte("k"))...), RDBBlob([]byte("v"))...)), false)
}

func (g *gen) oddEntries() {
	_, _, _, sd := g.s7()
	dumpOnly := func(name, desc string, edit func(dir string)) {
		g.add(Case{Name: "odd/" + name, Class: OddEntry, Description: desc}, edit)
	}
	dumpOnly("dump-is-directory", "dump.rdb is a directory", func(dir string) { mkdir(g.t, filepath.Join(dir, "dump.rdb")) })
	dumpOnly("dump-is-fifo", "dump.rdb is a FIFO", func(dir string) { g.fifo(dir, "dump.rdb") })
	dumpOnly("dump-symlink-loop", "dump.rdb is a symlink loop", func(dir string) {
		g.symlink(dir, "dump.rdb", "loop.rdb")
		g.symlink(dir, "loop.rdb", "dump.rdb")
	})
	dumpOnly("dump-dangling-symlink", "dump.rdb is a symlink to a missing file", func(dir string) { g.symlink(dir, "dump.rdb", "gone.rdb") })
	dumpOnly("dump-symlink-to-file", "dump.rdb is a symlink to a real dump", func(dir string) {
		g.write(dir, "real.rdb", g.read(sd.Dir, "dump.rdb"))
		g.symlink(dir, "dump.rdb", "real.rdb")
	})
	g.fromSet(sd, Case{Name: "odd/dump-is-directory-aof-on", Class: OddEntry, Description: "set7 with dump.rdb a directory"},
		func(dir string) { g.remove(dir, "dump.rdb"); mkdir(g.t, filepath.Join(dir, "dump.rdb")) })
	g.fromSet(sd, Case{Name: "odd/dump-is-fifo-aof-on", Class: OddEntry, Description: "set7 with dump.rdb a FIFO"},
		func(dir string) { g.fifo(dir, "dump.rdb") })
	g.add(Case{Name: "odd/appenddir-is-file", Class: OddEntry, Mode: "yes", Description: "appendonlydir is a regular file, beside dump.rdb"}, func(dir string) {
		g.write(dir, "dump.rdb", g.read(sd.Dir, "dump.rdb"))
		g.write(dir, "appendonlydir", []byte("not a directory\n"))
	})
	g.add(Case{Name: "odd/appenddir-is-fifo", Class: OddEntry, Mode: "yes", Description: "appendonlydir is a FIFO, beside dump.rdb"}, func(dir string) {
		g.write(dir, "dump.rdb", g.read(sd.Dir, "dump.rdb"))
		g.fifo(dir, "appendonlydir")
	})
	g.fromSet(sd, Case{Name: "odd/appenddir-symlink", Class: OddEntry, Description: "appendonlydir is a symlink to the real directory", Source: "intact/set7"},
		func(dir string) {
			if err := os.Rename(filepath.Join(dir, "appendonlydir"), filepath.Join(dir, "real-aof")); err != nil {
				g.t.Fatal(err)
			}
			g.symlink(dir, "appendonlydir", "real-aof")
		})
	g.fromSet(sd, Case{Name: "odd/manifest-is-fifo", Class: OddEntry, Description: "the manifest is a FIFO", Source: "intact/set7"}, func(dir string) { g.fifo(dir, sd.Manifest) })
	g.fromSet(sd, Case{Name: "odd/manifest-dangling-symlink", Class: OddEntry, Description: "the manifest is a symlink to a missing file", Source: "intact/set7"},
		func(dir string) { g.symlink(dir, sd.Manifest, "gone.manifest") })
	g.fromSet(sd, Case{Name: "odd/manifest-symlink-loop", Class: OddEntry, Description: "the manifest is a symlink loop", Source: "intact/set7"},
		func(dir string) {
			g.symlink(dir, sd.Manifest, "loop.manifest")
			g.symlink(dir, "appendonlydir/loop.manifest", filepath.Base(sd.Manifest))
		})
	g.fromSet(sd, Case{Name: "odd/manifest-symlink-to-file", Class: OddEntry, Description: "the manifest is a symlink to a copy of itself", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, "appendonlydir/real.manifest", g.read(sd.Dir, sd.Manifest))
			g.symlink(dir, sd.Manifest, "real.manifest")
		})
	g.fromSet(sd, Case{Name: "odd/manifest-empty-aof-off", Class: OddEntry, Mode: "no", Description: "appendonly no, dump.rdb and a 0-byte manifest (7.0.15 parses the manifest even with AOF off)"},
		func(dir string) { g.write(dir, sd.Manifest, nil) })
	g.fromSet(sd, Case{Name: "odd/manifest-overlong-aof-off", Class: OddEntry, Mode: "no", Description: "appendonly no, dump.rdb and a manifest line of 2000 bytes"},
		func(dir string) {
			g.write(dir, sd.Manifest, []byte("file "+strings.Repeat("a", 2000)+" seq 1 type b\n"))
		})
	g.fromSet(sd, Case{Name: "odd/incr-is-directory", Class: OddEntry, Description: "the last listed incr is a directory"},
		func(dir string) { g.remove(dir, sd.LastIncr()); mkdir(g.t, filepath.Join(dir, sd.LastIncr())) })
	g.fromSet(sd, Case{Name: "odd/incr-is-fifo", Class: OddEntry, Description: "the last listed incr is a FIFO"},
		func(dir string) { g.fifo(dir, sd.LastIncr()) })
	g.fromSet(sd, Case{Name: "odd/base-is-fifo", Class: OddEntry, Description: "the listed base is a FIFO"}, func(dir string) { g.fifo(dir, sd.Base) })
	g.fromSet(sd, Case{Name: "odd/incr-symlink-to-file", Class: OddEntry, Description: "the last incr is a symlink to its content", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, "appendonlydir/real.incr", g.read(sd.Dir, sd.LastIncr()))
			g.symlink(dir, sd.LastIncr(), "real.incr")
		})
}

// torn returns src cut at n bytes.
func torn(src []byte, n int) []byte { return append([]byte{}, src[:n]...) }

func (g *gen) startupTraps() {
	_, _, _, sd := g.s7()
	base := g.read(sd.Dir, sd.Base)
	last := g.read(sd.Dir, sd.LastIncr())
	ends, _, _ := RESPBoundaries(last)
	tail := last[:ends[len(ends)/2]]
	tornTail := append(append([]byte{}, tail...), "*3\r\n$3\r\nSET\r\n$4\r\ntorn"...)
	g.add(Case{Name: "trap/preamble-base-only-torn", Class: StartupTrap, Description: "the only listed file is an RDB-preamble base with a torn RESP tail: truncated to 0 bytes by the start"},
		func(dir string) {
			g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", append(append([]byte{}, base...), tornTail...))
			g.write(dir, "appendonlydir/appendonly.aof.manifest", []byte(mline("appendonly.aof.1.base.rdb", 1, "b")))
		})
	firstTorn := []byte("*3\r\n$3\r\nSET\r\n$4\r\ntorn")
	g.add(Case{Name: "trap/preamble-base-only-torn-first-command", Class: StartupTrap, Description: "the only listed file is an RDB-preamble base whose first RESP command is torn"},
		func(dir string) {
			g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", append(append([]byte{}, base...), firstTorn...))
			g.write(dir, "appendonlydir/appendonly.aof.manifest", []byte(mline("appendonly.aof.1.base.rdb", 1, "b")))
		})
	g.add(Case{Name: "trap/legacy-preamble-torn-first-command", Class: StartupTrap, Description: "a legacy appendonly.aof whose first RESP command after the preamble is torn, no appendonlydir"},
		func(dir string) { g.write(dir, "appendonly.aof", append(append([]byte{}, base...), firstTorn...)) })
	g.add(Case{Name: "trap/preamble-base-only-complete-tail", Class: NeverWritten, Description: "the only listed file is an RDB-preamble base with a complete RESP tail"},
		func(dir string) {
			g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", append(append([]byte{}, base...), tail...))
			g.write(dir, "appendonlydir/appendonly.aof.manifest", []byte(mline("appendonly.aof.1.base.rdb", 1, "b")))
		})
	g.fromSet(sd, Case{Name: "trap/preamble-base-torn-then-incr", Class: StartupTrap, Description: "an RDB-preamble base with a torn RESP tail, followed by incr files"},
		func(dir string) { g.write(dir, sd.Base, append(append([]byte{}, base...), tornTail...)) })
	g.add(Case{Name: "trap/legacy-preamble-torn", Class: StartupTrap, Description: "a legacy appendonly.aof (RDB preamble, torn RESP tail) and no appendonlydir: upgraded, then truncated to 0 bytes"},
		func(dir string) { g.write(dir, "appendonly.aof", append(append([]byte{}, base...), tornTail...)) })
	g.add(Case{Name: "trap/legacy-preamble-complete", Class: Unusual, Description: "a legacy appendonly.aof (RDB preamble, complete RESP tail) and no appendonlydir: upgraded"},
		func(dir string) { g.write(dir, "appendonly.aof", append(append([]byte{}, base...), tail...)) })
	g.add(Case{Name: "trap/legacy-resp-torn", Class: StartupTrap, Description: "a legacy RESP-only appendonly.aof with a torn tail"},
		func(dir string) { g.write(dir, "appendonly.aof", append([]byte{}, tornTail...)) })
	if g.src.Legacy62 != "" {
		aof := g.read(g.src.Legacy62, "appendonly.aof")
		_, ls, err := RESPBoundaries(aof[rdbEnd(g.t, aof):])
		if err != nil {
			g.t.Fatal(err)
		}
		cut := rdbEnd(g.t, aof) + ls + 9
		g.add(Case{Name: "trap/legacy62-torn", Class: StartupTrap, Description: "Redis 6.2.16's appendonly.aof cut inside its last RESP command"},
			func(dir string) {
				fsguard.CopyTree(g.t, g.src.Legacy62, dir)
				g.write(dir, "appendonly.aof", torn(aof, cut))
			})
		first := rdbEnd(g.t, aof) + 9
		g.add(Case{Name: "trap/legacy62-torn-first-command", Class: StartupTrap, Description: "Redis 6.2.16's appendonly.aof cut inside the first RESP command after its preamble"},
			func(dir string) {
				fsguard.CopyTree(g.t, g.src.Legacy62, dir)
				g.write(dir, "appendonly.aof", torn(aof, first))
			})
		g.add(Case{Name: "trap/legacy62-beside-appendonlydir", Class: Unusual, Description: "6.2's appendonly.aof beside set7's appendonlydir: the inner set is loaded"},
			func(dir string) {
				fsguard.CopyTree(g.t, sd.Dir, dir)
				g.write(dir, "appendonly.aof", aof)
			})
	}
	multi := "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$5\r\ntx:in\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$5\r\ntx:in\r\n"
	g.fromSet(sd, Case{Name: "trap/torn-inside-multi", Class: StartupTrap, Description: "the last incr ends inside a transaction, torn within its third command"},
		func(dir string) {
			g.write(dir, sd.LastIncr(), append(append([]byte{}, last...), multi+"*2\r\n$4\r\nEX"...))
		})
	g.fromSet(sd, Case{Name: "trap/multi-without-exec", Class: StartupTrap, Description: "the last incr ends with MULTI and complete commands but no EXEC"},
		func(dir string) { g.write(dir, sd.LastIncr(), append(append([]byte{}, last...), multi...)) })
	g.fromSet(sd, Case{Name: "trap/multi-without-exec-nonlast", Class: StartupTrap, Description: "the first incr ends with an open MULTI, another incr follows"},
		func(dir string) {
			g.write(dir, sd.Incrs[0], append(g.read(sd.Dir, sd.Incrs[0]), multi...))
		})
	g.fromSet(sd, Case{Name: "trap/exec-without-multi", Class: NeverWritten, Description: "an EXEC with no MULTI at the end of the last incr"},
		func(dir string) {
			g.write(dir, sd.LastIncr(), append(append([]byte{}, last...), "*1\r\n$4\r\nEXEC\r\n"...))
		})
	ts := g.src.TS7
	tsIncr := g.read(ts.Dir, ts.LastIncr())
	g.fromSet(ts, Case{Name: "trap/ts-torn-at-end", Class: StartupTrap, Description: "the last incr ends with a torn #TS annotation"},
		func(dir string) { g.write(dir, ts.LastIncr(), append(append([]byte{}, tsIncr...), "#TS:17"...)) })
	g.fromSet(sd, Case{Name: "trap/ts-torn-at-end-set7", Class: StartupTrap, Description: "set7's last incr ends with a torn #TS annotation"},
		func(dir string) { g.write(dir, sd.LastIncr(), append(append([]byte{}, last...), "#TS:1700"...)) })
	g.fromSet(ts, Case{Name: "trap/ts-complete-at-end", Class: Unusual, Description: "the last incr ends with a complete #TS annotation and nothing after it", Source: "intact/ts7"},
		func(dir string) {
			g.write(dir, ts.LastIncr(), append(append([]byte{}, tsIncr...), "#TS:1700000000\r\n"...))
		})
	g.fromSet(ts, Case{Name: "trap/ts-cr-only-at-end", Class: StartupTrap, Description: "the last incr ends with a #TS annotation missing its LF"},
		func(dir string) {
			g.write(dir, ts.LastIncr(), append(append([]byte{}, tsIncr...), "#TS:1700000000\r"...))
		})
	g.fromSet(sd, Case{Name: "trap/star-at-end", Class: StartupTrap, Description: "a bare * at the very end of the last incr"},
		func(dir string) { g.write(dir, sd.LastIncr(), append(append([]byte{}, last...), '*')) })
}

// rdbEnd is the offset after the checksum of the RDB preamble at the start
// of b, found by the first RESP command after an FF whose checksum is
// right.
func rdbEnd(t testing.TB, b []byte) int {
	t.Helper()
	for i := 9; i+9 <= len(b); i++ {
		if b[i] != 0xFF {
			continue
		}
		end := i + 9
		if (end == len(b) || b[end] == '*') && CRC(b[:i+1]) == leUint64(b[i+1:end]) {
			return end
		}
	}
	t.Fatal("no RDB preamble end found")
	return 0
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// cmdCuts are the cut points inside the last command of a RESP file:
// after '*', inside the argc line, inside a bulk length, inside bulk data,
// before the final CRLF and between its CR and LF.
func cmdCuts(b []byte) map[string]int {
	m := map[string]int{}
	for _, c := range cmdCutList(b) {
		m[c.name] = c.at
	}
	return m
}

type namedCut struct {
	name string
	at   int
}

func cmdCutList(b []byte) []namedCut {
	_, start, _ := RESPBoundaries(b)
	cmd := b[start:]
	firstCRLF := bytes.Index(cmd, []byte("\r\n"))
	dollar := bytes.IndexByte(cmd, '$')
	lastDollar := bytes.LastIndexByte(cmd, '$')
	dataStart := lastDollar + bytes.Index(cmd[lastDollar:], []byte("\r\n")) + 2
	end := len(cmd)
	return []namedCut{
		{"star", start + 1},
		{"argc-cr", start + firstCRLF + 1},
		{"bulklen", start + dollar + 1},
		{"mid-bulk", start + dataStart + (end-2-dataStart)/2},
		{"before-crlf", start + end - 2},
		{"half-crlf", start + end - 1},
	}
}

func (g *gen) tornTails() {
	_, _, _, sd := g.s7()
	last := g.read(sd.Dir, sd.LastIncr())
	for _, c := range cmdCutList(last) {
		name, at := c.name, c.at
		g.fromSet(sd, Case{Name: "torn/last-incr/" + name, Class: TornTail, Description: fmt.Sprintf("the last incr cut at %d of %d bytes (%s)", at, len(last), name)},
			func(dir string) { g.write(dir, sd.LastIncr(), torn(last, at)) })
	}
	ends, _, _ := RESPBoundaries(last)
	g.fromSet(sd, Case{Name: "torn/last-incr/at-boundary", Class: TornTail, Description: "the last incr cut exactly after a command (nothing torn, fewer writes)"},
		func(dir string) { g.write(dir, sd.LastIncr(), torn(last, ends[len(ends)-2])) })
	g.fromSet(sd, Case{Name: "torn/last-incr/zero", Class: TornTail, Description: "the last incr emptied to 0 bytes"},
		func(dir string) { g.write(dir, sd.LastIncr(), nil) })
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 3; i++ {
		at := len(last)/4 + rng.Intn(len(last)/2)
		if g.seen[fmt.Sprintf("torn/last-incr/random-%d", at)] {
			continue
		}
		g.fromSet(sd, Case{Name: fmt.Sprintf("torn/last-incr/random-%d", at), Class: TornTail, Description: fmt.Sprintf("the last incr cut at a random offset %d of %d", at, len(last))},
			func(dir string) { g.write(dir, sd.LastIncr(), torn(last, at)) })
	}
	first := g.read(sd.Dir, sd.Incrs[0])
	fc := cmdCuts(first)
	for _, name := range []string{"star", "mid-bulk", "before-crlf"} {
		at := fc[name]
		g.fromSet(sd, Case{Name: "torn/nonlast-incr/" + name, Class: TornTail, Description: fmt.Sprintf("the first of two incr files cut at %d of %d bytes (%s)", at, len(first), name)},
			func(dir string) { g.write(dir, sd.Incrs[0], torn(first, at)) })
	}
	fe, _, _ := RESPBoundaries(first)
	g.fromSet(sd, Case{Name: "torn/nonlast-incr/at-boundary", Class: TornTail, Description: "the first of two incr files cut exactly after a command"},
		func(dir string) { g.write(dir, sd.Incrs[0], torn(first, fe[len(fe)/2])) })
	g.fromSet(sd, Case{Name: "torn/nonlast-incr/zero", Class: TornTail, Description: "the first of two incr files emptied"},
		func(dir string) { g.write(dir, sd.Incrs[0], nil) })
	ts := g.src.TS7
	tsIncr := g.read(ts.Dir, ts.LastIncr())
	g.fromSet(ts, Case{Name: "torn/ts-incr/mid-bulk", Class: TornTail, Description: "the timestamped incr cut inside its last command"},
		func(dir string) { g.write(dir, ts.LastIncr(), torn(tsIncr, cmdCuts(tsIncr)["mid-bulk"])) })
	tsBase := g.read(ts.Dir, ts.Base)
	g.fromSet(ts, Case{Name: "torn/resp-base/mid-bulk", Class: TornTail, Description: "a RESP base cut inside its last command, an incr after it"},
		func(dir string) { g.write(dir, ts.Base, torn(tsBase, cmdCuts(tsBase)["mid-bulk"])) })
	g.fromSet(ts, Case{Name: "torn/ts-incr/inside-last-ts-line", Class: TornTail, Description: "the timestamped incr cut inside its last #TS line (the commands after it lost)"},
		func(dir string) {
			i := bytes.LastIndex(tsIncr, []byte("#TS:"))
			g.write(dir, ts.LastIncr(), torn(tsIncr, i+6))
		})
}

func (g *gen) cutFlipCRC() {
	_, _, _, sd := g.s7()
	dump := g.read(sd.Dir, "dump.rdb")
	n := len(dump)
	for _, at := range []int{5, 9, 40, n / 3, n / 2, n - 9, n - 4, n - 1} {
		g.rdbCase(Case{Name: fmt.Sprintf("cut/dump/%d", at), Class: CutRDB, Description: fmt.Sprintf("set7's dump.rdb cut at %d of %d bytes", at, n)}, torn(dump, at), false)
	}
	base := g.read(sd.Dir, sd.Base)
	for _, at := range []int{9, len(base) / 2, len(base) - 4} {
		g.fromSet(sd, Case{Name: fmt.Sprintf("cut/base/%d", at), Class: CutRDB, Description: fmt.Sprintf("set7's base cut at %d of %d bytes", at, len(base))},
			func(dir string) { g.write(dir, sd.Base, torn(base, at)) })
	}
	empty := g.read(g.src.Empty7.Dir, g.src.Empty7.Base)
	g.fromSet(g.src.Empty7, Case{Name: "cut/empty-base/40", Class: CutRDB, Description: "the 89-byte empty base cut at 40"},
		func(dir string) { g.write(dir, g.src.Empty7.Base, torn(empty, 40)) })
	flip := func(b []byte, at int) []byte {
		out := append([]byte{}, b...)
		out[at] ^= 0x04
		return out
	}
	for _, at := range []int{0, 7, n / 2, n - 9, n - 3} {
		g.rdbCase(Case{Name: fmt.Sprintf("flip/dump/%d", at), Class: FlippedByte, Description: fmt.Sprintf("one bit of set7's dump.rdb flipped at %d", at)}, flip(dump, at), false)
	}
	g.fromSet(sd, Case{Name: "flip/base/mid", Class: FlippedByte, Description: "one bit of set7's base flipped in the middle"},
		func(dir string) { g.write(dir, sd.Base, flip(base, len(base)/2)) })
	last := g.read(sd.Dir, sd.LastIncr())
	ends, _, _ := RESPBoundaries(last)
	cmd := last[ends[2]:ends[3]]
	valueAt := ends[2] + len(cmd) - 3 // last data byte of the command's last argument
	g.fromSet(sd, Case{Name: "flip/incr/value-byte", Class: FlippedByte, Description: "one bit of a value flipped in the last incr (RESP has no checksum: loads a different value)"},
		func(dir string) { g.write(dir, sd.LastIncr(), flip(last, valueAt)) })
	lenAt := ends[2] + bytes.LastIndexByte(cmd, '$') + 1
	g.fromSet(sd, Case{Name: "flip/incr/bulk-length", Class: FlippedByte, Description: "a bulk length digit changed in the last incr"},
		func(dir string) {
			b := append([]byte{}, last...)
			b[lenAt]++
			g.write(dir, sd.LastIncr(), b)
		})
	g.fromSet(sd, Case{Name: "flip/incr/star", Class: FlippedByte, Description: "a command's * changed to + in the last incr"},
		func(dir string) {
			b := append([]byte{}, last...)
			b[ends[2]] = '+'
			g.write(dir, sd.LastIncr(), b)
		})
	g.fromSet(sd, Case{Name: "flip/incr/command-name", Class: FlippedByte, Description: "a command name changed to an unknown one in the last incr"},
		func(dir string) {
			b := append([]byte{}, last...)
			i := ends[2] + bytes.Index(cmd, []byte("$")) + 4
			b[i] = 'Q'
			g.write(dir, sd.LastIncr(), b)
		})
	badCRC := append([]byte{}, dump...)
	badCRC[n-1]++
	g.rdbCase(Case{Name: "crc/dump-off-by-one", Class: BadCRC, Description: "set7's dump.rdb with a wrong checksum"}, badCRC, false)
	g.fromSet(sd, Case{Name: "crc/base-off-by-one", Class: BadCRC, Description: "set7's base with a wrong checksum"},
		func(dir string) {
			b := append([]byte{}, base...)
			b[len(b)-1]++
			g.write(dir, sd.Base, b)
		})
	g.fromSet(sd, Case{Name: "crc/base-zero", Class: Unusual, Description: "set7's base with a zero checksum (rdbchecksum no)", Source: "intact/set7"},
		func(dir string) {
			b := append([]byte{}, base...)
			copy(b[len(b)-8:], make([]byte, 8))
			g.write(dir, sd.Base, b)
		})
}

func (g *gen) missingUnlistedLeftovers() {
	base, _, i2, sd := g.s7()
	g.fromSet(sd, Case{Name: "missing/base", Class: MissingFile, Description: "the listed base is gone"}, func(dir string) { g.remove(dir, sd.Base) })
	g.fromSet(sd, Case{Name: "missing/last-incr", Class: MissingFile, Description: "the last listed incr is gone"}, func(dir string) { g.remove(dir, sd.LastIncr()) })
	g.fromSet(sd, Case{Name: "missing/first-incr", Class: MissingFile, Description: "the first of two listed incr files is gone"}, func(dir string) { g.remove(dir, sd.Incrs[0]) })
	g.fromSet(g.src.Empty7, Case{Name: "missing/empty-incr", Class: MissingFile, Description: "the listed 0-byte incr is gone"},
		func(dir string) { g.remove(dir, g.src.Empty7.LastIncr()) })
	g.fromSet(sd, Case{Name: "missing/all-listed", Class: MissingFile, Description: "the manifest is alone in appendonlydir"},
		func(dir string) {
			g.remove(dir, sd.Base)
			for _, i := range sd.Incrs {
				g.remove(dir, i)
			}
		})
	g.fromSet(sd, Case{Name: "unlisted/newer-incr", Class: UnlistedFile, Description: "an incr 4 no manifest lists, holding writes", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, "appendonlydir/appendonly.aof.4.incr.aof", []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$8\r\nunlisted\r\n$1\r\n1\r\n"))
		})
	g.fromSet(sd, Case{Name: "unlisted/older-base", Class: UnlistedFile, Description: "a base 1 no manifest lists", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, "appendonlydir/appendonly.aof.1.base.rdb", g.read(g.src.Empty7.Dir, g.src.Empty7.Base))
		})
	g.fromSet(sd, Case{Name: "unlisted/stray-file", Class: UnlistedFile, Description: "a notes.txt in appendonlydir", Source: "intact/set7"},
		func(dir string) { g.write(dir, "appendonlydir/notes.txt", []byte("hello\n")) })
	g.fromSet(sd, Case{Name: "unlisted/second-manifest", Class: UnlistedFile, Description: "a second set named other.aof in the same appendonlydir", Source: "intact/set7"},
		func(dir string) {
			g.write(dir, "appendonlydir/other.aof.1.base.rdb", g.read(g.src.Empty7.Dir, g.src.Empty7.Base))
			g.write(dir, "appendonlydir/other.aof.1.incr.aof", nil)
			g.write(dir, "appendonlydir/other.aof.manifest", []byte(mline("other.aof.1.base.rdb", 1, "b")+mline("other.aof.1.incr.aof", 1, "i")))
		})
	dump := g.read(sd.Dir, "dump.rdb")
	baseB := g.read(sd.Dir, sd.Base)
	left := func(name, desc string, files map[string][]byte) {
		g.fromSet(sd, Case{Name: "leftover/" + name, Class: Leftover, Description: desc, Source: "intact/set7"}, func(dir string) {
			for p, b := range files {
				g.write(dir, p, b)
			}
		})
	}
	left("bgsave-temp", "a partial temp-<pid>.rdb of a dead BGSAVE", map[string][]byte{"temp-4242.rdb": torn(dump, len(dump)/2)})
	left("bgsave-temp-empty", "a 0-byte temp-<pid>.rdb (orphaned child)", map[string][]byte{"temp-4243.rdb": nil})
	left("transfer-temp", "a partial replica transfer file", map[string][]byte{"temp-1700000000.4244.rdb": torn(dump, len(dump)/3)})
	left("rewrite-temp", "a partial temp-rewriteaof-<pid>.aof", map[string][]byte{"temp-rewriteaof-4245.aof": torn(baseB, len(baseB)/2)})
	left("rewrite-bg-temp", "a complete temp-rewriteaof-bg-<pid>.aof whose parent died", map[string][]byte{"temp-rewriteaof-bg-4246.aof": baseB})
	left("temp-incr", "appendonlydir/temp-appendonly.aof.incr with writes", map[string][]byte{"appendonlydir/temp-appendonly.aof.incr": []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nt\r\n$1\r\n1\r\n")})
	left("temp-manifest", "appendonlydir/temp-appendonly.aof.manifest of a crash during a manifest write", map[string][]byte{
		"appendonlydir/temp-appendonly.aof.manifest": []byte(mline(base, 2, "b") + mline(i2, 3, "i"))})
	left("all-at-once", "every kind of leftover together", map[string][]byte{
		"temp-4242.rdb": torn(dump, 100), "temp-1700000000.4244.rdb": nil, "temp-rewriteaof-4245.aof": torn(baseB, 50),
		"temp-rewriteaof-bg-4246.aof": baseB, "appendonlydir/temp-appendonly.aof.incr": nil,
	})
}

func (g *gen) customNames() {
	cs := g.src.Custom7
	last := g.read(cs.Dir, cs.LastIncr())
	g.fromSet(cs, Case{Name: "custom/torn-last-incr", Class: CustomNames, Description: "custom names, last incr cut inside its last command"},
		func(dir string) { g.write(dir, cs.LastIncr(), torn(last, cmdCuts(last)["mid-bulk"])) })
	g.fromSet(cs, Case{Name: "custom/no-manifest", Class: CustomNames, Description: "custom names, manifest deleted", Source: "intact/custom7"},
		func(dir string) { g.remove(dir, cs.Manifest) })
	g.fromSet(cs, Case{Name: "custom/default-dump-beside", Class: CustomNames, Description: "custom names and a stray default-named dump.rdb", Source: "intact/custom7"},
		func(dir string) { g.write(dir, "dump.rdb", g.read(g.src.Set7.Dir, "dump.rdb")) })
	g.fromSet(cs, Case{Name: "custom/dump-cut", Class: CustomNames, Description: "custom names, db-6379.rdb cut in half"},
		func(dir string) { d := g.read(cs.Dir, "db-6379.rdb"); g.write(dir, "db-6379.rdb", torn(d, len(d)/2)) })
	g.fromSet(cs, Case{Name: "custom/default-appendonlydir-beside", Class: CustomNames, Description: "custom names and set7's default-named appendonlydir beside them", Source: "intact/custom7"},
		func(dir string) {
			fsguard.CopyTree(g.t, filepath.Join(g.src.Set7.Dir, "appendonlydir"), filepath.Join(dir, "appendonlydir"))
		})
	q := g.src.Quoted7
	ql := g.read(q.Dir, q.LastIncr())
	g.fromSet(q, Case{Name: "custom/quoted-torn-last-incr", Class: CustomNames, Description: "a quoted appendfilename, last incr cut inside its last command"},
		func(dir string) { g.write(dir, q.LastIncr(), torn(ql, cmdCuts(ql)["mid-bulk"])) })
	g.fromSet(q, Case{Name: "custom/quoted-unquoted-line", Class: CustomNames, Description: "a name with a blank written unquoted in the manifest (7 tokens)"},
		func(dir string) {
			m := string(g.read(q.Dir, q.Manifest))
			m = strings.ReplaceAll(m, `"`, "")
			g.write(dir, q.Manifest, []byte(m))
		})
}

func (g *gen) manifests() {
	base, i1, i2, sd := g.s7()
	good := mline(base, 2, "b") + mline(i1, 2, "i") + mline(i2, 3, "i")
	m := func(name, desc string, class Class, text string, source bool) {
		c := Case{Name: "manifest/" + name, Class: class, Description: desc}
		if source {
			c.Source = "intact/set7"
		}
		g.fromSet(sd, c, func(dir string) { g.write(dir, sd.Manifest, []byte(text)) })
	}
	m("empty", "a 0-byte manifest", ManifestForm, "", false)
	m("no-final-newline", "the last line has no newline", ManifestForm, strings.TrimSuffix(good, "\n"), false)
	m("line-1024", "a line of 1024 bytes before its newline", ManifestForm, "file "+strings.Repeat("a", 1010)+" seq 1 type h\n"+good, false)
	m("comment-1100", "a comment of 1100 bytes (split; its rest is parsed as a line)", ManifestForm, "#"+strings.Repeat("c", 1099)+"\n"+good, false)
	m("blank-line", "an empty line between the lines", ManifestForm, mline(base, 2, "b")+"\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("five-tokens", "a line of 5 tokens", ManifestForm, "file "+base+" seq 2 type\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("odd-tokens", "a line of 7 tokens", ManifestForm, "file "+base+" seq 2 type b extra\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("bad-quotes", "an unterminated quote", ManifestForm, `file "`+base+" seq 2 type b\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("seq-zero", "an incr with seq 0", ManifestForm, mline(base, 2, "b")+mline(i1, 0, "i")+mline(i2, 3, "i"), false)
	m("seq-letters", "a base seq of letters (atoll gives 0)", ManifestForm, "file "+base+" seq abc type b\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("type-B", "type B (case-sensitive, unknown)", ManifestForm, "file "+base+" seq 2 type B\n"+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("type-x", "type x", ManifestForm, mline(base, 2, "x")+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("path-in-name", "a name with a /", ManifestForm, mline("../"+base, 2, "b")+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("two-bases", "two b lines", ManifestForm, mline(base, 2, "b")+mline(base, 3, "b")+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("incr-seq-down", "incr seqs going down", ManifestForm, mline(base, 2, "b")+mline(i1, 3, "i")+mline(i2, 2, "i"), false)
	m("incr-seq-equal", "two incr lines with the same seq", ManifestForm, mline(base, 2, "b")+mline(i1, 3, "i")+mline(i2, 3, "i"), false)
	m("uppercase-keys", "FILE, SEQ and TYPE in upper case (the loader's keys are case-insensitive)", NeverWritten,
		strings.NewReplacer("file ", "FILE ", " seq ", " SEQ ", " type ", " TYPE ").Replace(good), true)
	m("crlf", "CRLF line ends", NeverWritten, strings.ReplaceAll(good, "\n", "\r\n"), true)
	m("type-words", "type base / type incr (the first letter counts)", NeverWritten,
		strings.NewReplacer("type b\n", "type base\n", "type i\n", "type incr\n").Replace(good), true)
	m("extra-pairs", "an unknown key/value pair on every line", NeverWritten, strings.ReplaceAll(good, "\n", " color blue\n"), true)
	m("seq-gaps", "incr seqs 2 and 9", NeverWritten, mline(base, 2, "b")+mline(i1, 2, "i")+mline(i2, 9, "i"), true)
	m("negative-base-seq", "a base with seq -5", NeverWritten, mline(base, -5, "b")+mline(i1, 2, "i")+mline(i2, 3, "i"), true)
	padded := ""
	for _, l := range strings.SplitAfter(good, "\n") {
		if l != "" {
			padded += "\t " + strings.TrimSuffix(l, "\n") + " \t\n"
		}
	}
	m("padded", "tabs and spaces around every line", NeverWritten, padded, true)
	m("quoted-plain-names", "plain names written in quotes", NeverWritten,
		fmt.Sprintf("file %q seq 2 type b\nfile %q seq 2 type i\nfile %q seq 3 type i\n", base, i1, i2), true)
	m("reordered", "incr lines before the base line", NeverWritten, mline(i1, 2, "i")+mline(i2, 3, "i")+mline(base, 2, "b"), true)
	m("comments-between", "comments between the lines", NeverWritten, "# a\n"+mline(base, 2, "b")+"# b\n"+mline(i1, 2, "i")+mline(i2, 3, "i")+"# c\n", true)
	m("base-only", "the base alone (as a rewrite with AOF off leaves it)", ManifestForm, mline(base, 2, "b"), false)
	m("dotdot-name", "a file named ..", ManifestForm, mline("..", 1, "b")+mline(i1, 2, "i")+mline(i2, 3, "i"), false)
	m("nul-in-line", "a NUL byte inside a name", ManifestForm, "file app\x00endonly seq 1 type b\n"+good, false)
}

// hostile turns a sample of the hardening tests' hostile inputs into cases
// on set7: dump.rdb, the last incr or the manifest replaced.
func (g *gen) hostile() {
	_, _, _, sd := g.s7()
	rdbs := RDBVariants(g.read(sd.Dir, "dump.rdb"))
	for i, v := range rdbs {
		keep := strings.HasPrefix(v.Name, "rdb-cut-listpack") || !strings.HasPrefix(v.Name, "rdb-cut") && !strings.HasPrefix(v.Name, "rdb-flip") || i%6 == 0
		if strings.Contains(v.Name, "2^40") || strings.Contains(v.Name, "2^48") || strings.Contains(v.Name, "2^56") {
			keep = false
		}
		if !keep {
			continue
		}
		v := v
		if g.seen["hostile/"+v.Name] {
			continue
		}
		g.fromSet(sd, Case{Name: "hostile/" + v.Name, Class: HostileRDB, Description: "hardening input as set7's dump.rdb"},
			func(dir string) { g.write(dir, "dump.rdb", v.Data) })
	}
	aofs, err := AOFVariants(g.read(sd.Dir, sd.LastIncr()))
	if err != nil {
		g.t.Fatal(err)
	}
	for i, v := range aofs {
		if strings.HasPrefix(v.Name, "aof-cut") && i%5 != 0 {
			continue
		}
		v := v
		if g.seen["hostile/"+v.Name] {
			continue
		}
		g.fromSet(sd, Case{Name: "hostile/" + v.Name, Class: HostileAOF, Description: "hardening input as set7's last incr"},
			func(dir string) { g.write(dir, sd.LastIncr(), v.Data) })
	}
	for _, v := range ManifestVariants(g.read(sd.Dir, sd.Manifest), false) {
		v := v
		g.fromSet(sd, Case{Name: "hostile/" + v.Name, Class: HostileMan, Description: "hardening input as set7's manifest"},
			func(dir string) { g.write(dir, sd.Manifest, v.Data) })
	}
}
