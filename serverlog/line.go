package serverlog

import (
	"bytes"
	"time"
)

// Format is how a line is laid out.
type Format string

const (
	// FormatLegacy: "pid:R dd Mon yyyy hh:mm:ss.mmm L message" (every Redis
	// and Valkey; Valkey 8.1+ also with an ISO 8601 or millisecond stamp).
	FormatLegacy Format = "legacy"
	// FormatLogfmt: Valkey 8.1+ log-format logfmt:
	// pid=1 role=primary timestamp="..." level=notice message="..."
	FormatLogfmt Format = "logfmt"
	// FormatSignal: "pid:signal-handler (unixtime) message", written from a
	// signal handler.
	FormatSignal Format = "signal-handler"
	// FormatRaw: no header (the logo, crash report bodies, manifest errors).
	FormatRaw Format = "raw"
)

// Line is one input line with its header decoded. Message aliases the
// scanner's buffer: it is valid until the next line is read.
type Line struct {
	Number int
	Format Format
	PID    int
	Role   Role
	Level  Level
	Time   time.Time
	// PasteTime is the kubectl/docker --timestamps prefix, when present.
	PasteTime time.Time
	Message   []byte
}

// stripPaste removes what a paste adds around a server line: CR of CRLF,
// kubectl --prefix "[pod/name/container] ", the --timestamps RFC 3339
// prefix, in either order. It reports the prefix time when there was one.
func stripPaste(b []byte) ([]byte, time.Time) {
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	var pt time.Time
	for range 2 {
		if len(b) > 2 && b[0] == '[' {
			if end := bytes.IndexByte(b, ']'); end > 0 && end < 300 && bytes.IndexByte(b[:end], '/') > 0 && end+1 < len(b) && b[end+1] == ' ' {
				b = b[end+2:]
				continue
			}
		}
		if t, n, ok := parseRFC3339(b); ok && n < len(b) && b[n] == ' ' {
			pt, b = t, b[n+1:]
			continue
		}
		break
	}
	return b, pt
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func digits(b []byte, n int) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseRFC3339 reads "2024-10-25T00:36:32.123456789Z" or with a numeric
// zone, as kubectl --timestamps and Valkey's iso8601 stamps write it.
func parseRFC3339(b []byte) (time.Time, int, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	y, ok1 := digits(b, 4)
	mo, ok2 := digits(b[5:], 2)
	d, ok3 := digits(b[8:], 2)
	h, ok4 := digits(b[11:], 2)
	mi, ok5 := digits(b[14:], 2)
	s, ok6 := digits(b[17:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, 0, false
	}
	n := 19
	nsec := 0
	if n < len(b) && b[n] == '.' {
		n++
		scale := 100000000
		start := n
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			if scale > 0 {
				nsec += int(b[n]-'0') * scale
				scale /= 10
			}
			n++
		}
		if n == start {
			return time.Time{}, 0, false
		}
	}
	if n >= len(b) {
		return time.Time{}, 0, false
	}
	var loc *time.Location
	switch b[n] {
	case 'Z':
		loc = time.UTC
		n++
	case '+', '-':
		oh, ok1 := digits(b[n+1:], 2)
		if !ok1 || len(b) < n+6 || b[n+3] != ':' {
			return time.Time{}, 0, false
		}
		om, ok2 := digits(b[n+4:], 2)
		if !ok2 {
			return time.Time{}, 0, false
		}
		off := oh*3600 + om*60
		if b[n] == '-' {
			off = -off
		}
		loc = fixedZone(off)
		n += 6
	default:
		return time.Time{}, 0, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, nsec, loc), n, true
}

// fixedZone caches zones so that a log with one offset does not allocate
// one per line.
var zoneCache = map[int]*time.Location{0: time.UTC}

func fixedZone(off int) *time.Location {
	if l, ok := zoneCache[off]; ok {
		return l
	}
	// Not cached: building one allocates, which only happens for offsets
	// outside the precomputed set (none exist on Earth).
	return time.FixedZone("", off)
}

func init() {
	for q := -14 * 4; q <= 14*4; q++ {
		zoneCache[q*900] = time.FixedZone("", q*900)
	}
}

func roleOf(c byte) (Role, bool) {
	switch c {
	case 'M':
		return RoleMaster, true
	case 'S':
		return RoleReplica, true
	case 'C':
		return RoleChild, true
	case 'X':
		return RoleSentinel, true
	}
	return RoleUnknown, false
}

func levelOf(c byte) (Level, bool) {
	switch c {
	case '.':
		return LevelDebug, true
	case '-':
		return LevelVerbose, true
	case '*':
		return LevelNotice, true
	case '#':
		return LevelWarning, true
	}
	return LevelNone, false
}

// parseHeader decodes the server's own prefix of b into ln; ok is false
// when b has none (a raw line or noise).
func parseHeader(b []byte, loc *time.Location, ln *Line, dc *dayCache) bool {
	// pid
	n := 0
	pid := 0
	for n < len(b) && n < 10 && b[n] >= '0' && b[n] <= '9' {
		pid = pid*10 + int(b[n]-'0')
		n++
	}
	if n == 0 || n >= len(b) {
		if bytes.HasPrefix(b, []byte("pid=")) {
			return parseLogfmt(b, loc, ln)
		}
		return false
	}
	if b[n] != ':' || n+2 >= len(b) {
		return false
	}
	rest := b[n+1:]
	if bytes.HasPrefix(rest, []byte("signal-handler (")) {
		rest = rest[len("signal-handler ("):]
		k := 0
		var sec int64
		for k < len(rest) && k < 19 && rest[k] >= '0' && rest[k] <= '9' {
			sec = sec*10 + int64(rest[k]-'0')
			k++
		}
		if k == 0 || k+1 >= len(rest) || rest[k] != ')' || rest[k+1] != ' ' {
			return false
		}
		ln.Format, ln.PID, ln.Role, ln.Level = FormatSignal, pid, RoleUnknown, LevelWarning
		ln.Time = time.Unix(sec, 0).UTC()
		ln.Message = rest[k+2:]
		return true
	}
	role, ok := roleOf(rest[0])
	if !ok || rest[1] != ' ' {
		return false
	}
	rest = rest[2:]
	var t time.Time
	switch {
	case len(rest) >= 24 && rest[2] == ' ' && rest[6] == ' ':
		tt, ok := parseLegacyStamp(rest[:24], loc, dc)
		if !ok {
			return false
		}
		t = tt
		rest = rest[24:]
	case len(rest) > 13 && rest[13] == ' ':
		ms, ok := digits(rest, 13)
		if !ok {
			return false
		}
		t = time.UnixMilli(int64(ms)).In(loc)
		rest = rest[13:]
	default:
		tt, k, ok := parseRFC3339(rest)
		if !ok {
			return false
		}
		t = tt
		rest = rest[k:]
	}
	if len(rest) < 2 || rest[0] != ' ' {
		return false
	}
	lvl, ok := levelOf(rest[1])
	if !ok {
		return false
	}
	msg := rest[2:]
	if len(msg) > 0 && msg[0] == ' ' {
		msg = msg[1:]
	}
	ln.Format, ln.PID, ln.Role, ln.Level, ln.Time, ln.Message = FormatLegacy, pid, role, lvl, t, msg
	return true
}

// parseLogfmt reads Valkey's logfmt layout (src/server.c serverLogRaw,
// valkey commit 55bbbe09): the keys come in a fixed order; the message had
// '"' turned into '\” and CR/LF into spaces, so it holds no quote.
func parseLogfmt(b []byte, loc *time.Location, ln *Line) bool {
	rest := b[len("pid="):]
	n, pid := 0, 0
	for n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9' {
		pid = pid*10 + int(rest[n]-'0')
		n++
	}
	if n == 0 || !bytes.HasPrefix(rest[n:], []byte(" role=")) {
		return false
	}
	rest = rest[n+len(" role="):]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return false
	}
	var role Role
	switch string(rest[:sp]) {
	case "primary":
		role = RoleMaster
	case "replica":
		role = RoleReplica
	case "RDB/AOF":
		role = RoleChild
	case "sentinel":
		role = RoleSentinel
	default:
		return false
	}
	rest = rest[sp:]
	if !bytes.HasPrefix(rest, []byte(` timestamp="`)) {
		return false
	}
	rest = rest[len(` timestamp="`):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return false
	}
	ts := rest[:q]
	var t time.Time
	if tt, k, ok := parseRFC3339(ts); ok && k == len(ts) {
		t = tt
	} else if len(ts) == 13 {
		ms, ok := digits(ts, 13)
		if !ok {
			return false
		}
		t = time.UnixMilli(int64(ms)).In(loc)
	} else if tt, ok := parseLegacyStamp(ts, loc, nil); ok {
		t = tt
	} else {
		return false
	}
	rest = rest[q+1:]
	if !bytes.HasPrefix(rest, []byte(" level=")) {
		return false
	}
	rest = rest[len(" level="):]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return false
	}
	var lvl Level
	switch string(rest[:sp]) {
	case "debug":
		lvl = LevelDebug
	case "info":
		lvl = LevelVerbose
	case "notice":
		lvl = LevelNotice
	case "warning":
		lvl = LevelWarning
	default:
		return false
	}
	rest = rest[sp:]
	if !bytes.HasPrefix(rest, []byte(` message="`)) {
		return false
	}
	msg := rest[len(` message="`):]
	if len(msg) > 0 && msg[len(msg)-1] == '"' {
		msg = msg[:len(msg)-1]
	}
	// A message that held newlines has them as spaces here (the manifest
	// error is "\n*** FATAL AOF MANIFEST FILE ERROR ***\n").
	msg = bytes.TrimSpace(msg)
	ln.Format, ln.PID, ln.Role, ln.Level, ln.Time, ln.Message = FormatLogfmt, pid, role, lvl, t, msg
	return true
}

