// Command gen writes the glue between the CUDA kernels and their callers
// from the kernels themselves, so that a kernel's name, module and
// parameters are written once, in its .cu file. Run it with
// `go generate ./kernels` from the repository root after adding, removing
// or changing the parameters of an extern "C" __global__ function.
//
// It reads every kernels/*.cu, expands the function-like macros that define
// kernels, and writes:
//
//   - kernels/embed.go: the embedded modules (PTX and fatbin) and the kernels
//     each defines;
//   - kernels/enums_gen.cuh: the device.Activation and device.Loss values as
//     the C constants the kernels switch on;
//   - cuda/launch_gen.go: one kernel id per kernel, its name and parameters
//     (for error messages), and one typed launch method per kernel that
//     builds the launch's argument slots once and queues it (an int
//     parameter named act is a device.Activation, one named loss a
//     device.Loss);
//   - cuda/emu/kernels_gen.h: the kernels' C declarations and an X-macro
//     listing them, for the CPU emulator's kernel table.
//
// A test in this package fails when a committed file differs from what gen
// would write.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gputrain/gputrain/device"
)

func main() {
	root := flag.String("root", "..", "repository root (go generate runs in kernels/)")
	flag.Parse()
	files, err := generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*root, f.path), f.data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// file is one generated file, path relative to the repository root.
type file struct {
	path string
	data []byte
}

// param is one kernel parameter.
type param struct {
	name  string // as in the .cu file
	ctype string // C type as declared, qualifiers kept, e.g. "const float*"
	kind  kind
}

// kind is how a parameter travels from Go.
type kind int

const (
	kindInt kind = iota
	kindFloat
	kindU64
	kindPtr
	kindAct  // an int named act: a device.Activation
	kindLoss // an int named loss: a device.Loss
)

// kernel is one extern "C" __global__ function.
type kernel struct {
	name   string
	module string // PTX file, e.g. "gemm.ptx"
	params []param
}

// module is one .cu file and its kernels, in source order.
type module struct {
	base    string // e.g. "gemm"
	kernels []*kernel
}

func generate(root string) ([]file, error) {
	mods, err := parseKernels(filepath.Join(root, "kernels"))
	if err != nil {
		return nil, err
	}
	var all []*kernel
	for _, m := range mods {
		all = append(all, m.kernels...)
	}
	launch, err := goLaunch(all)
	if err != nil {
		return nil, err
	}
	embed, err := goEmbed(mods)
	if err != nil {
		return nil, err
	}
	return []file{
		{"kernels/embed.go", embed},
		{"kernels/enums_gen.cuh", enumsHeader()},
		{"cuda/launch_gen.go", launch},
		{"cuda/emu/kernels_gen.h", emuHeader(all)},
	}, nil
}

// parseKernels reads dir/*.cu in name order.
func parseKernels(dir string) ([]module, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.cu"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var mods []module
	seen := map[string]string{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(filepath.Base(p), ".cu")
		ks, err := parseSource(expandMacros(expandObjectMacros(stripComments(string(src)))), base+".ptx")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, k := range ks {
			if other, dup := seen[k.name]; dup {
				return nil, fmt.Errorf("%s: kernel %s is also defined in %s", p, k.name, other)
			}
			seen[k.name] = k.module
		}
		mods = append(mods, module{base: base, kernels: ks})
	}
	return mods, nil
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	defineRe     = regexp.MustCompile(`(?m)^[ \t]*#define[ \t]+(\w+)\(([^)]*)\)[ \t]*(.*)$`)
	objDefineRe  = regexp.MustCompile(`(?m)^[ \t]*#define[ \t]+(\w+)[ \t]+(.*)$`)
	kernelRe     = regexp.MustCompile(`extern\s+"C"\s+__global__\s+void\s+(?:__launch_bounds__\s*\([^()]*\)\s+)?(\w+)\s*\(([^)]*)\)`)
)

func stripComments(s string) string {
	s = blockComment.ReplaceAllString(s, "")
	s = lineComment.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "\\\n", " ")
}

// expandMacros replaces each top-level use NAME(args) of a function-like
// macro whose body defines a kernel by the body with its parameters
// substituted (enough for the one-line kernel-defining macros gputrain's
// kernels use; other macros are left alone).
func expandMacros(s string) string {
	for _, m := range defineRe.FindAllStringSubmatch(s, -1) {
		name, body := m[1], m[3]
		if !strings.Contains(body, "__global__") {
			continue
		}
		params := splitList(m[2])
		use := regexp.MustCompile(`(?m)^[ \t]*` + name + `\(([^)]*)\)[ \t]*;?[ \t]*$`)
		s = use.ReplaceAllStringFunc(s, func(u string) string {
			args := splitList(use.FindStringSubmatch(u)[1])
			out := body
			for i, p := range params {
				if i < len(args) {
					out = regexp.MustCompile(`\b`+regexp.QuoteMeta(p)+`\b`).ReplaceAllLiteralString(out, args[i])
				}
			}
			return out
		})
	}
	// The #define lines themselves hold a kernel pattern with the macro's
	// parameter as its name: drop them.
	return defineRe.ReplaceAllString(s, "")
}

