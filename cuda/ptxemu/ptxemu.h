// ptxemu.h — a PTX interpreter: the module, kernel and launch structures
// shared by the parser (parse.cpp), the interpreter (exec.cpp), the driver
// entry points (driver.cpp) and the self-tests (selftest.cpp).
//
// A kernel is decoded once into an array of Ins; every operand is an index
// into a thread's slot file, which holds the declared registers, then the
// special registers (%tid.x, ...), then the immediates and shared-variable
// addresses, so that the interpreter reads every operand the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptxemu {

enum Type : uint8_t { T_NONE, T_PRED, T_B32, T_S32, T_U32, T_B64, T_S64, T_U64, T_F32, T_F64 };

enum Op : uint8_t {
	OP_MOV, OP_PACK, OP_UNPACK, OP_ADD, OP_SUB, OP_MUL, OP_MULWIDE, OP_MULHI, OP_MAD, OP_FMA,
	OP_DIV, OP_REM, OP_ABS, OP_NEG, OP_MIN, OP_MAX, OP_AND, OP_OR, OP_XOR, OP_NOT, OP_SHL,
	OP_SHR, OP_SETP, OP_SELP, OP_CVT, OP_CVTA, OP_RCP, OP_SQRT, OP_EX2, OP_LG2, OP_LDPARAM,
	OP_LDG, OP_STG, OP_LDS, OP_STS, OP_BRA, OP_RET, OP_BAR, OP_SHFL,
};

enum Round : uint8_t { R_NONE, R_RN, R_RZ, R_RM, R_RP, R_RNI, R_RZI, R_RMI, R_RPI, R_APPROX };

enum Cmp : uint8_t {
	C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_LO, C_LS, C_HI, C_HS,
	C_EQU, C_NEU, C_LTU, C_LEU, C_GTU, C_GEU, C_NUM, C_NAN,
};

enum ShflMode : uint8_t { SH_BFLY, SH_UP, SH_DOWN, SH_IDX };

// Instruction classes of the cost report.
enum Class : uint8_t { K_INT, K_FP32, K_FP64, K_SFU, K_CVT, K_GLOBAL, K_SHARED, K_CTRL, K_NCLASS };

struct Ins {
	uint8_t op = 0, type = T_NONE, stype = T_NONE;  // stype: cvt's source type
	uint8_t rnd = R_NONE, cmp = 0, cls = K_INT;
	bool ftz = false, sat = false, gneg = false;
	uint8_t width = 0;   // bytes moved per element by ld/st; shfl mode
	uint8_t nvec = 1;    // ld/st vector length
	uint8_t flops = 0;   // floating-point operations per execution (fma: 2)
	int32_t guard = -1;  // predicate slot, -1 when unguarded
	int32_t d = -1, d2 = -1;                  // destinations (d2: shfl's predicate, unpack's high half)
	int32_t a = -1, b = -1, c = -1, e = -1;   // sources
	int32_t v[4] = {-1, -1, -1, -1};          // vector registers of ld/st .v2/.v4
	int64_t off = 0;                          // address offset; bra target
	int32_t line = 0;
	const char *text = "";  // the mnemonic, for messages
};

struct Param {
	std::string name;
	uint32_t size = 0, offset = 0;
};

struct Kernel {
	std::string name;
	std::vector<Param> params;
	uint32_t param_bytes = 0;
	uint32_t maxntid[3] = {0, 0, 0};  // 0: not declared
	uint32_t reqntid[3] = {0, 0, 0};
	uint32_t shared_bytes = 0;
	uint32_t nregs = 0;               // declared registers (slots 0..nregs-1)
	std::vector<uint64_t> consts;     // slots nregs+kSpecials.. : immediates
	std::vector<Ins> code;
	std::vector<std::string> mnemonics;  // storage behind Ins::text
};

// Special registers live right after the declared registers.
enum Special {
	S_TID_X, S_TID_Y, S_TID_Z, S_NTID_X, S_NTID_Y, S_NTID_Z, S_CTAID_X, S_CTAID_Y, S_CTAID_Z,
	S_NCTAID_X, S_NCTAID_Y, S_NCTAID_Z, S_LANEID, S_WARPID, kSpecials
};

struct Module {
	std::vector<Kernel> kernels;
};

// parse_module decodes PTX text; on failure it returns false and sets err to
// "line N: what".
bool parse_module(const std::string &ptx, Module &m, std::string &err);

// One finding of a check, or a fatal launch error.
struct Report {
	std::string kind;  // bounds, align, uninit, shared-race, global-race, barrier, shfl, launch
	std::string text;  // the full message
};

struct Dim {
	uint32_t x = 1, y = 1, z = 1;
};

// launch runs kernel k over grid × block with the parameter buffer params
// (param_bytes long). Findings are appended to reports. It returns false when
// the launch could not complete (a fatal finding: out of bounds, deadlock).
bool launch(const Kernel &k, Dim grid, Dim block, const std::vector<uint8_t> &params,
            std::vector<Report> &reports);

// Live device allocations, for the global-memory bounds checks.
void mem_register(uint64_t base, uint64_t bytes);
void mem_unregister(uint64_t base);

}  // namespace ptxemu
