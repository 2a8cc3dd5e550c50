package main

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// reflow wraps a command's long help at width: a paragraph of plain lines
// is joined and wrapped again; indented lines (examples, lists, the exit
// status table) keep their breaks and wrap under their own text.
func reflow(text string, width int) string {
	var out []string
	for _, para := range strings.Split(text, "\n\n") {
		lines := strings.Split(para, "\n")
		plain := true
		for _, l := range lines {
			if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "- ") {
				plain = false
			}
		}
		if plain {
			out = append(out, strings.Join(wrap(strings.Join(lines, " "), width), "\n"))
			continue
		}
		var kept []string
		for _, l := range lines {
			kept = append(kept, hang(l, width)...)
		}
		out = append(out, strings.Join(kept, "\n"))
	}
	return strings.Join(out, "\n\n")
}

// labelled matches an indented line with a label column: "  2  could not
// run", "  - item".
var labelled = regexp.MustCompile(`^(\s*(?:\S+\s\s+|- ))`)

// hang wraps one line under the text after its indent and label.
func hang(l string, width int) []string {
	if textWidth(l) <= width {
		return []string{l}
	}
	lead := labelled.FindString(l)
	if lead == "" {
		lead = l[:len(l)-len(strings.TrimLeft(l, " \t"))]
	}
	indent := strings.Repeat(" ", textWidth(lead))
	body := wrap(l[len(lead):], max(width-len(indent), width/2))
	for i := range body {
		if i == 0 {
			body[i] = lead + body[i]
		} else {
			body[i] = indent + body[i]
		}
	}
	return body
}

// usageTemplate is cobra's, with flag help wrapped at helpWidth.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{wrappedFlags .LocalFlags | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{wrappedFlags .InheritedFlags | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

Additional help topics:{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

func init() {
	cobra.AddTemplateFunc("wrappedFlags", func(fs interface{ FlagUsagesWrapped(int) string }) string {
		return fs.FlagUsagesWrapped(helpWidth)
	})
}

// wrapHelp reflows a command's long help at helpWidth when its help is
// shown, and wraps flag descriptions there too. Reflowing every command's
// help up front cost each run, help or not, a millisecond.
func wrapHelp(root *cobra.Command) {
	root.SetUsageTemplate(usageTemplate)
	show := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		c.Long = reflow(c.Long, helpWidth)
		show(c, args)
	})
}
