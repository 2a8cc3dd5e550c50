package serverlog

import (
	"strings"
	"testing"
	"time"
)

func TestHeaders(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		line   string
		ok     bool
		format Format
		pid    int
		role   Role
		level  Level
		time   time.Time
		msg    string
	}{
		{"28318:S 03 Dec 2026 06:50:31.165 * Full resync", true, FormatLegacy, 28318, RoleReplica, LevelNotice, time.Date(2026, 12, 3, 6, 50, 31, 165e6, utc), "Full resync"},
		{"1:M 01 Jan 2025 00:00:00.000 # x", true, FormatLegacy, 1, RoleMaster, LevelWarning, time.Date(2025, 1, 1, 0, 0, 0, 0, utc), "x"},
		{"77:C 29 Feb 2024 23:59:59.999 - y", true, FormatLegacy, 77, RoleChild, LevelVerbose, time.Date(2024, 2, 29, 23, 59, 59, 999e6, utc), "y"},
		{"5:X 03 Dec 2026 06:50:31.165 . z", true, FormatLegacy, 5, RoleSentinel, LevelDebug, time.Date(2026, 12, 3, 6, 50, 31, 165e6, utc), "z"},
		// Valkey 8.1+ log-timestamp-format iso8601 and milliseconds.
		{"1:M 2024-10-25T00:36:32.123+02:00 * msg", true, FormatLegacy, 1, RoleMaster, LevelNotice, time.Date(2024, 10, 24, 22, 36, 32, 123e6, utc), "msg"},
		{"1:S 1729809392123 * msg", true, FormatLegacy, 1, RoleReplica, LevelNotice, time.UnixMilli(1729809392123).UTC(), "msg"},
		// Valkey 8.1+ log-format logfmt.
		{`pid=1 role=primary timestamp="2024-10-25T00:36:32.123+00:00" level=notice message="Ready to accept connections tcp"`, true, FormatLogfmt, 1, RoleMaster, LevelNotice, time.Date(2024, 10, 25, 0, 36, 32, 123e6, utc), "Ready to accept connections tcp"},
		{`pid=9 role=RDB/AOF timestamp="1729809392123" level=notice message="DB saved on disk"`, true, FormatLogfmt, 9, RoleChild, LevelNotice, time.UnixMilli(1729809392123).UTC(), "DB saved on disk"},
		{`pid=9 role=replica timestamp="25 Oct 2024 00:36:32.123" level=warning message="x 'quoted'"`, true, FormatLogfmt, 9, RoleReplica, LevelWarning, time.Date(2024, 10, 25, 0, 36, 32, 123e6, utc), "x 'quoted'"},
		// Signal handler.
		{"1:signal-handler (1729809392) Received SIGTERM scheduling shutdown...", true, FormatSignal, 1, RoleUnknown, LevelWarning, time.Unix(1729809392, 0).UTC(), "Received SIGTERM scheduling shutdown..."},
		// Not headers.
		{"28318:S 03 Dec 2026 06:5", false, "", 0, "", "", time.Time{}, ""},
		{"28318:Q 03 Dec 2026 06:50:31.165 * x", false, "", 0, "", "", time.Time{}, ""},
		{"28318:S 03 Foo 2026 06:50:31.165 * x", false, "", 0, "", "", time.Time{}, ""},
		{"28318:S 03 Dec 2026 06:50:31.165 ! x", false, "", 0, "", "", time.Time{}, ""},
		{"=== REDIS BUG REPORT START", false, "", 0, "", "", time.Time{}, ""},
		{"role:master", false, "", 0, "", "", time.Time{}, ""},
		{"", false, "", 0, "", "", time.Time{}, ""},
	}
	for _, c := range cases {
		var ln Line
		ok := parseHeader([]byte(c.line), utc, &ln, nil)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.line, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if ln.Format != c.format || ln.PID != c.pid || ln.Role != c.role || ln.Level != c.level || !ln.Time.Equal(c.time) || string(ln.Message) != c.msg {
			t.Errorf("%q: got %s pid %d role %q level %q time %v msg %q", c.line, ln.Format, ln.PID, ln.Role, ln.Level, ln.Time, ln.Message)
		}
	}
}

