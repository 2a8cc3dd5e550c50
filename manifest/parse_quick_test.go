package manifest

import (
	"strings"
	"testing"
)

func TestParseSmoke(t *testing.T) {
	m, fs := Parse(strings.NewReader("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"), "m")
	if m.Fatal != nil || len(m.Entries) != 2 || len(fs) != 0 {
		t.Fatalf("%+v %v", m, fs)
	}
}
