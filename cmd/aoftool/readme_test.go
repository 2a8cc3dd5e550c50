package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/metrics"
)

const readmePath = "../../README.md"

// readmeBlocks returns, for every generated block of the README, the text
// it must hold: each command's --help, and the table of finding codes.
func readmeBlocks(t *testing.T) map[string]string {
	t.Helper()
	blocks := map[string]string{}
	root := newRootCmd(&globalOptions{})
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.Name() == "version" {
			continue
		}
		r := runCLI(t, "", c.Name(), "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d: %s", c.Name(), r.code, r.stderr)
		}
		blocks["help "+c.Name()] = "```text\n" + strings.TrimRight(r.stdout, "\n") + "\n```"
	}
	var b strings.Builder
	b.WriteString("| code | severity | meaning |\n|---|---|---|\n")
	for _, info := range finding.Registry() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", info.Code, info.Severity, strings.ReplaceAll(info.Meaning, "|", `\|`))
	}
	blocks["codes"] = strings.TrimRight(b.String(), "\n")
	blocks["metrics"] = metricsTable()
	// The examples are the terminal tests' reports at 100 columns.
	for block, name := range map[string]string{"example phase listing": "phase-listing", "example check": "check-damaged", "example rdb": "rdb-corrupt-dump"} {
		var args []string
		for _, c := range terminalCases {
			if c.name == name {
				args = c.args
			}
		}
		out, err := os.ReadFile("testdata/golden/terminal/" + name + ".100.txt")
		if err != nil || args == nil {
			t.Fatalf("README example %s: %v", name, err)
		}
		blocks[block] = "```text\n$ aoftool " + strings.Join(args, " ") + "\n" + strings.TrimRight(string(out), "\n") + "\n```"
	}
	schema, err := os.ReadFile("../../snapshot/SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	// The file's own title is replaced by the README's section heading;
	// its sections move one level down.
	_, body, _ := strings.Cut(string(schema), "\n")
	body = strings.ReplaceAll("\n"+strings.TrimSpace(body), "\n## ", "\n### ")
	blocks["snapshot schema"] = strings.TrimSpace(body)
	return blocks
}

var blockRE = regexp.MustCompile(`(?s)<!-- BEGIN ([a-z ]+) -->\n(.*?)\n?<!-- END ([a-z ]+) -->`)

// TestREADMEIsCurrent fails when the README's command reference or code
// table drifts from the binary; go test ./cmd/aoftool -run README -update
// rewrites the blocks.
func TestREADMEIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	want := readmeBlocks(t)
	seen := map[string]bool{}
	updated := blockRE.ReplaceAllStringFunc(string(raw), func(m string) string {
		sub := blockRE.FindStringSubmatch(m)
		name := sub[1]
		if sub[3] != name {
			t.Errorf("README block %q closed as %q", name, sub[3])
			return m
		}
		seen[name] = true
		body, ok := want[name]
		if !ok {
			t.Errorf("README has a block %q that nothing generates", name)
			return m
		}
		if strings.TrimSpace(sub[2]) != strings.TrimSpace(body) && !*update {
			t.Errorf("README block %q is out of date (go test ./cmd/aoftool -run README -update)", name)
		}
		return "<!-- BEGIN " + name + " -->\n" + body + "\n<!-- END " + name + " -->"
	})
	for name := range want {
		if !seen[name] {
			t.Errorf("README lacks the block <!-- BEGIN %s --> … <!-- END %s -->", name, name)
		}
	}
	if *update && updated != string(raw) {
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// metricsTable is the README's table of the metrics serve and phase
// --prometheus export.
func metricsTable() string {
	var b strings.Builder
	b.WriteString("| metric | type | labels | meaning | exported by |\n|---|---|---|---|---|\n")
	for _, d := range metrics.Definitions() {
		labels := "`" + strings.Join(d.Labels, "`, `") + "`"
		if len(d.Labels) == 0 {
			labels = ""
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", d.Name, d.Type, labels, strings.ReplaceAll(d.Help, "|", `\|`), d.Source)
	}
	return strings.TrimRight(b.String(), "\n")
}
