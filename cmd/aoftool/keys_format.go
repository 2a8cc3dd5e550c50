package main

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

// The listing of millions of keys is written by hand, field by field, into
// one reused buffer: the same shapes as keyRow and the CSV header, without
// reflection or an allocation per key.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; s is valid UTF-8.
func appendJSONString(b []byte, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendOptInt(b []byte, v int64, ok bool) []byte {
	if !ok {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, v, 10)
}

// elementsShown says whether a key's element count is one known number.
func elementsShown(e *keyspace.Entry) bool {
	return e.Elements >= 0 && (!e.Written || e.ElementsMax == e.Elements)
}

// appendKeyJSON appends one key in the contract's ndjson shape (keyRow),
// without the closing brace when value follows.
func appendKeyJSON(b []byte, e *keyspace.Entry, value []byte, omitted string) []byte {
	k := &e.Key
	b = append(b, `{"db":`...)
	b = strconv.AppendUint(b, k.DB, 10)
	if utf8.Valid(k.Name) {
		b = append(b, `,"key":`...)
		b = appendJSONString(b, k.Name)
	} else {
		b = append(b, `,"key_b64":"`...)
		b = base64.StdEncoding.AppendEncode(b, k.Name)
		b = append(b, '"')
	}
	b = append(b, `,"type":`...)
	b = appendJSONString(b, []byte(k.Type))
	b = append(b, `,"encoding":`...)
	if k.Encoding == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, []byte(k.Encoding))
	}
	b = append(b, `,"expires_at_ms":`...)
	b = appendOptInt(b, k.ExpireAt, k.ExpireAt != rdbinspect.NoExpiry)
	b = append(b, `,"elements":`...)
	b = appendOptInt(b, k.Elements, elementsShown(e))
	b = append(b, `,"size":`...)
	b = appendOptInt(b, k.Size, k.Size >= 0)
	b = append(b, `,"memory":`...)
	b = appendOptInt(b, k.Memory, k.Memory >= 0)
	if k.Size >= 0 {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, k.Offset, 10)
	}
	if k.NameLen != uint64(len(k.Name)) {
		b = append(b, `,"key_len":`...)
		b = strconv.AppendUint(b, k.NameLen, 10)
		b = append(b, `,"key_sha256":"`...)
		b = hex.AppendEncode(b, k.NameHash[:])
		b = append(b, '"')
	}
	if e.Written {
		b = append(b, `,"written":true`...)
		if !elementsShown(e) && e.ElementsMax >= 0 {
			b = append(b, `,"elements_max":`...)
			b = strconv.AppendInt(b, e.ElementsMax, 10)
		}
		if !e.ExpiryKnown {
			b = append(b, `,"expiry_unknown":true`...)
		}
	}
	if e.Exists == replay.Maybe {
		b = append(b, `,"exists":"maybe"`...)
	}
	if k.Skipped {
		b = append(b, `,"loader_skips":true`...)
	}
	if value != nil {
		b = append(b, `,"value":`...)
		b = append(b, value...)
	}
	if omitted != "" {
		b = append(b, `,"value_omitted":`...)
		b = appendJSONString(b, []byte(omitted))
	}
	return append(b, '}')
}

// csvHeader names the columns of appendKeyCSV.
var csvHeader = "db,key,key_b64,type,encoding,expires_at_ms,elements,size,memory,offset\n"

// appendCSVField appends s quoted as encoding/csv quotes a field.
func appendCSVField(b []byte, s []byte) []byte {
	quote := len(s) > 0 && (s[0] == ' ' || s[0] == '\t')
	for _, c := range s {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for _, c := range s {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

func appendCSVInt(b []byte, v int64, ok bool) []byte {
	if !ok {
		return b
	}
	return strconv.AppendInt(b, v, 10)
}

// appendKeyCSV appends one CSV row.
func appendKeyCSV(b []byte, e *keyspace.Entry) []byte {
	k := &e.Key
	b = strconv.AppendUint(b, k.DB, 10)
	b = append(b, ',')
	if utf8.Valid(k.Name) {
		b = appendCSVField(b, k.Name)
		b = append(b, ',')
	} else {
		b = append(b, ',')
		b = base64.StdEncoding.AppendEncode(b, k.Name)
	}
	b = append(b, ',')
	b = append(b, k.Type...)
	b = append(b, ',')
	b = append(b, k.Encoding...)
	b = append(b, ',')
	b = appendCSVInt(b, k.ExpireAt, k.ExpireAt != rdbinspect.NoExpiry)
	b = append(b, ',')
	b = appendCSVInt(b, k.Elements, elementsShown(e))
	b = append(b, ',')
	b = appendCSVInt(b, k.Size, k.Size >= 0)
	b = append(b, ',')
	b = appendCSVInt(b, k.Memory, k.Memory >= 0)
	b = append(b, ',')
	b = appendCSVInt(b, k.Offset, k.Size >= 0)
	return append(b, '\n')
}
