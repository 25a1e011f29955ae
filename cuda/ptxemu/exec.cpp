// exec.cpp — runs decoded kernels: the threads of a block interleaved (each
// runs until it parks at bar.sync or shfl.sync or exits; parked threads are
// released together), blocks in the order PTXEMU_BLOCK_ORDER asks for, and
// every memory access checked:
//
//   - global: inside a live allocation and aligned to its size; two blocks
//     of one launch touching one word (4 bytes: the smallest access the
//     interpreter decodes) with at least one write is a race;
//   - shared: in range and aligned; poisoned (NaN) per block and a read of a
//     word no thread of the block has written is reported; two threads
//     touching one word between the same two barriers with at least one
//     write is a race;
//   - bar.sync reached by every live thread at the same instruction;
//     shfl.sync's membermask equal to the lanes that execute it, and no lane
//     reading an inactive one.
//
// With PTXEMU_PROFILE=FILE each launch appends a JSON line: instructions by
// class, 32-byte global sectors per warp-level access (as the memory system
// counts them), shared-memory bank conflicts and barriers.
#include <algorithm>
#include <cfenv>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "ptxemu.h"

namespace ptxemu {
namespace {

// Owner is the race shadow of one 4-byte word: who wrote and read it within
// one interval (a launch for global memory, between two barriers for shared).
struct Owner {
	uint32_t stamp = 0;                // the interval the entry belongs to (older ones are stale)
	int32_t writer = -1, reader = -1;  // block or thread ids; reader -2: several
	int32_t line = 0;                  // the PTX line of the write
};

// conflict records an access by me and returns the id it conflicts with
// (-2: several readers), or -1 when there is none.
int32_t conflict(Owner &o, uint32_t stamp, int32_t me, bool write, int32_t line) {
	if (o.stamp != stamp) {
		o = Owner();
		o.stamp = stamp;
	}
	if (o.writer >= 0 && o.writer != me) return o.writer;
	if (write) {
		if (o.reader == -2 || (o.reader >= 0 && o.reader != me)) return o.reader;
		o.writer = me;
		o.line = line;
	} else {
		o.reader = o.reader == -1 || o.reader == me ? me : -2;
	}
	return -1;
}

// ---- live allocations and their race shadow (one entry per 4-byte word) ----

struct Alloc {
	uint64_t bytes;
	std::vector<Owner> shadow;  // sized on first use by a kernel
};

std::map<uint64_t, Alloc> allocs;
uint32_t launch_seq;

enum State : uint8_t { RUN, AT_BAR, AT_SHFL, EXITED };

struct Thread {
	uint32_t pc = 0;
	uint8_t state = RUN;
	uint32_t gacc = 0, sacc = 0;  // global/shared access ordinals (cost report)
};

// Findings kept per kind and launch (one bug tends to repeat in every thread;
// a cap per kind keeps one kind from hiding another).
const int kMaxPerKind = 4;

struct Launch {
	const Kernel &k;
	Dim grid, block;
	const std::vector<uint8_t> &params;
	std::vector<Report> &reports;
	size_t dropped = 0;
	std::map<std::string, int> per_kind;
	uint32_t n = 0, nslots = 0, bid = 0;  // threads per block, slots per thread, linear block id
	Dim bidx;
	std::vector<uint64_t> regs;
	std::vector<Thread> th;
	std::vector<uint8_t> smem;
	std::vector<uint8_t> sinit;  // per shared word: written in this block
	std::vector<Owner> sshadow;
	uint32_t epoch = 0;
	bool fatal = false;
	Alloc *last = nullptr;
	uint64_t last_base = 0;
	// cost report
	bool profile = false;
	uint64_t cls[K_NCLASS] = {};
	uint64_t barriers = 0, gld_sectors = 0, gst_sectors = 0, gld_bytes = 0, gst_bytes = 0, bank_conflicts = 0;
	uint64_t gld_requests = 0, gst_requests = 0, flops = 0;
	std::vector<std::vector<uint64_t>> wld, wst, wsh;  // per warp: (ordinal<<42 | sector) / shared words

	Launch(const Kernel &kk, Dim g, Dim b, const std::vector<uint8_t> &p, std::vector<Report> &r)
	    : k(kk), grid(g), block(b), params(p), reports(r) {}

	Dim tid(uint32_t t) const { return {t % block.x, t / block.x % block.y, t / (block.x * block.y)}; }

