package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

// Human output is laid out for a width: the terminal's on a TTY, else
// $COLUMNS, else defaultWidth. --width overrides all three; --width 0 turns
// wrapping off for scripts that cut columns out of the text.
const (
	defaultWidth = 100
	// minWidth keeps a layout possible in a very narrow pane: below it lines
	// overflow rather than wrap one word per line.
	minWidth = 40
	// helpWidth is where help text wraps whatever the terminal: 80 columns
	// read well and fit every pane.
	helpWidth = 80
)

// columnsEnv reads $COLUMNS; tests replace it so a developer's shell does
// not change goldens.
var columnsEnv = func() string { return os.Getenv("COLUMNS") }

// screen is a writer that knows how wide the human output may be. Printers
// take an io.Writer; those that lay text out ask widthOf for the width.
type screen struct {
	io.Writer
	width int // 0: no limit
}

// widthOf is the width output to w must fit in (0: no limit).
func widthOf(w io.Writer) int {
	if s, ok := w.(*screen); ok {
		return s.width
	}
	return defaultWidth
}

// outputWidth decides the width of the human output to out.
func (g *globalOptions) outputWidth(out io.Writer) int {
	if g.widthSet {
		return clampWidth(g.width)
	}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return clampWidth(w)
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(columnsEnv())); err == nil && n > 0 {
		return clampWidth(n)
	}
	return defaultWidth
}

func clampWidth(w int) int {
	if w == 0 {
		return 0
	}
	return max(w, minWidth)
}

// screenFor wraps out with the width its human output must fit in.
func (g *globalOptions) screenFor(out io.Writer) *screen {
	if s, ok := out.(*screen); ok {
		return s
	}
	return &screen{Writer: out, width: g.outputWidth(out)}
}

// bufferedScreen is a buffer in front of out with the width out's human
// output must fit in.
func (g *globalOptions) bufferedScreen(w, out io.Writer) *screen {
	return &screen{Writer: w, width: g.screenFor(out).width}
}

// textWidth is the number of columns s takes on a terminal, colour
// sequences not counted.
func textWidth(s string) int { return twwidth.Width(s) }

// wrap breaks s into lines of at most width columns: at spaces, and inside
// a word longer than a line after a '/', '.', '-', '_' or ',' when one is
// close enough, else anywhere. Newlines in s are kept. width <= 0 keeps s.
func wrap(s string, width int) []string {
	if width <= 0 {
		return strings.Split(s, "\n")
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapParagraph(para, width)...)
	}
	return out
}

func wrapParagraph(p string, width int) []string {
	if textWidth(p) <= width {
		return []string{p}
	}
	var lines []string
	line, lineW := "", 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line, " "))
		line, lineW = "", 0
	}
	for _, word := range strings.Split(p, " ") {
		ww := textWidth(word)
		switch {
		case lineW == 0 && ww <= width:
			line, lineW = word, ww
		case lineW > 0 && lineW+1+ww <= width:
			line += " " + word
			lineW += 1 + ww
		default:
			if lineW > 0 {
				flush()
			}
			for textWidth(word) > width {
				head, rest := breakWord(word, width)
				lines = append(lines, head)
				word = rest
			}
			line, lineW = word, textWidth(word)
		}
	}
	if line != "" || len(lines) == 0 {
		flush()
	}
	return lines
}

// breakWord cuts a word too long for a line: after the last separator that
// leaves at least half a line, else at the width.
func breakWord(word string, width int) (string, string) {
	cut, w, lastSep, lastSlash := 0, 0, 0, 0
	for i, r := range word {
		rw := textWidth(string(r))
		if w+rw > width {
			break
		}
		w += rw
		cut = i + utf8.RuneLen(r)
		switch {
		case r == '/' && w >= width/3:
			lastSlash = cut
		case strings.ContainsRune(".-_,:", r) && w >= width/2:
			lastSep = cut
		}
	}
	if cut == 0 { // one character wider than the line
		_, n := utf8.DecodeRuneInString(word)
		cut = n
	}
	switch {
	case lastSlash > 0 && lastSlash < len(word):
		cut = lastSlash
	case lastSep > 0 && lastSep < len(word):
		cut = lastSep
	}
	return word[:cut], word[cut:]
}

// writeWrapped writes s wrapped to the width of w, the first line after
// first and the others after an indent of the same width (a hanging
// indent). The prefix is repeated as spaces.
func writeWrapped(w io.Writer, first, s string) {
	width := widthOf(w)
	indent := strings.Repeat(" ", textWidth(first))
	avail := 0
	if width > 0 {
		avail = max(width-textWidth(first), width/3)
	}
	for i, l := range wrap(s, avail) {
		p := indent
		if i == 0 {
			p = first
		}
		fmt.Fprintln(w, strings.TrimRight(p+l, " "))
	}
}

// bullet prints "  - s" wrapped under its text.
func bullet(w io.Writer, indent int, s string) {
	writeWrapped(w, strings.Repeat(" ", indent)+"- ", s)
}

// table collects rows and renders them to fit the writer's width: as a
// bordered table when every column gets enough room (cells wrapped inside
// their column), else as one block per row, its first cell as the title and
// the others as "Header  value" lines.
type table struct {
	w      io.Writer
	header []string
	rows   [][]string
}

// newTable returns a table in the house style: light borders, headers as
// written, cells wrapped to fit the width.
func newTable(w io.Writer, header ...string) *table {
	return &table{w: w, header: header}
}

func (t *table) Append(row []string) error {
	t.rows = append(t.rows, row)
	return nil
}

// borderCost is what the borders and padding of n columns take.
func borderCost(n int) int { return 3*n + 1 }

