package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the manifests real
// Redis wrote (../testdata) and with the loader's edge cases. It asserts no
// panic, positions that never move back, and that what Parse accepts is
// written back by MarshalText in a form Parse reads to the same value.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "appendonlydir", "*.manifest"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
		f.Add(bytes.ToUpper(b))
	}
	for _, s := range []string{
		"",
		"# only a comment\n",
		"#" + strings.Repeat("c", 1023) + "file a seq 1 type b\n",
		"file \"a b\\x41\\n\" seq 1 type b\nfile 'c\\'d' seq 2 type i startoffset 0 endoffset 9\n",
		"file a seq 12abc type base x y\nfile c seq -1 type h\n",
		"file a\x00 seq 1 type b\n",
		"file \"\" seq 1 type b\n",
		"\vfile a\vb seq 1 type b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		m, fs := Parse(bytes.NewReader(data), "m")
		if m.Bytes > int64(len(data)) {
			t.Fatalf("read %d bytes of %d", m.Bytes, len(data))
		}
		lastLine, lastOff := 0, int64(-1)
		for _, e := range m.Entries {
			if e.Line <= lastLine || e.Offset <= lastOff || e.Offset >= int64(len(data)) {
				t.Fatalf("entry %+v after line %d offset %d", e, lastLine, lastOff)
			}
			lastLine, lastOff = e.Line, e.Offset
		}
		for _, x := range fs {
			if x.Offset == nil || *x.Offset < 0 || *x.Offset > m.Bytes || x.Line < 1 || x.Line > m.Lines+1 {
				t.Fatalf("finding out of range: %v (line %d, bytes %d, lines %d)", x, x.Line, m.Bytes, m.Lines)
			}
		}
		if m.Fatal != nil && (len(fs) == 0 || !fs.HasError()) {
			t.Fatal("a refusal without an error finding")
		}
		if len(m.Entries) == 0 {
			return
		}
		out, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.SplitAfter(out, []byte("\n")) {
			if len(l) >= maxLine {
				// Quoting can make a name four times longer: a line the
				// writer produces but the loader refuses, as in Redis.
				return
			}
		}
		back, _ := Parse(bytes.NewReader(out), "m")
		if back.Fatal != nil {
			t.Fatalf("re-parse of\n%q\nrefused: %v", out, back.Fatal)
		}
		if !reflect.DeepEqual(values(m), values(back)) {
			t.Fatalf("round trip changed the manifest:\n%q\n%+v\n%+v", out, values(m), values(back))
		}
	})
}

// value is what the loader keeps of an entry; positions and ignored pairs
// are not part of it.
type value struct {
	Name       string
	Seq        int64
	Type       byte
	Start, End *int64
}

// values lists a manifest's entries in the writer's order: base, history,
// incr.
func values(m *Manifest) []value {
	var out []value
	add := func(e Entry) { out = append(out, value{e.Name, e.Seq, e.Type, e.StartOffset, e.EndOffset}) }
	if b := m.Base(); b != nil {
		add(*b)
	}
	for _, e := range m.History() {
		add(e)
	}
	for _, e := range m.Incrs() {
		add(e)
	}
	return out
}