	void report(const char *kind, uint32_t t, int line, const char *fmt, ...) {
		if (++per_kind[kind] > kMaxPerKind) {
			dropped++;
			return;
		}
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		Dim d = tid(t);
		char full[768];
		snprintf(full, sizeof full, "%s: %s block (%u,%u,%u) thread (%u,%u,%u) line %d: %s", kind, k.name.c_str(),
		         bidx.x, bidx.y, bidx.z, d.x, d.y, d.z, line, msg);
		reports.push_back({kind, full});
	}
};

// as reinterprets a value's bits (std::bit_cast is C++20).
template <class To, class From>
inline To as(From v) {
	static_assert(sizeof(To) == sizeof(From), "sizes differ");
	To t;
	memcpy(&t, &v, sizeof t);
	return t;
}
inline float f32(uint64_t v) { return as<float>((uint32_t)v); }
inline uint64_t bits(float f) { return as<uint32_t>(f); }
inline double f64(uint64_t v) { return as<double>(v); }
inline uint64_t bits(double d) { return as<uint64_t>(d); }

inline float ftz32(float x) { return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(0.0f, x) : x; }

int fe_mode(uint8_t rnd) {
	switch (rnd) {
		case R_RZ: case R_RZI: return FE_TOWARDZERO;
		case R_RM: case R_RMI: return FE_DOWNWARD;
		case R_RP: case R_RPI: return FE_UPWARD;
		default: return FE_TONEAREST;
	}
}

// RoundScope switches the host's rounding mode for one operation.
struct RoundScope {
	bool on;
	explicit RoundScope(uint8_t rnd) : on(fe_mode(rnd) != FE_TONEAREST) {
		if (on) fesetround(fe_mode(rnd));
	}
	~RoundScope() {
		if (on) fesetround(FE_TONEAREST);
	}
};

// arith computes the floating-point ops with their rounding, ftz and sat.
template <typename F>
F arith(const Ins &I, F a, F b, F c) {
	if (std::is_same<F, float>::value && I.ftz) {
		a = ftz32(a);
		b = ftz32(b);
		c = ftz32(c);
	}
	volatile F r;
	{
		RoundScope rs(I.rnd);
		switch (I.op) {
			case OP_ADD: r = a + b; break;
			case OP_SUB: r = a - b; break;
			case OP_MUL: r = a * b; break;
			case OP_FMA: r = std::fma(a, b, c); break;
			case OP_DIV: r = a / b; break;
			case OP_SQRT: r = std::sqrt(a); break;
			case OP_RCP: r = F(1) / a; break;
			default: r = 0;
		}
	}
	F out = r;
	if (std::is_same<F, float>::value && I.ftz) out = ftz32(out);
	if (I.sat) out = std::isnan(out) ? F(0) : std::min(std::max(out, F(0)), F(1));
	return out;
}

template <typename T>
bool compare(uint8_t c, T a, T b) {
	bool un = std::isnan((double)a) || std::isnan((double)b);
	switch (c) {
		case C_EQ: return a == b;
		case C_NE: return a != b && !un;
		case C_LT: case C_LO: return a < b;
		case C_LE: case C_LS: return a <= b;
		case C_GT: case C_HI: return a > b;
		case C_GE: case C_HS: return a >= b;
		case C_EQU: return un || a == b;
		case C_NEU: return un || a != b;
		case C_LTU: return un || a < b;
		case C_LEU: return un || a <= b;
		case C_GTU: return un || a > b;
		case C_GEU: return un || a >= b;
		case C_NUM: return !un;
		case C_NAN: return un;
	}
	return false;
}

bool is_signed(uint8_t t) { return t == T_S32 || t == T_S64; }
bool is64(uint8_t t) { return t == T_B64 || t == T_S64 || t == T_U64 || t == T_F64; }

// int_value reads an integer operand of type t as a sign- or zero-extended value.
inline int64_t sval(uint64_t v, uint8_t t) { return is64(t) ? (int64_t)v : (int64_t)(int32_t)(uint32_t)v; }
inline uint64_t uval(uint64_t v, uint8_t t) { return is64(t) ? v : (uint32_t)v; }
inline uint64_t fit(uint64_t v, uint8_t t) { return is64(t) ? v : (uint32_t)v; }

// float_to_int converts with PTX's integer rounding and saturation (NaN -> 0).
uint64_t float_to_int(double x, uint8_t rnd, uint8_t t) {
	if (std::isnan(x)) return 0;
	switch (rnd) {
		case R_RNI: x = std::nearbyint(x); break;
		case R_RMI: x = std::floor(x); break;
		case R_RPI: x = std::ceil(x); break;
		default: x = std::trunc(x);
	}
	switch (t) {
		case T_S32: return (uint32_t)(int32_t)std::min(std::max(x, -2147483648.0), 2147483647.0);
		case T_U32: return (uint32_t)std::min(std::max(x, 0.0), 4294967295.0);
		case T_S64:
			if (x >= 9223372036854775807.0) return (uint64_t)INT64_MAX;
			if (x <= -9223372036854775808.0) return (uint64_t)INT64_MIN;
			return (uint64_t)(int64_t)x;
		default:
			if (x >= 18446744073709551615.0) return UINT64_MAX;
			if (x <= 0) return 0;
			return (uint64_t)x;
	}
}

uint64_t cvt(const Ins &I, uint64_t v) {
	uint8_t d = I.type, s = I.stype;
	bool fd = d == T_F32 || d == T_F64, fs = s == T_F32 || s == T_F64;
	if (!fd && !fs) return fit(is_signed(s) ? (uint64_t)sval(v, s) : uval(v, s), d);
	if (!fd) {
		double x = s == T_F32 ? (double)(I.ftz ? ftz32(f32(v)) : f32(v)) : f64(v);
		return float_to_int(x, I.rnd, d);
	}
	RoundScope rs(I.rnd >= R_RNI ? R_RN : I.rnd);
	if (fs) {
		double x = s == T_F32 ? (double)(I.ftz ? ftz32(f32(v)) : f32(v)) : f64(v);
		if (I.rnd >= R_RNI && I.rnd <= R_RPI && !std::isnan(x) && !std::isinf(x)) {
			x = I.rnd == R_RNI ? std::nearbyint(x) : I.rnd == R_RMI ? std::floor(x) : I.rnd == R_RPI ? std::ceil(x) : std::trunc(x);
		}
		if (d == T_F32) {
			volatile float f = (float)x;
			float out = I.ftz ? ftz32(f) : f;
			if (I.sat) out = std::isnan(out) ? 0.0f : std::min(std::max(out, 0.0f), 1.0f);
			return bits(out);
		}
		double out = x;
		if (I.sat) out = std::isnan(out) ? 0.0 : std::min(std::max(out, 0.0), 1.0);
		return bits(out);
	}
	// integer -> float
	if (d == T_F32) {
		volatile float f = is_signed(s) ? (float)sval(v, s) : (float)uval(v, s);
		float out = f;
		if (I.sat) out = std::min(std::max(out, 0.0f), 1.0f);
		return bits(out);
	}
	volatile double x = is_signed(s) ? (double)sval(v, s) : (double)uval(v, s);
	double out = x;
	if (I.sat) out = std::min(std::max(out, 0.0), 1.0);
	return bits(out);
}

// ---- memory checks ----
bool global_access(Launch &L, uint32_t t, const Ins &I, uint64_t addr, uint32_t bytes, bool write) {
	Alloc *a = nullptr;
	uint64_t base = 0;
	if (L.last && addr >= L.last_base && addr + bytes <= L.last_base + L.last->bytes) {
		a = L.last;
		base = L.last_base;
	} else {
		auto it = allocs.upper_bound(addr);
		if (it != allocs.begin()) {
			--it;
			if (addr >= it->first && addr + bytes <= it->first + it->second.bytes) {
				a = &it->second;
				base = it->first;
			} else if (addr >= it->first && addr < it->first + it->second.bytes + 4096) {
				L.report("bounds", t, I.line, "%s of %u bytes at 0x%" PRIx64 " is %" PRIu64 " bytes into a %" PRIu64 "-byte allocation at 0x%" PRIx64,
				         write ? "store" : "load", bytes, addr, addr - it->first, it->second.bytes, it->first);
				L.fatal = true;
				return false;
			}
		}
		if (!a) {
			L.report("bounds", t, I.line, "%s of %u bytes at 0x%" PRIx64 " is outside every live allocation",
			         write ? "store" : "load", bytes, addr);
			L.fatal = true;
			return false;
		}
		L.last = a;
		L.last_base = base;
	}
	if (addr % bytes) {
		L.report("align", t, I.line, "%s of %u bytes at 0x%" PRIx64 " is not %u-byte aligned", write ? "store" : "load",
		         bytes, addr, bytes);
		L.fatal = true;
		return false;
	}
	if (a->shadow.empty()) a->shadow.resize((a->bytes + 3) / 4);
	int32_t b = (int32_t)L.bid;
	for (uint64_t w = (addr - base) / 4; w < (addr - base + bytes + 3) / 4; w++) {
		Owner &g = a->shadow[w];
		int32_t other = conflict(g, launch_seq, b, write, I.line);
		if (other != -1) {
			L.report("global-race", t, I.line,
			         "%s of byte 0x%" PRIx64 " (offset %" PRIu64 " in a %" PRIu64 "-byte allocation) conflicts with block %s%d (line %d) in the same launch",
			         write ? "store" : "load", base + w * 4, w * 4, a->bytes, other == -2 ? "several, e.g. " : "",
			         other == -2 ? 0 : other, g.line);
			return true;
		}
	}
	if (L.profile) {
		Thread &th = L.th[t];
		auto &v = write ? L.wst[t / 32] : L.wld[t / 32];
		for (uint64_t s = addr >> 5; s <= (addr + bytes - 1) >> 5; s++) v.push_back((uint64_t)th.gacc << 42 | (s & ((1ull << 42) - 1)));
		th.gacc++;
		(write ? L.gst_bytes : L.gld_bytes) += bytes;
	}
	return true;
}

bool shared_access(Launch &L, uint32_t t, const Ins &I, uint64_t addr, uint32_t bytes, bool write) {
	if (addr + bytes > L.k.shared_bytes || addr + bytes < addr) {
		L.report("bounds", t, I.line, "shared %s of %u bytes at offset %" PRIu64 " is outside the block's %u bytes",
		         write ? "store" : "load", bytes, addr, L.k.shared_bytes);
		L.fatal = true;
		return false;
	}
	if (addr % bytes) {
		L.report("align", t, I.line, "shared %s of %u bytes at offset %" PRIu64 " is not aligned", write ? "store" : "load",
		         bytes, addr);
		L.fatal = true;
		return false;
	}
	int32_t me = (int32_t)t;
	for (uint64_t w = addr / 4; w < (addr + bytes + 3) / 4; w++) {
		if (!write && !L.sinit[w]) {
			L.report("uninit", t, I.line, "shared load at offset %" PRIu64 " reads bytes no thread of the block has written", w * 4);
			L.sinit[w] = 1;  // once per word
		}
		if (write) L.sinit[w] = 1;
		Owner &s = L.sshadow[w];
		int32_t other = conflict(s, L.epoch, me, write, I.line);
		if (other != -1) {
			Dim o = L.tid(other < 0 ? 0 : (uint32_t)other);
			L.report("shared-race", t, I.line,
			         "shared %s at offset %" PRIu64 " conflicts with %s (%u,%u,%u) (line %d) with no barrier between",
			         write ? "store" : "load", w * 4, other == -2 ? "several threads, e.g." : "thread", o.x, o.y, o.z, s.line);
		}
	}
	if (L.profile) {
		Thread &th = L.th[t];
		for (uint64_t w = addr / 4; w < (addr + bytes) / 4; w++) L.wsh[t / 32].push_back((uint64_t)th.sacc << 32 | w);
		th.sacc++;
	}
	return true;
}

#define KEY(op, t) ((op) << 4 | (t))

// exec runs thread t until it parks, exits or hits a fatal finding.
void exec(Launch &L, uint32_t t) {
	Thread &th = L.th[t];
	uint64_t *r = &L.regs[(size_t)t * L.nslots];
	const Ins *code = L.k.code.data();
	uint32_t pc = th.pc;
	uint64_t cnt[K_NCLASS] = {}, flops = 0;
	for (;; pc++) {
		const Ins &I = code[pc];
		cnt[I.cls]++;
		if (I.guard >= 0 && (bool)(r[I.guard] & 1) == I.gneg) continue;
		flops += I.flops;
		const uint64_t a = I.a >= 0 ? r[I.a] : 0;
		const uint64_t b = I.b >= 0 ? r[I.b] : 0;
		switch (KEY(I.op, I.type)) {
			// moves
			case KEY(OP_MOV, T_PRED): case KEY(OP_MOV, T_B32): case KEY(OP_MOV, T_S32): case KEY(OP_MOV, T_U32):
			case KEY(OP_MOV, T_F32): r[I.d] = (uint32_t)a; break;
			case KEY(OP_MOV, T_B64): case KEY(OP_MOV, T_S64): case KEY(OP_MOV, T_U64): case KEY(OP_MOV, T_F64):
				r[I.d] = a; break;
			case KEY(OP_PACK, T_B64): case KEY(OP_PACK, T_U64): case KEY(OP_PACK, T_S64): case KEY(OP_PACK, T_F64):
				r[I.d] = (uint32_t)a | b << 32; break;
			case KEY(OP_UNPACK, T_B64): case KEY(OP_UNPACK, T_U64): case KEY(OP_UNPACK, T_S64): case KEY(OP_UNPACK, T_F64):
				r[I.d] = (uint32_t)a;
				r[I.d2] = a >> 32;
				break;
			case KEY(OP_CVTA, T_U64): r[I.d] = a; break;
			// integer arithmetic
			case KEY(OP_ADD, T_S32): case KEY(OP_ADD, T_U32): r[I.d] = (uint32_t)(a + b); break;
			case KEY(OP_ADD, T_S64): case KEY(OP_ADD, T_U64): r[I.d] = a + b; break;
			case KEY(OP_SUB, T_S32): case KEY(OP_SUB, T_U32): r[I.d] = (uint32_t)(a - b); break;
			case KEY(OP_SUB, T_S64): case KEY(OP_SUB, T_U64): r[I.d] = a - b; break;
			case KEY(OP_MUL, T_S32): case KEY(OP_MUL, T_U32): r[I.d] = (uint32_t)(a * b); break;
			case KEY(OP_MUL, T_S64): case KEY(OP_MUL, T_U64): r[I.d] = a * b; break;
			case KEY(OP_MULWIDE, T_S32): r[I.d] = (uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b); break;
			case KEY(OP_MULWIDE, T_U32): r[I.d] = (uint64_t)(uint32_t)a * (uint32_t)b; break;
			case KEY(OP_MULHI, T_S32): r[I.d] = (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b) >> 32); break;
			case KEY(OP_MULHI, T_U32): r[I.d] = (uint32_t)(((uint64_t)(uint32_t)a * (uint32_t)b) >> 32); break;
			case KEY(OP_MULHI, T_S64): r[I.d] = (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64); break;
			case KEY(OP_MULHI, T_U64): r[I.d] = (uint64_t)(((unsigned __int128)a * b) >> 64); break;
			case KEY(OP_MAD, T_S32): case KEY(OP_MAD, T_U32): r[I.d] = (uint32_t)(a * b + r[I.c]); break;
			case KEY(OP_MAD, T_S64): case KEY(OP_MAD, T_U64): r[I.d] = a * b + r[I.c]; break;
			case KEY(OP_DIV, T_U32): r[I.d] = (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0xffffffffu; break;
			case KEY(OP_DIV, T_U64): r[I.d] = b ? a / b : ~0ull; break;
			case KEY(OP_REM, T_U32): r[I.d] = (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a; break;
			case KEY(OP_REM, T_U64): r[I.d] = b ? a % b : a; break;
			case KEY(OP_DIV, T_S32): case KEY(OP_DIV, T_S64): case KEY(OP_REM, T_S32): case KEY(OP_REM, T_S64): {
				int64_t x = sval(a, I.type), y = sval(b, I.type), q;
				if (y == 0) q = I.op == OP_DIV ? -1 : x;
				else if (y == -1) q = I.op == OP_DIV ? (int64_t)(0 - (uint64_t)x) : 0;
				else q = I.op == OP_DIV ? x / y : x % y;
				r[I.d] = fit((uint64_t)q, I.type);
				break;
			}
			case KEY(OP_ABS, T_S32): r[I.d] = (uint32_t)((int32_t)a < 0 ? 0 - (uint32_t)a : (uint32_t)a); break;
			case KEY(OP_ABS, T_S64): r[I.d] = (int64_t)a < 0 ? 0 - a : a; break;
			case KEY(OP_NEG, T_S32): r[I.d] = (uint32_t)(0 - (uint32_t)a); break;
			case KEY(OP_NEG, T_S64): r[I.d] = 0 - a; break;
			case KEY(OP_MIN, T_S32): case KEY(OP_MIN, T_S64): r[I.d] = fit((uint64_t)std::min(sval(a, I.type), sval(b, I.type)), I.type); break;
			case KEY(OP_MAX, T_S32): case KEY(OP_MAX, T_S64): r[I.d] = fit((uint64_t)std::max(sval(a, I.type), sval(b, I.type)), I.type); break;
			case KEY(OP_MIN, T_U32): case KEY(OP_MIN, T_U64): r[I.d] = std::min(uval(a, I.type), uval(b, I.type)); break;
			case KEY(OP_MAX, T_U32): case KEY(OP_MAX, T_U64): r[I.d] = std::max(uval(a, I.type), uval(b, I.type)); break;
			// bits
			case KEY(OP_AND, T_B32): case KEY(OP_AND, T_B64): case KEY(OP_AND, T_PRED): r[I.d] = a & b; break;
			case KEY(OP_OR, T_B32): case KEY(OP_OR, T_B64): case KEY(OP_OR, T_PRED): r[I.d] = a | b; break;
			case KEY(OP_XOR, T_B32): case KEY(OP_XOR, T_B64): case KEY(OP_XOR, T_PRED): r[I.d] = a ^ b; break;
			case KEY(OP_NOT, T_B32): r[I.d] = (uint32_t)~a; break;
			case KEY(OP_NOT, T_B64): r[I.d] = ~a; break;
			case KEY(OP_NOT, T_PRED): r[I.d] = !(a & 1); break;
			case KEY(OP_SHL, T_B32): r[I.d] = (uint32_t)b >= 32 ? 0 : (uint32_t)((uint32_t)a << (uint32_t)b); break;
			case KEY(OP_SHL, T_B64): r[I.d] = (uint32_t)b >= 64 ? 0 : a << (uint32_t)b; break;
			case KEY(OP_SHR, T_B32): case KEY(OP_SHR, T_U32): r[I.d] = (uint32_t)b >= 32 ? 0 : (uint32_t)a >> (uint32_t)b; break;
			case KEY(OP_SHR, T_B64): case KEY(OP_SHR, T_U64): r[I.d] = (uint32_t)b >= 64 ? 0 : a >> (uint32_t)b; break;
			case KEY(OP_SHR, T_S32): r[I.d] = (uint32_t)((int32_t)a >> std::min((uint32_t)b, 31u)); break;
			case KEY(OP_SHR, T_S64): r[I.d] = (uint64_t)((int64_t)a >> std::min((uint32_t)b, 63u)); break;
			// floating point
			case KEY(OP_ADD, T_F32): case KEY(OP_SUB, T_F32): case KEY(OP_MUL, T_F32): case KEY(OP_DIV, T_F32):
			case KEY(OP_SQRT, T_F32):
				if (I.rnd == R_RN && !I.ftz && !I.sat) {
					float x = f32(a), y = f32(b), z;
					switch (I.op) {
						case OP_ADD: z = x + y; break;
						case OP_SUB: z = x - y; break;
						case OP_MUL: z = x * y; break;
						case OP_DIV: z = x / y; break;
						default: z = std::sqrt(x);
					}
					r[I.d] = bits(z);
				} else {
					r[I.d] = bits(arith<float>(I, f32(a), f32(b), 0));
				}
				break;
			case KEY(OP_FMA, T_F32):
				r[I.d] = bits(I.rnd == R_RN && !I.ftz && !I.sat ? std::fma(f32(a), f32(b), f32(r[I.c]))
				                                                : arith<float>(I, f32(a), f32(b), f32(r[I.c])));
				break;
			case KEY(OP_ADD, T_F64): case KEY(OP_SUB, T_F64): case KEY(OP_MUL, T_F64): case KEY(OP_DIV, T_F64):
			case KEY(OP_SQRT, T_F64): case KEY(OP_FMA, T_F64):
				r[I.d] = bits(arith<double>(I, f64(a), f64(b), I.c >= 0 ? f64(r[I.c]) : 0));
				break;
			case KEY(OP_RCP, T_F32):
				if (I.rnd == R_APPROX) r[I.d] = bits(ftz32(1.0f / ftz32(f32(a))));
				else r[I.d] = bits(arith<float>(I, f32(a), 0, 0));
				break;
			case KEY(OP_RCP, T_F64):
				// rcp.approx.ftz.f64 is a seed that nvcc's division refines with
				// Newton steps; the exact reciprocal is within its error bound.
				r[I.d] = bits(I.rnd == R_APPROX ? 1.0 / f64(a) : arith<double>(I, f64(a), 0, 0));
				break;
			case KEY(OP_EX2, T_F32): r[I.d] = bits(ftz32(std::exp2(ftz32(f32(a))))); break;
			case KEY(OP_LG2, T_F32): r[I.d] = bits(ftz32(std::log2(ftz32(f32(a))))); break;
			case KEY(OP_ABS, T_F32): r[I.d] = (uint32_t)a & 0x7fffffffu; break;
			case KEY(OP_ABS, T_F64): r[I.d] = a & 0x7fffffffffffffffull; break;
			case KEY(OP_NEG, T_F32): r[I.d] = (uint32_t)a ^ 0x80000000u; break;
			case KEY(OP_NEG, T_F64): r[I.d] = a ^ 0x8000000000000000ull; break;
			case KEY(OP_MIN, T_F32): r[I.d] = bits(std::fmin(f32(a), f32(b))); break;
			case KEY(OP_MAX, T_F32): r[I.d] = bits(std::fmax(f32(a), f32(b))); break;
			case KEY(OP_MIN, T_F64): r[I.d] = bits(std::fmin(f64(a), f64(b))); break;
			case KEY(OP_MAX, T_F64): r[I.d] = bits(std::fmax(f64(a), f64(b))); break;
			// comparisons and selection
			case KEY(OP_SETP, T_S32): r[I.d] = compare<int32_t>(I.cmp, (int32_t)a, (int32_t)b); break;
			case KEY(OP_SETP, T_U32): case KEY(OP_SETP, T_B32): r[I.d] = compare<uint32_t>(I.cmp, (uint32_t)a, (uint32_t)b); break;
			case KEY(OP_SETP, T_S64): r[I.d] = compare<int64_t>(I.cmp, (int64_t)a, (int64_t)b); break;
			case KEY(OP_SETP, T_U64): case KEY(OP_SETP, T_B64): r[I.d] = compare<uint64_t>(I.cmp, a, b); break;
			case KEY(OP_SETP, T_F32): r[I.d] = compare<float>(I.cmp, f32(a), f32(b)); break;
			case KEY(OP_SETP, T_F64): r[I.d] = compare<double>(I.cmp, f64(a), f64(b)); break;
			case KEY(OP_SELP, T_B32): case KEY(OP_SELP, T_S32): case KEY(OP_SELP, T_U32): case KEY(OP_SELP, T_F32):
			case KEY(OP_SELP, T_B64): case KEY(OP_SELP, T_S64): case KEY(OP_SELP, T_U64): case KEY(OP_SELP, T_F64):
				r[I.d] = fit((r[I.c] & 1) ? a : b, I.type);
				break;
			// memory
			case KEY(OP_LDPARAM, T_B32): case KEY(OP_LDPARAM, T_S32): case KEY(OP_LDPARAM, T_U32): case KEY(OP_LDPARAM, T_F32): {
				uint32_t v;
				memcpy(&v, L.params.data() + I.off, 4);
				// A .s32 load into a 64-bit register sign-extends.
				r[I.d] = I.type == T_S32 ? (uint64_t)(int64_t)(int32_t)v : v;
				break;
			}
			case KEY(OP_LDPARAM, T_B64): case KEY(OP_LDPARAM, T_S64): case KEY(OP_LDPARAM, T_U64): case KEY(OP_LDPARAM, T_F64):
				memcpy(&r[I.d], L.params.data() + I.off, 8);
				break;
			case KEY(OP_LDG, T_B32): case KEY(OP_LDG, T_S32): case KEY(OP_LDG, T_U32): case KEY(OP_LDG, T_F32):
			case KEY(OP_LDG, T_B64): case KEY(OP_LDG, T_S64): case KEY(OP_LDG, T_U64): case KEY(OP_LDG, T_F64):
			case KEY(OP_STG, T_B32): case KEY(OP_STG, T_S32): case KEY(OP_STG, T_U32): case KEY(OP_STG, T_F32):
			case KEY(OP_STG, T_B64): case KEY(OP_STG, T_S64): case KEY(OP_STG, T_U64): case KEY(OP_STG, T_F64):
			case KEY(OP_LDS, T_B32): case KEY(OP_LDS, T_S32): case KEY(OP_LDS, T_U32): case KEY(OP_LDS, T_F32):
			case KEY(OP_LDS, T_B64): case KEY(OP_LDS, T_S64): case KEY(OP_LDS, T_U64): case KEY(OP_LDS, T_F64):
			case KEY(OP_STS, T_B32): case KEY(OP_STS, T_S32): case KEY(OP_STS, T_U32): case KEY(OP_STS, T_F32):
			case KEY(OP_STS, T_B64): case KEY(OP_STS, T_S64): case KEY(OP_STS, T_U64): case KEY(OP_STS, T_F64): {
				bool global = I.op == OP_LDG || I.op == OP_STG, write = I.op == OP_STG || I.op == OP_STS;
				uint32_t w = I.width, bytes = w * I.nvec;
				uint64_t addr = global ? a + (uint64_t)I.off : (uint64_t)(uint32_t)(a + (uint64_t)I.off);
				if (!(global ? global_access(L, t, I, addr, bytes, write) : shared_access(L, t, I, addr, bytes, write))) {
					th.state = EXITED;
					th.pc = pc;
					goto out;
				}
				uint8_t *p = global ? (uint8_t *)(uintptr_t)addr : L.smem.data() + addr;
				for (unsigned i = 0; i < I.nvec; i++) {
					if (write) {
						memcpy(p + i * w, &r[I.v[i]], w);
					} else {
						uint64_t v = 0;
						memcpy(&v, p + i * w, w);
						r[I.v[i]] = I.type == T_S32 ? (uint64_t)(int64_t)(int32_t)v : v;
					}
				}
				break;
			}
			case KEY(OP_CVT, T_S32): case KEY(OP_CVT, T_U32): case KEY(OP_CVT, T_S64): case KEY(OP_CVT, T_U64):
			case KEY(OP_CVT, T_B32): case KEY(OP_CVT, T_B64): case KEY(OP_CVT, T_F32): case KEY(OP_CVT, T_F64):
				r[I.d] = cvt(I, a);
				break;
			// control
			case KEY(OP_BRA, T_NONE): pc = (uint32_t)I.off - 1; break;
			case KEY(OP_RET, T_NONE): th.state = EXITED; th.pc = pc; goto out;
			case KEY(OP_BAR, T_NONE): th.state = AT_BAR; th.pc = pc; goto out;
			case KEY(OP_SHFL, T_B32): th.state = AT_SHFL; th.pc = pc; goto out;
			default:
				L.report("launch", t, I.line, "internal error: no implementation for %s", I.text);
				L.fatal = true;
				th.state = EXITED;
				goto out;
		}
	}
out:
	for (int i = 0; i < K_NCLASS; i++) L.cls[i] += cnt[i];
	L.flops += flops;
}

// shuffle executes the shfl.sync that the lanes in group (a mask of warp w) wait at.
void shuffle(Launch &L, uint32_t w, uint32_t group, uint32_t pc) {
	const Ins &I = L.k.code[pc];
	uint32_t base = w * 32;
	auto reg = [&](uint32_t lane, int slot) -> uint64_t & { return L.regs[(size_t)(base + lane) * L.nslots + slot]; };
	uint32_t vals[32] = {}, preds[32] = {};
	bool mask_reported = false;
	for (uint32_t lane = 0; lane < 32; lane++) {
		if (!(group >> lane & 1)) continue;
		uint32_t mask = (uint32_t)reg(lane, I.e);
		if (mask != group && !mask_reported) {
			L.report("shfl", base + lane, I.line, "shfl.sync membermask 0x%08x but the lanes executing it are 0x%08x", mask, group);
			mask_reported = true;
		}
		uint32_t bval = (uint32_t)reg(lane, I.b) & 31, c = (uint32_t)reg(lane, I.c);
		uint32_t cval = c & 31, seg = c >> 8 & 31;
		uint32_t maxl = (lane & seg) | (cval & ~seg), minl = lane & seg;
		int32_t j;
		bool p;
		switch (I.width) {
			case SH_UP: j = (int32_t)lane - (int32_t)bval; p = j >= (int32_t)maxl; break;
			case SH_DOWN: j = (int32_t)(lane + bval); p = j <= (int32_t)maxl; break;
			case SH_BFLY: j = (int32_t)(lane ^ bval); p = j <= (int32_t)maxl; break;
			default: j = (int32_t)(minl | (bval & ~seg)); p = j <= (int32_t)maxl; break;
		}
		if (!p) j = (int32_t)lane;
		if (!(group >> j & 1) && !mask_reported) {
			L.report("shfl", base + lane, I.line, "shfl.sync reads lane %d, which does not execute it (lanes 0x%08x)", j, group);
			mask_reported = true;
		}
		vals[lane] = (uint32_t)reg((uint32_t)j, I.a);
		preds[lane] = p;
	}
	for (uint32_t lane = 0; lane < 32; lane++) {
		if (!(group >> lane & 1)) continue;
		reg(lane, I.d) = vals[lane];
		if (I.d2 >= 0) reg(lane, I.d2) = preds[lane];
		Thread &th = L.th[base + lane];
		th.pc = pc + 1;
		th.state = RUN;
	}
}

// count_sectors adds the distinct (ordinal, sector) pairs of one warp's accesses.
uint64_t count_unique(std::vector<uint64_t> &v, uint64_t *requests) {
	std::sort(v.begin(), v.end());
	uint64_t n = 0, req = 0;
	for (size_t i = 0; i < v.size(); i++) {
		if (i == 0 || v[i] != v[i - 1]) n++;
		if (i == 0 || v[i] >> 42 != v[i - 1] >> 42) req++;
	}
	v.clear();
	if (requests) *requests += req;
	return n;
}

// bank_conflicts counts extra wavefronts of one warp's shared accesses: per
// warp-level access, the most distinct words in one bank beyond what the
// access's size needs.
uint64_t bank_conflicts(std::vector<uint64_t> &v) {
	std::sort(v.begin(), v.end());
	v.erase(std::unique(v.begin(), v.end()), v.end());
	uint64_t extra = 0;
	for (size_t i = 0; i < v.size();) {
		size_t j = i;
		unsigned per_bank[32] = {};
		while (j < v.size() && v[j] >> 32 == v[i] >> 32) per_bank[v[j++] & 31]++;
		unsigned most = *std::max_element(per_bank, per_bank + 32);
		unsigned need = (unsigned)((j - i + 31) / 32);
		if (most > need) extra += most - need;
		i = j;
	}
	v.clear();
	return extra;
}

void run_block(Launch &L) {
	const Kernel &k = L.k;
	uint32_t n = L.n;
	for (uint32_t t = 0; t < n; t++) {
		L.th[t] = Thread();
		uint64_t *r = &L.regs[(size_t)t * L.nslots];
		uint64_t *s = r + k.nregs;
		Dim d = L.tid(t);
		s[S_TID_X] = d.x, s[S_TID_Y] = d.y, s[S_TID_Z] = d.z;
		s[S_NTID_X] = L.block.x, s[S_NTID_Y] = L.block.y, s[S_NTID_Z] = L.block.z;
		s[S_CTAID_X] = L.bidx.x, s[S_CTAID_Y] = L.bidx.y, s[S_CTAID_Z] = L.bidx.z;
		s[S_NCTAID_X] = L.grid.x, s[S_NCTAID_Y] = L.grid.y, s[S_NCTAID_Z] = L.grid.z;
		s[S_LANEID] = t % 32, s[S_WARPID] = t / 32;
	}
	std::fill(L.smem.begin(), L.smem.end(), 0xff);  // NaN: poison
	std::fill(L.sinit.begin(), L.sinit.end(), 0);
	L.epoch++;
	for (;;) {
		for (uint32_t t = 0; t < n; t++) {
			if (L.th[t].state == RUN) exec(L, t);
			if (L.fatal) return;
		}
		bool progress = false;
		for (uint32_t w = 0; w * 32 < n; w++) {
			uint32_t group = 0, pc = 0;
			for (uint32_t lane = 0; lane < 32 && w * 32 + lane < n; lane++) {
				const Thread &th = L.th[w * 32 + lane];
				if (th.state != AT_SHFL) continue;
				if (!group) pc = th.pc;
				if (th.pc == pc) group |= 1u << lane;
			}
			if (group) {
				shuffle(L, w, group, pc);
				progress = true;
			}
		}
		if (progress) continue;
		uint32_t live = 0, first = 0;
		for (uint32_t t = 0; t < n; t++) {
			const Thread &th = L.th[t];
			if (th.state == EXITED) continue;
			if (live == 0) first = t;
			live++;
			if (th.pc != L.th[first].pc) {
				L.report("barrier", t, k.code[th.pc].line,
				         "waits at the bar.sync on this line while thread %u waits at the one on line %d (divergent barrier)", first,
				         k.code[L.th[first].pc].line);
				L.fatal = true;
				return;
			}
		}
		if (live == 0) break;
		for (uint32_t t = 0; t < n; t++) {
			Thread &th = L.th[t];
			if (th.state == AT_BAR) {
				th.state = RUN;
				th.pc++;
			}
		}
		L.barriers++;
		L.epoch++;
	}
	if (L.profile) {
		for (uint32_t w = 0; w * 32 < n; w++) {
			L.gld_sectors += count_unique(L.wld[w], &L.gld_requests);
			L.gst_sectors += count_unique(L.wst[w], &L.gst_requests);
			L.bank_conflicts += bank_conflicts(L.wsh[w]);
		}
	}
}

// block_order lists linear block ids as PTXEMU_BLOCK_ORDER asks.
std::vector<uint32_t> block_order(uint32_t nblocks, std::vector<Report> &reports) {
	std::vector<uint32_t> order(nblocks);
	for (uint32_t i = 0; i < nblocks; i++) order[i] = i;
	const char *env = getenv("PTXEMU_BLOCK_ORDER");
	std::string o = env ? env : "forward";
	if (o == "forward" || o.empty()) return order;
	if (o == "reverse") {
		std::reverse(order.begin(), order.end());
		return order;
	}
	if (o.compare(0, 8, "shuffle:") == 0) {
		uint64_t s = strtoull(o.c_str() + 8, nullptr, 10) + 0x9e3779b97f4a7c15ull;
		for (uint32_t i = nblocks; i > 1; i--) {
			// splitmix64
			uint64_t z = (s += 0x9e3779b97f4a7c15ull);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
			std::swap(order[i - 1], order[z % i]);
		}
		return order;
	}
	reports.push_back({"launch", "PTXEMU_BLOCK_ORDER=" + o + ": want forward, reverse or shuffle:SEED"});
	return {};
}

void write_profile(const Launch &L) {
	const char *path = getenv("PTXEMU_PROFILE");
	FILE *f = fopen(path, "a");
	if (!f) return;
	static const char *names[K_NCLASS] = {"int", "fp32", "fp64", "sfu", "cvt", "global", "shared", "control"};
	fprintf(f, "{\"kernel\":\"%s\",\"grid\":[%u,%u,%u],\"block\":[%u,%u,%u],\"instructions\":{", L.k.name.c_str(), L.grid.x,
	        L.grid.y, L.grid.z, L.block.x, L.block.y, L.block.z);
	uint64_t total = 0;
	for (int i = 0; i < K_NCLASS; i++) {
		fprintf(f, "\"%s\":%" PRIu64 ",", names[i], L.cls[i]);
		total += L.cls[i];
	}
	fprintf(f,
	        "\"total\":%" PRIu64 "},\"flops\":%" PRIu64 ",\"global_load_requests\":%" PRIu64 ",\"global_store_requests\":%" PRIu64
	        ",\"global_load_sectors\":%" PRIu64 ",\"global_store_sectors\":%" PRIu64 ",\"global_load_bytes\":%" PRIu64
	        ",\"global_store_bytes\":%" PRIu64 ",\"shared_bank_conflicts\":%" PRIu64 ",\"barriers\":%" PRIu64 "}\n",
	        total, L.flops, L.gld_requests, L.gst_requests, L.gld_sectors, L.gst_sectors, L.gld_bytes, L.gst_bytes, L.bank_conflicts,
	        L.barriers);
	fclose(f);
}

}  // namespace

void mem_register(uint64_t base, uint64_t bytes) { allocs[base] = Alloc{bytes, {}}; }
void mem_unregister(uint64_t base) { allocs.erase(base); }

bool launch(const Kernel &k, Dim grid, Dim block, const std::vector<uint8_t> &params, std::vector<Report> &reports) {
	Launch L(k, grid, block, params, reports);
	L.n = block.x * block.y * block.z;
	const uint32_t *mx = k.maxntid, *rq = k.reqntid;
	if (mx[0] && (uint64_t)L.n > (uint64_t)mx[0] * mx[1] * mx[2]) {
		reports.push_back({"launch", k.name + ": block " + std::to_string(block.x) + "x" + std::to_string(block.y) + "x" +
		                                 std::to_string(block.z) + " exceeds .maxntid " + std::to_string(mx[0]) + ", " +
		                                 std::to_string(mx[1]) + ", " + std::to_string(mx[2])});
		return false;
	}
	if (rq[0] && (block.x != rq[0] || block.y != rq[1] || block.z != rq[2])) {
		reports.push_back({"launch", k.name + ": block " + std::to_string(block.x) + "x" + std::to_string(block.y) + "x" +
		                                 std::to_string(block.z) + " differs from .reqntid " + std::to_string(rq[0]) + ", " +
		                                 std::to_string(rq[1]) + ", " + std::to_string(rq[2])});
		return false;
	}
	if (params.size() != k.param_bytes) {
		reports.push_back({"launch", k.name + ": " + std::to_string(params.size()) + " bytes of parameters, its .entry declares " +
		                                 std::to_string(k.param_bytes)});
		return false;
	}
	L.nslots = k.nregs + kSpecials + (uint32_t)k.consts.size();
	L.regs.assign((size_t)L.n * L.nslots, 0);
	for (uint32_t t = 0; t < L.n; t++)
		std::copy(k.consts.begin(), k.consts.end(), L.regs.begin() + (size_t)t * L.nslots + k.nregs + kSpecials);
	L.th.resize(L.n);
	L.smem.resize(k.shared_bytes);
	L.sinit.resize((k.shared_bytes + 3) / 4);
	L.sshadow.resize((k.shared_bytes + 3) / 4);
	L.profile = getenv("PTXEMU_PROFILE") && *getenv("PTXEMU_PROFILE");
	if (L.profile) {
		uint32_t warps = (L.n + 31) / 32;
		L.wld.resize(warps);
		L.wst.resize(warps);
		L.wsh.resize(warps);
	}
	launch_seq++;
	uint32_t nblocks = grid.x * grid.y * grid.z;
	std::vector<uint32_t> order = block_order(nblocks, reports);
	if (order.empty()) return false;
	for (uint32_t id : order) {
		L.bid = id;
		L.bidx = {id % grid.x, id / grid.x % grid.y, id / (grid.x * grid.y)};
		run_block(L);
		if (L.fatal) break;
	}
	if (L.dropped) reports.push_back({"more", std::to_string(L.dropped) + " more findings not shown"});
	if (L.profile) write_profile(L);
	return !L.fatal;
}

}  // namespace ptxemu
