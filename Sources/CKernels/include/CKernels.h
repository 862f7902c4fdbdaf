// The engine's hand-written kernels for the shapes OpenBLAS handles poorly: products with few activation rows
// against weights packed once at load time, and attention fused with its softmax. Each has an AVX2/FMA version,
// chosen at run time when the CPU has it, and a portable version with the same results up to rounding.
// Swift cannot compile one function for a CPU feature and its neighbour for another, which is why these few
// loops are C. Nothing here allocates, locks or keeps state between calls except the chosen instruction set.
#ifndef DLSP_CKERNELS_H
#define DLSP_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Instruction sets the kernels can use.
enum {
    DLSP_ISA_PORTABLE = 0,   ///< plain C the compiler vectorises for the baseline target
    DLSP_ISA_AVX2_FMA = 2,   ///< 256-bit vectors with fused multiply-add and F16C (x86-64, runtime-detected)
};

/// The best instruction set this CPU supports.
int dlsp_isa_available(void);
/// Chooses the instruction set the kernels use (clamped to what the CPU supports) and returns it.
int dlsp_isa_select(int isa);
/// The instruction set the kernels use now (the best available until `dlsp_isa_select` is called).
int dlsp_isa_active(void);

/// Floats a weight matrix of `n` outputs × `k` inputs takes once packed (n rounded up to a panel of 16).
size_t dlsp_packed_floats(int n, int k);
/// Packs W (n × k, row-major: PyTorch's Linear layout) into panels of 16 outputs, input-major within a panel:
/// packed[p·16·k + kk·16 + j] = W[p·16 + j, kk], zero past the last output.
void dlsp_pack_weights(const float *w, int n, int k, float *packed);
/// Y[i, j] = Σ_kk X[i, kk] · W[j, kk] (or Y += that when `accumulate`) for the outputs of panels
/// [panel_begin, panel_end) and all `m` rows: X is m × k with row stride ldx, Y has row stride ldy.
void dlsp_gemm_packed(const float *x, int ldx, int m, int k, const float *packed, int n,
                      float *y, int ldy, int panel_begin, int panel_end, int accumulate);

/// The same packing with the weights stored as IEEE half floats (for checkpoints stored in f16, where it is
/// exact): half the bytes to stream through each product.
void dlsp_pack_weights_f16(const float *w, int n, int k, uint16_t *packed);
/// `dlsp_gemm_packed` over weights packed by `dlsp_pack_weights_f16`.
void dlsp_gemm_packed_f16(const float *x, int ldx, int m, int k, const uint16_t *packed, int n,
                          float *y, int ldy, int panel_begin, int panel_end, int accumulate);

/// Bidirectional attention of one head for query rows [row_begin, row_end):
/// out[i, :] = softmax(scale · q_i · Kᵀ) · V over all `n` keys. q, k, v and out point at the head's first
/// element of row 0 (strides ldq, ldkv, ldo in floats). `scratch` holds
/// `dlsp_attention_scratch_floats(row_end − row_begin, n, head_dim)` floats.
/// The AVX2 path needs head_dim to be a multiple of 16; others take the portable path.
void dlsp_attention_rows(const float *q, int ldq, int row_begin, int row_end,
                         const float *k, const float *v, int ldkv, int n, int head_dim, float scale,
                         float *scratch, float *out, int ldo);

/// Scratch floats `dlsp_attention_rows` needs: score rows (at most 64 rows at a time) and one transposed block
/// of keys.
size_t dlsp_attention_scratch_floats(int rows, int n, int head_dim);

/// In-place softmax of `rows` rows of length n (row stride `stride`).
void dlsp_softmax_rows(float *x, int rows, int n, int stride);

/// g[i] = silu(g[i]) · u[i] for i < count.
void dlsp_swiglu(float *g, const float *u, int count);

/// A hint to the CPU that this thread is spinning on a flag (x86 `pause`, ARM `yield`).
static inline void dlsp_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
