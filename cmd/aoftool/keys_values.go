package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

// keysWithValues lists keys with their values: the file is verified whole
// first (hdt3213/rdb trusts what it decodes), then walked a second time by
// the visitor and decoded by hdt3213/rdb in step, key by key. Each value
// is held in memory while it is printed.
func keysWithValues(ctx context.Context, file *datadir.File, path string, o keysOptions, s *keysSink) (*rdbinspect.Report, error) {
	rep := rdbinspect.Verify(ctx, file.ReaderAt(), file.Size, rdbinspect.Options{Path: path, Target: o.target})
	if rep.Err != nil || rep.Findings.HasError() {
		return rep, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	keys := make(chan keyspace.Entry, 256)
	done := make(chan *rdbinspect.Report, 1)
	go func() {
		v := &rdbinspect.Visitor{Key: func(k *rdbinspect.Key) {
			c := keyspace.Entry{Key: *k, Exists: replay.Present, ExpiryKnown: true, ElementsMax: k.Elements}
			c.Name = append([]byte(nil), k.Name...)
			c.Members, c.Scores = nil, nil
			select {
			case keys <- c:
			case <-ctx.Done():
			}
		}}
		r := rdbinspect.Verify(ctx, file.ReaderAt(), file.Size, rdbinspect.Options{Path: path, Visit: v, Target: o.target})
		close(keys)
		done <- r
	}()
	var current model.RedisObject
	s.values = func(e *keyspace.Entry) (json.RawMessage, string) {
		if e.Size > o.valuesMaxN {
			return nil, fmt.Sprintf("serialized size %d is above --values-max", e.Size)
		}
		b, err := valueJSON(current)
		if err != nil {
			return nil, err.Error()
		}
		return b, ""
	}
	var mismatch error
	dec := core.NewDecoder(io.NewSectionReader(file.ReaderAt(), 0, file.Size))
	err := dec.Parse(func(obj model.RedisObject) bool {
		switch obj.GetType() {
		case model.StringType, model.ListType, model.SetType, model.HashType, model.ZSetType, model.StreamType:
		default:
			return true
		}
		e, ok := <-keys
		if !ok || string(e.Name) != obj.GetKey() || int(e.DB) != obj.GetDBIndex() {
			mismatch = fmt.Errorf("%s: hdt3213/rdb decoded key %q of db %d where the walk found another; values are not listed", path, obj.GetKey(), obj.GetDBIndex())
			return false
		}
		current = obj
		s.take(&e)
		return ctx.Err() == nil
	})
	cancel()
	for range keys {
	}
	<-done
	if mismatch != nil {
		return nil, mismatch
	}
	if err != nil {
		return nil, fmt.Errorf("%s: decoding values with hdt3213/rdb: %w", path, err)
	}
	return rep, nil
}

// jsonBytes is a JSON string for UTF-8 bytes, else {"b64": "..."}.
func jsonBytes(b []byte) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return map[string]string{"b64": base64.StdEncoding.EncodeToString(b)}
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

// valueJSON renders a decoded value: a string, an array of list items or
// set members, an object of hash fields (an array of [field, value] pairs
// when a field is not UTF-8), an array of [member, score] pairs, or the
// stream's entries.
func valueJSON(obj model.RedisObject) (json.RawMessage, error) {
	var v any
	switch x := obj.(type) {
	case *model.StringObject:
		v = jsonBytes(x.Value)
	case *model.ListObject:
		a := make([]any, len(x.Values))
		for i, e := range x.Values {
			a[i] = jsonBytes(e)
		}
		v = a
	case *model.SetObject:
		a := make([]any, len(x.Members))
		for i, e := range x.Members {
			a[i] = jsonBytes(e)
		}
		v = a
	case *model.HashObject:
		plain := true
		for f := range x.Hash {
			if !validUTF8(f) {
				plain = false
			}
		}
		if plain {
			m := make(map[string]any, len(x.Hash))
			for f, val := range x.Hash {
				m[f] = jsonBytes(val)
			}
			v = m
		} else {
			a := make([]any, 0, len(x.Hash))
			for f, val := range x.Hash {
				a = append(a, []any{jsonBytes([]byte(f)), jsonBytes(val)})
			}
			v = a
		}
	case *model.ZSetObject:
		a := make([]any, len(x.Entries))
		for i, e := range x.Entries {
			var score any = e.Score
			switch {
			case math.IsInf(e.Score, 1):
				score = "inf"
			case math.IsInf(e.Score, -1):
				score = "-inf"
			case math.IsNaN(e.Score):
				score = "nan"
			}
			a[i] = []any{jsonBytes([]byte(e.Member)), score}
		}
		v = a
	case *model.StreamObject:
		v = x.Entries
	default:
		return nil, fmt.Errorf("no value for a %s", obj.GetType())
	}
	return json.Marshal(v)
}
