package manifest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
)

func TestParse(t *testing.T) {
	b := "file appendonly.aof.1.base.rdb seq 1 type b\n" // 44 bytes
	i := "file appendonly.aof.1.incr.aof seq 1 type i\n"
	type ent struct {
		name string
		seq  int64
		typ  byte
	}
	cases := []struct {
		name   string
		in     string
		want   []ent          // accepted entries (also with a fatal error)
		fatal  finding.Code   // "" when Redis accepts the manifest
		line   int            // of the fatal finding
		offset int64          // of the fatal finding
		notes  []finding.Code // non-fatal codes expected
		check  func(*Manifest) string
	}{
		{name: "writer output", in: b + i, want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}, {"appendonly.aof.1.incr.aof", 1, 'i'}}},
		{name: "empty", in: "", fatal: finding.ManifestEmpty, line: 1, offset: 0},
		{name: "comments only", in: "# x\n#\n", notes: []finding.Code{finding.ManifestNoEntries}},
		{name: "comment without newline at end", in: b + "#", want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}},
		{name: "no final newline", in: b + strings.TrimSuffix(i, "\n"), want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}, fatal: finding.ManifestTooLongLine, line: 2, offset: 44},
		{name: "crlf", in: strings.ReplaceAll(b+i, "\n", "\r\n"), want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}, {"appendonly.aof.1.incr.aof", 1, 'i'}}},
		{name: "blank line", in: b + "\n" + i, want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}, fatal: finding.ManifestInvalidFormat, line: 2, offset: 44},
		{name: "blanks only", in: " \t\r\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "1023 bytes", in: "file a seq 1 type b x " + strings.Repeat("y", 1023-22) + "\n", want: []ent{{"a", 1, 'b'}}, notes: []finding.Code{finding.ManifestUnknownKey}},
		{name: "1024 bytes", in: "file a seq 1 type b x " + strings.Repeat("y", 1024-22) + "\n", fatal: finding.ManifestTooLongLine, line: 1},
		{name: "10 MB line", in: "file a seq 1 type b x " + strings.Repeat("y", 10<<20) + "\n", fatal: finding.ManifestTooLongLine, line: 1,
			check: func(m *Manifest) string {
				if m.Bytes != maxLine {
					return "read past the first 1024 bytes"
				}
				return ""
			}},
		{name: "long comment continues as a line", in: "#" + strings.Repeat("c", 1023) + b, want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}},
			check: func(m *Manifest) string {
				if m.Lines != 2 || m.Comments != 1 || m.Entries[0].Line != 2 || m.Entries[0].Offset != 1024 {
					return "wrong line accounting"
				}
				return ""
			}},
		{name: "long comment remainder blank", in: "#" + strings.Repeat("c", 1023) + "\n" + b, fatal: finding.ManifestInvalidFormat, line: 2, offset: 1024},
		{name: "NUL in line", in: b + "file x\x00 seq 2 type i\n", want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}, fatal: finding.ManifestTooLongLine, line: 2, offset: 44},
		{name: "NUL in comment", in: "#\x00\n" + b, want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}},
		{name: "five tokens", in: "file a seq 1 type\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "seven tokens", in: "file a seq 1 type b x\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "upper-case keys", in: "FILE a SEQ 3 Type b\n", want: []ent{{"a", 3, 'b'}}, notes: []finding.Code{finding.ManifestUppercaseKey, finding.ManifestUppercaseKey, finding.ManifestUppercaseKey}},
		{name: "kelvin sign is not k", in: "file a seq 1 type b \u212aey v\n", want: []ent{{"a", 1, 'b'}}, notes: []finding.Code{finding.ManifestUnknownKey}},
		{name: "last value wins", in: "file x seq 9 type i file a seq 2 type b\n", want: []ent{{"a", 2, 'b'}}, notes: []finding.Code{finding.ManifestRepeatedKey, finding.ManifestRepeatedKey, finding.ManifestRepeatedKey}},
		{name: "type word", in: "file a seq 1 type base\nfile c seq 1 type incr\n", want: []ent{{"a", 1, 'b'}, {"c", 1, 'i'}}},
		{name: "type B", in: "file a seq 1 type B\n", fatal: finding.ManifestUnknownType, line: 1},
		{name: "empty type", in: `file a seq 1 type ""` + "\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "seq 0", in: "file a seq 0 type b\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "seq abc", in: "file a seq abc type b\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "seq 12abc", in: "file a seq 12abc type b\n", want: []ent{{"a", 12, 'b'}}, notes: []finding.Code{finding.ManifestSeqNotNumber}},
		{name: "seq overflow saturates", in: "file a seq 99999999999999999999 type b\nfile c seq -99999999999999999999 type h\n",
			want: []ent{{"a", 1<<63 - 1, 'b'}, {"c", -1 << 63, 'h'}}, notes: []finding.Code{finding.ManifestSeqNotNumber, finding.ManifestSeqNotNumber, finding.ManifestNegativeSeq}},
		{name: "negative base seq", in: "file a seq -5 type b\n", want: []ent{{"a", -5, 'b'}}, notes: []finding.Code{finding.ManifestNegativeSeq}},
		{name: "negative incr seq", in: "file a seq -1 type i\n", fatal: finding.ManifestNonMonotonicIncr, line: 1},
		{name: "no file", in: "seq 1 type b x y\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "duplicate base", in: b + "file z seq -7 type b\n", want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}}, fatal: finding.ManifestDuplicateBase, line: 2, offset: 44},
		{name: "non-monotonic", in: "file a seq 3 type i\nfile c seq 3 type i\n", want: []ent{{"a", 3, 'i'}}, fatal: finding.ManifestNonMonotonicIncr, line: 2, offset: 20},
		{name: "gap", in: "file a seq 3 type i\nfile c seq 9 type i\n", want: []ent{{"a", 3, 'i'}, {"c", 9, 'i'}}, notes: []finding.Code{finding.ManifestMultipleIncr}},
		{name: "history never counts", in: "file h seq 9 type h\nfile a seq 1 type i\n", want: []ent{{"h", 9, 'h'}, {"a", 1, 'i'}}},
		{name: "slash", in: "file a/b seq 1 type b\n", fatal: finding.ManifestFileIsPath, line: 1},
		{name: "backslash", in: `file "a\\b" seq 1 type b` + "\n", fatal: finding.ManifestFileIsPath, line: 1},
		{name: "path in an overridden file key", in: "file a/b seq 1 type b file c\n", fatal: finding.ManifestFileIsPath, line: 1},
		{name: "double quotes and escapes", in: `file "a b\x41\n\"\q\x4" seq 1 type b` + "\n", want: []ent{{"a bA\n\"qx4", 1, 'b'}}},
		{name: "single quotes", in: `file 'it\'s "x41' seq 1 type b` + "\n", want: []ent{{`it's "x41`, 1, 'b'}}},
		{name: "quote inside a token", in: `file ab"c d"e seq 1 type b` + "\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "quote opens mid-token", in: `file ab"c d" seq 1 type b` + "\n", want: []ent{{"abc d", 1, 'b'}}},
		{name: "unterminated", in: `file "a seq 1 type b` + "\n", fatal: finding.ManifestInvalidFormat, line: 1},
		{name: "hex NUL cuts the name", in: `file "a\x00/b" seq 1 type b` + "\n", want: []ent{{"a", 1, 'b'}}},
		{name: "NUL in a key", in: `"file\x00z" a seq 1 type b` + "\n", want: []ent{{"a", 1, 'b'}}},
		{name: "vertical tab splits only at the start", in: "\vfile a\vb seq 1 type b x y\n", want: []ent{{"a\vb", 1, 'b'}}, notes: []finding.Code{finding.ManifestUnknownKey}},
		{name: "redis 8 offsets", in: "file a seq 1 type i startoffset 10 endoffset 20\n", want: []ent{{"a", 1, 'i'}},
			check: func(m *Manifest) string {
				e := m.Entries[0]
				if e.StartOffset == nil || *e.StartOffset != 10 || e.EndOffset == nil || *e.EndOffset != 20 || len(e.Extra) != 0 {
					return "offsets not kept"
				}
				return ""
			}},
		{name: "h names live base", in: b + "file appendonly.aof.1.base.rdb seq 1 type h\n", want: []ent{{"appendonly.aof.1.base.rdb", 1, 'b'}, {"appendonly.aof.1.base.rdb", 1, 'h'}}, notes: []finding.Code{finding.ManifestHNamesLiveFile}},
		{name: "name Redis cannot write back", in: `file "it's" seq 1 type b` + "\n", want: []ent{{"it's", 1, 'b'}}, notes: []finding.Code{finding.ManifestNotRewritable}},
		{name: "name too long once quoted", in: "file " + strings.Repeat("\xff", 300) + " seq 1 type b\n", want: []ent{{strings.Repeat("\xff", 300), 1, 'b'}}, notes: []finding.Code{finding.ManifestNotRewritable}},
		{name: "same incr twice", in: i + "file appendonly.aof.1.incr.aof seq 2 type i\n", want: []ent{{"appendonly.aof.1.incr.aof", 1, 'i'}, {"appendonly.aof.1.incr.aof", 2, 'i'}}, notes: []finding.Code{finding.ManifestDuplicateName, finding.ManifestMultipleIncr}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, fs := Parse(strings.NewReader(tc.in), "m")
			var got []ent
			for _, e := range m.Entries {
				got = append(got, ent{e.Name, e.Seq, e.Type})
			}
			if len(got) != 0 || len(tc.want) != 0 {
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("entries %+v, want %+v", got, tc.want)
				}
			}
			if tc.fatal == "" {
				if m.Fatal != nil {
					t.Fatalf("unexpected refusal %v", *m.Fatal)
				}
			} else {
				if m.Fatal == nil {
					t.Fatalf("want %s, got none (findings %v)", tc.fatal, fs)
				}
				f := *m.Fatal
				if f.Code != tc.fatal || f.Line != tc.line || f.Offset == nil || *f.Offset != tc.offset || f.Severity != finding.Error {
					t.Errorf("got %v (line %d), want %s at line %d offset %d", f, f.Line, tc.fatal, tc.line, tc.offset)
				}
			}
			var notes []finding.Code
			for _, f := range fs {
				if m.Fatal != nil && f.Code == m.Fatal.Code && f.Line == m.Fatal.Line {
					continue
				}
				if f.Offset == nil || f.Line == 0 {
					t.Errorf("finding without line or offset: %v", f)
				}
				notes = append(notes, f.Code)
			}
			if !reflect.DeepEqual(notes, tc.notes) {
				t.Errorf("notes %v, want %v", notes, tc.notes)
			}
			if tc.check != nil {
				if msg := tc.check(m); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func TestCounters(t *testing.T) {
	m, _ := Parse(strings.NewReader("file b3 seq 3 type b\nfile i2 seq 2 type h\nfile i5 seq 5 type i\nfile i7 seq 7 type i\n"), "m")
	if m.BaseSeq() != 3 || m.IncrSeq() != 7 || m.Base().Name != "b3" || len(m.History()) != 1 || len(m.Incrs()) != 2 {
		t.Fatalf("counters: base %d incr %d", m.BaseSeq(), m.IncrSeq())
	}
	var names []string
	for _, e := range m.LoadOrder() {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "b3,i5,i7" {
		t.Fatalf("load order %v", names)
	}
	empty := &Manifest{}
	if empty.BaseSeq() != 0 || empty.IncrSeq() != 0 || empty.Base() != nil || len(empty.LoadOrder()) != 0 {
		t.Fatal("empty manifest counters")
	}
}

func TestMarshalTextIsRedisWriterFormat(t *testing.T) {
	in := "file appendonly.aof.3.base.rdb seq 3 type b\nfile i9 seq 9 type i\nfile appendonly.aof.2.base.rdb seq 2 type h\n"
	m, _ := Parse(strings.NewReader(in), "m")
	out, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.2.base.rdb seq 2 type h\nfile i9 seq 9 type i\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	// sdscatrepr quoting, plus the two names Redis itself cannot write back.
	for name, repr := range map[string]string{
		" file seq \n\n.aof .2.base.rdb": `" file seq \n\n.aof .2.base.rdb"`,
		"a\"b\\c\x01\xff\t\v":            `"a\"b\\c\x01\xff\t\x0b"`,
		"":                               `""`,
		"it's":                           `"it's"`,
		"plain.aof":                      "plain.aof",
	} {
		if got := quoteName(name); got != repr {
			t.Errorf("quoteName(%q) = %s, want %s", name, got, repr)
		}
	}
}

func TestAOFNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  int64
		kind string
		ok   bool
	}{
		{"appendonly.aof.1.base.rdb", 1, KindBaseRDB, true},
		{"appendonly.aof.12.base.aof", 12, KindBaseAOF, true},
		{"appendonly.aof.3.incr.aof", 3, KindIncr, true},
		{"appendonly.aof.-3.incr.aof", 0, "", false},
		{"appendonly.aof.3.incr.rdb", 0, "", false},
		{"appendonly.aof.x.incr.aof", 0, "", false},
		{"appendonly.aof.manifest", 0, "", false},
		{"other.aof.1.base.rdb", 0, "", false},
	} {
		seq, kind, ok := ParseAOFName("appendonly.aof", tc.name)
		if seq != tc.seq || kind != tc.kind || ok != tc.ok {
			t.Errorf("ParseAOFName(%q) = %d %q %v", tc.name, seq, kind, ok)
		}
	}
	if !IsManifestName("appendonly.aof.manifest") || IsManifestName("temp-appendonly.aof.manifest") || IsManifestName(".manifest") {
		t.Error("IsManifestName")
	}
	if af, ok := AppendFilenameOf("cache.aof.manifest"); !ok || af != "cache.aof" {
		t.Error("AppendFilenameOf")
	}
}
