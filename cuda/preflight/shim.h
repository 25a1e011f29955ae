// shim.h — declarations shared by preflight.c and the generated
// shim_linux_amd64.c (see doc.go for why the shim exists).
#ifndef GPUTRAIN_PREFLIGHT_SHIM_H
#define GPUTRAIN_PREFLIGHT_SHIM_H

#define GT_HIDDEN __attribute__((visibility("hidden")))

// The driver entry points gorgonia.org/cu calls, by name, and the address
// each one resolves to (filled in by the constructor in preflight.c).
extern const int gt_cuda_nsyms;
extern GT_HIDDEN void *gt_cuda_fn[];
extern const char *const gt_cuda_names[];

// GT_TRAMPOLINE(i, name) defines the function `name` as a jump through
// gt_cuda_fn[i]. The symbol is hidden: it satisfies cu's references at link
// time, is not exported from the executable (so it never interposes on
// libcuda's own symbols), and takes the arguments and return value of the
// real entry point untouched.
#define GT_TRAMPOLINE(i, name)                 \
	".globl " #name "\n"                   \
	".hidden " #name "\n"                  \
	".type " #name ", @function\n"         \
	".p2align 4\n"                         \
	#name ":\n"                            \
	"\tjmp *gt_cuda_fn+8*" #i "(%rip)\n"   \
	".size " #name ", .-" #name "\n"

#endif