func TestLocation(t *testing.T) {
	tz := time.FixedZone("CET", 3600)
	var ln Line
	if !parseHeader([]byte("1:M 03 Dec 2026 06:50:31.165 * x"), tz, &ln, nil) {
		t.Fatal("no header")
	}
	if want := time.Date(2026, 12, 3, 5, 50, 31, 165e6, time.UTC); !ln.Time.Equal(want) {
		t.Errorf("time %v, want %v", ln.Time, want)
	}
}

func TestStripPaste(t *testing.T) {
	cases := []struct{ in, out string }{
		{"1:M 03 Dec 2026 06:50:31.165 * x\r", "1:M 03 Dec 2026 06:50:31.165 * x"},
		{"2026-12-03T06:50:31.165432101Z 1:M 03 Dec 2026 06:50:31.165 * x", "1:M 03 Dec 2026 06:50:31.165 * x"},
		{"[pod/redis-0/redis] 1:M 03 Dec 2026 06:50:31.165 * x", "1:M 03 Dec 2026 06:50:31.165 * x"},
		{"[pod/redis-0/redis] 2026-12-03T06:50:31Z 1:M 03 Dec 2026 06:50:31.165 * x\r", "1:M 03 Dec 2026 06:50:31.165 * x"},
		{"2026-12-03T06:50:31+01:00 [pod/redis-0/redis] x", "x"},
		{"[not a prefix] x", "[not a prefix] x"},
	}
	for _, c := range cases {
		got, _ := stripPaste([]byte(c.in))
		if string(got) != c.out {
			t.Errorf("%q: %q, want %q", c.in, got, c.out)
		}
	}
}

func TestNoise(t *testing.T) {
	cases := []struct {
		line string
		want noise
	}{
		{"", noiseBlank},
		{"   ", noiseBlank},
		{"$ kubectl logs redis-0 -c redis --timestamps", noisePrompt},
		{"ops@bastion:~$ kubectl logs -n cache redis-0", noisePrompt},
		{"root@redis-0:/data# tail -f /var/log/redis.log", noisePrompt},
		{"ops@bastion:~$", noisePrompt},
		{"kubectl logs redis-0 --previous", noisePrompt},
		{"                _._                                                  ", noiseBanner},
		{"      _.-``    `.  `_.  ''-._           Redis 7.0.15 (00000000/0) 64 bit", noiseBanner},
		{" (    '      ,       .-`  | `,    )     Running in standalone mode", noiseBanner},
		{" |`-._`-...-` __...-.``-._|'` _.-'|     Port: 6379", noiseBanner},
		{" |    `-._   `._    /     _.-'    |     PID: 1", noiseBanner},
		{" |    `-._`-._        _.-'_.-'    |           https://redis.io       ", noiseBanner},
		{"        .+########+########+.           Valkey 8.0.1 (00000000/0) 64 bit", noiseBanner},
		{" |###|   |###(  (@@@)  )###|   |###|          https://valkey.io      ", noiseBanner},
		{"role:master", notNoise},
		{"------ STACK TRACE ------", notNoise},
		{"Hello, this is the log you asked for:", notNoise},
	}
	for _, c := range cases {
		if got := classifyNoise([]byte(c.line)); got != c.want {
			t.Errorf("%q: %d, want %d", c.line, got, c.want)
		}
	}
}