// minColumn is the narrowest a column is wrapped to before the table gives
// way to blocks, never more than its widest cell: its header's longest
// word, its longest word up to a third of the screen (a path is read
// whole), and 12 columns for prose, which is unreadable narrower.
func minColumn(header string, cells []string, natural, width int) int {
	m := 6
	for _, f := range strings.Fields(header) {
		m = max(m, textWidth(f))
	}
	for _, c := range cells {
		for _, f := range strings.Fields(c) {
			m = max(m, min(textWidth(f), width/3))
		}
		if strings.Contains(strings.TrimSpace(c), " ") {
			m = max(m, 12)
		}
	}
	return min(m, natural)
}

// fitColumns gives each column a width so the table fits in width: the
// widest columns give way first. ok is false when even the narrowest
// widths do not fit.
func fitColumns(natural, minimum []int, width int) ([]int, bool) {
	n := len(natural)
	widths := append([]int(nil), natural...)
	avail := width - borderCost(n)
	total := 0
	for _, v := range widths {
		total += v
	}
	for total > avail {
		// Shrink the widest column that can still give way, one column at
		// a time, so wide columns meet in the middle.
		widest := -1
		for i := range widths {
			if widths[i] > minimum[i] && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return nil, false
		}
		widths[widest]--
		total--
	}
	return widths, true
}

func (t *table) Render() error {
	width := widthOf(t.w)
	ncol := len(t.header)
	for _, r := range t.rows {
		ncol = max(ncol, len(r))
	}
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	natural := make([]int, ncol)
	minimum := make([]int, ncol)
	for i := 0; i < ncol; i++ {
		for _, l := range strings.Split(cell(t.header, i), "\n") {
			natural[i] = max(natural[i], textWidth(l))
		}
		for _, r := range t.rows {
			for _, l := range strings.Split(cell(r, i), "\n") {
				natural[i] = max(natural[i], textWidth(l))
			}
		}
		var cells []string
		for _, r := range t.rows {
			cells = append(cells, cell(r, i))
		}
		minimum[i] = minColumn(cell(t.header, i), cells, natural[i], width)
	}
	widths := natural
	if width > 0 {
		var ok bool
		if widths, ok = fitColumns(natural, minimum, width); !ok {
			return t.renderBlocks(width)
		}
		widths = t.giveBackSlack(widths, natural, width-borderCost(ncol))
	}
	tab := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleLight),
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	fill := func(r []string) []string {
		out := make([]string, ncol)
		for i := range out {
			out[i] = strings.Join(wrap(cell(r, i), widths[i]), "\n")
		}
		return out
	}
	if len(t.header) > 0 {
		tab.Header(fill(t.header))
	}
	for _, r := range t.rows {
		if err := tab.Append(fill(r)); err != nil {
			return err
		}
	}
	return tab.Render()
}

// giveBackSlack hands the room a wrapped column does not use (a path
// broken after its '/' is narrower than its column) to the columns that
// were narrowed most, and wraps again, so no column is squeezed for room
// another leaves empty.
func (t *table) giveBackSlack(widths, natural []int, avail int) []int {
	widths = append([]int(nil), widths...)
	for range 4 {
		used := 0
		for i := range widths {
			w := 0
			for _, c := range append([][]string{t.header}, t.rows...) {
				if i < len(c) {
					for _, l := range wrap(c[i], widths[i]) {
						w = max(w, textWidth(l))
					}
				}
			}
			widths[i] = max(w, 1)
			used += widths[i]
		}
		slack := avail - used
		if slack <= 0 {
			return widths
		}
		grew := false
		for ; slack > 0; slack-- {
			best := -1
			for i := range widths {
				if d := natural[i] - widths[i]; d > 0 && (best < 0 || d > natural[best]-widths[best]) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			widths[best]++
			grew = true
		}
		if !grew {
			return widths
		}
	}
	return widths
}

// renderBlocks is the layout for tables too wide for the screen: each row
// is its first cell, then the other cells as "Header  value" lines, wrapped
// with a hanging indent.
func (t *table) renderBlocks(width int) error {
	labelW := 0
	for _, h := range t.header[min(1, len(t.header)):] {
		labelW = max(labelW, textWidth(h))
	}
	for ri, r := range t.rows {
		if ri > 0 {
			fmt.Fprintln(t.w)
		}
		if len(r) == 0 {
			continue
		}
		title := r[0]
		if len(t.header) > 0 && t.header[0] != "" {
			title = t.header[0] + ": " + r[0]
		}
		writeWrapped(t.w, "• ", title)
		for i := 1; i < len(r); i++ {
			if r[i] == "" {
				continue
			}
			label := ""
			if i < len(t.header) {
				label = t.header[i]
			}
			writeWrapped(t.w, "    "+label+strings.Repeat(" ", labelW-textWidth(label))+"  ", r[i])
		}
	}
	return nil
}

// keyValueTable renders label/value pairs as an aligned block, skipping
// empty values; long values wrap under themselves.
func keyValueTable(w io.Writer, rows [][2]string) error {
	labelW := 0
	for _, r := range rows {
		if r[1] != "" {
			labelW = max(labelW, textWidth(r[0])+1)
		}
	}
	if width := widthOf(w); width > 0 {
		// A label column wider than a third of the screen leaves values too
		// little room: long labels then stand on their own line.
		labelW = min(labelW, width/3)
	}
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		label := r[0] + ":"
		if lw := textWidth(label); lw > labelW {
			fmt.Fprintln(w, label)
			writeWrapped(w, strings.Repeat(" ", labelW+2), r[1])
			continue
		}
		writeWrapped(w, label+strings.Repeat(" ", labelW-textWidth(label))+"  ", r[1])
	}
	return nil
}
