// parse.cpp — PTX text to decoded kernels. Every instruction form is checked
// against what the interpreter implements; anything else is an error naming
// the line, never skipped.
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <unordered_map>

#include "ptxemu.h"

namespace ptxemu {
namespace {

struct Fail {
	int line;
	std::string what;
};

// Operand slots while parsing; finish() maps them after the registers.
const int kSpecialBase = 1 << 24, kConstBase = 1 << 25;

[[noreturn]] void fail(int line, const std::string &what) { throw Fail{line, what}; }

std::string trim(const std::string &s) {
	size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
	return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// split_operands splits at top-level commas (not inside {} or []).
std::vector<std::string> split_operands(const std::string &s) {
	std::vector<std::string> out;
	int depth = 0;
	std::string cur;
	for (char ch : s) {
		if (ch == '{' || ch == '[') depth++;
		if (ch == '}' || ch == ']') depth--;
		if (ch == ',' && depth == 0) {
			out.push_back(trim(cur));
			cur.clear();
		} else {
			cur += ch;
		}
	}
	if (!trim(cur).empty()) out.push_back(trim(cur));
	return out;
}

std::vector<std::string> split(const std::string &s, char sep) {
	std::vector<std::string> out;
	std::string cur;
	for (char ch : s) {
		if (ch == sep) {
			out.push_back(cur);
			cur.clear();
		} else {
			cur += ch;
		}
	}
	out.push_back(cur);
	return out;
}

Type type_of(const std::string &t) {
	static const std::map<std::string, Type> m = {
	    {"pred", T_PRED}, {"b32", T_B32}, {"s32", T_S32}, {"u32", T_U32}, {"b64", T_B64},
	    {"s64", T_S64},   {"u64", T_U64}, {"f32", T_F32}, {"f64", T_F64}};
	auto it = m.find(t);
	return it == m.end() ? T_NONE : it->second;
}

unsigned type_bytes(Type t) {
	switch (t) {
		case T_B64: case T_S64: case T_U64: case T_F64: return 8;
		case T_PRED: return 1;
		default: return 4;
	}
}

bool is_float(Type t) { return t == T_F32 || t == T_F64; }
bool is_int(Type t) { return t == T_B32 || t == T_S32 || t == T_U32 || t == T_B64 || t == T_S64 || t == T_U64; }

// Decoder state for one kernel.
// A module-level .shared variable: placed in a kernel's window when the
// kernel first names it.
struct SharedDecl {
	std::string stmt;
	int line;
};

struct KernelParser {
	Kernel &k;
	const std::map<std::string, SharedDecl> &module_shared;
	std::unordered_map<std::string, int> regs;       // register name -> slot
	std::unordered_map<std::string, uint32_t> shared;  // .shared symbol -> offset
	std::map<uint64_t, int> const_slots;
	std::map<std::string, int> labels;
	std::vector<std::pair<size_t, std::string>> branches;  // ins index, label
	int line = 0;

	KernelParser(Kernel &kk, const std::map<std::string, SharedDecl> &ms) : k(kk), module_shared(ms) {}

	// shared_symbol finds a .shared variable of the kernel or of the module.
	const uint32_t *shared_symbol(const std::string &name) {
		auto it = shared.find(name);
		if (it != shared.end()) return &it->second;
		auto m = module_shared.find(name);
		if (m == module_shared.end()) return nullptr;
		declare_shared(m->second.stmt);
		return &shared.at(name);
	}

	void declare_reg(const std::string &decl) {
		// ".reg .b32 %r<49>" or ".reg .b32 %temp"
		std::istringstream in(decl);
		std::string dir, ty, names;
		in >> dir >> ty;
		std::getline(in, names);
		if (type_of(ty.substr(1)) == T_NONE && ty != ".b16" && ty != ".b8") fail(line, "unsupported register type " + ty);
		for (auto n : split(names, ',')) {
			n = trim(n);
			size_t lt = n.find('<');
			if (lt == std::string::npos) {
				if (!regs.count(n)) regs[n] = (int)k.nregs++;
				continue;
			}
			int count = atoi(n.c_str() + lt + 1);
			std::string base = n.substr(0, lt);
			for (int i = 0; i < count; i++) {
				std::string name = base + std::to_string(i);
				if (!regs.count(name)) regs[name] = (int)k.nregs++;
			}
		}
	}

	void declare_shared(const std::string &decl) {
		// ".shared .align 8 .b8 name[4224]"
		std::istringstream in(decl);
		std::string w;
		uint32_t align = 1, elem = 1;
		std::string name;
		in >> w;  // .shared
		while (in >> w) {
			if (w == ".align") {
				in >> align;
			} else if (w[0] == '.') {
				Type t = type_of(w.substr(1));
				elem = w == ".b8" || w == ".u8" || w == ".s8" ? 1 : t == T_NONE ? 0 : type_bytes(t);
				if (elem == 0) fail(line, "unsupported .shared element type " + w);
			} else {
				name = w;
			}
		}
		size_t br = name.find('[');
		uint32_t count = 1;
		if (br != std::string::npos) {
			count = (uint32_t)strtoul(name.c_str() + br + 1, nullptr, 10);
			if (count == 0) fail(line, "dynamic (extern) .shared arrays are not supported");
			name = name.substr(0, br);
		}
		if (align == 0 || (align & (align - 1))) fail(line, "bad .align");
		k.shared_bytes = (k.shared_bytes + align - 1) / align * align;
		shared[name] = k.shared_bytes;
		k.shared_bytes += count * elem;
	}

	int const_slot(uint64_t v) {
		auto it = const_slots.find(v);
		if (it != const_slots.end()) return it->second;
		int s = kConstBase + (int)k.consts.size();
		k.consts.push_back(v);
		const_slots[v] = s;
		return s;
	}

	// operand resolves a register, special register, immediate or shared symbol.
	int operand(const std::string &s) {
		if (s.empty()) fail(line, "missing operand");
		if (s[0] == '%') {
			auto it = regs.find(s);
			if (it != regs.end()) return it->second;
			static const std::map<std::string, int> sp = {
			    {"%tid.x", S_TID_X},       {"%tid.y", S_TID_Y},       {"%tid.z", S_TID_Z},
			    {"%ntid.x", S_NTID_X},     {"%ntid.y", S_NTID_Y},     {"%ntid.z", S_NTID_Z},
			    {"%ctaid.x", S_CTAID_X},   {"%ctaid.y", S_CTAID_Y},   {"%ctaid.z", S_CTAID_Z},
			    {"%nctaid.x", S_NCTAID_X}, {"%nctaid.y", S_NCTAID_Y}, {"%nctaid.z", S_NCTAID_Z},
			    {"%laneid", S_LANEID},     {"%warpid", S_WARPID}};
			auto si = sp.find(s);
			if (si != sp.end()) return kSpecialBase + si->second;
			fail(line, "undeclared register " + s);
		}
		if (s.size() == 10 && (s.compare(0, 2, "0f") == 0 || s.compare(0, 2, "0F") == 0))
			return const_slot(strtoull(s.c_str() + 2, nullptr, 16));
		if (s.size() == 18 && (s.compare(0, 2, "0d") == 0 || s.compare(0, 2, "0D") == 0))
			return const_slot(strtoull(s.c_str() + 2, nullptr, 16));
		if (isdigit((unsigned char)s[0]) || s[0] == '-') {
			char *end;
			long long v = strtoll(s.c_str(), &end, 0);
			if (*end == 'U') end++;
			if (*end) fail(line, "bad immediate " + s);
			return const_slot((uint64_t)v);
		}
		if (const uint32_t *off = shared_symbol(s)) return const_slot(*off);
		fail(line, "unknown operand " + s);
	}

	// address parses "[base+off]", "[base]", "[sym]" into a base slot and offset.
	void address(const std::string &s, Ins &I, bool param) {
		if (s.size() < 2 || s.front() != '[' || s.back() != ']') fail(line, "bad address " + s);
		std::string in = trim(s.substr(1, s.size() - 2));
		size_t plus = in.find('+');
		std::string base = trim(in.substr(0, plus));
		I.off = plus == std::string::npos ? 0 : strtoll(trim(in.substr(plus + 1)).c_str(), nullptr, 0);
		if (param) {
			for (auto &p : k.params)
				if (p.name == base) {
					I.off += p.offset;
					return;
				}
			fail(line, "unknown parameter " + base);
		}
		if (const uint32_t *off = shared_symbol(base)) {
			I.a = const_slot(0);
			I.off += *off;
			return;
		}
		I.a = operand(base);
	}

	std::vector<int> vector_regs(const std::string &s) {
		if (s.size() < 2 || s.front() != '{' || s.back() != '}') fail(line, "expected {..}: " + s);
		std::vector<int> out;
		for (auto &r : split_operands(s.substr(1, s.size() - 2))) out.push_back(operand(r));
		return out;
	}

	void need(const std::vector<std::string> &ops, size_t n, const std::string &mn) {
		if (ops.size() != n) fail(line, mn + ": want " + std::to_string(n) + " operands");
	}

	void instruction(std::string stmt) {
		Ins I;
		I.line = line;
		if (stmt[0] == '@') {
			size_t sp = stmt.find_first_of(" \t");
			std::string g = stmt.substr(1, sp - 1);
			if (g[0] == '!') {
				I.gneg = true;
				g = g.substr(1);
			}
			I.guard = operand(g);
			stmt = trim(stmt.substr(sp));
		}
		size_t sp = stmt.find_first_of(" \t");
		std::string mn = stmt.substr(0, sp);
		std::vector<std::string> ops =
		    sp == std::string::npos ? std::vector<std::string>{} : split_operands(stmt.substr(sp));
		k.mnemonics.push_back(mn);
		decode(mn, ops, I);
		bool fp = I.type == T_F32 || I.type == T_F64;
		if (fp && (I.op == OP_FMA)) I.flops = 2;
		else if (fp && (I.op == OP_ADD || I.op == OP_SUB || I.op == OP_MUL || I.op == OP_DIV || I.op == OP_SQRT ||
		                I.op == OP_RCP || I.op == OP_EX2 || I.op == OP_LG2 || I.op == OP_MIN || I.op == OP_MAX))
			I.flops = 1;
		k.code.push_back(I);
	}

	// decode fills I from mnemonic and operands, or fails.
	void decode(const std::string &mn, const std::vector<std::string> &ops, Ins &I) {
		std::vector<std::string> parts = split(mn, '.');
		const std::string &op = parts[0];
		std::vector<Type> types;
		std::vector<std::string> mods;
		for (size_t i = 1; i < parts.size(); i++) {
			Type t = type_of(parts[i]);
			if (t != T_NONE) types.push_back(t);
			else mods.push_back(parts[i]);
		}
		auto has = [&](const char *m) {
			for (auto &x : mods)
				if (x == m) return true;
			return false;
		};
		auto take = [&](std::initializer_list<const char *> allowed) {
			for (auto &x : mods) {
				bool ok = false;
				for (auto a : allowed) ok = ok || x == a;
				if (!ok) fail(line, "unsupported instruction form " + mn);
			}
		};
		auto one_type = [&]() {
			if (types.size() != 1) fail(line, "unsupported instruction form " + mn);
			return types[0];
		};
		auto round_of = [&](bool required) {
			static const std::map<std::string, Round> r = {{"rn", R_RN},   {"rz", R_RZ},   {"rm", R_RM},
			                                                {"rp", R_RP},   {"rni", R_RNI}, {"rzi", R_RZI},
			                                                {"rmi", R_RMI}, {"rpi", R_RPI}, {"approx", R_APPROX}};
			Round got = R_NONE;
			for (auto &m : mods) {
				auto it = r.find(m);
				if (it != r.end()) got = it->second;
			}
			if (required && got == R_NONE) fail(line, "unsupported instruction form " + mn + " (rounding required)");
			return got;
		};
		I.ftz = has("ftz");
		I.sat = has("sat");
		auto dst = [&](size_t i) { return operand(ops[i]); };
		auto src3 = [&](size_t n) {
			need(ops, n + 1, mn);
			I.d = dst(0);
			I.a = operand(ops[1]);
			if (n > 1) I.b = operand(ops[2]);
			if (n > 2) I.c = operand(ops[3]);
		};
		if (op == "mov") {
			take({});
			I.type = one_type();
			need(ops, 2, mn);
			if (ops[1][0] == '{') {
				auto v = vector_regs(ops[1]);
				if (v.size() != 2 || type_bytes((Type)I.type) != 8) fail(line, "unsupported pack " + mn);
				I.op = OP_PACK;
				I.d = dst(0);
				I.a = v[0];
				I.b = v[1];
			} else if (ops[0][0] == '{') {
				auto v = vector_regs(ops[0]);
				if (v.size() != 2 || type_bytes((Type)I.type) != 8) fail(line, "unsupported unpack " + mn);
				I.op = OP_UNPACK;
				I.d = v[0];
				I.d2 = v[1];
				I.a = operand(ops[1]);
			} else {
				I.op = OP_MOV;
				I.d = dst(0);
				I.a = operand(ops[1]);
			}
			I.cls = K_INT;
		} else if (op == "add" || op == "sub" || op == "mul" || op == "div" || op == "min" ||
		           op == "max" || op == "rem") {
			I.type = one_type();
			Type t = (Type)I.type;
			static const std::map<std::string, Op> ops_of = {{"add", OP_ADD}, {"sub", OP_SUB}, {"mul", OP_MUL},
			                                                 {"div", OP_DIV}, {"min", OP_MIN}, {"max", OP_MAX},
			                                                 {"rem", OP_REM}};
			I.op = ops_of.at(op);
			if (is_float(t)) {
				if (I.op == OP_REM) fail(line, "unsupported instruction form " + mn);
				take({"rn", "rz", "rm", "rp", "ftz", "approx", "full", "sat"});
				I.rnd = round_of(I.op == OP_DIV && t == T_F64);
				if (I.op == OP_DIV && I.rnd == R_NONE) fail(line, "unsupported instruction form " + mn);
				if (I.rnd == R_NONE) I.rnd = R_RN;
				if (I.sat && t != T_F32) fail(line, "unsupported instruction form " + mn);
				I.cls = t == T_F64 ? K_FP64 : I.op == OP_DIV ? K_SFU : K_FP32;
			} else {
				if (t == T_B32 || t == T_B64) fail(line, "unsupported instruction form " + mn);
				if (op == "mul") {
					if (has("wide")) {
						take({"wide"});
						if (t != T_S32 && t != T_U32) fail(line, "unsupported instruction form " + mn);
						I.op = OP_MULWIDE;
					} else if (has("hi")) {
						take({"hi"});
						I.op = OP_MULHI;
					} else {
						take({"lo"});
						if (!has("lo")) fail(line, "unsupported instruction form " + mn);
					}
				} else {
					take({});
				}
				I.cls = K_INT;
			}
			src3(2);
		} else if (op == "mad" || op == "fma") {
			I.type = one_type();
			Type t = (Type)I.type;
			if (op == "fma") {
				if (!is_float(t)) fail(line, "unsupported instruction form " + mn);
				take({"rn", "rz", "rm", "rp", "ftz", "sat"});
				I.rnd = round_of(true);
				I.op = OP_FMA;
				I.cls = t == T_F64 ? K_FP64 : K_FP32;
			} else {
				if (!is_int(t) || t == T_B32 || t == T_B64 || !has("lo")) fail(line, "unsupported instruction form " + mn);
				take({"lo"});
				I.op = OP_MAD;
			}
			src3(3);
		} else if (op == "abs" || op == "neg") {
			I.type = one_type();
			take({"ftz"});
			I.op = op == "abs" ? OP_ABS : OP_NEG;
			if ((Type)I.type == T_B32 || (Type)I.type == T_B64 || (Type)I.type == T_U32 || (Type)I.type == T_U64)
				fail(line, "unsupported instruction form " + mn);
			I.cls = I.type == T_F64 ? K_FP64 : I.type == T_F32 ? K_FP32 : K_INT;
			src3(1);
		} else if (op == "and" || op == "or" || op == "xor" || op == "not") {
			I.type = one_type();
			take({});
			Type t = (Type)I.type;
			if (t != T_B32 && t != T_B64 && t != T_PRED) fail(line, "unsupported instruction form " + mn);
			I.op = op == "and" ? OP_AND : op == "or" ? OP_OR : op == "xor" ? OP_XOR : OP_NOT;
			src3(I.op == OP_NOT ? 1 : 2);
		} else if (op == "shl" || op == "shr") {
			I.type = one_type();
			take({});
			Type t = (Type)I.type;
			if (op == "shl" ? (t != T_B32 && t != T_B64) : (t == T_F32 || t == T_F64 || t == T_PRED))
				fail(line, "unsupported instruction form " + mn);
			I.op = op == "shl" ? OP_SHL : OP_SHR;
			src3(2);
		} else if (op == "setp") {
			static const std::map<std::string, Cmp> cmps = {
			    {"eq", C_EQ},   {"ne", C_NE},   {"lt", C_LT},   {"le", C_LE},   {"gt", C_GT},   {"ge", C_GE},
			    {"lo", C_LO},   {"ls", C_LS},   {"hi", C_HI},   {"hs", C_HS},   {"equ", C_EQU}, {"neu", C_NEU},
			    {"ltu", C_LTU}, {"leu", C_LEU}, {"gtu", C_GTU}, {"geu", C_GEU}, {"num", C_NUM}, {"nan", C_NAN}};
			I.type = one_type();
			if (mods.size() != 1 || !cmps.count(mods[0])) fail(line, "unsupported instruction form " + mn);
			I.cmp = cmps.at(mods[0]);
			if (I.cmp >= C_EQU && !is_float((Type)I.type)) fail(line, "unsupported instruction form " + mn);
			if (I.cmp >= C_LO && I.cmp <= C_HS && is_float((Type)I.type)) fail(line, "unsupported instruction form " + mn);
			if (ops.size() == 3 && ops[0].find('|') == std::string::npos) {
				I.op = OP_SETP;
				src3(2);
			} else {
				fail(line, "unsupported instruction form " + mn + " (setp with two results or a combining predicate)");
			}
			I.cls = is_float((Type)I.type) ? (I.type == T_F64 ? K_FP64 : K_FP32) : K_INT;
		} else if (op == "selp") {
			I.type = one_type();
			take({});
			I.op = OP_SELP;
			src3(3);
		} else if (op == "cvt") {
			if (types.size() != 2) fail(line, "unsupported instruction form " + mn);
			take({"rn", "rz", "rm", "rp", "rni", "rzi", "rmi", "rpi", "ftz", "sat"});
			I.type = types[0];
			I.stype = types[1];
			I.rnd = round_of(false);
			Type d = (Type)I.type, s = (Type)I.stype;
			bool fd = is_float(d), fs = is_float(s);
			// The ISA's rules: float->float narrowing and int<->float need a rounding
			// mode (integer rounding for float->int); int<->int and f32->f64 take none.
			bool need_round = (fd && fs && type_bytes(d) < type_bytes(s)) || (fd && !fs) || (!fd && fs);
			bool int_round = I.rnd >= R_RNI && I.rnd <= R_RPI;
			if (need_round && I.rnd == R_NONE) fail(line, "unsupported instruction form " + mn + " (rounding required)");
			if (!fd && fs && !int_round) fail(line, "unsupported instruction form " + mn);
			if (fd && !fs && int_round) fail(line, "unsupported instruction form " + mn);
			if (!need_round && I.rnd != R_NONE && !(fd && fs && d == s && int_round))
				fail(line, "unsupported instruction form " + mn);
			if (I.sat && !fd) fail(line, "unsupported instruction form " + mn);
			if (d == T_PRED || s == T_PRED) fail(line, "unsupported instruction form " + mn);
			I.op = OP_CVT;
			I.cls = K_CVT;
			src3(1);
		} else if (op == "cvta") {
			if (mn != "cvta.to.global.u64") fail(line, "unsupported instruction form " + mn);
			I.op = OP_CVTA;
			I.type = T_U64;
			src3(1);
		} else if (op == "rcp" || op == "sqrt" || op == "ex2" || op == "lg2") {
			I.type = one_type();
			take({"rn", "rz", "rm", "rp", "approx", "ftz"});
			I.rnd = round_of(true);
			I.op = op == "rcp" ? OP_RCP : op == "sqrt" ? OP_SQRT : op == "ex2" ? OP_EX2 : OP_LG2;
			if ((I.op == OP_EX2 || I.op == OP_LG2) && (I.rnd != R_APPROX || I.type != T_F32))
				fail(line, "unsupported instruction form " + mn);
			if (I.rnd == R_APPROX && I.type == T_F64 && !(I.op == OP_RCP && I.ftz))
				fail(line, "unsupported instruction form " + mn);
			if (!is_float((Type)I.type)) fail(line, "unsupported instruction form " + mn);
			I.cls = K_SFU;
			src3(1);
		} else if (op == "ld" || op == "st") {
			bool ld = op == "ld";
			I.type = one_type();
			std::string space;
			for (auto &m : mods) {
				if (m == "global" || m == "shared" || m == "param") space = m;
				else if (m == "v2") I.nvec = 2;
				else if (m == "v4") I.nvec = 4;
				else if (m == "nc" && ld) {
				} else fail(line, "unsupported instruction form " + mn);
			}
			if (space.empty()) fail(line, "unsupported instruction form " + mn + " (generic addressing)");
			if (I.type == T_PRED) fail(line, "unsupported instruction form " + mn);
			I.width = (uint8_t)type_bytes((Type)I.type);
			need(ops, 2, mn);
			const std::string &addr = ld ? ops[1] : ops[0];
			const std::string &val = ld ? ops[0] : ops[1];
			if (space == "param") {
				if (!ld || I.nvec != 1) fail(line, "unsupported instruction form " + mn);
				I.op = OP_LDPARAM;
				address(addr, I, true);
				I.d = operand(val);
				I.cls = K_INT;
				return;
			}
			address(addr, I, false);
			if (I.nvec == 1) {
				I.v[0] = operand(val);
			} else {
				auto v = vector_regs(val);
				if (v.size() != I.nvec) fail(line, mn + ": wrong vector length");
				for (size_t i = 0; i < v.size(); i++) I.v[i] = v[i];
			}
			I.op = space == "global" ? (ld ? OP_LDG : OP_STG) : (ld ? OP_LDS : OP_STS);
			I.cls = space == "global" ? K_GLOBAL : K_SHARED;
		} else if (op == "bra") {
			take({"uni"});
			need(ops, 1, mn);
			I.op = OP_BRA;
			I.cls = K_CTRL;
			branches.push_back({k.code.size(), ops[0]});
		} else if (op == "ret" || op == "exit") {
			take({});
			need(ops, 0, mn);
			I.op = OP_RET;
			I.cls = K_CTRL;
		} else if (op == "bar" || op == "barrier") {
			if (mn != "bar.sync" && mn != "barrier.sync.aligned") fail(line, "unsupported instruction form " + mn);
			need(ops, 1, mn);
			I.op = OP_BAR;
			I.cls = K_CTRL;
			I.a = operand(ops[0]);
			if (I.a < kConstBase || k.consts[I.a - kConstBase] != 0)
				fail(line, "only bar.sync 0 (all threads, barrier 0) is supported");
		} else if (op == "shfl") {
			if (parts.size() != 4 || parts[1] != "sync" || parts[3] != "b32") fail(line, "unsupported instruction form " + mn);
			static const std::map<std::string, ShflMode> modes = {
			    {"bfly", SH_BFLY}, {"up", SH_UP}, {"down", SH_DOWN}, {"idx", SH_IDX}};
			if (!modes.count(parts[2])) fail(line, "unsupported instruction form " + mn);
			I.width = modes.at(parts[2]);
			I.op = OP_SHFL;
			I.type = T_B32;
			I.cls = K_CTRL;
			need(ops, 5, mn);
			size_t bar = ops[0].find('|');
			if (bar != std::string::npos) {
				I.d = operand(trim(ops[0].substr(0, bar)));
				I.d2 = operand(trim(ops[0].substr(bar + 1)));
			} else {
				I.d = operand(ops[0]);
			}
			I.a = operand(ops[1]);
			I.b = operand(ops[2]);
			I.c = operand(ops[3]);
			I.e = operand(ops[4]);
		} else {
			fail(line, "unknown instruction " + mn);
		}
	}

	void finish() {
		for (auto &b : branches) {
			auto it = labels.find(b.second);
			if (it == labels.end()) fail(k.code[b.first].line, "unknown label " + b.second);
			k.code[b.first].off = it->second;
		}
		// Registers may be declared after the first immediates (nested scopes):
		// only now is the slot layout known.
		auto slot = [&](int32_t &x) {
			if (x >= kConstBase) x = (int32_t)(k.nregs + kSpecials) + (x - kConstBase);
			else if (x >= kSpecialBase) x = (int32_t)k.nregs + (x - kSpecialBase);
		};
		for (auto &I : k.code) {
			for (int32_t *x : {&I.guard, &I.d, &I.d2, &I.a, &I.b, &I.c, &I.e, &I.v[0], &I.v[1], &I.v[2], &I.v[3]}) slot(*x);
		}
		for (size_t i = 0; i < k.code.size(); i++) k.code[i].text = k.mnemonics[i].c_str();
		// Falling off the end exits the thread.
		Ins r;
		r.op = OP_RET;
		r.cls = K_CTRL;
		r.line = line;
		k.code.push_back(r);
		k.mnemonics.push_back("ret");
		k.code.back().text = k.mnemonics.back().c_str();
	}
};

// Source is the PTX text with comments blanked (newlines kept for line numbers).
struct Source {
	std::string s;
	size_t pos = 0;
	int line = 1;

	explicit Source(const std::string &ptx) : s(ptx) {
		for (size_t i = 0; i < s.size(); i++) {
			if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '/') {
				while (i < s.size() && s[i] != '\n') s[i++] = ' ';
			} else if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*') {
				while (i + 1 < s.size() && !(s[i] == '*' && s[i + 1] == '/')) {
					if (s[i] != '\n') s[i] = ' ';
					i++;
				}
				if (i + 1 < s.size()) s[i] = s[i + 1] = ' ';
			}
		}
	}
	void skip_space() {
		while (pos < s.size() && isspace((unsigned char)s[pos])) {
			if (s[pos] == '\n') line++;
			pos++;
		}
	}
	bool done() {
		skip_space();
		return pos >= s.size();
	}
	// until reads up to (not including) any of the stop characters.
	std::string until(const char *stops) {
		std::string out;
		while (pos < s.size() && !strchr(stops, s[pos])) {
			if (s[pos] == '\n') line++;
			out += s[pos++];
		}
		return out;
	}
};

// shared_name is the variable a ".shared ... name[N]" statement declares.
std::string shared_name(const std::string &stmt) {
	std::string w, last;
	std::istringstream in(stmt);
	while (in >> w) last = w;
	return last.substr(0, last.find('['));
}

void parse_entry(Source &src, Kernel &k, const std::string &header, const std::map<std::string, SharedDecl> &ms) {
	// header: ".visible .entry name(" already consumed up to and including '('.
	size_t e = header.find(".entry");
	k.name = trim(header.substr(e + 6));
	KernelParser kp(k, ms);
	kp.line = src.line;
	std::string params = src.until(")");
	if (src.pos >= src.s.size()) fail(src.line, "unterminated parameter list");
	src.pos++;
	for (auto p : split_operands(params)) {
		// ".param .u64 name" (.ptr/.align qualifiers are rejected)
		std::istringstream in(p);
		std::string dir, ty, name, extra;
		in >> dir >> ty >> name;
		if (dir != ".param" || name.empty() || (in >> extra)) fail(src.line, "unsupported parameter " + p);
		Type t = type_of(ty.substr(1));
		if (t == T_NONE || t == T_PRED) fail(src.line, "unsupported parameter type " + ty);
		Param pr;
		pr.name = name;
		pr.size = type_bytes(t);
		k.param_bytes = (k.param_bytes + pr.size - 1) / pr.size * pr.size;
		pr.offset = k.param_bytes;
		k.param_bytes += pr.size;
		k.params.push_back(pr);
	}
	// Performance directives up to the body.
	for (;;) {
		src.skip_space();
		if (src.pos >= src.s.size()) fail(src.line, "missing kernel body");
		if (src.s[src.pos] == '{') break;
		kp.line = src.line;
		std::string d = trim(src.until("{\n"));
		std::istringstream in(d);
		std::string dir;
		in >> dir;
		uint32_t *dst = dir == ".maxntid" ? k.maxntid : dir == ".reqntid" ? k.reqntid : nullptr;
		if (dir == ".minnctapersm" || dir == ".maxnreg") continue;
		if (!dst) fail(kp.line, "unsupported directive " + dir);
		auto v = split_operands(d.substr(dir.size()));
		for (size_t i = 0; i < 3; i++) dst[i] = i < v.size() ? (uint32_t)atoi(v[i].c_str()) : 1;
	}
	src.pos++;  // '{'
	int depth = 1;
	for (;;) {
		src.skip_space();
		if (src.pos >= src.s.size()) fail(src.line, "unterminated kernel body");
		char ch = src.s[src.pos];
		if (ch == '{') {
			depth++;
			src.pos++;
			continue;
		}
		if (ch == '}') {
			src.pos++;
			if (--depth == 0) break;
			continue;
		}
		kp.line = src.line;
		// A label?
		size_t p = src.pos;
		while (p < src.s.size() && (isalnum((unsigned char)src.s[p]) || strchr("_$.%", src.s[p]))) p++;
		if (p < src.s.size() && src.s[p] == ':' && p > src.pos) {
			kp.labels[src.s.substr(src.pos, p - src.pos)] = (int)k.code.size();
			src.pos = p + 1;
			continue;
		}
		std::string stmt = trim(src.until(";"));
		if (src.pos >= src.s.size()) fail(kp.line, "missing ';'");
		src.pos++;
		if (stmt.compare(0, 4, ".reg") == 0) kp.declare_reg(stmt);
		else if (stmt.compare(0, 7, ".shared") == 0) kp.declare_shared(stmt);
		else if (stmt.compare(0, 7, ".pragma") == 0) continue;
		else if (stmt[0] == '.') fail(kp.line, "unsupported directive " + stmt.substr(0, stmt.find_first_of(" \t")));
		else kp.instruction(stmt);
	}
	kp.line = src.line;
	kp.finish();
}

}  // namespace

