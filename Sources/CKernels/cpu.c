// Which instruction set the kernels run with: detected once, overridable (tests compare the two paths).
#include "CKernels.h"
#include "isa.h"

static int detect(void) {
#if DLSP_X86
    __builtin_cpu_init();
    // The int8 products need VNNI's byte dot product; the float products are as fast with plain AVX-512F, but one
    // level keeps the routing simple and every CPU with AVX-512F that lacks VNNI (Skylake-X) still has AVX2.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512vnni"))
        return DLSP_ISA_AVX512;
    // F16C (half-precision loads) came with the same generation of CPUs; the packed f16 products need it.
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return DLSP_ISA_AVX2_FMA;
#endif
    return DLSP_ISA_PORTABLE;
}

// -1 until first asked. Read by every kernel call and written rarely (detection, a test choosing a path), so
// relaxed atomics: any thread sees either value, each a valid choice.
static int available = -1;
static int active = -1;

int dlsp_isa_available(void) {
    int a = __atomic_load_n(&available, __ATOMIC_RELAXED);
    if (a < 0) {
        a = detect();
        __atomic_store_n(&available, a, __ATOMIC_RELAXED);
    }
    return a;
}

int dlsp_isa_select(int isa) {
    int best = dlsp_isa_available();
    // A level between the ones defined (or above the CPU's) falls to the best defined one it covers.
    int chosen = isa >= best ? best : isa >= DLSP_ISA_AVX2_FMA ? DLSP_ISA_AVX2_FMA : DLSP_ISA_PORTABLE;
    __atomic_store_n(&active, chosen, __ATOMIC_RELAXED);
    return chosen;
}

int dlsp_isa_active(void) {
    int a = __atomic_load_n(&active, __ATOMIC_RELAXED);
    if (a < 0) {
        a = dlsp_isa_available();
        __atomic_store_n(&active, a, __ATOMIC_RELAXED);
    }
    return a;
}
