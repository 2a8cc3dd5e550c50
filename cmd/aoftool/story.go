package main

import (
	"fmt"
	"io"
	"time"

	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/serverlog"
)

// storyRows are the rows of a story's tables, shared by the table and
// Markdown renderings.
func storyEventRows(s *check.Story) [][]string {
	var rows [][]string
	for _, e := range s.Events {
		rows = append(rows, []string{fmt.Sprint(e.Line), logTimeCell(e.Time), e.Text})
	}
	return rows
}

func storyFailureRows(s *check.Story) [][]string {
	var rows [][]string
	for _, f := range s.Failures {
		rows = append(rows, []string{fmt.Sprint(f.Line), logTimeCell(f.Time), string(f.Job), f.Why})
	}
	return rows
}

func storyDurationRows(s *check.Story) [][]string {
	var rows [][]string
	for _, d := range s.Durations {
		took := "unknown"
		if d.DurationS != nil {
			took = (time.Duration(*d.DurationS * float64(time.Second))).Round(time.Millisecond).String()
		}
		what := string(d.Job)
		if d.Source != "" {
			what += " (" + d.Source + ")"
		}
		if d.ChildPID != 0 {
			what += fmt.Sprintf(", child %d", d.ChildPID)
		}
		outcome := "ok"
		if !d.OK {
			outcome = "failed"
		}
		keys := ""
		if d.Keys > 0 {
			keys = fmt.Sprint(d.Keys)
		}
		rows = append(rows, []string{what, fmt.Sprintf("%d-%d", d.StartLine, d.EndLine), took, keys, outcome})
	}
	return rows
}

func logTimeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

func storyHead(s *check.Story) string {
	head := fmt.Sprintf("%s, %d lines", s.Log, s.Lines)
	if !s.AsOf.IsZero() {
		head += ", up to " + s.AsOf.UTC().Format(time.RFC3339)
	}
	return head
}

// printStory prints the story of check --log as tables.
func printStory(w io.Writer, s *check.Story, table func(string, []string, [][]string) error) error {
	if s == nil {
		return nil
	}
	fmt.Fprintln(w)
	writeWrapped(w, "", "Story from the log ("+storyHead(s)+"):")
	writeWrapped(w, "  ", s.Summary)
	for _, e := range s.Estimates {
		bullet(w, 2, e)
	}
	for _, j := range s.Jobs {
		bullet(w, 2, "running at the log's end: "+runningWords(j))
	}
	if err := table("Events:", []string{"Line", "Time", "Event"}, storyEventRows(s)); err != nil {
		return err
	}
	if err := table(fmt.Sprintf("Failures (%d in all):", s.FailureCount), []string{"Line", "Time", "Job", "Why"}, storyFailureRows(s)); err != nil {
		return err
	}
	return table("Last jobs:", []string{"Job", "Lines", "Took", "Keys", "Outcome"}, storyDurationRows(s))
}

func runningWords(j serverlog.Running) string {
	s := string(j.Job)
	if j.Stage != "" {
		s += " (" + j.Stage + ")"
	}
	if j.ChildPID != 0 {
		s += fmt.Sprintf(", child %d", j.ChildPID)
	}
	return s + fmt.Sprintf(", since line %d", j.StartLine)
}

// printStoryMarkdown prints the story of check --log as Markdown.
func printStoryMarkdown(w io.Writer, s *check.Story) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\n## Story from the log\n\n`%s`: %s.\n\n", mdCell(storyHead(s)), mdCell(s.Summary))
	var items []string
	items = append(items, s.Estimates...)
	for _, j := range s.Jobs {
		items = append(items, "running at the log's end: "+runningWords(j))
	}
	for _, it := range items {
		fmt.Fprintf(w, "- %s\n", mdCell(it))
	}
	if rows := storyEventRows(s); len(rows) > 0 {
		fmt.Fprint(w, "\n### Events\n\n")
		mdTable(w, []string{"Line", "Time", "Event"}, rows)
	}
	if rows := storyFailureRows(s); len(rows) > 0 {
		fmt.Fprintf(w, "\n### Failures (%d in all)\n\n", s.FailureCount)
		mdTable(w, []string{"Line", "Time", "Job", "Why"}, rows)
	}
	if rows := storyDurationRows(s); len(rows) > 0 {
		fmt.Fprint(w, "\n### Last jobs\n\n")
		mdTable(w, []string{"Job", "Lines", "Took", "Keys", "Outcome"}, rows)
	}
}