// A paste with everything at once: a prompt, the command, the logo, CRLF,
// kubectl prefixes, a line cut mid-message, and chat text.
func TestMessyPaste(t *testing.T) {
	paste := strings.Join([]string{
		"ops@bastion:~$ kubectl logs redis-1 --timestamps --prefix",
		"[pod/redis-1/redis] 2026-12-03T06:50:26.556Z 1:C 03 Dec 2026 06:50:26.556 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
		"[pod/redis-1/redis] 2026-12-03T06:50:26.556Z 1:C 03 Dec 2026 06:50:26.556 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=1, just started",
		"[pod/redis-1/redis] 2026-12-03T06:50:26.559Z 1:S 03 Dec 2026 06:50:26.559 * Connecting to MASTER redis-0.redis:6379",
		"[pod/redis-1/redis] 2026-12-03T06:50:31.165Z 1:S 03 Dec 2026 06:50:31.165 * Full resync from master: 9b3bc2f04b7cf3923f2b0e980ff77dbd0924e08e:0",
		"[pod/redis-1/redis] 2026-12-03T06:50:37.611Z 1:S 03 Dec 2026 06:50:37.611 * MASTER <-> REPLICA sync: receiving 6977924 bytes from master to disk",
		"[pod/redis-1/redis] 2026-12-03T06:50:38.101Z 1:S 03 Dec 2026 06:50:38.101 * MASTER <-> REPLICA sync: Flushing old data",
		"[pod/redis-1/redis] 2026-12-03T06:50:38.101Z 1:S 03 Dec 2026 06:50:38.101 * MASTER <-> REPLICA sync: Loading DB in mem\u2026",
		"this is where it hangs, any idea?",
	}, "\r\n") + "\r\n"
	lg, err := Read(strings.NewReader(paste), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := lg.State
	if st.Phase != SyncLoading || st.Step != 2 {
		t.Errorf("phase %s step %d, want sync-loading step 2 (%s)", st.Phase, st.Step, st.Summary)
	}
	if st.Progress == nil || st.Progress.PayloadBytes != 6977924 {
		t.Errorf("progress %+v, want the 6977924-byte payload", st.Progress)
	}
	if lg.Stats.Prompt != 1 || lg.Stats.Unknown != 1 || lg.Stats.Cut != 1 || lg.Stats.CRLF != 9 {
		t.Errorf("stats %+v", lg.Stats)
	}
	if len(lg.Unknown) != 1 || lg.Unknown[0].Line != 9 {
		t.Errorf("unknown sample %+v, want line 9", lg.Unknown)
	}
	if st.Server == nil || st.Server.PID != 1 || st.Server.Version != "7.0.15" {
		t.Errorf("server %+v", st.Server)
	}
}

// A line longer than the limit is cut and read; the rest is skipped.
func TestLongLine(t *testing.T) {
	long := "1:M 03 Dec 2026 06:50:31.165 * Background saving started by pid 42 " + strings.Repeat("x", 200<<10)
	in := long + "\n1:M 03 Dec 2026 06:50:32.165 * Background saving terminated with success\n"
	lg, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if lg.Stats.Lines != 2 || lg.Stats.Long != 1 {
		t.Errorf("stats %+v", lg.Stats)
	}
	if lg.State.LastLine != 2 {
		t.Errorf("last line %d", lg.State.LastLine)
	}
}

// The day cache gives the times time.Date gives, across day changes.
func TestDayCache(t *testing.T) {
	var dc dayCache
	stamps := []string{"31 Dec 2025 23:59:59.999", "31 Dec 2025 23:59:60.000", "01 Jan 2026 00:00:00.000", "01 Jan 2026 13:14:15.161", "29 Feb 2024 12:00:00.001", "01 Jan 2026 23:59:59.999"}
	for _, s := range stamps {
		got, ok1 := parseLegacyStamp([]byte(s), time.UTC, &dc)
		want, ok2 := parseLegacyStamp([]byte(s), time.UTC, nil)
		if !ok1 || !ok2 || !got.Equal(want) {
			t.Errorf("%s: cached %v (%v), plain %v (%v)", s, got, ok1, want, ok2)
		}
	}
}

func TestScannerLine(t *testing.T) {
	sc := NewScanner(strings.NewReader("noise\n1:S 03 Dec 2026 06:50:31.165 * Full resync from master: abc:7\n"), Options{})
	if !sc.Next() {
		t.Fatal("no event")
	}
	ln, ev := sc.Line(), sc.Event()
	if ln.Number != 2 || ln.Format != FormatLegacy || ln.Role != RoleReplica || string(ln.Message) != "Full resync from master: abc:7" {
		t.Errorf("line %+v", ln)
	}
	if ev.Kind != KindFullResync || ev.ReplID != "abc" || ev.Offset != 7 || ev.Line != 2 {
		t.Errorf("event %+v", ev)
	}
	if sc.Next() || sc.Err() != nil || sc.Stats().Unknown != 1 || len(sc.Unknown()) != 1 {
		t.Errorf("after the end: err %v stats %+v", sc.Err(), sc.Stats())
	}
}
