package aoftool_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowed lists, for each package of the module, the packages of the module
// and the third-party modules it may import. Format packages stay free of
// printing and CLI libraries so they can be tested and reused directly.
var allowed = map[string][]string{
	"finding":            {},
	"manifest":           {"finding"},
	"rdbinspect":         {"finding"},
	"aofinspect":         {"finding", "rdbinspect"},
	"snapshot":           {"finding", "manifest", "rdbinspect", "internal/ropen"},
	"phase":              {"finding", "snapshot", "serverlog"},
	"serverlog":          {},
	"replay":             {"aofinspect"},
	"internal/datadir":   {"finding", "manifest", "rdbinspect", "aofinspect", "snapshot", "serverlog", "internal/ropen"},
	"internal/check":     {"finding", "manifest", "rdbinspect", "aofinspect", "snapshot", "phase", "serverlog", "replay", "internal/datadir", "internal/rehearse", "internal/keyspace", "internal/wopen"},
	"internal/rehearse":  {"internal/wopen"},
	"internal/keyspace":  {"finding", "rdbinspect", "aofinspect", "replay", "internal/datadir", "internal/wopen"},
	"internal/redistest": {},
	"internal/rdbdamage": {},
	"internal/fsguard":   {},
	"internal/ropen":     {},
	"internal/wopen":     {},
	"internal/hardening": {},
	"internal/oracle":    {"internal/redistest", "internal/fsguard"},
	"internal/damage":    {"internal/redistest", "internal/fsguard"},
	"internal/crash":     {"internal/redistest", "internal/fsguard", "internal/scenario", "internal/damage"},
	"internal/scenario":  {"internal/redistest"},
	"internal/watch":     {"snapshot", "github.com/fsnotify/fsnotify"},
	"timeline":           {},
	"internal/metrics":   {"finding", "snapshot", "phase", "internal/check", "github.com/prometheus/client_golang/prometheus", "github.com/prometheus/common/expfmt"},
}

const module = "github.com/aoftool/aoftool"

func TestImportRules(t *testing.T) {
	// Every package of the module must have a rule, so a new one cannot
	// grow imports unnoticed.
	out, err := exec.Command("go", "list", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if _, ok := allowed[rel]; !ok && rel != "" && rel != "cmd/aoftool" {
			t.Errorf("package %s has no import rule in deps_test.go", p)
		}
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "./"+pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "directory not found") || strings.Contains(string(out), "matched no packages") {
				continue
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		used := map[string]bool{}
		for _, imp := range strings.Fields(string(out)) {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			permitted := false
			for _, a := range ok {
				if a == rel || a == imp {
					permitted = true
					used[a] = true
				}
			}
			if rel == imp && strings.HasPrefix(imp, "golang.org/x/sys") {
				permitted = true // OS calls (statfs, O_NOATIME) are allowed everywhere
			}
			if !permitted {
				t.Errorf("%s imports %s, which the layout forbids", pkg, imp)
			}
		}
		// A rule lists the edges that exist, so the table is the picture of
		// the layout and a new edge is a decision made here.
		for _, a := range ok {
			if !used[a] {
				t.Errorf("the rule for %s allows %s, which it does not import; narrow the rule", pkg, a)
			}
		}
	}
}
