package rdbinspect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

// TestKeyStatsAgreeWithValueDecoder decodes every intact real dump with
// hdt3213/rdb — only after Verify has proved it intact, which is the one
// safe way to use that decoder — and checks that the walk, which never
// decodes values, counted the same keys per database, per type and with an
// expiry.
func TestKeyStatsAgreeWithValueDecoder(t *testing.T) {
	files, _ := filepath.Glob("../testdata/rdb/*/*.rdb")
	if len(files) < 5 {
		t.Fatalf("expected the real dumps under testdata/rdb, found %v", files)
	}
	for _, path := range files {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Path: path, Keys: true})
			if !rep.Complete || rep.Findings.HasError() {
				t.Skipf("not intact (%s); the decoder is never run on such a file", rep.Verdict)
			}
			type key struct {
				db  int
				typ string
			}
			decoded := map[key]int64{}
			var total, expires int64
			dec := core.NewDecoder(bytes.NewReader(data))
			err = dec.Parse(func(o model.RedisObject) bool {
				switch o.GetType() {
				case model.AuxType, model.DBSizeType, model.FunctionsType:
					return true
				}
				decoded[key{o.GetDBIndex(), o.GetType()}]++
				total++
				if o.GetExpiration() != nil {
					expires++
				}
				return true
			})
			if err != nil {
				t.Fatalf("decoder: %v", err)
			}
			if rep.Keys.Keys != total || rep.Keys.Expires != expires {
				t.Errorf("walk counted %d keys / %d expires, decoder %d / %d", rep.Keys.Keys, rep.Keys.Expires, total, expires)
			}
			var perDB = map[int]int64{}
			for k, n := range decoded {
				perDB[k.db] += n
			}
			for _, db := range rep.Keys.DBs {
				if perDB[int(db.DB)] != db.Keys {
					t.Errorf("db %d: walk %d keys, decoder %d", db.DB, db.Keys, perDB[int(db.DB)])
				}
			}
			perType := map[string]int64{}
			for _, ts := range rep.Keys.Types {
				perType[ts.Type] += ts.Keys
			}
			byType := map[string]int64{}
			for k, n := range decoded {
				byType[k.typ] += n
			}
			for typ, n := range byType {
				if perType[typ] != n {
					t.Errorf("type %s: walk %d keys, decoder %d", typ, perType[typ], n)
				}
			}
			t.Logf("%d keys, %d expires, types %v", total, expires, byType)
		})
	}
}