// expandObjectMacros replaces, inside kernel parameter lists, each object-like
// macro that stands for a whole parameter list (as optim.cu's UPDATE_PARAMS,
// shared by kernels launched alike) by its body.
func expandObjectMacros(s string) string {
	for _, m := range objDefineRe.FindAllStringSubmatch(s, -1) {
		name, body := m[1], strings.TrimSpace(m[2])
		use := regexp.MustCompile(`(__global__\s+void\s+\w+\s*\()\s*` + name + `\s*\)`)
		s = use.ReplaceAllString(s, "${1}"+strings.ReplaceAll(body, "$", "$$")+")")
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseSource(s, mod string) ([]*kernel, error) {
	var ks []*kernel
	for _, m := range kernelRe.FindAllStringSubmatch(s, -1) {
		k := &kernel{name: m[1], module: mod}
		for _, p := range splitList(m[2]) {
			pa, err := parseParam(p)
			if err != nil {
				return nil, fmt.Errorf("kernel %s: %w", k.name, err)
			}
			k.params = append(k.params, pa)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

var cKinds = map[string]kind{
	"int": kindInt, "float": kindFloat, "unsigned long long": kindU64,
	"float*": kindPtr, "int*": kindPtr, "double*": kindPtr,
}

func parseParam(p string) (param, error) {
	p = strings.ReplaceAll(p, "*", " * ")
	var typ []string
	for _, f := range strings.Fields(p) {
		if f != "__restrict__" {
			typ = append(typ, f)
		}
	}
	if len(typ) < 2 {
		return param{}, fmt.Errorf("parameter %q has no name", p)
	}
	name := typ[len(typ)-1]
	typ = typ[:len(typ)-1]
	ctype := strings.ReplaceAll(strings.Join(typ, " "), " *", "*")
	k, ok := cKinds[strings.TrimPrefix(ctype, "const ")]
	if !ok {
		return param{}, fmt.Errorf("parameter %s: type %q has no Go mapping (int, float, unsigned long long or a pointer to float, int or double)", name, ctype)
	}
	switch {
	case k == kindInt && name == "act":
		k = kindAct
	case k == kindInt && name == "loss":
		k = kindLoss
	}
	return param{name: name, ctype: ctype, kind: k}, nil
}

// goName turns a kernel name into a Go identifier part: gemm_strided_nn →
// GemmStridedNN (two-letter words are initialisms).
func goName(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if len(w) <= 2 {
			b.WriteString(strings.ToUpper(w))
		} else {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

var goTypes = [...]string{kindInt: "int", kindFloat: "float32", kindU64: "uint64", kindPtr: "cu.DevicePtr",
	kindAct: "device.Activation", kindLoss: "device.Loss"}
var goArg = [...]string{kindInt: "argI", kindFloat: "argF", kindU64: "argU", kindPtr: "argP", kindAct: "argI", kindLoss: "argI"}
var kindNames = [...]string{kindInt: "paramInt", kindFloat: "paramFloat", kindU64: "paramU64", kindPtr: "paramPtr",
	kindAct: "paramInt", kindLoss: "paramInt"}

// goReserved are the names a wrapper's parameters must not take.
var goReserved = map[string]bool{"d": true, "grid": true, "block": true, "cu": true,
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true}

const header = "// Code generated by go generate ./kernels (kernels/internal/gen); DO NOT EDIT.\n\n"

func goLaunch(ks []*kernel) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("//go:build cuda\n\npackage cuda\n\nimport (\n\t\"github.com/gputrain/gputrain/device\"\n\t\"gorgonia.org/cu\"\n)\n\n")
	maxArgs := 0
	for _, k := range ks {
		maxArgs = max(maxArgs, len(k.params))
	}
	fmt.Fprintf(&b, "// The kernels of package kernels, in module order.\nconst (\n")
	for i, k := range ks {
		if i == 0 {
			fmt.Fprintf(&b, "\tk%s kernel = iota // %s in %s\n", goName(k.name), k.name, k.module)
		} else {
			fmt.Fprintf(&b, "\tk%s // %s in %s\n", goName(k.name), k.name, k.module)
		}
	}
	fmt.Fprintf(&b, "\tnumKernels\n)\n\n")
	fmt.Fprintf(&b, "// maxKernelArgs is the most parameters a kernel takes.\nconst maxKernelArgs = %d\n\n", maxArgs)
	fmt.Fprintf(&b, "// kernelInfo gives each kernel's PTX module, name and parameters.\nvar kernelInfo = [numKernels]kernelDesc{\n")
	for _, k := range ks {
		fmt.Fprintf(&b, "\tk%s: {%q, %q, []kernelParam{", goName(k.name), k.module, k.name)
		for i, p := range k.params {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{%q, %s}", p.name, kindNames[p.kind])
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")
	for _, k := range ks {
		var sig, args []string
		for _, p := range k.params {
			if goReserved[p.name] {
				return nil, fmt.Errorf("kernel %s: parameter name %s clashes with the Go wrapper's names", k.name, p.name)
			}
			sig = append(sig, p.name+" "+goTypes[p.kind])
			arg := p.name
			if p.kind == kindAct || p.kind == kindLoss {
				arg = "int(" + arg + ")"
			}
			args = append(args, fmt.Sprintf("%s(%s)", goArg[p.kind], arg))
		}
		fmt.Fprintf(&b, "\n// launch%s queues %s(%s) (kernels/%s) on a grid×block launch.\n",
			goName(k.name), k.name, paramList(k), strings.TrimSuffix(k.module, ".ptx")+".cu")
		fmt.Fprintf(&b, "func (d *Device) launch%s(grid, block [3]int, %s) {\n", goName(k.name), strings.Join(sig, ", "))
		fmt.Fprintf(&b, "\td.enqueue(launch{k: k%s, grid: grid, block: block, args: [maxKernelArgs]uint64{%s}})\n}\n",
			goName(k.name), strings.Join(args, ", "))
	}
	return format.Source(b.Bytes())
}

func paramList(k *kernel) string {
	var s []string
	for _, p := range k.params {
		s = append(s, p.name)
	}
	return strings.Join(s, ", ")
}

func goEmbed(mods []module) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("package kernels\n\nimport _ \"embed\" // for go:embed\n\n// The PTX and the fatbin, one module per .cu file.\nvar (\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "\t//go:embed %s.ptx\n\t%sPTX string\n", m.base, goName(m.base))
		fmt.Fprintf(&b, "\t//go:embed %s.fatbin\n\t%sFatbin string\n", m.base, goName(m.base))
	}
	b.WriteString(")\n\n// Modules lists every module with its kernels, in load order.\nvar Modules = []Module{\n")
	for _, m := range mods {
		var names []string
		for _, k := range m.kernels {
			names = append(names, fmt.Sprintf("%q", k.name))
		}
		fmt.Fprintf(&b, "\t{%q, %sPTX, %sFatbin, []string{%s}},\n", m.base+".ptx", goName(m.base), goName(m.base), strings.Join(names, ", "))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// enumsHeader writes the values of device.Activation and device.Loss, which
// the kernels receive as int parameters, as C constants.
func enumsHeader() []byte {
	var b bytes.Buffer
	b.WriteString(strings.Replace(header, "\n\n", "\n", 1))
	b.WriteString("// The device.Activation and device.Loss values the kernels receive.\n#pragma once\n\n")
	for _, a := range device.AllActivations() {
		fmt.Fprintf(&b, "#define ACT_%s %d\n", cName(a.String()), int(a))
	}
	b.WriteByte('\n')
	for l := device.Loss(0); !strings.HasPrefix(l.String(), "Loss("); l++ {
		fmt.Fprintf(&b, "#define LOSS_%s %d\n", cName(l.String()), int(l))
	}
	return b.Bytes()
}

func cName(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(s))
}

func emuHeader(ks []*kernel) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Replace(header, "\n\n", "\n", 1))
	b.WriteString("// The kernels of kernels/*.cu as the emulator links them (compiled as C++\n")
	b.WriteString("// with emu.h), and GPUTRAIN_KERNELS(X), which applies X to each name.\n#pragma once\n\nextern \"C\" {\n")
	for _, k := range ks {
		var ts []string
		for _, p := range k.params {
			ts = append(ts, p.ctype)
		}
		fmt.Fprintf(&b, "void %s(%s);\n", k.name, strings.Join(ts, ", "))
	}
	b.WriteString("}\n\n#define GPUTRAIN_KERNELS(X) \\\n")
	for i, k := range ks {
		sep := " \\"
		if i == len(ks)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "\tX(%s)%s\n", k.name, sep)
	}
	return b.Bytes()
}
