package timeline

import (
	"fmt"
	"html"
	"io"
	"math"
	"path"
	"strings"
	"time"
)

// Options shape the picture.
type Options struct {
	// Width is the picture's width in pixels (default 960).
	Width int
}

// BandColours are the phases' background colours: light, and far enough
// apart that a screenshot tells them apart.
var BandColours = map[string]string{
	Steady:              "#eeeeee",
	BGSave:              "#fde7b0",
	SyncTransfer:        "#bfdcf5",
	SyncLoading:         "#c8ecc4",
	AOFRewrite:          "#f6c9c4",
	AOFRewriteFinishing: "#dccbf0",
}

// seriesColours are the files' lines, picked in turn.
var seriesColours = []string{"#1f5fa8", "#c0392b", "#217a3c", "#8e44ad", "#b9770e", "#16a085", "#34495e", "#d35400"}

// layout is where each part of the picture goes.
type layout struct {
	width, height       int
	left, right         int // plot area x
	top, plotBottom     int // plot area y
	renameY, logY       int
	legendY, legendRows int
	t0                  time.Time
	span                float64 // seconds
	maxBytes            int64
}

func (t *Timeline) layout(opt Options) layout {
	w := opt.Width
	if w <= 0 {
		w = 960
	}
	l := layout{width: w, left: 90, right: w - 20, top: 66, plotBottom: 346, t0: t.Start}
	l.span = t.End.Sub(t.Start).Seconds()
	if l.span <= 0 {
		l.span = 1
	}
	for _, s := range t.Series {
		for _, p := range s.Points {
			l.maxBytes = max(l.maxBytes, p.Bytes)
		}
	}
	if l.maxBytes == 0 {
		l.maxBytes = 1
	}
	l.renameY = l.plotBottom + 34
	l.logY = l.renameY + 20 + 18*min(len(t.Rename), 6)
	if len(t.Log) == 0 {
		l.logY = l.renameY + 20 + 18*min(len(t.Rename), 6) - 30
	}
	perRow := max(1, (l.right-l.left)/260)
	l.legendRows = (len(t.Series) + perRow - 1) / perRow
	l.legendY = l.logY + 70
	l.height = l.legendY + 20*l.legendRows + 16
	return l
}

func (l layout) x(at time.Time) float64 {
	return float64(l.left) + at.Sub(l.t0).Seconds()/l.span*float64(l.right-l.left)
}

func (l layout) y(b int64) float64 {
	return float64(l.plotBottom) - float64(b)/float64(l.maxBytes)*float64(l.plotBottom-l.top)
}

// SVG writes the timeline as one SVG document. Every part carries a class
// (band, series, rename, log-event, axis) and data- attributes naming what
// it shows, so the picture can be checked by its structure.
func (t *Timeline) SVG(w io.Writer, opt Options) error {
	var b strings.Builder
	t.svg(&b, opt)
	_, err := io.WriteString(w, b.String())
	return err
}

