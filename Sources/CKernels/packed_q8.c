// Products of activation rows with 8-bit weights: both sides quantised per block of 32 inputs (GGUF's Q8_0 for the
// weights, the same for the activations, as llama.cpp multiplies Q8_0 by Q8_0), summed exactly in 32-bit integers
// per block and scaled once per block.
//
// Why: a denoising step of a 0.5B model streams every weight once per step; at one byte a weight that is half the
// bytes of bf16 and a quarter of f32, and VNNI's byte dot product (vpdpbusd) does 64 multiply-adds per
// instruction against 16 for an f32 FMA.
//
// Layout: panels of 16 outputs, as the float panels; inside a panel, per block of 32 inputs, 16 f32 scales (one
// per output) and then 8 groups of 4 inputs × 16 outputs × 4 bytes, each byte the weight plus 128. vpdpbusd
// multiplies unsigned bytes by signed bytes, so the weights are the unsigned side: Σ (w+128)·x = Σ w·x + 128·Σ x,
// and the block's 128·Σ x (known once per activation row, not per output) starts the accumulator negated.
#include "CKernels.h"
#include "isa.h"

enum { PANEL = 16, BLOCK = 32, SCALE_BYTES = PANEL * 4, BLOCK_BYTES = SCALE_BYTES + PANEL * BLOCK, TILE_ROWS = 6,
       WIDE_PANELS = 2 };

size_t dlsp_packed_q8_bytes(int n, int k) {
    return (size_t)((n + PANEL - 1) / PANEL) * (size_t)(k / BLOCK) * BLOCK_BYTES;
}

/// The nearest IEEE half's value (round to nearest even), as a float: what a Q8_0 file can store as a scale.
static inline float round_to_half(float f) { return dlsp_half_to_float(dlsp_float_to_half(f)); }

/// Where output j's block b begins in the packed matrix: its scale, and its weight bytes.
static inline uint8_t *block_at(uint8_t *packed, int k, int row, int b) {
    return packed + ((size_t)(row / PANEL) * (k / BLOCK) + b) * BLOCK_BYTES;
}

static inline void put_weight(uint8_t *block, int j, int i, int8_t q) {
    block[SCALE_BYTES + (i / 4) * 64 + j * 4 + i % 4] = (uint8_t)((int)q + 128);
}

void dlsp_pack_weights_q8(const float *w, int n, int k, uint8_t *packed) {
    memset(packed, 128, dlsp_packed_q8_bytes(n, k));   // outputs past n: zero weights (and zero scales below)
    int panels = (n + PANEL - 1) / PANEL, kb = k / BLOCK;
    for (int p = 0; p < panels; p++) for (int b = 0; b < kb; b++) memset(block_at(packed, k, p * PANEL, b), 0, SCALE_BYTES);
    for (int row = 0; row < n; row++) {
        for (int b = 0; b < kb; b++) {
            const float *src = w + (size_t)row * k + b * BLOCK;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = fabsf(src[i]) > amax ? fabsf(src[i]) : amax;
            float d = amax / 127, id = d != 0 ? 1 / d : 0;
            uint8_t *block = block_at(packed, k, row, b);
            float scale = round_to_half(d);
            memcpy(block + 4 * (row % PANEL), &scale, 4);
            for (int i = 0; i < BLOCK; i++) put_weight(block, row % PANEL, i, (int8_t)roundf(src[i] * id));
        }
    }
}

void dlsp_pack_q8_0(const uint8_t *rows, int n, int k, uint8_t *packed) {
    memset(packed, 128, dlsp_packed_q8_bytes(n, k));
    int panels = (n + PANEL - 1) / PANEL, kb = k / BLOCK;
    for (int p = 0; p < panels; p++) for (int b = 0; b < kb; b++) memset(block_at(packed, k, p * PANEL, b), 0, SCALE_BYTES);
    for (int row = 0; row < n; row++) {
        for (int b = 0; b < kb; b++) {
            const uint8_t *src = rows + ((size_t)row * kb + b) * (2 + BLOCK);
            uint8_t *block = block_at(packed, k, row, b);
            float scale = dlsp_half_to_float((uint16_t)(src[0] | (src[1] << 8)));
            memcpy(block + 4 * (row % PANEL), &scale, 4);
            for (int i = 0; i < BLOCK; i++) put_weight(block, row % PANEL, i, (int8_t)src[2 + i]);
        }
    }
}

float dlsp_q8_element(const uint8_t *packed, int k, int row, int col) {
    const uint8_t *block = block_at((uint8_t *)packed, k, row, col / BLOCK);
    float scale;
    memcpy(&scale, block + 4 * (row % PANEL), 4);
    int i = col % BLOCK;
    return scale * (float)((int)block[SCALE_BYTES + (i / 4) * 64 + (row % PANEL) * 4 + i % 4] - 128);
}

// MARK: activations