// dayCache remembers the last day a UTC legacy stamp named: lines of one
// day then cost a comparison and an addition instead of a time.Date.
type dayCache struct {
	day [11]byte
	t   time.Time
	ok  bool
}

// parseLegacyStamp reads "dd Mon yyyy hh:mm:ss.mmm" in loc.
func parseLegacyStamp(b []byte, loc *time.Location, dc *dayCache) (time.Time, bool) {
	if dc != nil && loc == time.UTC && len(b) == 24 && dc.ok && string(b[:11]) == string(dc.day[:]) && b[11] == ' ' && b[14] == ':' && b[17] == ':' && b[20] == '.' {
		h, ok3 := digits(b[12:], 2)
		mi, ok4 := digits(b[15:], 2)
		s, ok5 := digits(b[18:], 2)
		ms, ok6 := digits(b[21:], 3)
		if ok3 && ok4 && ok5 && ok6 && h < 24 && mi < 60 && s < 61 {
			return dc.t.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond), true
		}
	}
	if len(b) != 24 || b[2] != ' ' || b[6] != ' ' || b[11] != ' ' || b[14] != ':' || b[17] != ':' || b[20] != '.' {
		return time.Time{}, false
	}
	d, ok1 := digits(b, 2)
	mon := -1
	for i, m := range months {
		if string(b[3:6]) == m {
			mon = i
		}
	}
	y, ok2 := digits(b[7:], 4)
	h, ok3 := digits(b[12:], 2)
	mi, ok4 := digits(b[15:], 2)
	s, ok5 := digits(b[18:], 2)
	ms, ok6 := digits(b[21:], 3)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mon < 0 {
		return time.Time{}, false
	}
	if dc != nil && loc == time.UTC && h < 24 && mi < 60 && s < 61 {
		copy(dc.day[:], b[:11])
		dc.t, dc.ok = time.Date(y, time.Month(mon+1), d, 0, 0, 0, 0, time.UTC), true
	}
	return time.Date(y, time.Month(mon+1), d, h, mi, s, ms*1e6, loc), true
}

