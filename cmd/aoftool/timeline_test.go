package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/timeline"
)

// rebuildRecording is `aoftool watch --json` run on a real replica's data
// directory while it rebuilt from an empty volume (Redis 7.0.15), and the
// replica's log; TestRecordReplicaRebuild made them
// (testdata/timeline/make-recording.sh).
const (
	rebuildRecording = "testdata/timeline/replica-rebuild.ndjson"
	rebuildLog       = "testdata/timeline/replica-rebuild.log"
	rebuildSVG       = "testdata/timeline/replica-rebuild.svg"
)

// TestRecordReplicaRebuild records a replica rebuild with the watch
// engine, through the command a person runs. It runs only when asked
// (AOFTOOL_RECORD_TIMELINE=1), since it rewrites the committed recording.
func TestRecordReplicaRebuild(t *testing.T) {
	if os.Getenv("AOFTOOL_RECORD_TIMELINE") == "" {
		t.Skip("records a new replica rebuild only with AOFTOOL_RECORD_TIMELINE=1")
	}
	redistest.Binary(t)
	// The master saves slowly (the transfer lasts seconds); the replica
	// writes the payload to disk, loads it slowly and rewrites its AOF
	// slowly, so every step lasts long enough to be seen.
	master := redistest.Start(t, redistest.Options{Config: []string{"repl-diskless-sync no"}})
	master.MustDo("DEBUG", "POPULATE", "3000", "key", "1000")
	master.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1500")
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The watch runs as 'aoftool watch --json DIR' does, until the rebuild
	// is over; then it is interrupted, as a person presses Ctrl-C.
	ctx, cancel := context.WithCancel(context.Background())
	var rec bytes.Buffer
	done := make(chan error, 1)
	go func() {
		g := &globalOptions{json: true, stdin: strings.NewReader(""), stderr: io.Discard, now: time.Now}
		o := watchOptions{interval: 20 * time.Millisecond}
		done <- runWatch(ctx, g, o, dir, &rec)
	}()
	time.Sleep(500 * time.Millisecond)
	replica := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{
		"appendonly yes",
		"repl-diskless-load disabled",
		"replicaof 127.0.0.1 " + strconv.Itoa(master.Port),
		"key-load-delay 1000",
		"rdb-key-save-delay 1200",
		// The parent reaps its rewrite child once a second, so the
		// finished -bg- file of step 4 lives long enough to be drawn.
		"hz 1",
	}})
	if err := replica.WaitLog("Background AOF rewrite finished successfully", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch: %v", err)
	}
	log := replica.Log()
	replica.Stop()
	// Temp paths are not part of the story.
	recording := strings.ReplaceAll(rec.String(), dir, "/data")
	if err := os.MkdirAll(filepath.Dir(rebuildRecording), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rebuildRecording, []byte(recording), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rebuildLog, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTimelineOfARecordedRebuild draws the recorded rebuild: the picture
// shows steps 1 to 4 in order, the transfer, rewrite and install renames,
// and the log's events; the committed SVG is its golden.
func TestTimelineOfARecordedRebuild(t *testing.T) {
	out := t.TempDir()
	svg := filepath.Join(out, "rebuild.svg")
	r := runCLI(t, "", "timeline", rebuildRecording, "--log", rebuildLog, "--title", "Replica rebuild from an empty volume (Redis 7.0.15)", "-o", svg, "--html", filepath.Join(out, "rebuild.html"))
	if r.code != 0 {
		t.Fatalf("timeline: exit %d: %s", r.code, r.stderr)
	}
	js := runCLI(t, "", "timeline", "--json", rebuildRecording, "--log", rebuildLog)
	var res struct {
		Steps   []int             `json:"steps"`
		Bands   []timeline.Band   `json:"bands"`
		Renames []timeline.Rename `json:"renames"`
		Log     []timeline.LogEvent
	}
	if err := json.Unmarshal([]byte(js.stdout), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, js.stdout)
	}
	if !slices.Equal(res.Steps, []int{1, 2, 3, 4}) {
		t.Errorf("steps shown %v, want 1 2 3 4 in order; bands %+v", res.Steps, res.Bands)
	}
	var moves []string
	for _, m := range res.Renames {
		moves = append(moves, filepath.Base(m.From)+" -> "+filepath.Base(m.To))
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^temp-\d+\.\d+\.rdb -> dump\.rdb$`),
		regexp.MustCompile(`^temp-rewriteaof-\d+\.aof -> temp-rewriteaof-bg-\d+\.aof$`),
		regexp.MustCompile(`^temp-rewriteaof-bg-\d+\.aof -> appendonly\.aof\.\d+\.base\.rdb$`),
	}
	for _, re := range want {
		found := false
		for _, m := range moves {
			found = found || re.MatchString(m)
		}
		if !found {
			t.Errorf("no rename matching %s in %v", re, moves)
		}
	}
	if len(res.Log) == 0 {
		t.Error("no log event on the picture")
	}
	got, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "../timeline/replica-rebuild.svg", string(got))
}

// chromium finds a headless browser, or skips outside CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs Debian's chromium)")
	}
	t.Skip("chromium not found; apt-get install chromium")
	return ""
}

func browserArgs(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + profile}
}

// TestTimelineRendersInABrowser opens the HTML page of the recorded
// rebuild in headless Chromium: the DOM the browser built holds the bands
// of steps 1 to 4, a series per file, the renames and the log lane, and a
// screenshot shows the four rebuild steps' band colours and drawn lines in
// the plot area.
func TestTimelineRendersInABrowser(t *testing.T) {
	browser := chromium(t)
	out := t.TempDir()
	page := filepath.Join(out, "rebuild.html")
	r := runCLI(t, "", "timeline", rebuildRecording, "--log", rebuildLog, "--html", page)
	if r.code != 0 {
		t.Fatalf("timeline: exit %d: %s", r.code, r.stderr)
	}
	url := "file://" + page
	dom, err := exec.Command(browser, append(browserArgs(filepath.Join(out, "profile-dom")), "--dump-dom", url)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	d := string(dom)
	for _, step := range []string{"1", "2", "3", "4"} {
		if !strings.Contains(d, `data-step="`+step+`"`) {
			t.Errorf("the DOM has no band of step %s", step)
		}
	}
	for _, label := range []string{"step 1: sync-transfer", "step 2: sync-loading", "step 3: aof-rewrite"} {
		if !strings.Contains(d, label) {
			t.Errorf("the DOM has no band label %q", label)
		}
	}
	for step := 1; step <= 4; step++ {
		if !regexp.MustCompile(`class="step-label" data-step="` + strconv.Itoa(step) + `"[^>]*>` + strconv.Itoa(step) + `<`).MatchString(d) {
			t.Errorf("the DOM has no step marker %d", step)
		}
	}
	if n := strings.Count(d, `class="series"`); n < 4 {
		t.Errorf("%d series in the DOM, want one per file (dump, transfer, rewrite, base, incr, manifest)", n)
	}
	if !strings.Contains(d, `class="rename"`) || !strings.Contains(d, `class="log-event"`) {
		t.Error("the DOM lacks the renames or the log lane")
	}

	shot := filepath.Join(out, "shot.png")
	cmd := exec.Command(browser, append(browserArgs(filepath.Join(out, "profile-shot")), "--screenshot="+shot, "--window-size=1000,700", url)...)
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The plot area of the default 960-pixel picture, inside the page's
	// 16-pixel margin and clear of its axes and labels.
	plot := image.Rect(16+95, 16+85, 16+935, 16+340).Intersect(img.Bounds())
	seen := map[string]int{}
	lines := 0
	for y := plot.Min.Y; y < plot.Max.Y; y++ {
		for x := plot.Min.X; x < plot.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			hex := "#" + strconv.FormatInt(int64(c.R)<<16|int64(c.G)<<8|int64(c.B)|1<<24, 16)[1:]
			matched := false
			for phase, want := range timeline.BandColours {
				if hex == want {
					seen[phase]++
					matched = true
				}
			}
			if !matched && c.R < 200 && c.G < 200 && c.B < 220 {
				lines++ // a series line or a rename, drawn over the bands
			}
		}
	}
	for _, phase := range []string{timeline.SyncTransfer, timeline.SyncLoading, timeline.AOFRewrite, timeline.AOFRewriteFinishing} {
		if seen[phase] == 0 {
			t.Errorf("the screenshot shows no %s band colour in the plot area (colours seen %v)", phase, seen)
		}
	}
	if lines < 200 {
		t.Errorf("only %d dark pixels in the plot area: the series are not drawn", lines)
	}
}

// TestTimelineFromListings draws the same rebuild from five pasted
// listings (ls -l --full-time) taken one after the other by the scenario
// tests: steps 1 to 4 in order, with the renames a listing lets diff infer.
func TestTimelineFromListings(t *testing.T) {
	dir := "../../phase/testdata/listings/"
	var args []string
	for _, n := range []string{"1-transfer", "2-loading", "3-rewrite", "4-finishing", "5-done"} {
		args = append(args, dir+"replica-rebuild-disk_"+n+".full-time.txt")
	}
	r := runCLI(t, "", append([]string{"timeline", "--json", "--year", "2026"}, args...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res struct {
		Steps   []int             `json:"steps"`
		Renames []timeline.Rename `json:"renames"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Steps, []int{1, 2, 3, 4}) || len(res.Renames) == 0 {
		t.Errorf("steps %v, renames %v", res.Steps, res.Renames)
	}
	// An SVG is not written to a terminal by accident.
	if out, code := runInTerminal(t, 80, append([]string{"timeline", "--year", "2026"}, args...)...); code != exitCannot || !strings.Contains(out, "-o FILE.svg") {
		t.Errorf("timeline to a terminal: exit %d\n%s", code, out)
	}
}