// HTML writes a self-contained page showing the timeline: the SVG inline,
// with a table of the bands under it for reading exact times.
func (t *Timeline) HTML(w io.Writer, opt Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n", esc(t.Title))
	b.WriteString("<style>body{font-family:sans-serif;margin:16px;color:#222}table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}</style>\n</head>\n<body>\n")
	t.svg(&b, opt)
	b.WriteString("\n<table id=\"phases\">\n<tr><th>phase</th><th>step</th><th>from</th><th>to</th><th>seconds</th></tr>\n")
	for _, band := range t.Bands {
		step := ""
		if band.Step > 0 {
			step = fmt.Sprint(band.Step)
		}
		fmt.Fprintf(&b, "<tr class=\"band-row\" data-phase=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%.3f</td></tr>\n",
			esc(band.Phase), esc(band.Phase), step, band.From.UTC().Format("15:04:05.000"), band.To.UTC().Format("15:04:05.000"), band.To.Sub(band.From).Seconds())
	}
	b.WriteString("</table>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func esc(s string) string { return html.EscapeString(s) }

func (t *Timeline) svg(b *strings.Builder, opt Options) {
	l := t.layout(opt)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		l.width, l.height, l.width, l.height)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", l.width, l.height)
	fmt.Fprintf(b, `<text class="title" x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", l.left, esc(t.Title))
	fmt.Fprintf(b, `<text class="subtitle" x="%d" y="40" fill="#555">%s to %s UTC (%s)</text>`+"\n", l.left,
		t.Start.UTC().Format("2006-01-02 15:04:05.000"), t.End.UTC().Format("15:04:05.000"), fmtSeconds(t.End.Sub(t.Start).Seconds()))

	// Phases as bands behind everything, with their name and step on top.
	b.WriteString(`<g id="bands">` + "\n")
	for _, band := range t.Bands {
		x0, x1 := l.x(band.From), l.x(band.To)
		fmt.Fprintf(b, `<rect class="band" data-phase="%s" data-step="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
			band.Phase, band.Step, x0, l.top, math.Max(x1-x0, 0.5), l.plotBottom-l.top, BandColours[band.Phase])
		label := band.Phase
		if band.Step > 0 {
			// The step stands above the plot, where a band too narrow for
			// its name (an install takes milliseconds) still shows it.
			fmt.Fprintf(b, `<text class="step-label" data-step="%d" x="%.1f" y="%d" text-anchor="middle" fill="#000" font-size="11" font-weight="bold">%d</text>`+"\n",
				band.Step, (x0+x1)/2, l.top-4, band.Step)
			label = fmt.Sprintf("step %d: %s", band.Step, band.Phase)
		}
		if x1-x0 >= 40 {
			fmt.Fprintf(b, `<text class="band-label" data-phase="%s" x="%.1f" y="%d" fill="#333" font-size="11">%s</text>`+"\n",
				band.Phase, x0+4, l.top+14, esc(fitText(label, x1-x0-8)))
		}
	}
	b.WriteString("</g>\n")

	// Axes: bytes on the left, seconds since the start along the bottom.
	b.WriteString(`<g id="axes" class="axis" stroke="#555">` + "\n")
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", l.left, l.top, l.left, l.plotBottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", l.left, l.plotBottom, l.right, l.plotBottom)
	b.WriteString("</g>\n<g id=\"ticks\" fill=\"#333\" font-size=\"11\">\n")
	for i := 0; i <= 4; i++ {
		v := l.maxBytes * int64(i) / 4
		y := l.y(v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ccc" stroke-dasharray="2,3"/>`+"\n", l.left, y, l.right, y)
		fmt.Fprintf(b, `<text class="y-tick" x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", l.left-6, y+4, fmtBytes(v))
	}
	step := niceStep(l.span)
	for s := 0.0; s <= l.span+1e-9; s += step {
		x := float64(l.left) + s/l.span*float64(l.right-l.left)
		fmt.Fprintf(b, `<text class="x-tick" x="%.1f" y="%d" text-anchor="middle">+%s</text>`+"\n", x, l.plotBottom+16, fmtSeconds(s))
	}
	b.WriteString("</g>\n")

	// Each file's size over time, as steps: sizes hold until the next scan.
	b.WriteString(`<g id="series" fill="none" stroke-width="2">` + "\n")
	for i, s := range t.Series {
		if len(s.Points) == 0 {
			continue
		}
		var d strings.Builder
		for j, p := range s.Points {
			x, y := l.x(p.At), l.y(p.Bytes)
			switch j {
			case 0:
				fmt.Fprintf(&d, "M%.1f,%.1f", x, y)
			default:
				fmt.Fprintf(&d, " H%.1f V%.1f", x, y)
			}
		}
		if len(s.Points) == 1 {
			fmt.Fprintf(&d, " h1")
		}
		fmt.Fprintf(b, `<path class="series" data-path="%s" data-kind="%s" stroke="%s" d="%s"/>`+"\n",
			esc(s.Path), esc(s.Kind), seriesColours[i%len(seriesColours)], d.String())
	}
	b.WriteString("</g>\n")

	// Renames: a dashed line through the plot, the move written under it.
	b.WriteString(`<g id="renames" font-size="11">` + "\n")
	for i, r := range t.Rename {
		x := l.x(r.At)
		row := i % 6
		y := l.renameY + 18*row
		anchor := "start"
		if x > float64(l.left+l.right)/2 {
			anchor = "end"
		}
		fmt.Fprintf(b, `<line class="rename" data-from="%s" data-to="%s" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#444" stroke-dasharray="4,3"/>`+"\n",
			esc(r.From), esc(r.To), x, l.top, x, y-10)
		fmt.Fprintf(b, `<text class="rename-label" x="%.1f" y="%d" text-anchor="%s" fill="#222">%s → %s</text>`+"\n", x, y, anchor, esc(path.Base(r.From)), esc(path.Base(r.To)))
	}
	b.WriteString("</g>\n")

	// The server's log on a lane of its own.
	if len(t.Log) > 0 {
		fmt.Fprintf(b, `<g id="log" font-size="10"><text x="%d" y="%d" text-anchor="end" fill="#333">log</text>`+"\n", l.left-6, l.logY+4)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#bbb"/>`+"\n", l.left, l.logY, l.right, l.logY)
		lastLabel := math.Inf(-1)
		for _, e := range t.Log {
			x := l.x(e.At)
			label := e.Text
			if label == "" {
				label = e.Kind
			}
			fmt.Fprintf(b, `<line class="log-event" data-kind="%s" data-line="%d" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#7a3e00" stroke-width="2"><title>%s (line %d)</title></line>`+"\n",
				esc(e.Kind), e.Line, x, l.logY-7, x, l.logY+7, esc(label), e.Line)
			if x-lastLabel > 70 {
				fmt.Fprintf(b, `<text class="log-label" x="%.1f" y="%d" fill="#7a3e00" transform="rotate(30 %.1f %d)">%s</text>`+"\n",
					x+2, l.logY+16, x+2, l.logY+16, esc(fitText(label, 110)))
				lastLabel = x
			}
		}
		b.WriteString("</g>\n")
	}

	// Legend: each file's colour and name.
	b.WriteString(`<g id="legend" font-size="11">` + "\n")
	perRow := max(1, (l.right-l.left)/260)
	for i, s := range t.Series {
		x := l.left + (i%perRow)*260
		y := l.legendY + 20*(i/perRow)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`, x, y-4, x+18, y-4, seriesColours[i%len(seriesColours)])
		fmt.Fprintf(b, `<text class="legend-label" x="%d" y="%d">%s</text>`+"\n", x+24, y, esc(fitText(path.Base(s.Path), 230)))
	}
	b.WriteString("</g>\n</svg>\n")
}

// fitText cuts a label to about px pixels of 11-pixel text.
func fitText(s string, px float64) string {
	n := int(px / 6.2)
	r := []rune(s)
	if n < 2 || len(r) <= n {
		if n < 2 && len(r) > 1 {
			return string(r[:1]) + "…"
		}
		return s
	}
	return string(r[:n-1]) + "…"
}

// niceStep picks a tick spacing giving four to ten ticks.
func niceStep(span float64) float64 {
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400} {
		if span/s <= 10 {
			return s
		}
	}
	return span / 10
}

func fmtSeconds(s float64) string {
	switch {
	case s < 60:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", s), "0"), ".") + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(s)/3600, int(s)%3600/60)
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n), 0
	for v >= unit && exp < 5 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[exp-1])
}
