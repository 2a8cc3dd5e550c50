package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
)

func TestWrapKeepsWordsAndBreaksPathsAtSlashes(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  []string
	}{
		{"a b c", 10, []string{"a b c"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"appendonlydir/appendonly.aof.2.incr.aof", 20, []string{"appendonlydir/", "appendonly.aof.2.", "incr.aof"}},
		{"xxxxxxxxxxxx", 5, []string{"xxxxx", "xxxxx", "xx"}},
		{"日本語日本語", 5, []string{"日本", "語日", "本語"}},
		{"first\nsecond", 80, []string{"first", "second"}},
	} {
		got := wrap(c.in, c.width)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		for _, l := range got {
			if textWidth(l) > c.width {
				t.Errorf("wrap(%q, %d): line %q is wider", c.in, c.width, l)
			}
		}
	}
}

func TestTableFitsOrBecomesBlocks(t *testing.T) {
	rows := [][]string{
		{"appendonlydir/appendonly.aof.2.base.rdb", "98 KiB (100375)", "REDIS0010 (redis 7.0.15)", "2500", "ok", "RDB complete and intact"},
		{"temp-1795803896.15722.rdb", "16 KiB (16344)", "REDIS0010 (redis 7.0.15)", "403", "absent", "partial file of a dead job: 16344 bytes, never loaded"},
	}
	for _, width := range []int{40, 60, 80, 100, 120} {
		var b bytes.Buffer
		tb := newTable(&screen{Writer: &b, width: width}, "Path", "Size", "Format", "Keys", "Checksum", "Verdict")
		for _, r := range rows {
			_ = tb.Append(r)
		}
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if textWidth(l) > width {
				t.Errorf("width %d: line %q is %d wide", width, l, textWidth(l))
			}
		}
		// Every word of every cell is still there (a long one at least
		// by its start, the rest being on the next line).
		for _, r := range rows {
			for _, c := range r {
				for _, word := range strings.Fields(c) {
					if len(word) > 8 {
						word = word[:8]
					}
					if !strings.Contains(b.String(), word) {
						t.Errorf("width %d: %q of cell %q lost:\n%s", width, word, c, b.String())
					}
				}
			}
		}
	}
}

func TestFindingsPrintOnceWithHintsFromTheWorkingDirectory(t *testing.T) {
	off := int64(441)
	f := finding.New(finding.AOFTruncatedTail, "appendonlydir/appendonly.aof.1.incr.aof", "the file ends inside a command").
		At(off).WithHint("aoftool aof --repair-to OUT appendonlydir/appendonly.aof.1.incr.aof writes a copy")
	l := finding.List{f, f}
	var b bytes.Buffer
	if err := printFindings(&screen{Writer: &b, width: 80}, l, false, "data"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "aof-truncated-tail") != 1 {
		t.Errorf("a finding repeated word for word is printed twice:\n%s", out)
	}
	if !strings.Contains(out, "--repair-to OUT data/appendonlydir/appendonly.aof.1.incr.aof") {
		t.Errorf("the hint's path is not relative to the working directory:\n%s", out)
	}
	if !strings.Contains(out, "appendonlydir/appendonly.aof.1.incr.aof @441") {
		t.Errorf("where is lost:\n%s", out)
	}
}

func TestDisplayKeyEscapesOnce(t *testing.T) {
	for in, want := range map[string]string{
		"user:1":                 "user:1",
		`h\xff\xfe\x00end`:       `"h\xff\xfe\x00end"`,
		strings.Repeat("k", 300): `"` + strings.Repeat("k", finding.QuotedMax) + `"…`,
		"abc…(3072 bytes)":       `"abc"… (3072 bytes)`,
	} {
		if got := displayKey(in); got != want {
			t.Errorf("displayKey(%q) = %s, want %s", in, got, want)
		}
	}
}