// noise kinds of headerless lines.
type noise uint8

const (
	notNoise noise = iota
	noiseBlank
	noisePrompt
	noiseBanner
)

var shellCommands = [][]byte{
	[]byte("kubectl "), []byte("oc "), []byte("docker "), []byte("podman "), []byte("stern "),
	[]byte("tail "), []byte("cat "), []byte("less "), []byte("grep "), []byte("zcat "), []byte("journalctl "),
	[]byte("redis-cli"), []byte("valkey-cli"), []byte("k "), []byte("sudo "),
}

// classifyNoise says whether a headerless line is a blank, a shell prompt
// or command line, or a line of the start logo.
func classifyNoise(b []byte) noise {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return noiseBlank
	}
	// "$ cmd", "# cmd", "% cmd", "> cmd", "user@host:~/dir$ cmd", a bare
	// prompt "user@host:~$"
	cmd, isPrompt := t, false
	if len(t) >= 2 && (t[0] == '$' || t[0] == '%' || t[0] == '>' || t[0] == '#') && t[1] == ' ' {
		cmd, isPrompt = bytes.TrimSpace(t[2:]), true
	} else if i := bytes.IndexAny(t, "$#%>"); i > 0 && i < 120 && (i+1 == len(t) || t[i+1] == ' ') {
		head := t[:i]
		if bytes.IndexByte(head, ' ') < 0 && bytes.ContainsAny(head, "@:~") {
			cmd, isPrompt = bytes.TrimSpace(t[i+1:]), true
		}
	}
	if isPrompt {
		return noisePrompt
	}
	for _, c := range shellCommands {
		if bytes.HasPrefix(cmd, c) || (c[len(c)-1] == ' ' && string(cmd) == string(c[:len(c)-1])) {
			return noisePrompt
		}
	}
	if isLogoLine(t) {
		return noiseBanner
	}
	return notNoise
}

const logoChars = "_.-`'\\/(),|#+^*@:{}v "

func isLogoChar(c byte) bool {
	for i := 0; i < len(logoChars); i++ {
		if logoChars[i] == c {
			return true
		}
	}
	return false
}

var logoTexts = [][]byte{[]byte("Redis "), []byte("Valkey "), []byte("Running in "), []byte("Port: "), []byte("PID: "), []byte("https://redis.io"), []byte("https://valkey.io"), []byte("http://redis.io")}

// isLogoLine recognises the lines of the ASCII-art logo (src/asciilogo.h)
// that Redis prints at start when always-show-logo is on or stdout is a
// terminal: art characters, with maybe one of its texts.
func isLogoLine(t []byte) bool {
	i, j := 0, len(t)
	for i < j && isLogoChar(t[i]) {
		i++
	}
	for j > i && isLogoChar(t[j-1]) {
		j--
	}
	if i == j {
		// art only; at least a few art characters so that "-" or "|" alone
		// (a table border from a chat) is not mistaken for it
		return len(t) >= 3 && bytes.ContainsAny(t, "_`'")
	}
	if i == 0 {
		return false
	}
	mid := t[i:j]
	for _, s := range logoTexts {
		if bytes.HasPrefix(mid, s) {
			return true
		}
	}
	return false
}
