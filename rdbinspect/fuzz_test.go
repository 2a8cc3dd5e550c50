package rdbinspect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are the real dumps in testdata plus built encodings that reach
// the rarer branches (LZF, 64-bit lengths, module values, streams).
func fuzzSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", "*"))
	for _, p := range paths {
		if filepath.Ext(p) == ".sh" || filepath.Ext(p) == ".md" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.rdb"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(newBuilder(10).raw(opSelectDB, 0, typeString, 1, 'k', 0xc3, 3, 6, 1, 'a', 'b', 0x20, 1).eof(true))
	f.Add(newBuilder(10).raw(opModuleAux).length(1 << 40).length(2).length(1).raw(5).str("x").raw(0).eof(true))
	f.Add(newBuilder(10).raw(opSelectDB, 0, typeModule2).str("m").length(77).raw(1, 5, 3, 1, 2, 3, 4, 0).eof(true))
	f.Add(newBuilder(12).raw(opSelectDB, 0, typeHashMeta).str("h").raw(0, 0, 0, 0, 0, 0, 0, 0).length(1).length(0).str("f").str("v").eof(true))
	f.Add(newBuilder(9).raw(opSelectDB, 0, opExpireTimeMS, 1, 2, 3, 4, 5, 6, 7, 8, typeZSet).str("z").length(1).str("m").raw(3, '1', '.', '5').eof(false))
	f.Add([]byte("VALKEY080\xfa\x0avalkey-ver\x058.1.0\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
}

func FuzzHeader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("untyped error %v", err)
			}
			if ce.Offset < 0 || ce.Offset > int64(len(b)) {
				t.Fatalf("error offset %d outside %d bytes", ce.Offset, len(b))
			}
			if errors.Is(err, ErrNotRDB) && h.Version != 0 {
				t.Fatalf("bad magic with version %d", h.Version)
			}
			return
		}
		if h.AuxEnd > int64(len(b)) || h.AuxEnd < -1 {
			t.Fatalf("aux end %d outside %d bytes", h.AuxEnd, len(b))
		}
		prev := int64(-1)
		for _, a := range h.Aux {
			if a.Offset <= prev || a.Offset >= int64(len(b)) || b[a.Offset] != opAux {
				t.Fatalf("aux %q at %d (prev %d)", a.Key, a.Offset, prev)
			}
			prev = a.Offset
		}
		if h.EmptyDataset && (h.AuxEnd < 0 || b[h.AuxEnd] != opEOF) {
			t.Fatalf("empty dataset without EOF at aux end %d", h.AuxEnd)
		}
	})
}

func FuzzWalk(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			t.Skip()
		}
		size := int64(len(b))
		rep := Verify(context.Background(), bytes.NewReader(b), size, Options{Keys: true, Top: 3})
		if rep.Err != nil {
			t.Fatalf("read error on an in-memory file: %v", rep.Err)
		}
		for _, fd := range rep.Findings {
			if fd.Offset != nil && (*fd.Offset < 0 || *fd.Offset > size) {
				t.Fatalf("finding %v outside %d bytes", fd, size)
			}
		}
		if rep.StoppedAt != nil && (*rep.StoppedAt < 0 || *rep.StoppedAt > size) {
			t.Fatalf("stopped at %d outside %d bytes", *rep.StoppedAt, size)
		}
		if rep.Complete {
			if rep.RDBEnd < 9 || rep.RDBEnd > size {
				t.Fatalf("complete with RDB end %d of %d", rep.RDBEnd, size)
			}
		} else if rep.RDBEnd != -1 {
			t.Fatalf("incomplete with RDB end %d", rep.RDBEnd)
		}
		if !rep.Complete && rep.StructureChecked && !rep.Findings.HasError() {
			t.Fatalf("incomplete RDB without an error: %v", rep.Findings)
		}
		var keys int64
		for _, d := range rep.Keys.DBs {
			keys += d.Keys
		}
		if keys != rep.Keys.Keys || rep.Keys.Expires > rep.Keys.Keys {
			t.Fatalf("key counts %d vs %d, expires %d", keys, rep.Keys.Keys, rep.Keys.Expires)
		}
		// A dump accepted as complete and intact must not stay so when cut.
		if rep.Complete && !rep.Findings.HasError() && rep.RDBEnd == size && size > 9 {
			cut := Verify(context.Background(), bytes.NewReader(b[:size-1]), size-1, Options{})
			if !cut.Findings.HasError() {
				t.Fatalf("a dump cut by one byte passes: %v", cut.Findings)
			}
		}
	})
}
