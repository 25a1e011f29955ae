// selftest.cpp — tests of the PTX interpreter itself (make ptxemu-test):
//
//   - single instructions against hand-computed bits: IEEE rounding modes,
//     fma against mul+add, cvt saturation and integer rounding, integer
//     edge cases, shfl.sync at the warp's edges;
//   - unknown instruction forms refused with their line;
//   - mutations of the committed kernels (a bar.sync deleted, a bound off by
//     one, a tile index shifted into the neighbouring block, a shuffle mask
//     narrowed): each must be reported, while the unmutated kernel run on the
//     same inputs reports nothing (so every check can fail both ways);
//   - PTXEMU_BLOCK_ORDER: forward, reverse and shuffle:SEED run blocks in the
//     order they name (every kernel runs clean in four orders: cuda-ptx-test).
//
// Usage: selftest KERNELS_DIR
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ptxemu.h"

using ptxemu::Dim;
using ptxemu::Report;

namespace {

int failures;

void check(bool ok, const std::string &what) {
	if (!ok) {
		failures++;
		printf("FAIL: %s\n", what.c_str());
	}
}

std::string read_file(const std::string &path) {
	std::ifstream f(path);
	if (!f) {
		printf("FAIL: cannot read %s\n", path.c_str());
		exit(1);
	}
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

// Device memory for a test: registered with the bounds checks while alive.
template <typename T>
struct Buf {
	std::vector<T> v;
	explicit Buf(std::vector<T> init) : v(std::move(init)) { ptxemu::mem_register(addr(), v.size() * sizeof(T)); }
	~Buf() { ptxemu::mem_unregister(addr()); }
	uint64_t addr() const { return (uint64_t)(uintptr_t)v.data(); }
};

uint64_t fbits(float f) {
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

// run parses ptx and launches kernel with 8-byte argument slots; returns the
// findings (a parse failure is one finding of kind "parse").
std::vector<Report> run(const std::string &ptx, const std::string &kernel, Dim grid, Dim block,
                        const std::vector<uint64_t> &args) {
	ptxemu::Module m;
	std::string err;
	if (!ptxemu::parse_module(ptx, m, err)) return {{"parse", err}};
	for (auto &k : m.kernels) {
		if (k.name != kernel) continue;
		if (k.params.size() != args.size()) return {{"test", "wrong argument count"}};
		std::vector<uint8_t> buf(k.param_bytes);
		for (size_t i = 0; i < args.size(); i++) memcpy(buf.data() + k.params[i].offset, &args[i], k.params[i].size);
		std::vector<Report> reports;
		ptxemu::launch(k, grid, block, buf, reports);
		return reports;
	}
	return {{"test", "no kernel " + kernel}};
}

std::string kinds(const std::vector<Report> &r) {
	std::string s;
	for (auto &x : r) s += (s.empty() ? "" : "; ") + x.text;
	return s.empty() ? "(none)" : s;
}

bool has_kind(const std::vector<Report> &r, const std::string &kind) {
	for (auto &x : r)
		if (x.kind == kind) return true;
	return false;
}

// ---- single instructions ----
//
// Each test kernel runs one warp; BODY computes %r2 (and optionally %r3) per
// lane from %r1 = %tid.x; the harness stores them to out[2·lane], out[2·lane+1].
std::string instr_kernel(const std::string &body) {
	return ".version 7.8\n.target sm_80\n.address_size 64\n"
	       ".visible .entry t(\n\t.param .u64 t_out\n)\n{\n"
	       "\t.reg .pred %p<8>;\n\t.reg .b32 %r<16>;\n\t.reg .f32 %f<16>;\n\t.reg .b64 %rd<16>;\n\t.reg .f64 %fd<8>;\n"
	       "\tld.param.u64 %rd1, [t_out];\n\tcvta.to.global.u64 %rd1, %rd1;\n\tmov.u32 %r1, %tid.x;\n"
	       "\tmul.wide.u32 %rd2, %r1, 8;\n\tadd.s64 %rd3, %rd1, %rd2;\n\tmov.u32 %r3, 0;\n" +
	       body + "\n\tst.global.u32 [%rd3], %r2;\n\tst.global.u32 [%rd3+4], %r3;\n\tret;\n}\n";
}

// instr runs body and compares lane results with want(lane) = {r2, r3}.
void instr(const std::string &name, const std::string &body, std::function<std::pair<uint32_t, uint32_t>(uint32_t)> want) {
	Buf<uint32_t> out(std::vector<uint32_t>(64, 0xdeadbeef));
	auto rep = run(instr_kernel(body), "t", {1, 1, 1}, {32, 1, 1}, {out.addr()});
	check(rep.empty(), name + ": findings: " + kinds(rep));
	for (uint32_t lane = 0; lane < 32; lane++) {
		auto w = want(lane);
		if (out.v[2 * lane] != w.first || out.v[2 * lane + 1] != w.second) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s: lane %u got 0x%08x 0x%08x, want 0x%08x 0x%08x", name.c_str(), lane, out.v[2 * lane],
			         out.v[2 * lane + 1], w.first, w.second);
			check(false, msg);
			return;
		}
	}
}

void same(const std::string &name, const std::string &body, uint32_t r2, uint32_t r3 = 0) {
	instr(name, body, [=](uint32_t) { return std::make_pair(r2, r3); });
}

void instruction_tests() {
	// 1 + 2^-25 is a quarter ulp above 1: only .rp rounds up; -1 - 2^-25 only .rm down.
	const char *quarter = "\tmov.f32 %f1, 0f3F800000;\n\tmov.f32 %f2, 0f33000000;\n";
	same("add.rn.f32 quarter ulp", std::string(quarter) + "\tadd.rn.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3F800000);
	same("add.rz.f32 quarter ulp", std::string(quarter) + "\tadd.rz.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3F800000);
	same("add.rm.f32 quarter ulp", std::string(quarter) + "\tadd.rm.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3F800000);
	same("add.rp.f32 quarter ulp", std::string(quarter) + "\tadd.rp.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3F800001);
	const char *neg = "\tmov.f32 %f1, 0fBF800000;\n\tmov.f32 %f2, 0fB3000000;\n";
	same("add.rm.f32 negative", std::string(neg) + "\tadd.rm.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0xBF800001);
	same("add.rz.f32 negative", std::string(neg) + "\tadd.rz.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0xBF800000);
	// Three quarters of an ulp: .rn rounds up.
	same("add.f32 three quarters ulp", "\tmov.f32 %f1, 0f3F800000;\n\tmov.f32 %f2, 0f33C00000;\n\tadd.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;",
	     0x3F800001);
	// (1+2^-23)(1-2^-23) - 1 = -2^-46 exactly with fma; mul rounds the product to 1 first.
	const char *fm = "\tmov.f32 %f1, 0f3F800001;\n\tmov.f32 %f2, 0f3F7FFFFE;\n\tmov.f32 %f3, 0fBF800000;\n";
	same("fma.rn.f32 keeps the product exact", std::string(fm) + "\tfma.rn.f32 %f4, %f1, %f2, %f3;\n\tmov.b32 %r2, %f4;", 0xA8800000);
	same("mul.rn.f32 then add.rn.f32 rounds twice",
	     std::string(fm) + "\tmul.rn.f32 %f4, %f1, %f2;\n\tadd.rn.f32 %f5, %f4, %f3;\n\tmov.b32 %r2, %f5;", 0x00000000);
	// 1/3: .rz and .rm truncate (0x3EAAAAAA), .rn and .rp round up (0x3EAAAAAB).
	const char *third = "\tmov.f32 %f1, 0f3F800000;\n\tmov.f32 %f2, 0f40400000;\n";
	same("div.rn.f32 1/3", std::string(third) + "\tdiv.rn.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3EAAAAAB);
	same("div.rz.f32 1/3", std::string(third) + "\tdiv.rz.f32 %f3, %f1, %f2;\n\tmov.b32 %r2, %f3;", 0x3EAAAAAA);
	same("rcp.rn.f32 3", std::string(third) + "\trcp.rn.f32 %f3, %f2;\n\tmov.b32 %r2, %f3;", 0x3EAAAAAB);
	// sqrt(2) = 1.41421354 (0x3FB504F3 rn; 0x3FB504F3 is below the true value, so .rp gives F4).
	same("sqrt.rn.f32 2", "\tmov.f32 %f1, 0f40000000;\n\tsqrt.rn.f32 %f2, %f1;\n\tmov.b32 %r2, %f2;", 0x3FB504F3);
	same("sqrt.rp.f32 2", "\tmov.f32 %f1, 0f40000000;\n\tsqrt.rp.f32 %f2, %f1;\n\tmov.b32 %r2, %f2;", 0x3FB504F4);
	// cvt: saturation to [0, 1], NaN to 0; float->int saturates, NaN -> 0, integer rounding.
	same("cvt.sat.f32.f32 1.5", "\tmov.f32 %f1, 0f3FC00000;\n\tcvt.sat.f32.f32 %f2, %f1;\n\tmov.b32 %r2, %f2;", 0x3F800000);
	same("cvt.sat.f32.f32 -2", "\tmov.f32 %f1, 0fC0000000;\n\tcvt.sat.f32.f32 %f2, %f1;\n\tmov.b32 %r2, %f2;", 0x00000000);
	same("cvt.sat.f32.f32 NaN", "\tmov.f32 %f1, 0f7FC00000;\n\tcvt.sat.f32.f32 %f2, %f1;\n\tmov.b32 %r2, %f2;", 0x00000000);
	same("cvt.rzi.s32.f32 3e9 saturates", "\tmov.f32 %f1, 0f4F32D05E;\n\tcvt.rzi.s32.f32 %r2, %f1;", 0x7FFFFFFF);
	same("cvt.rzi.s32.f32 -2.75", "\tmov.f32 %f1, 0fC0300000;\n\tcvt.rzi.s32.f32 %r2, %f1;", 0xFFFFFFFE);
	same("cvt.rni.s32.f32 2.5 (ties to even)", "\tmov.f32 %f1, 0f40200000;\n\tcvt.rni.s32.f32 %r2, %f1;", 2);
	same("cvt.rmi.s32.f32 -2.25", "\tmov.f32 %f1, 0fC0100000;\n\tcvt.rmi.s32.f32 %r2, %f1;", 0xFFFFFFFD);
	same("cvt.rzi.s32.f32 NaN", "\tmov.f32 %f1, 0f7FC00000;\n\tcvt.rzi.s32.f32 %r2, %f1;", 0);
	// 1 + 2^-24 + 2^-30 in double: .rn to float rounds up (above the tie), .rz down.
	same("cvt.rn.f32.f64 tie to even", "\tmov.f64 %fd1, 0d3FF0000010000000;\n\tcvt.rn.f32.f64 %f1, %fd1;\n\tmov.b32 %r2, %f1;", 0x3F800000);
	same("cvt.rn.f32.f64 above tie", "\tmov.f64 %fd1, 0d3FF0000010000001;\n\tcvt.rn.f32.f64 %f1, %fd1;\n\tmov.b32 %r2, %f1;", 0x3F800001);
	same("cvt.rz.f32.f64 above tie", "\tmov.f64 %fd1, 0d3FF0000010000001;\n\tcvt.rz.f32.f64 %f1, %fd1;\n\tmov.b32 %r2, %f1;", 0x3F800000);
	same("cvt.rn.f32.u64 2^24+1 (tie to even)", "\tmov.u64 %rd4, 16777217;\n\tcvt.rn.f32.u64 %f1, %rd4;\n\tmov.b32 %r2, %f1;", 0x4B800000);
	same("cvt.s64.s32 sign-extends", "\tmov.u32 %r4, -5;\n\tcvt.s64.s32 %rd4, %r4;\n\tmov.b64 {%r2, %r3}, %rd4;", 0xFFFFFFFB, 0xFFFFFFFF);
	same("cvt.u64.u32 zero-extends", "\tmov.u32 %r4, -5;\n\tcvt.u64.u32 %rd4, %r4;\n\tmov.b64 {%r2, %r3}, %rd4;", 0xFFFFFFFB, 0);
	same("cvt.f64.f32 exact", "\tmov.f32 %f1, 0f3FC00000;\n\tcvt.f64.f32 %fd1, %f1;\n\tmov.b64 {%r2, %r3}, %fd1;", 0, 0x3FF80000);
	// f64 arithmetic
	same("fma.rn.f64", "\tmov.f64 %fd1, 0d3FF8000000000000;\n\tmov.f64 %fd2, 0d4000000000000000;\n\tmov.f64 %fd3, 0dBFF0000000000000;\n"
	     "\tfma.rn.f64 %fd4, %fd1, %fd2, %fd3;\n\tmov.b64 {%r2, %r3}, %fd4;", 0, 0x40000000);
	same("div.rn.f64 1/3", "\tmov.f64 %fd1, 0d3FF0000000000000;\n\tmov.f64 %fd2, 0d4008000000000000;\n\tdiv.rn.f64 %fd3, %fd1, %fd2;\n"
	     "\tmov.b64 {%r2, %r3}, %fd3;", 0x55555555, 0x3FD55555);
	// integers
	same("mul.wide.s32 -3*5", "\tmov.u32 %r4, -3;\n\tmov.u32 %r5, 5;\n\tmul.wide.s32 %rd4, %r4, %r5;\n\tmov.b64 {%r2, %r3}, %rd4;",
	     0xFFFFFFF1, 0xFFFFFFFF);
	same("mul.wide.u32", "\tmov.u32 %r4, -1;\n\tmov.u32 %r5, 2;\n\tmul.wide.u32 %rd4, %r4, %r5;\n\tmov.b64 {%r2, %r3}, %rd4;",
	     0xFFFFFFFE, 1);
	same("shr.s32 -8 >> 1", "\tmov.u32 %r4, -8;\n\tshr.s32 %r2, %r4, 1;", 0xFFFFFFFC);
	same("shr.u32 -8 >> 1", "\tmov.u32 %r4, -8;\n\tshr.u32 %r2, %r4, 1;", 0x7FFFFFFC);
	same("shl.b32 by 32 is 0", "\tmov.u32 %r4, 1;\n\tshl.b32 %r2, %r4, 32;", 0);
	same("div.u32 by 0", "\tmov.u32 %r4, 7;\n\tmov.u32 %r5, 0;\n\tdiv.u32 %r2, %r4, %r5;", 0xFFFFFFFF);
	same("rem.s64 -7 % 3", "\tmov.u64 %rd4, -7;\n\tmov.u64 %rd5, 3;\n\trem.s64 %rd6, %rd4, %rd5;\n\tmov.b64 {%r2, %r3}, %rd6;",
	     0xFFFFFFFF, 0xFFFFFFFF);
	same("mad.lo.s32", "\tmov.u32 %r4, 100000;\n\tmad.lo.s32 %r2, %r4, %r4, 7;", (uint32_t)(100000u * 100000u + 7u));
	same("setp.ltu.f32 NaN is true", "\tmov.f32 %f1, 0f7FC00000;\n\tsetp.ltu.f32 %p1, %f1, 0f00000000;\n\tselp.u32 %r2, 1, 2, %p1;", 1);
	same("setp.lt.f32 NaN is false", "\tmov.f32 %f1, 0f7FC00000;\n\tsetp.lt.f32 %p1, %f1, 0f00000000;\n\tselp.u32 %r2, 1, 2, %p1;", 2);
	same("max.f32 ignores NaN", "\tmov.f32 %f1, 0f7FC00000;\n\tmax.f32 %f2, %f1, 0f40000000;\n\tmov.b32 %r2, %f2;", 0x40000000);
	instr("predicated branch per lane",
	      "\tsetp.lt.u32 %p1, %r1, 16;\n\tmov.u32 %r2, 5;\n\t@%p1 bra $L__skip;\n\tmov.u32 %r2, 9;\n$L__skip:\n\t@!%p1 add.s32 %r2, %r2, 1;",
	      [](uint32_t lane) { return std::make_pair(lane < 16 ? 5u : 10u, 0u); });
	// shfl.sync at the warp's edges: down by 1 leaves lane 31 its own value
	// with p false; up by 1 leaves lane 0 its own; bfly 16 pairs lane l with
	// l^16; idx 31 broadcasts lane 31.
	const char *shfl_tail = "\tselp.u32 %r3, 1, 0, %p1;";
	instr("shfl.sync.down.b32 edge",
	      "\tadd.s32 %r4, %r1, 100;\n\tshfl.sync.down.b32 %r2|%p1, %r4, 1, 31, -1;\n" + std::string(shfl_tail),
	      [](uint32_t l) { return std::make_pair(l == 31 ? 131u : 101u + l, l == 31 ? 0u : 1u); });
	instr("shfl.sync.up.b32 edge", "\tadd.s32 %r4, %r1, 100;\n\tshfl.sync.up.b32 %r2|%p1, %r4, 1, 0, -1;\n" + std::string(shfl_tail),
	      [](uint32_t l) { return std::make_pair(l == 0 ? 100u : 99u + l, l == 0 ? 0u : 1u); });
	instr("shfl.sync.bfly.b32 16", "\tadd.s32 %r4, %r1, 100;\n\tshfl.sync.bfly.b32 %r2|%p1, %r4, 16, 31, -1;\n" + std::string(shfl_tail),
	      [](uint32_t l) { return std::make_pair(100u + (l ^ 16), 1u); });
	instr("shfl.sync.idx.b32 31", "\tadd.s32 %r4, %r1, 100;\n\tshfl.sync.idx.b32 %r2|%p1, %r4, 31, 31, -1;\n" + std::string(shfl_tail),
	      [](uint32_t) { return std::make_pair(131u, 1u); });
	// A shfl whose mask leaves out lanes that execute it is reported.
	{
		Buf<uint32_t> out(std::vector<uint32_t>(64, 0));
		auto rep = run(instr_kernel("\tshfl.sync.bfly.b32 %r2|%p1, %r1, 1, 31, 65535;"), "t", {1, 1, 1}, {32, 1, 1}, {out.addr()});
		check(has_kind(rep, "shfl"), "shfl with membermask 0xffff over 32 lanes not reported: " + kinds(rep));
	}
}

// ---- checks on small kernels ----
void check_tests() {
	struct {
		const char *what, *body, *kind;
		Dim block;
	} cases[] = {
	    {"misaligned global load", "\tld.global.u32 %r2, [%rd3+2];", "align", {32, 1, 1}},
	    {"global load past the end", "\tld.global.u32 %r2, [%rd3+256];", "bounds", {32, 1, 1}},
	    {"divergent bar.sync", "\tsetp.lt.u32 %p1, %r1, 16;\n\t@%p1 bra $L__a;\n\tbar.sync 0;\n$L__a:\n\tbar.sync 0;", "barrier", {32, 1, 1}},
	    {"block over .maxntid", "", "launch", {64, 1, 1}},
	};
	for (auto &c : cases) {
		std::string ptx = instr_kernel(c.body);
		ptx.replace(ptx.find(")\n{"), 3, ")\n.maxntid 32, 1, 1\n{");
		Buf<uint32_t> out(std::vector<uint32_t>(64, 0));
		auto rep = run(ptx, "t", {1, 1, 1}, c.block, {out.addr()});
		check(has_kind(rep, c.kind), std::string(c.what) + ": want a " + c.kind + " finding, got " + kinds(rep));
	}
	// Shared memory: a read of a word nobody wrote, and a read of one another thread wrote with no barrier between.
	const char *sh = ".version 7.8\n.target sm_80\n.address_size 64\n.visible .entry s(\n\t.param .u64 s_out\n)\n{\n"
	                 "\t.reg .pred %p<2>;\n\t.reg .b32 %r<8>;\n\t.shared .align 4 .b8 buf[256];\n"
	                 "\tmov.u32 %r1, %tid.x;\n\tshl.b32 %r2, %r1, 2;\n\tmov.u32 %r3, buf;\n\tadd.s32 %r4, %r3, %r2;\n"
	                 "\tst.shared.u32 [%r4], %r1;\n\tBARRIER\n\txor.b32 %r5, %r2, READ;\n\tadd.s32 %r6, %r3, %r5;\n"
	                 "\tld.shared.u32 %r7, [%r6];\n\tret;\n}\n";
	auto shared_case = [&](const char *barrier, const char *read) {
		std::string p = sh;
		p.replace(p.find("BARRIER"), 7, barrier);
		p.replace(p.find("READ"), 4, read);
		return run(p, "s", {1, 1, 1}, {32, 1, 1}, {0});
	};
	check(shared_case("bar.sync 0;", "4").empty(), "neighbour's shared word after a barrier: findings " + kinds(shared_case("bar.sync 0;", "4")));
	check(has_kind(shared_case("", "4"), "shared-race") || has_kind(shared_case("", "4"), "uninit"),
	      "neighbour's shared word without a barrier: " + kinds(shared_case("", "4")));
	check(has_kind(shared_case("bar.sync 0;", "128"), "uninit"), "shared word past the written ones: " + kinds(shared_case("bar.sync 0;", "128")));
}

// ---- block orders ----
//
// Every block reads and writes out[0]: the second block to run conflicts
// with the first, and the finding names both, which shows the order.
void block_order_tests() {
	std::string ptx = instr_kernel("\tld.global.u32 %r2, [%rd1];");
	ptx.replace(ptx.find("\tst.global.u32 [%rd3], %r2;"), 0, "\tst.global.u32 [%rd1], %r2;\n");
	Buf<uint32_t> out(std::vector<uint32_t>(4 * 64, 0));
	auto first_race = [&](const char *order) {
		setenv("PTXEMU_BLOCK_ORDER", order, 1);
		auto rep = run(ptx, "t", {4, 1, 1}, {32, 1, 1}, {out.addr()});
		unsetenv("PTXEMU_BLOCK_ORDER");
		for (auto &r : rep)
			if (r.kind == "global-race") return r.text;
		return "no race: " + kinds(rep);
	};
	auto forward = first_race("forward"), reverse = first_race("reverse");
	check(forward.find("block (1,0,0)") != std::string::npos && forward.find("with block 0 ") != std::string::npos,
	      "forward order: " + forward);
	check(reverse.find("block (2,0,0)") != std::string::npos && reverse.find("with block 3 ") != std::string::npos,
	      "reverse order: " + reverse);
	// A shuffle is a fixed permutation per seed; some seed in 1..5 must differ from forward.
	bool differs = false;
	for (const char *seed : {"shuffle:1", "shuffle:2", "shuffle:3", "shuffle:4", "shuffle:5"}) {
		check(first_race(seed) == first_race(seed), std::string(seed) + " is not deterministic");
		differs = differs || first_race(seed) != forward;
	}
	check(differs, "shuffle:1..5 all ran blocks 0 and 1 first");
	setenv("PTXEMU_BLOCK_ORDER", "sideways", 1);
	auto bad = run(ptx, "t", {4, 1, 1}, {32, 1, 1}, {out.addr()});
	unsetenv("PTXEMU_BLOCK_ORDER");
	check(has_kind(bad, "launch"), "PTXEMU_BLOCK_ORDER=sideways accepted: " + kinds(bad));
}

// ---- refused forms ----
void refusal_tests() {
	struct {
		const char *body;
		const char *want;
	} cases[] = {
	    {"\tadd.f16 %r2, %r1, %r1;", "unsupported instruction form add.f16"},
	    {"\tld.local.u32 %r2, [%rd1];", "unsupported instruction form ld.local.u32"},
	    {"\tfrobnicate.b32 %r2, %r1;", "unknown instruction frobnicate.b32"},
	    {"\tcvt.f32.f64 %f1, %fd1;", "rounding required"},
	    {"\tatom.global.add.u32 %r2, [%rd1], 1;", "unknown instruction atom.global.add.u32"},
	    {"\tbar.sync 1;", "only bar.sync 0"},
	};
	for (auto &c : cases) {
		std::string ptx = instr_kernel(c.body);
		// The body's line: the line of the first occurrence of its text.
		int line = 1;
		for (size_t i = 0; i < ptx.find(c.body + 1); i++) line += ptx[i] == '\n';
		auto rep = run(ptx, "t", {1, 1, 1}, {32, 1, 1}, {0});
		std::string want = "line " + std::to_string(line) + ": ";
		check(rep.size() == 1 && rep[0].kind == "parse" && rep[0].text.find(want) == 0 && rep[0].text.find(c.want) != std::string::npos,
		      std::string("refusing '") + c.body + "': got " + kinds(rep) + ", want " + want + "..." + c.want);
	}
}

// ---- mutations of the committed kernels ----

// entry_range returns [begin, end) of kernel's text within ptx.
std::pair<size_t, size_t> entry_range(const std::string &ptx, const std::string &kernel) {
	size_t b = ptx.find(".entry " + kernel + "(");
	size_t e = ptx.find("\n}\n", b);
	if (b == std::string::npos || e == std::string::npos) return {std::string::npos, std::string::npos};
	return {b, e};
}

// mutate replaces the nth occurrence (0-based) of from with to inside kernel's text.
std::string mutate(const std::string &ptx, const std::string &kernel, const std::string &from, const std::string &to, int nth = 0) {
	auto r = entry_range(ptx, kernel);
	if (r.first == std::string::npos) return "";
	size_t p = r.first;
	for (int i = 0; i <= nth; i++) {
		p = ptx.find(from, i == 0 ? p : p + 1);
		if (p == std::string::npos || p >= r.second) return "";
	}
	return ptx.substr(0, p) + to + ptx.substr(p + from.size());
}

struct Case {
	std::string file, kernel;
	Dim grid, block;
	std::function<std::vector<uint64_t>()> args;
};

// expect_caught runs the unmutated kernel (no findings allowed) and the
// mutated one (a finding of kind wanted required).
void expect_caught(const std::string &dir, const std::string &what, const Case &c, const std::string &from,
                   const std::string &to, const std::string &wanted, int nth, std::function<void()> verify_clean) {
	std::string ptx = read_file(dir + "/" + c.file);
	std::string mutant = mutate(ptx, c.kernel, from, to, nth);
	check(!mutant.empty(), what + ": the pattern '" + from + "' is not in " + c.kernel + " (kernels changed? update the test)");
	if (mutant.empty()) return;
	auto clean = run(ptx, c.kernel, c.grid, c.block, c.args());
	check(clean.empty(), what + ": the unmutated " + c.kernel + " has findings: " + kinds(clean));
	verify_clean();
	auto rep = run(mutant, c.kernel, c.grid, c.block, c.args());
	check(has_kind(rep, wanted), what + ": want a " + wanted + " finding, got " + kinds(rep));
	for (auto &r : rep) {
		if (r.kind == wanted) {
			printf("ok: %s: %s\n", what.c_str(), r.text.c_str());
			break;
		}
	}
}

void mutation_tests(const std::string &dir) {
	// column_sums(x, rows, cols, out): 64×40, blocks of 32×16.
	Buf<float> x(std::vector<float>(64 * 40, 0.5f)), sums(std::vector<float>(40, 0));
	Case cs{"reduce.ptx", "column_sums", {2, 1, 1}, {32, 16, 1}, [&] {
		        return std::vector<uint64_t>{x.addr(), 64, 40, sums.addr()};
	        }};
	auto sums_ok = [&] { check(sums.v[0] == 32.0f && sums.v[39] == 32.0f, "column_sums (unmutated) computed the wrong sums"); };
	expect_caught(dir, "bar.sync deleted in column_sums", cs, "bar.sync \t0;", "", "shared-race", 0, sums_ok);
	expect_caught(dir, "column bound off by one in column_sums", cs, "setp.ge.s32 \t%p2, %r2, %r15;",
	              "setp.gt.s32 \t%p2, %r2, %r15;", "bounds", 0, sums_ok);

	// gemm_strided_nn(m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, count):
	// one 128×128×32 product on a 2×2 grid of 64×64 tiles.
	Buf<float> A(std::vector<float>(128 * 32, 1.0f)), B(std::vector<float>(32 * 128, 0.5f)), C(std::vector<float>(128 * 128, 0));
	Case gemm{"gemm.ptx", "gemm_strided_nn", {2, 2, 1}, {256, 1, 1}, [&] {
		          return std::vector<uint64_t>{128, 128, 32, fbits(1.0f), A.addr(), 32, 0, B.addr(), 128, 0, fbits(0.0f), C.addr(), 128, 0, 1};
	          }};
	auto gemm_ok = [&] {
		check(C.v[0] == 16.0f && C.v[128 * 128 - 1] == 16.0f, "gemm_strided_nn (unmutated) computed the wrong product");
	};
	expect_caught(dir, "first bar.sync deleted in gemm_strided_nn", gemm, "bar.sync \t0;", "", "shared-race", 0, gemm_ok);
	expect_caught(dir, "second bar.sync deleted in gemm_strided_nn", gemm, "bar.sync \t0;", "", "shared-race", 1, gemm_ok);
	// The block's C tile starts at ctaid.x·32 rows instead of ·64: it
	// reaches into the neighbouring block's tile.
	expect_caught(dir, "tile index shifted in gemm_strided_nn", gemm, "shl.b32 \t%r54, %r53, 6;", "shl.b32 \t%r54, %r53, 5;",
	              "global-race", 0, gemm_ok);

	// loss_finalize(partials, nparts, lossOut, lossAt): one block of 256 adds 3 partials.
	Buf<double> parts(std::vector<double>{1.5, -2.25, -4.5});
	Buf<float> loss(std::vector<float>(1, 0));
	Case fin{"loss.ptx", "loss_finalize", {1, 1, 1}, {256, 1, 1}, [&] {
		         return std::vector<uint64_t>{parts.addr(), 3, loss.addr(), 0};
	         }};
	expect_caught(dir, "shuffle mask narrowed in loss_finalize", fin, "mov.u32 \t%r32, -1;", "mov.u32 \t%r32, 65535;", "shfl", 0, [&] {
		check(loss.v[0] == -5.25f, "loss_finalize (unmutated) gave " + std::to_string(loss.v[0]) + ", want -5.25");
	});
}

// Every committed PTX file decodes.
void decode_tests(const std::string &dir) {
	for (const char *f : {"activation.ptx", "batchnorm.ptx", "elementwise.ptx", "gemm.ptx", "loss.ptx", "memory.ptx", "optim.ptx", "reduce.ptx"}) {
		ptxemu::Module m;
		std::string err;
		check(ptxemu::parse_module(read_file(dir + "/" + f), m, err), std::string(f) + ": " + err);
	}
}

}  // namespace

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: selftest KERNELS_DIR\n");
		return 2;
	}
	instruction_tests();
	refusal_tests();
	check_tests();
	block_order_tests();
	decode_tests(argv[1]);
	mutation_tests(argv[1]);
	if (failures) {
		printf("ptxemu selftest: %d FAILED\n", failures);
		return 1;
	}
	printf("ptxemu selftest: PASS\n");
	return 0;
}
