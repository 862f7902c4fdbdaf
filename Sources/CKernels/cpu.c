// Which instruction set the kernels run with: detected once, overridable (tests compare the two paths).
#include "CKernels.h"
#include "isa.h"

static int detect(void) {
#if DLSP_X86
    __builtin_cpu_init();
    // F16C (half-precision loads) came with the same generation of CPUs; the packed f16 products need it.
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return DLSP_ISA_AVX2_FMA;
#endif
    return DLSP_ISA_PORTABLE;
}

// -1 until first asked. A plain int: every writer stores the same detected value, or a test chooses before
// running kernels.
static int active = -1;

int dlsp_isa_available(void) {
    static int available = -1;
    if (available < 0) available = detect();
    return available;
}

int dlsp_isa_select(int isa) {
    int best = dlsp_isa_available();
    active = isa >= best ? best : DLSP_ISA_PORTABLE;
    return active;
}

int dlsp_isa_active(void) {
    if (active < 0) active = dlsp_isa_available();
    return active;
}
