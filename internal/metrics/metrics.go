// Package metrics is aoftool's one set of Prometheus metrics: names, help
// texts, types and labels, shared by the sidecar exporter (aoftool serve)
// and the node_exporter textfile (aoftool phase --prometheus), so a
// dashboard or an alert rule reads both the same way.
//
// A Reading is what one look at a data directory found (the classifier's
// answer and the snapshot it was drawn from); a Verification is the last
// full post-mortem (internal/check) of the directory. Both are turned into
// constant metrics at collection time: nothing here reads a file or the
// clock, and the Exporter (exporter.go) decides when the directory is read.
//
// Naming follows the Prometheus conventions client_golang's promlint
// checks: everything starts with aoftool_, units are in the names (_bytes,
// _seconds, _bytes_per_second), counters end in _total, and an enumeration
// (the phase, the confidence) is one gauge per value, 1 for the current one.
// Every series carries the label dir (the data directory) and, when an
// instance name is given, redis_instance: Prometheus keeps "instance" for
// the scrape target.
package metrics

import (
	"bytes"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

// Label names every series carries.
const (
	LabelDir      = "dir"
	LabelInstance = "redis_instance"
)

// Metric names. The alert rules in deploy/prometheus use them; renaming one
// breaks dashboards and alerts.
const (
	Phase                 = "aoftool_phase"
	PhaseInfo             = "aoftool_phase_info"
	PhaseConfidence       = "aoftool_phase_confidence"
	PhaseStep             = "aoftool_phase_step"
	SnapshotTimestamp     = "aoftool_phase_snapshot_timestamp_seconds"
	ProgressBytes         = "aoftool_progress_bytes"
	ProgressExpectedBytes = "aoftool_progress_expected_bytes"
	ProgressRate          = "aoftool_progress_rate_bytes_per_second"
	ProgressETA           = "aoftool_progress_eta_seconds"
	LeftoverFiles         = "aoftool_leftover_files"
	LeftoverBytes         = "aoftool_leftover_bytes"
	ArtifactBytes         = "aoftool_artifact_bytes"
	FilesystemFreeBytes   = "aoftool_filesystem_free_bytes"
	FilesystemSizeBytes   = "aoftool_filesystem_size_bytes"
	ManifestIncrFiles     = "aoftool_manifest_incr_files"
	Findings              = "aoftool_findings"
	FindingsByCode        = "aoftool_findings_by_code"
	EvaluationSuccess     = "aoftool_evaluation_success"
	EvaluationDuration    = "aoftool_evaluation_duration_seconds"
	EvaluationReadBytes   = "aoftool_evaluation_read_bytes"
	Evaluations           = "aoftool_evaluations_total"
	EvaluationFailures    = "aoftool_evaluation_failures_total"
	VerificationSuccess   = "aoftool_verification_success"
	VerificationTimestamp = "aoftool_verification_timestamp_seconds"
	VerificationDuration  = "aoftool_verification_duration_seconds"
	VerificationFindings  = "aoftool_verification_findings"
	NextStartSucceeds     = "aoftool_next_start_succeeds"
	NextStartLosesData    = "aoftool_next_start_loses_data"
	BuildInfo             = "aoftool_build_info"
)

// Where a metric comes from, for the README's table.
const (
	sourceBoth   = "serve, phase --prometheus"
	sourceServe  = "serve"
	sourceVerify = "serve --verify-every"
)

// Definition documents one metric: the README's table is generated from
// Definitions, and the descriptors are built from it.
type Definition struct {
	Name string
	// Type is "gauge" or "counter".
	Type string
	// Labels are the labels beyond dir and redis_instance.
	Labels []string
	Help   string
	// Source says which commands export it.
	Source string
}

var definitions = []Definition{
	{Phase, "gauge", []string{"phase"}, "1 for the persistence phase the directory is in, 0 for the others.", sourceBoth},
	{PhaseInfo, "gauge", []string{"phase", "confidence", "rule"}, "The phase with its confidence and the rule that decided it; always 1.", sourceBoth},
	{PhaseConfidence, "gauge", []string{"confidence"}, "1 for the confidence of the phase (high, medium, low), 0 for the others.", sourceBoth},
	{PhaseStep, "gauge", nil, "Replica rebuild step (1 transfer, 2 load, 3 AOF rewrite, 4 install); 0 outside a rebuild.", sourceBoth},
	{SnapshotTimestamp, "gauge", nil, "When the directory was last read (Unix time): the time of the last evaluation.", sourceBoth},
	{ProgressBytes, "gauge", []string{"path"}, "Bytes written by the running job.", sourceBoth},
	{ProgressExpectedBytes, "gauge", []string{"path"}, "Estimated final size of the running job's file.", sourceBoth},
	{ProgressRate, "gauge", []string{"path"}, "Observed growth of the running job's file between the last two evaluations.", sourceBoth},
	{ProgressETA, "gauge", []string{"path"}, "Estimated seconds until the running job's file is complete, at the observed rate.", sourceBoth},
	{LeftoverFiles, "gauge", nil, "Leftover files of dead jobs.", sourceBoth},
	{LeftoverBytes, "gauge", nil, "Bytes held by leftover files of dead jobs.", sourceBoth},
	{ArtifactBytes, "gauge", []string{"path", "kind"}, "Size of each Redis artifact in the data directory.", sourceBoth},
	{FilesystemFreeBytes, "gauge", nil, "Bytes available to unprivileged users on the file system of the data directory.", sourceBoth},
	{FilesystemSizeBytes, "gauge", nil, "Size of the file system of the data directory.", sourceBoth},
	{ManifestIncrFiles, "gauge", nil, "Incr files listed in the AOF manifest (1 normally, 2 during a rewrite; more means rewrites keep failing).", sourceBoth},
	{Findings, "gauge", []string{"severity"}, "Findings of the phase classifier by severity.", sourceBoth},
	{FindingsByCode, "gauge", []string{"severity", "code"}, "Findings of the phase classifier by severity and code.", sourceBoth},
	{EvaluationSuccess, "gauge", nil, "1 when the last read of the directory succeeded, 0 when it could not be read.", sourceServe},
	{EvaluationDuration, "gauge", nil, "Seconds the last read and classification of the directory took.", sourceServe},
	{EvaluationReadBytes, "gauge", nil, "Bytes of file content the last read of the directory read (headers and the manifest, never whole files).", sourceServe},
	{Evaluations, "counter", nil, "Reads of the directory since the exporter started (scrapes within the minimum interval reuse the last one).", sourceServe},
	{EvaluationFailures, "counter", nil, "Reads of the directory that failed since the exporter started.", sourceServe},
	{VerificationSuccess, "gauge", nil, "1 when the last full verification read every file it needed, 0 when it could not.", sourceVerify},
	{VerificationTimestamp, "gauge", nil, "When the last full verification ended (Unix time).", sourceVerify},
	{VerificationDuration, "gauge", nil, "Seconds the last full verification took.", sourceVerify},
	{VerificationFindings, "gauge", []string{"severity"}, "Findings of the last full verification by severity.", sourceVerify},
	{NextStartSucceeds, "gauge", []string{"mode", "judged"}, "1 when redis-server would start on the directory as the last verification found it, per appendonly mode (aof-on, aof-off); judged is true for the mode the configuration or the directory shows.", sourceVerify},
	{NextStartLosesData, "gauge", []string{"mode", "judged"}, "1 when that start would lose or destroy data the files hold.", sourceVerify},
	{BuildInfo, "gauge", []string{"version"}, "The aoftool version exporting; always 1.", sourceServe},
}

// Definitions lists every metric, in a stable order.
func Definitions() []Definition {
	out := make([]Definition, len(definitions))
	copy(out, definitions)
	return out
}

// descs are the descriptors of one label set (dir, with or without
// redis_instance).
type descs struct {
	base []string
	m    map[string]*prometheus.Desc
	typ  map[string]prometheus.ValueType
}

func newDescs(withInstance bool) *descs {
	base := []string{LabelDir}
	if withInstance {
		base = append(base, LabelInstance)
	}
	d := &descs{base: base, m: map[string]*prometheus.Desc{}, typ: map[string]prometheus.ValueType{}}
	for _, def := range definitions {
		if def.Name == BuildInfo {
			continue // a process-wide series, without dir
		}
		d.m[def.Name] = prometheus.NewDesc(def.Name, def.Help, append(append([]string{}, base...), def.Labels...), nil)
		d.typ[def.Name] = prometheus.GaugeValue
		if def.Type == "counter" {
			d.typ[def.Name] = prometheus.CounterValue
		}
	}
	return d
}

func (d *descs) describe(ch chan<- *prometheus.Desc) {
	names := make([]string, 0, len(d.m))
	for n := range d.m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ch <- d.m[n]
	}
}