size_t dlsp_q8_activation_bytes(int m, int k) {
    return (size_t)m * k + (size_t)m * (k / BLOCK) * 8;
}

/// The three arrays of a quantised activation buffer: bytes (m × k), scales and −128·Σ per block (m × k/32 each).
static inline void activation_parts(const void *buffer, int m, int k, const int8_t **q, const float **scale,
                                    const int32_t **correction) {
    *q = (const int8_t *)buffer;
    *scale = (const float *)((const uint8_t *)buffer + (size_t)m * k);
    *correction = (const int32_t *)((const uint8_t *)buffer + (size_t)m * k + (size_t)m * (k / BLOCK) * 4);
}

static void quantize_block_portable(const float *x, int8_t *q, float *scale, int32_t *correction) {
    float amax = 0;
    for (int i = 0; i < BLOCK; i++) amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
    float d = amax / 127, id = d != 0 ? 1 / d : 0;
    int sum = 0;
    for (int i = 0; i < BLOCK; i++) {
        int v = (int)nearbyintf(x[i] * id);
        q[i] = (int8_t)v;
        sum += v;
    }
    *scale = d;
    *correction = -128 * sum;
}

#if DLSP_X86
DLSP_AVX512 static void quantize_block_avx512(const float *x, int8_t *q, float *scale, int32_t *correction) {
    __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
    float d = amax / 127, id = d != 0 ? 1 / d : 0;
    __m512 vid = _mm512_set1_ps(id);
    // Rounded to nearest even, as nearbyintf in the portable path.
    __m512i qa = _mm512_cvtps_epi32(_mm512_mul_ps(a, vid)), qb = _mm512_cvtps_epi32(_mm512_mul_ps(b, vid));
    _mm_storeu_si128((__m128i *)q, _mm512_cvtsepi32_epi8(qa));
    _mm_storeu_si128((__m128i *)(q + 16), _mm512_cvtsepi32_epi8(qb));
    *scale = d;
    *correction = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qb));
}
#endif

void dlsp_quantize_activations(const float *x, int ldx, int m, int k, void *out) {
    int kb = k / BLOCK;
    int8_t *q = (int8_t *)out;
    float *scale = (float *)((uint8_t *)out + (size_t)m * k);
    int32_t *correction = (int32_t *)((uint8_t *)out + (size_t)m * k + (size_t)m * kb * 4);
#if DLSP_X86
    if (dlsp_isa_active() >= DLSP_ISA_AVX512) {
        for (int r = 0; r < m; r++) for (int b = 0; b < kb; b++)
            quantize_block_avx512(x + (size_t)r * ldx + b * BLOCK, q + (size_t)r * k + b * BLOCK, scale + r * kb + b,
                                  correction + r * kb + b);
        return;
    }
#endif
    for (int r = 0; r < m; r++) for (int b = 0; b < kb; b++)
        quantize_block_portable(x + (size_t)r * ldx + b * BLOCK, q + (size_t)r * k + b * BLOCK, scale + r * kb + b,
                                correction + r * kb + b);
}

// MARK: portable

static void gemm_q8_portable(const int8_t *xq, const float *sx, const int32_t *corr, int m, int k,
                             const uint8_t *packed, int n, float *y, int ldy, int p0, int p1, int accumulate) {
    int kb = k / BLOCK;
    for (int p = p0; p < p1; p++) {
        int cols = n - p * PANEL < PANEL ? n - p * PANEL : PANEL;
        const uint8_t *panel = packed + (size_t)p * kb * BLOCK_BYTES;
        for (int i = 0; i < m; i++) {
            float acc[PANEL] = {0};
            for (int b = 0; b < kb; b++) {
                const uint8_t *block = panel + (size_t)b * BLOCK_BYTES;
                const int8_t *xb = xq + (size_t)i * k + b * BLOCK;
                int32_t sums[PANEL];
                for (int j = 0; j < PANEL; j++) sums[j] = corr[i * kb + b];
                for (int g = 0; g < BLOCK / 4; g++)
                    for (int j = 0; j < PANEL; j++)
                        for (int t = 0; t < 4; t++)
                            sums[j] += (int32_t)block[SCALE_BYTES + g * 64 + j * 4 + t] * xb[g * 4 + t];
                float s = sx[i * kb + b];
                for (int j = 0; j < PANEL; j++) {
                    float sw;
                    memcpy(&sw, block + 4 * j, 4);
                    acc[j] += (float)sums[j] * (sw * s);
                }
            }
            float *yr = y + (size_t)i * ldy + p * PANEL;
            for (int j = 0; j < cols; j++) yr[j] = accumulate ? yr[j] + acc[j] : acc[j];
        }
    }
}

// MARK: AVX-512 VNNI

