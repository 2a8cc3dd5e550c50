package check

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/rehearse"
)

// RehearseOptions ask for a rehearsal: the judged start run for real, on a
// scratch copy, by the server binary that will start.
type RehearseOptions struct {
	// Binary is the redis-server to run; the one on PATH when empty.
	Binary string
	// Scratch is where the copy goes; the system's temp directory when
	// empty.
	Scratch string
}

// Rehearsal is the prediction of the judged start beside what the server
// did in the rehearsal.
type Rehearsal struct {
	Mode   Mode             `json:"mode"`
	Server *rehearse.Result `json:"server"`
	// Agrees is true when the server did what the prediction says: the
	// same end, the keys within the predicted count, the same cuts.
	Agrees      bool     `json:"agrees"`
	Differences []string `json:"differences"`
}

// rehearse runs the judged start on a copy and compares.
func (r *Report) rehearse(ctx context.Context, d *datadir.Dir, opt RehearseOptions) error {
	mode := r.Start.Judged.Mode
	o := r.Start.AOFOn
	if mode == AOFOff {
		o = r.Start.AOFOff
	}
	res, err := rehearse.Run(ctx, rehearse.Options{Binary: opt.Binary, Dir: d.Root, Scratch: opt.Scratch,
		Directives: d.Config.Directives(mode == AOFOn), Inspected: d.Inspected()})
	if err != nil {
		return fmt.Errorf("--rehearse: %w", err)
	}
	rh := &Rehearsal{Mode: mode, Server: res, Differences: []string{}}
	if string(o.Result) != res.Result {
		rh.Differences = append(rh.Differences, fmt.Sprintf("predicted: %s; the server %s%s", resultVerb(o.Result), resultVerb(Result(res.Result)), because(res.Reason)))
	}
	if o.Starts && res.Started {
		if d := keysDiffer(o, res.TotalKeys); d != "" {
			rh.Differences = append(rh.Differences, d)
		}
	}
	cut := map[string]int64{}
	appended, grown := map[string]bool{}, map[string]bool{}
	for _, c := range res.Changes {
		switch c.Action {
		case "truncated":
			cut[c.Path] = c.ToSize
			appended[c.Path] = c.AppendedTo > 0
		case "grown":
			grown[c.Path] = true
		}
	}
	for _, c := range o.Changes {
		if c.Action != Truncates {
			continue
		}
		p := path.Clean(c.Path)
		got, ok := cut[p]
		switch {
		case !ok && grown[p]:
			// Cut, then appended to (the DELs of keys that expired while
			// loading) with bytes that repeat the whole cut tail: a torn
			// tail is never kept, so the file only looks grown.
		case !ok:
			rh.Differences = append(rh.Differences, fmt.Sprintf("predicted a cut of %s to %d bytes; the server left it whole", p, *c.Size))
		case appended[p] && got >= *c.Size:
			// Cut and appended to: the appended bytes may repeat a few
			// of the cut ones.
		case got != *c.Size:
			rh.Differences = append(rh.Differences, fmt.Sprintf("predicted a cut of %s to %d bytes; the server cut it to %d", p, *c.Size, got))
		}
		delete(cut, p)
	}
	for p, size := range cut {
		// A start that appends after cutting shows as a size above the cut.
		rh.Differences = append(rh.Differences, fmt.Sprintf("the server cut %s to %d bytes, which the prediction does not say", p, size))
	}
	rh.Agrees = len(rh.Differences) == 0
	r.Rehearsal = rh
	if !rh.Agrees {
		r.Findings = append(r.Findings, finding.New(finding.RehearsalDiffers, "", "the rehearsal with %s disagrees with the prediction: %s", res.Version, strings.Join(rh.Differences, "; ")).
			WithHint("the server's answer is the one to trust; please report the difference with the directory if you can"))
		r.Findings.Sort()
	}
	return nil
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// keysDiffer says how the server's key count falls outside the prediction:
// the exact count, or the range an uncertain prediction gives.
func keysDiffer(o Outcome, held int64) string {
	switch {
	case o.Keys != nil && *o.Keys != held:
		return fmt.Sprintf("predicted %s; the server holds %s", plural(*o.Keys, "key", "keys"), plural(held, "key", "keys"))
	case o.Keys == nil && o.KeysMin != nil && held < *o.KeysMin:
		return fmt.Sprintf("predicted at least %s; the server holds %s", plural(*o.KeysMin, "key", "keys"), plural(held, "key", "keys"))
	case o.Keys == nil && o.KeysMax != nil && held > *o.KeysMax:
		return fmt.Sprintf("predicted at most %s; the server holds %s", plural(*o.KeysMax, "key", "keys"), plural(held, "key", "keys"))
	}
	return ""
}
