package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/fsguard"
)

var fixedClock = func() time.Time { return time.Date(2026, 11, 20, 18, 20, 0, 0, time.UTC) }

// rdbHeaderBytes is the start of a Redis 7.0 RDB: magic, redis-ver,
// redis-bits, ctime, aof-base, then a SELECTDB opcode.
func rdbHeaderBytes(aofBase byte) []byte {
	var b bytes.Buffer
	b.WriteString("REDIS0010")
	aux := func(k string, v []byte) {
		b.WriteByte(0xFA)
		b.WriteByte(byte(len(k)))
		b.WriteString(k)
		b.Write(v)
	}
	aux("redis-ver", append([]byte{6}, "7.0.15"...))
	aux("redis-bits", []byte{0xC0, 64})
	ct := make([]byte, 5)
	ct[0] = 0xC2
	binary.LittleEndian.PutUint32(ct[1:], 1763662200)
	aux("ctime", ct)
	aux("aof-base", []byte{0xC0, aofBase})
	b.Write([]byte{0xFE, 0x00})
	return b.Bytes()
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCaptureDataDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dump.rdb"), rdbHeaderBytes(0))
	writeFile(t, filepath.Join(dir, "temp-578.rdb"), nil)
	writeFile(t, filepath.Join(dir, "temp-rewriteaof-bg-77.aof"), rdbHeaderBytes(1))
	writeFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.2.base.rdb"), rdbHeaderBytes(1))
	writeFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.2.incr.aof"), []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"))
	writeFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"), nil)
	writeFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"),
		[]byte("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n"))
	if err := syscall.Mkfifo(filepath.Join(dir, "temp-4242.rdb"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent/dump.rdb", filepath.Join(dir, "temp-1763662200.9.rdb")); err != nil {
		t.Fatal(err)
	}
	guard := fsguard.Record(t, dir)
	done := make(chan *Snapshot)
	go func() {
		s, err := Capture(dir, Options{Clock: fixedClock})
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	var s *Snapshot
	select {
	case s = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Capture blocked (a FIFO was opened?)")
	}
	guard.AssertUnchanged(t)
	if s == nil {
		return
	}
	if fi, err := os.Stat(dir); err != nil || s.RootDir == nil || s.RootDir.Type != TypeDir || !s.RootDir.MTime.Equal(fi.ModTime().UTC()) {
		t.Errorf("root dir %+v, want the data dir's own mtime", s.RootDir)
	}
	want := map[string]struct {
		kind    Kind
		content ContentKind
		role    string
	}{
		"appendonlydir": {KindAppendOnlyDir, ContentUnread, ""},
		"appendonlydir/appendonly.aof.1.incr.aof": {KindIncr, ContentEmpty, "h"},
		"appendonlydir/appendonly.aof.2.base.rdb": {KindBaseRDB, ContentRDB, "b"},
		"appendonlydir/appendonly.aof.2.incr.aof": {KindIncr, ContentRESP, "i"},
		"appendonlydir/appendonly.aof.manifest":   {KindManifest, ContentUnknown, ""},
		"dump.rdb":                                {KindDump, ContentRDB, ""},
		"temp-1763662200.9.rdb":                   {KindTransferTemp, ContentUnread, ""},
		"temp-4242.rdb":                           {KindBgsaveTemp, ContentUnread, ""},
		"temp-578.rdb":                            {KindBgsaveTemp, ContentEmpty, ""},
		"temp-rewriteaof-bg-77.aof":               {KindRewriteBgTemp, ContentRDB, ""},
	}
	if len(s.Entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(s.Entries), len(want), s.Entries)
	}
	for _, e := range s.Entries {
		w, ok := want[e.Path]
		if !ok {
			t.Errorf("unexpected %s", e.Path)
			continue
		}
		if e.Kind != w.kind || e.Content != w.content || e.ManifestRole != w.role {
			t.Errorf("%s: kind %s content %s role %q, want %s %s %q", e.Path, e.Kind, e.Content, e.ManifestRole, w.kind, w.content, w.role)
		}
		if e.Type != TypeDir && e.Type != TypeSymlink && e.Type != TypeFIFO && (e.Inode == 0 || e.CTime == nil || e.Links == 0) {
			t.Errorf("%s: missing stat data %+v", e.Path, e)
		}
	}
	d := s.Entry("dump.rdb")
	if d.RDB == nil || d.RDB.Version != 10 || d.RDB.ProducerVersion != "7.0.15" || d.RDB.Magic != "REDIS" || d.RDB.AOFBase == nil || *d.RDB.AOFBase != 0 {
		t.Errorf("dump.rdb header: %+v", d.RDB)
	}
	if d.RDB != nil && (d.RDB.CTime == nil || d.RDB.CTime.Unix() != 1763662200) {
		t.Errorf("dump.rdb ctime %v", d.RDB.CTime)
	}
	if s.Entry("temp-1763662200.9.rdb").LinkTarget != "/nonexistent/dump.rdb" {
		t.Errorf("symlink target not recorded")
	}
	if !s.Findings.Has(finding.InputNotRegular) || !s.Findings.Has(finding.InputSymlink) {
		t.Errorf("findings %v", s.Findings)
	}
	if len(s.Manifests) != 1 || !s.Manifests[0].Valid || len(s.Manifests[0].Files) != 3 || !s.Manifests[0].Files[0].Exists {
		t.Errorf("manifests %+v", s.Manifests)
	}
	if s.Volume == nil || s.Volume.TotalBytes <= 0 || !s.TakenAt.Equal(fixedClock()) || s.Schema != SchemaVersion || s.Source != SourceDir {
		t.Errorf("snapshot header %+v", s)
	}
	if len(s.AppendFilenames) != 1 || s.AppendFilenames[0] != "appendonly.aof" {
		t.Errorf("append filenames %v", s.AppendFilenames)
	}
	// Round trip through JSON.
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	l, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := l.Save(&buf2); err != nil {
		t.Fatal(err)
	}
	if buf.String() != buf2.String() {
		t.Errorf("Save(Load(Save(s))) differs:\n%s\n---\n%s", buf.String(), buf2.String())
	}
}