// emitter sends the metrics of one directory.
type emitter struct {
	d    *descs
	ch   chan<- prometheus.Metric
	base []string
}

func (e emitter) send(name string, v float64, labels ...string) {
	e.ch <- prometheus.MustNewConstMetric(e.d.m[name], e.d.typ[name], v, append(append([]string{}, e.base...), labels...)...)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Reading is one look at a data directory: the classifier's answer and the
// newest snapshot it was drawn from.
type Reading struct {
	Result   *phase.Result
	Snapshot *snapshot.Snapshot
}

// collect sends what the reading says.
func (r Reading) collect(e emitter) {
	res := r.Result
	for _, p := range phase.AllPhases {
		e.send(Phase, boolValue(p == res.Phase), string(p))
	}
	e.send(PhaseInfo, 1, string(res.Phase), string(res.Confidence), res.Rule)
	for _, c := range []phase.Confidence{phase.High, phase.Medium, phase.Low} {
		e.send(PhaseConfidence, boolValue(c == res.Confidence), string(c))
	}
	e.send(PhaseStep, float64(res.StepNumber))
	e.send(SnapshotTimestamp, unixSeconds(res.TakenAt))
	if p := res.Progress; p != nil {
		e.send(ProgressBytes, float64(p.Bytes), p.Path)
		e.send(ProgressExpectedBytes, float64(p.ExpectedBytes), p.Path)
		if p.RateBytesPerS > 0 {
			e.send(ProgressRate, p.RateBytesPerS, p.Path)
		}
		if p.ETAS != nil {
			e.send(ProgressETA, *p.ETAS, p.Path)
		}
	}
	var leftBytes int64
	for _, l := range res.Leftovers {
		leftBytes += l.Bytes
	}
	e.send(LeftoverFiles, float64(len(res.Leftovers)))
	e.send(LeftoverBytes, float64(leftBytes))
	if s := r.Snapshot; s != nil {
		for _, en := range s.Entries {
			if en.Type == snapshot.TypeFile && en.Kind != snapshot.KindUnknown {
				e.send(ArtifactBytes, float64(en.Size), en.Path, string(en.Kind))
			}
		}
		if v := s.Volume; v != nil {
			e.send(FilesystemFreeBytes, float64(v.FreeBytes))
			e.send(FilesystemSizeBytes, float64(v.TotalBytes))
		}
		if n, ok := incrFiles(s); ok {
			e.send(ManifestIncrFiles, float64(n))
		}
	}
	sendFindings(e, Findings, res.Findings)
	type key struct {
		sev  finding.Severity
		code finding.Code
	}
	byCode := map[key]int{}
	for _, f := range res.Findings {
		byCode[key{f.Severity, f.Code}]++
	}
	for k, n := range byCode {
		e.send(FindingsByCode, float64(n), string(k.sev), string(k.code))
	}
}

func sendFindings(e emitter, name string, l finding.List) {
	for _, sev := range []finding.Severity{finding.Error, finding.Warning, finding.Info} {
		e.send(name, float64(l.Count()[sev]), string(sev))
	}
}

// incrFiles counts the incr files the manifest of the snapshot's
// appendfilename lists; ok is false when there is no parsed manifest (AOF
// off, or a listing).
func incrFiles(s *snapshot.Snapshot) (int, bool) {
	adir, af := s.AppendDirName, s.AppendFilename
	if adir == "" {
		adir = "appendonlydir"
	}
	if af == "" {
		af = "appendonly.aof"
	}
	want := adir + "/" + af + ".manifest"
	for _, m := range s.Manifests {
		if m.Path != want {
			continue
		}
		n := 0
		for _, f := range m.Files {
			if f.Type == "i" {
				n++
			}
		}
		return n, true
	}
	return 0, false
}

// Verification is the last full post-mortem of a directory.
type Verification struct {
	// Ended is when it finished; Took how long it ran.
	Ended time.Time
	Took  time.Duration
	// Report is nil when Err is set.
	Report *check.Report
	Err    error
}

func (v *Verification) collect(e emitter) {
	e.send(VerificationSuccess, boolValue(v.Err == nil && v.Report != nil))
	e.send(VerificationTimestamp, unixSeconds(v.Ended))
	e.send(VerificationDuration, v.Took.Seconds())
	rep := v.Report
	if rep == nil {
		return
	}
	sendFindings(e, VerificationFindings, rep.Findings)
	for _, o := range []struct {
		mode check.Mode
		out  check.Outcome
	}{{check.AOFOn, rep.Start.AOFOn}, {check.AOFOff, rep.Start.AOFOff}} {
		judged := strconv.FormatBool(o.mode == rep.Start.Judged.Mode)
		e.send(NextStartSucceeds, boolValue(o.out.Starts), string(o.mode), judged)
		e.send(NextStartLosesData, boolValue(len(o.out.Losses) > 0), string(o.mode), judged)
	}
}

// readingCollector exports one Reading, for the textfile.
type readingCollector struct {
	d   *descs
	dir string
	r   Reading
}

func (c readingCollector) Describe(ch chan<- *prometheus.Desc) { c.d.describe(ch) }

func (c readingCollector) Collect(ch chan<- prometheus.Metric) {
	c.r.collect(emitter{d: c.d, ch: ch, base: []string{c.dir}})
}

// Text renders a reading of the directory dir in the Prometheus text
// format, for node_exporter's textfile collector.
func Text(dir string, r Reading) ([]byte, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(readingCollector{d: newDescs(false), dir: dir, r: r}); err != nil {
		return nil, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}
