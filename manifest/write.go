package manifest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// MarshalText writes the manifest as getAofManifestAsString does: the base,
// then history, then incr lines, each "file <name> seq <n> type <c>\n", the
// name quoted with sdscatrepr when sdsneedsrepr says so. Redis 8 offsets are
// appended when present; pairs the loader ignores are not written, as Redis
// drops them too.
//
// Two deliberate differences keep the output loadable where Redis's own
// writer is not: an empty name is written as "" (Redis writes nothing, which
// leaves 5 tokens) and a name holding a single quote is quoted (Redis writes
// it bare, and its own splitter then sees an unterminated quote).
func (m *Manifest) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	write := func(e Entry) {
		fmt.Fprintf(&b, "file %s seq %d type %c", quoteName(e.Name), e.Seq, e.Type)
		if e.StartOffset != nil {
			b.WriteString(" startoffset " + strconv.FormatInt(*e.StartOffset, 10))
		}
		if e.EndOffset != nil {
			b.WriteString(" endoffset " + strconv.FormatInt(*e.EndOffset, 10))
		}
		b.WriteByte('\n')
	}
	if base := m.Base(); base != nil {
		write(*base)
	}
	for _, e := range m.History() {
		write(e)
	}
	for _, e := range m.Incrs() {
		write(e)
	}
	return b.Bytes(), nil
}

// redisLine is the line Redis's own aofInfoFormat writes for e, without the
// two corrections MarshalText makes.
func redisLine(e Entry) string {
	name := e.Name
	if needsRepr(name) {
		name = catRepr(name)
	}
	return fmt.Sprintf("file %s seq %d type %c\n", name, e.Seq, e.Type)
}

func quoteName(name string) string {
	if name == "" || needsRepr(name) || strings.IndexByte(name, '\'') >= 0 {
		return catRepr(name)
	}
	return name
}

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// needsRepr is sdsneedsrepr in the C locale.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || !isPrint(c) || isSpace(c) {
			return true
		}
	}
	return false
}

// catRepr is sdscatrepr: a double-quoted string sdssplitargs reads back.
func catRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if isPrint(c) {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
