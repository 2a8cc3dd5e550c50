package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite kubernetes/prometheusrule.yaml from prometheus/aoftool-rules.yaml")

// aoftoolBin is aoftool built by the Dockerfile's own go build line.
var aoftoolBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "aoftool-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	aoftoolBin = filepath.Join(dir, "aoftool")
	code := 2
	if err := dockerfileBuild(aoftoolBin); err != nil {
		fmt.Fprintf(os.Stderr, "the Dockerfile's build step: %v\n", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd, args string
	line      int
}

func readDockerfile() ([]instruction, error) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		return nil, err
	}
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimSuffix(t, `\`) + " ")
			continue
		}
		cur.WriteString(t)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	return out, nil
}

// dockerVersion is what the tests pass as --build-arg VERSION.
const dockerVersion = "v0.0.0-image-test"

// buildOutput is where the Dockerfile's go build writes the binary.
var buildOutputRE = regexp.MustCompile(`-o\s+(\S+)`)

// dockerfileBuild runs the RUN instruction of the Dockerfile that builds
// aoftool, from the repository root (the build context, where the build
// stage copies everything), with the output moved to out. Docker itself
// is not needed: the image's other steps are a base image and a COPY.
func dockerfileBuild(out string) error {
	ins, err := readDockerfile()
	if err != nil {
		return err
	}
	for _, in := range ins {
		if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		m := buildOutputRE.FindStringSubmatch(in.args)
		if m == nil {
			return fmt.Errorf("line %d: go build without -o", in.line)
		}
		line := strings.Replace(in.args, m[0], "-o "+out, 1)
		line = strings.ReplaceAll(line, "${VERSION}", dockerVersion)
		cmd := exec.Command("/bin/sh", "-c", line)
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("line %d: %s: %v\n%s", in.line, line, err, b)
		}
		return nil
	}
	return errors.New("no RUN ... go build in the Dockerfile")
}

// The image holds a static binary (no interpreter, no shared library),
// stripped, stamped with the version given at build time, copied into a
// distroless or scratch stage and run as a non-root user.
func TestDockerfile(t *testing.T) {
	f, err := elf.Open(aoftoolBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary names an interpreter: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("the binary keeps its symbol table: -ldflags -s is gone")
	}
	v, err := exec.Command(aoftoolBin, "--version").Output()
	if err != nil || !strings.Contains(string(v), dockerVersion) {
		t.Errorf("--version = %q (%v), want it to carry the build argument %s", v, err, dockerVersion)
	}

	ins, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]instruction
	var args []instruction
	for _, in := range ins {
		switch {
		case in.cmd == "FROM":
			stages = append(stages, nil)
		case len(stages) == 0:
			args = append(args, in)
		default:
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages: the build needs a stage of its own", len(stages))
	}
	var from []string
	for _, in := range ins {
		if in.cmd == "FROM" {
			from = append(from, in.args)
		}
	}
	final := from[len(from)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("the final stage is FROM %s: want distroless/static or scratch", final)
	}
	built := buildOutputRE.FindStringSubmatch(findRun(ins))
	var user, entry, copied string
	for _, in := range stages[len(stages)-1] {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		case "COPY":
			if f := strings.Fields(in.args); len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				if built != nil && f[1] != built[1] {
					t.Errorf("COPY takes %s, the build writes %s", f[1], built[1])
				}
				copied = f[2]
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root uid (Kubernetes checks runAsNonRoot on numbers)", user)
	}
	if entry != fmt.Sprintf("[%q]", copied) {
		t.Errorf("ENTRYPOINT %s: want the exec form naming the copied binary %s", entry, copied)
	}
	// The build image follows the Go version go.mod asks for.
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	found := false
	for _, a := range args {
		if a.cmd == "ARG" && strings.HasPrefix(a.args, "GO_VERSION=") {
			found = true
			if goVer == nil || a.args != "GO_VERSION="+string(goVer[1]) {
				t.Errorf("ARG %s, while go.mod says go %s", a.args, goVer[1])
			}
		}
	}
	if !found {
		t.Errorf("no ARG GO_VERSION before the first FROM")
	}
}

func findRun(ins []instruction) string {
	for _, in := range ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			return in.args
		}
	}
	return ""
}

// object is one document of a manifest, decoded into its API type.
type object struct {
	file string
	meta metav1.TypeMeta
	obj  any
}

func (o object) String() string { return o.file + ": " + o.meta.Kind }

// apiTypes are the kinds the manifests may hold.
var apiTypes = map[string]func() any{
	"v1/Service":        func() any { return &corev1.Service{} },
	"v1/ConfigMap":      func() any { return &corev1.ConfigMap{} },
	"v1/ServiceAccount": func() any { return &corev1.ServiceAccount{} },
	"apps/v1/StatefulSet": func() any {
		return &appsv1.StatefulSet{}
	},
	"batch/v1/CronJob":                              func() any { return &batchv1.CronJob{} },
	"rbac.authorization.k8s.io/v1/Role":             func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding":      func() any { return &rbacv1.RoleBinding{} },
	"monitoring.coreos.com/v1/PodMonitor":           func() any { return &monitoringv1.PodMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule":       func() any { return &monitoringv1.PrometheusRule{} },
	"snapshot.storage.k8s.io/v1/VolumeSnapshot":     nil, // checked by hand below
	"kustomize.config.k8s.io/v1beta1/Kustomization": nil,
}

// strictUnmarshal decodes YAML as the API server does with
// fieldValidation=Strict: field names are case-sensitive (encoding/json
// would take readonly for readOnly), unknown and duplicate fields are
// errors.
func strictUnmarshal(doc []byte, v any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decodeStrict decodes one YAML document into its API type, refusing
// unknown and duplicate fields: a misspelt readOnly or a field at the
// wrong level fails here, as kubectl apply --validate=strict would.
func decodeStrict(file string, doc []byte) (object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return object{}, err
	}
	key := tm.APIVersion + "/" + tm.Kind
	mk, ok := apiTypes[key]
	if !ok {
		return object{}, fmt.Errorf("unexpected kind %s", key)
	}
	o := object{file: file, meta: tm}
	if mk == nil {
		var generic map[string]any
		if err := strictUnmarshal(doc, &generic); err != nil {
			return o, err
		}
		o.obj = generic
		return o, nil
	}
	o.obj = mk()
	if err := strictUnmarshal(doc, o.obj); err != nil {
		return o, err
	}
	return o, nil
}

func splitYAML(b []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if hasContent(doc) {
			docs = append(docs, doc)
		}
	}
}

func hasContent(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		if t := strings.TrimSpace(l); t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var out []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := splitYAML(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, doc := range docs {
			o, err := decodeStrict(f, doc)
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			out = append(out, o)
			// A manifest kept inside a ConfigMap is decoded too.
			if cm, ok := o.obj.(*corev1.ConfigMap); ok {
				for k, v := range cm.Data {
					if strings.HasSuffix(k, ".yaml") {
						if inner, err := decodeStrict(f+" "+cm.Name+"/"+k, []byte(v)); err != nil {
							t.Errorf("%s: ConfigMap %s key %s: %v", f, cm.Name, k, err)
						} else {
							out = append(out, inner)
						}
					}
				}
			}
		}
	}
	return out
}

// podTemplate is a pod spec with where it comes from.
type podTemplate struct {
	owner  string
	labels map[string]string
	spec   *corev1.PodSpec
	// claims are the volumeClaimTemplates of a StatefulSet.
	claims []string
}

func podTemplates(objs []object) []podTemplate {
	var out []podTemplate
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *appsv1.StatefulSet:
			var claims []string
			for _, c := range v.Spec.VolumeClaimTemplates {
				claims = append(claims, c.Name)
			}
			out = append(out, podTemplate{owner: o.file + " StatefulSet " + v.Name, labels: v.Spec.Template.Labels, spec: &v.Spec.Template.Spec, claims: claims})
		case *batchv1.CronJob:
			tpl := &v.Spec.JobTemplate.Spec.Template
			out = append(out, podTemplate{owner: o.file + " CronJob " + v.Name, labels: tpl.Labels, spec: &tpl.Spec})
		}
	}
	return out
}

func allContainers(s *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range s.InitContainers {
		out = append(out, &s.InitContainers[i])
	}
	for i := range s.Containers {
		out = append(out, &s.Containers[i])
	}
	return out
}

func isAoftool(c *corev1.Container) bool { return strings.Contains(c.Image, "/aoftool:") }
func isRedisServer(c *corev1.Container) bool {
	return strings.HasPrefix(c.Image, "redis:") || strings.HasPrefix(c.Image, "valkey/valkey:")
}

// dataVolumes are the volumes holding a Redis data directory: the
// StatefulSet's claims and the volumes restored from a snapshot.
func dataVolumes(p podTemplate) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.claims {
		out[c] = true
	}
	for _, v := range p.spec.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			out[v.Name] = true
		}
	}
	return out
}

// Every manifest decodes strictly into its Kubernetes or Prometheus
// Operator API type, and holds together: selectors match the pods they
// select, every mount names a volume, named ports exist and fit the
// 15-character limit of a port name.
func TestManifestsValidate(t *testing.T) {
	objs := loadManifests(t)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.meta.Kind]++
	}
	for _, k := range []string{"StatefulSet", "PodMonitor", "PrometheusRule", "CronJob", "VolumeSnapshot", "Kustomization"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the manifests (%v)", k, kinds)
		}
	}
	portName := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	for _, p := range podTemplates(objs) {
		vols := map[string]bool{}
		for _, v := range p.spec.Volumes {
			vols[v.Name] = true
		}
		for _, c := range p.claims {
			vols[c] = true
		}
		names := map[string]bool{}
		for _, c := range allContainers(p.spec) {
			if names[c.Name] {
				t.Errorf("%s: two containers named %s", p.owner, c.Name)
			}
			names[c.Name] = true
			ports := map[string]int32{}
			for _, port := range c.Ports {
				if port.Name != "" && (len(port.Name) > 15 || !portName.MatchString(port.Name)) {
					t.Errorf("%s/%s: port name %q is not a valid IANA service name (at most 15 characters)", p.owner, c.Name, port.Name)
				}
				ports[port.Name] = port.ContainerPort
			}
			for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
				if pr != nil && pr.HTTPGet != nil && pr.HTTPGet.Port.StrVal != "" && ports[pr.HTTPGet.Port.StrVal] == 0 {
					t.Errorf("%s/%s: probe port %s is not a port of the container", p.owner, c.Name, pr.HTTPGet.Port.StrVal)
				}
			}
			for _, m := range c.VolumeMounts {
				if !vols[m.Name] {
					t.Errorf("%s/%s: mounts %s, which is no volume", p.owner, c.Name, m.Name)
				}
			}
			if c.Resources.Limits.Memory().IsZero() && isAoftool(c) {
				t.Errorf("%s/%s: no memory limit", p.owner, c.Name)
			}
		}
	}
	var podLabels []map[string]string
	for _, o := range objs {
		if s, ok := o.obj.(*appsv1.StatefulSet); ok {
			sel, err := metav1.LabelSelectorAsSelector(s.Spec.Selector)
			if err != nil || !sel.Matches(labelSet(s.Spec.Template.Labels)) {
				t.Errorf("%s: the selector does not match the pod template (%v)", o, err)
			}
			podLabels = append(podLabels, s.Spec.Template.Labels)
		}
	}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *corev1.Service:
			if !matchesAny(v.Spec.Selector, podLabels) {
				t.Errorf("%s %s selects no pod", o, v.Name)
			}
		case *monitoringv1.PodMonitor:
			sel, err := metav1.LabelSelectorAsSelector(&v.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			selected := false
			for _, l := range podLabels {
				selected = selected || sel.Matches(labelSet(l))
			}
			if !selected {
				t.Errorf("%s %s selects no pod", o, v.Name)
			}
			for _, ep := range v.Spec.PodMetricsEndpoints {
				if ep.Port == nil || !aoftoolPort(objs, *ep.Port) {
					t.Errorf("%s %s scrapes a port no aoftool container has", o, v.Name)
				}
			}
		case map[string]any:
			if o.meta.Kind == "Kustomization" {
				res, _ := v["resources"].([]any)
				for _, r := range res {
					if _, err := os.Stat(filepath.Join("kubernetes", fmt.Sprint(r))); err != nil {
						t.Errorf("kustomization lists %v: %v", r, err)
					}
				}
			}
		}
	}
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool   { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) {
	v, ok := l[k]
	return v, ok
}

func matchesAny(sel map[string]string, pods []map[string]string) bool {
	for _, p := range pods {
		ok := true
		for k, v := range sel {
			ok = ok && p[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func aoftoolPort(objs []object, name string) bool {
	for _, p := range podTemplates(objs) {
		for _, c := range allContainers(p.spec) {
			if !isAoftool(c) {
				continue
			}
			for _, port := range c.Ports {
				if port.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// Only the Redis server writes its data volume: every other container
// that mounts it (the sidecar, the check of a snapshot) mounts it
// read-only.
func TestDataVolumeMountedReadOnly(t *testing.T) {
	readers := 0
	for _, p := range podTemplates(loadManifests(t)) {
		data := dataVolumes(p)
		for _, c := range allContainers(p.spec) {
			for _, m := range c.VolumeMounts {
				if !data[m.Name] || isRedisServer(c) {
					continue
				}
				readers++
				if !m.ReadOnly {
					t.Errorf("%s: container %s mounts the data volume %s writable", p.owner, c.Name, m.Name)
				}
			}
		}
	}
	if readers < 2 {
		t.Errorf("%d containers read a data volume; want the sidecar and the check at least", readers)
	}
}

func effective[T any](container, pod *T) *T {
	if container != nil {
		return container
	}
	return pod
}

// The aoftool containers run as a non-root uid, with a read-only root
// file system, no privilege escalation and no capabilities.
func TestAoftoolContainersHardened(t *testing.T) {
	n := 0
	for _, p := range podTemplates(loadManifests(t)) {
		podSC := p.spec.SecurityContext
		if podSC == nil {
			podSC = &corev1.PodSecurityContext{}
		}
		for _, c := range allContainers(p.spec) {
			if !isAoftool(c) {
				continue
			}
			n++
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s/%s: no securityContext", p.owner, c.Name)
				continue
			}
			if nonRoot := effective(sc.RunAsNonRoot, podSC.RunAsNonRoot); nonRoot == nil || !*nonRoot {
				t.Errorf("%s/%s: runAsNonRoot is not true", p.owner, c.Name)
			}
			if uid := effective(sc.RunAsUser, podSC.RunAsUser); uid == nil || *uid == 0 {
				t.Errorf("%s/%s: no non-root runAsUser", p.owner, c.Name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: the root file system is writable", p.owner, c.Name)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s/%s: allowPrivilegeEscalation is not false", p.owner, c.Name)
			}
			if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("%s/%s: capabilities are not all dropped", p.owner, c.Name)
			}
		}
	}
	if n < 2 {
		t.Errorf("%d aoftool containers in the manifests, want the sidecar and the check", n)
	}
}

// The arguments the manifests give aoftool are accepted by the binary the
// Dockerfile builds: the sidecar serves /healthz and /metrics on a copy of
// a real Redis data directory, the check runs its post-mortem on it.
func TestManifestArgumentsRun(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if out, err := exec.Command("cp", "-a", "../testdata/redis7-rewrite", data).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	ran := 0
	for _, p := range podTemplates(loadManifests(t)) {
		for _, c := range allContainers(p.spec) {
			if !isAoftool(c) {
				continue
			}
			ran++
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				a = strings.ReplaceAll(a, "$(POD_NAME)", "redis-0")
				if strings.HasPrefix(a, "--listen=") {
					a = "--listen=127.0.0.1:0"
				}
				if a == "/data" {
					a = data
				}
				args[i] = a
			}
			name := p.owner + "/" + c.Name
			switch args[0] {
			case "serve":
				runServe(t, name, args)
			case "check":
				cmd := exec.Command(aoftoolBin, args...)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 1) {
					t.Errorf("%s: aoftool %s: %v\n%s", name, strings.Join(args, " "), err, out)
				}
				if !strings.HasPrefix(string(out), "# ") {
					t.Errorf("%s: the report is not Markdown:\n%.300s", name, out)
				}
			default:
				t.Errorf("%s: aoftool %s is not a command the manifests should run", name, args[0])
			}
		}
	}
	if ran < 2 {
		t.Errorf("ran %d aoftool containers' arguments", ran)
	}
}

func runServe(t *testing.T, name string, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aoftoolBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	addr := ""
	for addr == "" && sc.Scan() {
		if _, a, ok := strings.Cut(sc.Text(), "listening on "); ok {
			addr = a
		}
	}
	go io.Copy(io.Discard, stderr)
	if addr == "" {
		cmd.Wait()
		t.Fatalf("%s: aoftool %s did not listen", name, strings.Join(args, " "))
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Errorf("%s: GET %s: %v", name, path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: GET %s: %s", name, path, resp.Status)
		}
		if path == "/metrics" && !strings.Contains(string(b), `redis_instance="redis-0"`) {
			t.Errorf("%s: /metrics lacks the redis_instance label the manifest asks for", name)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s: after SIGTERM: %v", name, err)
	}
}

const rulesFile = "prometheus/aoftool-rules.yaml"
const ruleTestsFile = "prometheus/aoftool-rules.test.yaml"
const prometheusRuleFile = "kubernetes/prometheusrule.yaml"

// prometheusRule wraps the rules file's groups in a PrometheusRule for the
// Prometheus Operator, comments and all.
func prometheusRule(rules []byte) []byte {
	var b strings.Builder
	b.WriteString(`# The alert rules of ../prometheus/aoftool-rules.yaml for the Prometheus
# Operator. Generated by deploy_test.go (go test ./... -update in deploy/):
# edit the rules file, not this one.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: aoftool
  labels:
    app.kubernetes.io/name: aoftool
spec:
`)
	_, groups, _ := strings.Cut(string(rules), "\ngroups:")
	b.WriteString("  groups:")
	for _, l := range strings.SplitAfter(groups, "\n") {
		if strings.TrimSpace(l) == "" {
			b.WriteString(l)
			continue
		}
		b.WriteString("  " + l)
	}
	return []byte(b.String())
}

// The PrometheusRule carries exactly the groups of the rules file that
// promtool checks and tests.
func TestPrometheusRuleIsTheRulesFile(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	want := prometheusRule(rules)
	if *update {
		if err := os.WriteFile(prometheusRuleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(prometheusRuleFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with %s (go test ./... -update in deploy/)", prometheusRuleFile, rulesFile)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := strictUnmarshal(rules, &file); err != nil {
		t.Fatal(err)
	}
	var pr monitoringv1.PrometheusRule
	if err := strictUnmarshal(got, &pr); err != nil {
		t.Fatal(err)
	}
	a, _ := yaml.Marshal(file.Groups)
	b, _ := yaml.Marshal(pr.Spec.Groups)
	if !bytes.Equal(a, b) {
		t.Errorf("the PrometheusRule's groups differ from the rules file's:\n%s\n---\n%s", b, a)
	}
}

type ruleTests struct {
	RuleFiles          []string `json:"rule_files"`
	EvaluationInterval string   `json:"evaluation_interval"`
	Tests              []struct {
		Interval    string           `json:"interval"`
		InputSeries []map[string]any `json:"input_series"`
		AlertTests  []struct {
			EvalTime  string           `json:"eval_time"`
			Alertname string           `json:"alertname"`
			ExpAlerts []map[string]any `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// Every alert has a promtool unit test where it fires and one where it
// must not.
func TestEveryAlertIsTested(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := strictUnmarshal(rules, &file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ruleTestsFile)
	if err != nil {
		t.Fatal(err)
	}
	var tests ruleTests
	if err := strictUnmarshal(b, &tests); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertTests {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname]++
			} else {
				quiet[a.Alertname]++
			}
		}
	}
	alerts := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !strings.HasPrefix(r.Alert, "Aoftool") {
				t.Errorf("alert %s: name it Aoftool…", r.Alert)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: needs a severity label, a summary and a description", r.Alert)
			}
			if fires[r.Alert] == 0 || quiet[r.Alert] == 0 {
				t.Errorf("alert %s: %d tests where it fires, %d where it must not; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
		}
	}
	if alerts < 7 {
		t.Errorf("%d alerts", alerts)
	}
}

// promtool checks the rules and runs their unit tests (CI installs
// Debian's prometheus package for it).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing under CI (apt-get install prometheus)")
		}
		t.Skip("promtool is not installed")
	}
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", ruleTestsFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