#if DLSP_X86
/// `rows` activation rows × `panels` panels (constants at each call site): per block, 32-bit sums started at the
/// block's correction and then 8 byte dot products, converted and scaled into f32 accumulators.
DLSP_AVX512 static inline __attribute__((always_inline))
void tile_q8_avx512(const int8_t *xq, const float *sx, const int32_t *corr, int k, const int rows,
                    const uint8_t *panel, const int panels, float *y, int ldy, int last_cols, int accumulate) {
    int kb = k / BLOCK;
    size_t stride = (size_t)kb * BLOCK_BYTES;
    __m512 f[TILE_ROWS][WIDE_PANELS];
    for (int r = 0; r < rows; r++) for (int q = 0; q < panels; q++) f[r][q] = _mm512_setzero_ps();
    for (int b = 0; b < kb; b++) {
        __m512i a[TILE_ROWS][WIDE_PANELS];
        for (int r = 0; r < rows; r++) {
            __m512i start = _mm512_set1_epi32(corr[r * kb + b]);
            for (int q = 0; q < panels; q++) a[r][q] = start;
        }
        const uint8_t *weights = panel + (size_t)b * BLOCK_BYTES + SCALE_BYTES;
        for (int g = 0; g < BLOCK / 4; g++) {
            __m512i w[WIDE_PANELS];
            for (int q = 0; q < panels; q++) w[q] = _mm512_loadu_si512((const void *)(weights + q * stride + g * 64));
            for (int r = 0; r < rows; r++) {
                int32_t four;
                memcpy(&four, xq + (size_t)r * k + b * BLOCK + g * 4, 4);
                __m512i xv = _mm512_set1_epi32(four);
                for (int q = 0; q < panels; q++) a[r][q] = _mm512_dpbusd_epi32(a[r][q], w[q], xv);
            }
        }
        __m512 s[WIDE_PANELS];
        for (int q = 0; q < panels; q++) s[q] = _mm512_loadu_ps((const float *)(panel + q * stride + (size_t)b * BLOCK_BYTES));
        for (int r = 0; r < rows; r++) {
            __m512 sxr = _mm512_set1_ps(sx[r * kb + b]);
            for (int q = 0; q < panels; q++)
                f[r][q] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[r][q]), _mm512_mul_ps(s[q], sxr), f[r][q]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * ldy;
        for (int q = 0; q < panels; q++)
            dlsp_store16_avx512(yr + q * PANEL, f[r][q], q == panels - 1 ? last_cols : PANEL, accumulate);
    }
}

DLSP_AVX512 static inline __attribute__((always_inline))
void rows_q8_avx512(const int8_t *xq, const float *sx, const int32_t *corr, int m, int k, const uint8_t *packed,
                    int n, float *y, int ldy, int p, const int panels, int accumulate) {
    int kb = k / BLOCK;
    const uint8_t *panel = packed + (size_t)p * kb * BLOCK_BYTES;
    int last = n - (p + panels - 1) * PANEL;
    int last_cols = last < PANEL ? last : PANEL;
    float *yp = y + p * PANEL;
    int i = 0;
#define DLSP_Q8_TILE(R) tile_q8_avx512(xq + (size_t)i * k, sx + (size_t)i * kb, corr + (size_t)i * kb, k, R, panel, \
                                       panels, yp + (size_t)i * ldy, ldy, last_cols, accumulate)
    for (; i + TILE_ROWS <= m; i += TILE_ROWS) DLSP_Q8_TILE(6);
    switch (m - i) {
    case 5: DLSP_Q8_TILE(5); break;
    case 4: DLSP_Q8_TILE(4); break;
    case 3: DLSP_Q8_TILE(3); break;
    case 2: DLSP_Q8_TILE(2); break;
    case 1: DLSP_Q8_TILE(1); break;
    default: break;
    }
#undef DLSP_Q8_TILE
}

DLSP_AVX512 static void gemm_q8_avx512(const int8_t *xq, const float *sx, const int32_t *corr, int m, int k,
                                       const uint8_t *packed, int n, float *y, int ldy, int p0, int p1,
                                       int accumulate) {
    int p = p0;
    for (; p + WIDE_PANELS <= p1; p += WIDE_PANELS)
        rows_q8_avx512(xq, sx, corr, m, k, packed, n, y, ldy, p, WIDE_PANELS, accumulate);
    for (; p < p1; p++) rows_q8_avx512(xq, sx, corr, m, k, packed, n, y, ldy, p, 1, accumulate);
}
#endif

void dlsp_gemm_q8(const void *xq, int m, int k, const uint8_t *packed, int n, float *y, int ldy,
                  int panel_begin, int panel_end, int accumulate) {
    const int8_t *q;
    const float *scale;
    const int32_t *correction;
    activation_parts(xq, m, k, &q, &scale, &correction);
#if DLSP_X86
    if (dlsp_isa_active() >= DLSP_ISA_AVX512) {
        gemm_q8_avx512(q, scale, correction, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate);
        return;
    }
#endif
    gemm_q8_portable(q, scale, correction, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate);
}
