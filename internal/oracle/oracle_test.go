package oracle_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/damage"
	"github.com/aoftool/aoftool/internal/oracle"
)

func write(t *testing.T, dir, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// aofDir is a set of a base holding key "a" and an incr of incr.
func aofDir(t *testing.T, incr string, extraManifest string) string {
	dir := t.TempDir()
	write(t, dir, "appendonlydir/appendonly.aof.1.base.rdb", damage.BuildRDB(map[int][]damage.Record{0: {damage.StringRecord("a", "1")}}))
	write(t, dir, "appendonlydir/appendonly.aof.1.incr.aof", []byte(incr))
	write(t, dir, "appendonlydir/appendonly.aof.manifest", []byte(extraManifest+
		"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	return dir
}

const setB = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"

func TestIntactStartKeepsEverything(t *testing.T) {
	dir := aofDir(t, setB, "")
	o := oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	if o.First.State != oracle.Started || o.First.TotalKeys() != 2 {
		t.Fatalf("want a start with 2 keys, got %s %v\n%s", o.First.State, o.First.Keys, o.First.Log)
	}
	if len(o.First.Changes) != 0 {
		t.Errorf("an intact start changed %v", o.First.Changes)
	}
	if len(o.First.Digest) != 40 {
		t.Errorf("no dataset digest: %q", o.First.Digest)
	}
	if o.After == nil || o.After.State != oracle.Started || !o.MarkerKept || o.After.TotalKeys() != 3 {
		t.Errorf("the start after should hold the 2 keys and the marker: %+v marker %v", o.After, o.MarkerKept)
	}
	if h := oracle.Harms(&o, nil, nil); len(h) != 0 {
		t.Errorf("harms of an intact start: %v", h)
	}
	// The original is never touched.
	if b, _ := os.ReadFile(filepath.Join(dir, "appendonlydir/appendonly.aof.1.incr.aof")); string(b) != setB {
		t.Errorf("the oracle changed the original directory")
	}
}

func TestRefusalIsRecordedWithItsReason(t *testing.T) {
	dir := aofDir(t, setB, "")
	write(t, dir, "appendonlydir/appendonly.aof.manifest", []byte("file appendonly.aof.1.base.rdb seq 1 type b"))
	o := oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	if o.First.State != oracle.Refused || o.First.ExitCode != 1 || !strings.Contains(o.First.Reason(), "too long line") {
		t.Fatalf("want a refusal for a manifest without final newline, got %s exit %d reason %q", o.First.State, o.First.ExitCode, o.First.Reason())
	}
	if o.After != nil {
		t.Errorf("no start after a refusal")
	}
}

// A torn write inside MULTI is cut after the queued commands, which leaves
// an open MULTI: the marker written after the start is reverted on the
// next.
func TestTornMultiCutsAndSwallowsTheNextWrite(t *testing.T) {
	dir := aofDir(t, setB+"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$4\r\nIN", "")
	o := oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	if o.First.State != oracle.Started {
		t.Fatalf("want a start, got %s\n%s", o.First.State, o.First.Log)
	}
	var cut *oracle.Change
	for i, c := range o.First.Changes {
		if c.Kind == oracle.Truncated && strings.HasSuffix(c.Path, ".incr.aof") {
			cut = &o.First.Changes[i]
		}
	}
	if cut == nil {
		t.Fatalf("no cut recorded: %v", o.First.Changes)
	}
	if o.MarkerKept {
		t.Errorf("the marker survived the open MULTI")
	}
	if h := oracle.Harms(&o, nil, nil); len(h) < 2 {
		t.Errorf("want the cut and the lost write as harms, got %v", h)
	}
	// The same start with aof-load-truncated no refuses.
	o = oracle.Start(t, dir, oracle.Config{AppendOnly: true, NoLoadTruncated: true})
	if o.First.State != oracle.Refused {
		t.Errorf("aof-load-truncated no: want a refusal, got %s", o.First.State)
	}
}

func TestFIFODumpHangs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "dump.rdb"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := oracle.Start(t, dir, oracle.Config{HangAfter: time.Second})
	if o.First.State != oracle.Hung {
		t.Fatalf("want a hang on a FIFO dump.rdb, got %s\n%s", o.First.State, o.First.Log)
	}
	// With AOF on dump.rdb is not read, and the first save replaces the
	// FIFO.
	o = oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	if o.First.State != oracle.Started || o.SaveErr != "" {
		t.Fatalf("AOF on: want a start and a save, got %s save %q", o.First.State, o.SaveErr)
	}
}

func TestHistoryDeletionIsNamed(t *testing.T) {
	dir := aofDir(t, setB, "file appendonly.aof.0.incr.aof seq 1 type h\n")
	write(t, dir, "appendonlydir/appendonly.aof.0.incr.aof", []byte(setB))
	o := oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	found := false
	for _, c := range o.First.Changes {
		if c.Kind == oracle.HistoryDeleted && c.Path == "appendonlydir/appendonly.aof.0.incr.aof" {
			found = true
		}
		if c.Destructive() {
			t.Errorf("history cleanup counted as damage: %v", c)
		}
	}
	if !found {
		t.Errorf("history deletion not recorded: %v", o.First.Changes)
	}
}

// A legacy appendonly.aof is moved into appendonlydir at the first 7.x
// start: recorded as a move, not a deletion and a creation.
func TestLegacyUpgradeIsAMove(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "appendonly.aof", []byte(setB))
	o := oracle.Start(t, dir, oracle.Config{AppendOnly: true})
	moved := false
	for _, c := range o.First.Changes {
		if c.Kind == oracle.Moved && c.From == "appendonly.aof" && c.Path == "appendonlydir/appendonly.aof" {
			moved = true
		}
	}
	if !moved || o.First.TotalKeys() != 1 {
		t.Errorf("want a move and 1 key, got %v, keys %v", o.First.Changes, o.First.Keys)
	}
}