// TestCaptureSparse100GiB proves the cost is O(files), not O(bytes): a
// 100 GiB dump.rdb (sparse, with a real header) is captured in well under a
// second reading a few kilobytes.
func TestCaptureSparse100GiB(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.rdb")
	writeFile(t, p, rdbHeaderBytes(0))
	if err := os.Truncate(p, 100<<30); err != nil {
		t.Skipf("cannot make a sparse file here: %v", err)
	}
	writeFile(t, filepath.Join(dir, "temp-rewriteaof-9.aof"), rdbHeaderBytes(1))
	if err := os.Truncate(filepath.Join(dir, "temp-rewriteaof-9.aof"), 100<<30); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err := Capture(dir, Options{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entry("dump.rdb")
	if e.Size != 100<<30 || e.RDB == nil || e.RDB.Version != 10 || e.RDB.LooksComplete == nil || *e.RDB.LooksComplete {
		t.Errorf("dump.rdb: size %d rdb %+v", e.Size, e.RDB)
	}
	if took > 500*time.Millisecond {
		t.Errorf("capture of two 100 GiB files took %v", took)
	}
	// Per RDB file: 16 bytes to sniff, the rdbinspect header window and its 9-byte tail.
	if s.BytesRead > 2*(16+64<<10+9) {
		t.Errorf("read %d bytes of two 100 GiB files", s.BytesRead)
	}
	t.Logf("100 GiB sparse snapshot: %v, %d bytes read for 2 files", took, s.BytesRead)
}

func TestCaptureSymlinkedAppendDir(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "appendonly.aof.1.incr.aof"), []byte("*1\r\n$4\r\nPING\r\n"))
	if err := os.Symlink(elsewhere, filepath.Join(dir, "appendonlydir")); err != nil {
		t.Fatal(err)
	}
	s, err := Capture(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 1 || s.Entries[0].Kind != KindAppendOnlyDir || s.Entries[0].Type != TypeSymlink || !s.Findings.Has(finding.InputSymlink) {
		t.Fatalf("not followed: %+v %v", s.Entries, s.Findings)
	}
	s, err = Capture(dir, Options{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := s.Entry("appendonlydir/appendonly.aof.1.incr.aof"); e == nil || e.Content != ContentRESP {
		t.Fatalf("followed: %+v", s.Entries)
	}
}

func TestCaptureVanishedEntry(t *testing.T) {
	dir := t.TempDir()
	c := &capturer{root: dir, snap: &Snapshot{}}
	if _, ok := c.statEntry("temp-rewriteaof-bg-1.aof"); ok {
		t.Fatal("a missing entry was recorded")
	}
	if !c.snap.Findings.Has(finding.InputChanged) {
		t.Fatalf("findings %v", c.snap.Findings)
	}
}

func TestLoadRefusesNewerSchema(t *testing.T) {
	_, err := Load(strings.NewReader(`{"schema": 2, "entries": []}`))
	if !errors.Is(err, ErrSchemaUnsupported) || !strings.Contains(err.Error(), "upgrade aoftool") {
		t.Fatalf("err %v", err)
	}
	for _, doc := range []string{`{}`, `[]`, `{"schema":1}`, `not json`, `{"schema":0,"entries":[]}`} {
		if _, err := Load(strings.NewReader(doc)); err == nil {
			t.Errorf("%s loaded", doc)
		}
	}
	s, err := Load(strings.NewReader(`{"schema":1,"entries":[{"path":"../../etc/temp-1.rdb","size":3},{"path":"/x/../dump.rdb"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries[0].Path != "dump.rdb" || s.Entries[1].Path != "etc/temp-1.rdb" || s.Entries[1].Kind != KindBgsaveTemp || s.Entries[1].Dir != "etc" {
		t.Errorf("paths not made relative: %+v", s.Entries)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"schema":1,"entries":[{"path":"dump.rdb","size":3,"kind":"dump"}],"manifests":[{"path":"appendonlydir/appendonly.aof.manifest","files":[{"file":"dump.rdb","seq":1,"type":"b"}]}]}`))
	f.Add([]byte(`{"schema":1,"entries":[]}`))
	f.Add([]byte(`{"schema":3,"entries":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatal(err)
		}
		s2, err := Load(&buf)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if len(s2.Entries) != len(s.Entries) {
			t.Fatalf("entries %d -> %d", len(s.Entries), len(s2.Entries))
		}
		for _, e := range s.Entries {
			if strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") {
				t.Fatalf("path escapes the root: %q", e.Path)
			}
		}
	})
}
