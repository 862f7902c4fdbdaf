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
    DLSP_ISA_AVX512 = 3,     ///< 512-bit vectors with AVX-512 F/BW/VL and VNNI's byte dot product (and everything above)
};

/// Element types of packed weight panels (`dlsp_gemm_panels`).
enum {
    DLSP_PANEL_F32 = 0,
    DLSP_PANEL_F16 = 1,      ///< IEEE half
    DLSP_PANEL_BF16 = 2,     ///< bfloat16 (the upper half of an f32)
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

/// The same packing with the weights stored as bfloat16 (for checkpoints stored in bf16, where it is exact).
void dlsp_pack_weights_bf16(const float *w, int n, int k, uint16_t *packed);
/// `dlsp_gemm_packed` over panels of any `DLSP_PANEL_*` element type; the weights are widened to f32 in registers,
/// so the result is the f32 product of the stored weights.
void dlsp_gemm_panels(const float *x, int ldx, int m, int k, const void *packed, int format, int n,
                      float *y, int ldy, int panel_begin, int panel_end, int accumulate);

/// Bytes a weight matrix of `n` outputs × `k` inputs (k a multiple of 32) takes packed as 8-bit panels: per panel
/// of 16 outputs and block of 32 inputs, 16 f32 scales and 512 weight bytes.
size_t dlsp_packed_q8_bytes(int n, int k);
/// Quantises W (n × k, row-major, k a multiple of 32) to 8 bits per block of 32 inputs of one output, as GGUF's Q8_0
/// does (scale = max|w| / 127 rounded to an IEEE half, weights rounded to nearest), and packs it for
/// `dlsp_gemm_q8`.
void dlsp_pack_weights_q8(const float *w, int n, int k, uint8_t *packed);
/// Packs Q8_0 rows (n rows of k/32 blocks: an f16 scale, then 32 signed bytes) for `dlsp_gemm_q8`, exactly.
void dlsp_pack_q8_0(const uint8_t *rows, int n, int k, uint8_t *packed);
/// W[row, col] of an 8-bit packed matrix, dequantised.
float dlsp_q8_element(const uint8_t *packed, int k, int row, int col);

/// Bytes `dlsp_quantize_activations` writes for `m` rows of `k`.
size_t dlsp_q8_activation_bytes(int m, int k);
/// Quantises activation rows to 8 bits per block of 32 (scale = max|x| / 127, as llama.cpp's Q8_0 × Q8_0 product
/// does) into `out` (`dlsp_q8_activation_bytes(m, k)` bytes), the form `dlsp_gemm_q8` reads.
void dlsp_quantize_activations(const float *x, int ldx, int m, int k, void *out);
/// Y[i, j] = Σ_blocks scale_w · scale_x · Σ_32 q_w · q_x (or Y += that when `accumulate`) for the outputs of
/// panels [panel_begin, panel_end): 8-bit weights against 8-bit activations, summed exactly in 32-bit integers per
/// block. `xq` is what `dlsp_quantize_activations` wrote for the m rows.
void dlsp_gemm_q8(const void *xq, int m, int k, const uint8_t *packed, int n, float *y, int ldy,
                  int panel_begin, int panel_end, int accumulate);

/// Bidirectional attention of one head for query rows [row_begin, row_end):
/// out[i, :] = softmax(scale · q_i · Kᵀ) · V over all `n` keys. q, k, v and out point at the head's first
/// element of row 0 (strides ldq, ldkv, ldo in floats). `scratch` holds
/// `dlsp_attention_scratch_floats(row_end − row_begin, n, head_dim)` floats.
/// The AVX2 and AVX-512 paths need head_dim to be a multiple of 16; others take the portable path.
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