bool parse_module(const std::string &ptx, Module &m, std::string &err) {
	Source src(ptx);
	bool version = false, target = false;
	std::map<std::string, SharedDecl> module_shared;
	try {
		while (!src.done()) {
			int line = src.line;
			std::string stmt = trim(src.until(";(\n"));
			if (stmt.empty()) {
				if (src.pos < src.s.size()) src.pos++;
				continue;
			}
			if (stmt.find(".entry") != std::string::npos) {
				if (src.pos >= src.s.size() || src.s[src.pos] != '(') fail(line, "malformed .entry");
				src.pos++;
				Kernel k;
				parse_entry(src, k, stmt, module_shared);
				m.kernels.push_back(std::move(k));
				continue;
			}
			if (src.pos < src.s.size() && src.s[src.pos] == ';') src.pos++;
			if (stmt.compare(0, 7, ".shared") == 0) {
				module_shared[shared_name(stmt)] = {stmt, line};
				continue;
			}
			if (stmt.compare(0, 7, ".pragma") == 0) continue;
			std::istringstream in(stmt);
			std::string dir, arg;
			in >> dir >> arg;
			if (dir == ".version") {
				version = true;
			} else if (dir == ".target") {
				if (arg.compare(0, 3, "sm_") != 0 || atoi(arg.c_str() + 3) > 90)
					fail(line, "unsupported target " + arg);
				target = true;
			} else if (dir == ".address_size") {
				if (arg != "64") fail(line, "only .address_size 64 is supported");
			} else {
				fail(line, "unsupported module directive " + dir);
			}
		}
		if (!version || !target) fail(1, "not PTX: .version and .target are required");
	} catch (const Fail &f) {
		err = "line " + std::to_string(f.line) + ": " + f.what;
		return false;
	}
	return true;
}

}  // namespace ptxemu
