package finding

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// QuotedMax is how many columns of escaped text QuoteBytes shows before it
// cuts a name: enough for any key a person types, short enough that a
// 4 KiB binary key does not fill a screen.
const QuotedMax = 48

// EscapeBytes writes bytes read from an inspected file (a key name, a
// command argument) as text, escaped once: printable UTF-8 as it is,
// backslash, quote, control bytes and invalid UTF-8 as Go escapes (\x00,
// \n, \\, \"). It is the one escaping every message, table, Markdown
// report and JSON document of aoftool uses, so a name reads the same
// everywhere and a JSON message carries single escapes.
func EscapeBytes(b []byte) string {
	q := strconv.Quote(string(b))
	return q[1 : len(q)-1]
}

// QuoteBytes is EscapeBytes in double quotes, cut after QuotedMax columns
// of escaped text at a character boundary. A cut name says how long the
// whole is (total bytes, when more than b was kept) and, when at >= 0, the
// offset of its record, so the rest can be read from the file.
func QuoteBytes(b []byte, total int64, at int64) string {
	var s strings.Builder
	cut := false
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		esc := EscapeBytes(b[i : i+n])
		if r == utf8.RuneError && n == 1 {
			esc = fmt.Sprintf(`\x%02x`, b[i])
		}
		if utf8.RuneCountInString(s.String())+utf8.RuneCountInString(esc) > QuotedMax {
			cut = true
			break
		}
		s.WriteString(esc)
		i += n
	}
	out := `"` + s.String() + `"`
	if total < int64(len(b)) {
		total = int64(len(b))
	}
	if !cut && total == int64(len(b)) {
		return out
	}
	out += "…"
	switch {
	case at >= 0:
		out += fmt.Sprintf(" (%d bytes at offset %d)", total, at)
	default:
		out += fmt.Sprintf(" (%d bytes)", total)
	}
	return out
}
