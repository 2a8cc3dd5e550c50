package finding

import (
	"encoding/json"
	"regexp"
	"testing"
)

func TestCodesAreKebabCaseAndDocumented(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, info := range Registry() {
		if !kebab.MatchString(string(info.Code)) {
			t.Errorf("code %q is not kebab-case", info.Code)
		}
		if info.Meaning == "" {
			t.Errorf("code %q has no meaning", info.Code)
		}
		switch info.Severity {
		case Error, Warning, Info:
		default:
			t.Errorf("code %q has severity %q", info.Code, info.Severity)
		}
	}
}

func TestOffsetZeroIsKept(t *testing.T) {
	f := New(InputUnreadable, "dump.rdb", "x").At(0)
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if v, ok := back["offset"]; !ok || v.(float64) != 0 {
		t.Fatalf("offset 0 lost in %s", b)
	}
	if _, ok := back["hint"]; ok {
		t.Fatalf("empty hint serialised in %s", b)
	}
}

func TestListHasErrorAndSort(t *testing.T) {
	l := List{
		New(InputSymlink, "b", "w"),
		New(InputUnreadable, "a", "e").At(9),
		New(InputUnreadable, "a", "e").At(3),
	}
	if !l.HasError() {
		t.Fatal("HasError = false with an error finding")
	}
	l.Sort()
	if l[0].Severity != Error || *l[0].Offset != 3 || l[2].Severity != Warning {
		t.Fatalf("unexpected order: %v", l)
	}
	if (List{New(InputSymlink, "b", "w")}).HasError() {
		t.Fatal("HasError = true with only a warning")
	}
	if DefaultSeverity("no-such-code") != Error {
		t.Fatal("unknown codes must default to error")
	}
}

func TestQuoteBytes(t *testing.T) {
	long := make([]byte, 3072)
	for i := range long {
		long[i] = byte(i)
	}
	for _, c := range []struct {
		b     []byte
		total int64
		at    int64
		want  string
	}{
		{[]byte("user:1"), 6, -1, `"user:1"`},
		{[]byte("a\"b\\c\n"), 6, -1, `"a\"b\\c\n"`},
		{[]byte{0xff, 'k'}, 2, 7, `"\xffk"`},
		{[]byte("日本"), 6, -1, `"日本"`},
		{long[:256], 3072, 268, `"\x00\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e"… (3072 bytes at offset 268)`},
		{[]byte("abc"), 300, -1, `"abc"… (300 bytes)`},
	} {
		if got := QuoteBytes(c.b, c.total, c.at); got != c.want {
			t.Errorf("QuoteBytes(%q) = %s, want %s", c.b, got, c.want)
		}
	}
}
