// Products of a few activation rows with a weight matrix packed once at load time, the weights stored as f32,
// IEEE half or bfloat16 and widened to f32 in registers (the activations stay f32, so the product is exact for
// the stored weights).
//
// Why: a denoising step multiplies ~32 rows by every weight matrix. OpenBLAS re-packs the whole weight matrix on
// every call, which at that height costs about as much as the multiplication; packed once, the weights stream
// straight into a register-blocked kernel. With AVX2 the tile is 6 rows × 16 outputs: twelve 8-lane accumulators,
// two weight vectors and one broadcast fill fifteen of the sixteen registers. With AVX-512 it is 6 rows × 4 panels
// of 16: twenty-four 16-lane accumulators, four weight vectors and a broadcast in the 32 registers, each weight
// vector used six times and each broadcast four.
#include "CKernels.h"
#include "isa.h"

enum { PANEL = 16, TILE_ROWS = 6 };

size_t dlsp_packed_floats(int n, int k) {
    return (size_t)((n + PANEL - 1) / PANEL) * PANEL * (size_t)k;
}

void dlsp_pack_weights(const float *w, int n, int k, float *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * PANEL * k;
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < PANEL; j++) {
                int row = p * PANEL + j;
                dst[(size_t)kk * PANEL + j] = row < n ? w[(size_t)row * k + kk] : 0.0f;
            }
        }
    }
}

/// float → bfloat16, rounding to nearest even (exact for values that came from a bfloat16); NaN stays NaN.
static uint16_t float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void dlsp_pack_weights_bf16(const float *w, int n, int k, uint16_t *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        uint16_t *dst = packed + (size_t)p * PANEL * k;
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < PANEL; j++) {
                int row = p * PANEL + j;
                dst[(size_t)kk * PANEL + j] = row < n ? float_to_bf16(w[(size_t)row * k + kk]) : 0;
            }
        }
    }
}

void dlsp_pack_weights_f16(const float *w, int n, int k, uint16_t *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        uint16_t *dst = packed + (size_t)p * PANEL * k;
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < PANEL; j++) {
                int row = p * PANEL + j;
                dst[(size_t)kk * PANEL + j] = row < n ? dlsp_float_to_half(w[(size_t)row * k + kk]) : 0;
            }
        }
    }
}

/// Writes a finished tile row: `cols` outputs (16 except in the last panel), stored or added.
static inline void store_row(float *y, const float *acc, int cols, int accumulate) {
    if (accumulate) { for (int j = 0; j < cols; j++) y[j] += acc[j]; }
    else { for (int j = 0; j < cols; j++) y[j] = acc[j]; }
}

/// Elements of panel p's start: panels are PANEL·k elements apart whatever the element size.
static inline const void *panel_at(const void *packed, int format, int p, int k) {
    size_t offset = (size_t)p * PANEL * k;
    return format == DLSP_PANEL_F32 ? (const void *)((const float *)packed + offset)
                                    : (const void *)((const uint16_t *)packed + offset);
}

// MARK: portable

/// One tile: `rows` (≤ 6) rows × one panel. Plain loops over a 16-wide accumulator the compiler vectorises.
static inline __attribute__((always_inline))
void tile_portable(const float *x, int ldx, int rows, int k, const void *panel, const int format, float *y, int ldy,
                   int cols, int accumulate) {
    float acc[TILE_ROWS][PANEL];
    for (int r = 0; r < rows; r++) for (int j = 0; j < PANEL; j++) acc[r][j] = 0;
    for (int kk = 0; kk < k; kk++) {
        float widened[PANEL];
        const float *wv = widened;
        const uint16_t *h = (const uint16_t *)panel + (size_t)kk * PANEL;
        if (format == DLSP_PANEL_F16) {
            for (int j = 0; j < PANEL; j++) widened[j] = dlsp_half_to_float(h[j]);
        } else if (format == DLSP_PANEL_BF16) {
            for (int j = 0; j < PANEL; j++) widened[j] = bf16_to_float(h[j]);
        } else {
            wv = (const float *)panel + (size_t)kk * PANEL;
        }
        for (int r = 0; r < rows; r++) {
            float xv = x[(size_t)r * ldx + kk];
            for (int j = 0; j < PANEL; j++) acc[r][j] += xv * wv[j];
        }
    }
    for (int r = 0; r < rows; r++) store_row(y + (size_t)r * ldy, acc[r], cols, accumulate);
}

static void gemm_portable(const float *x, int ldx, int m, int k, const void *packed, const int format, int n,
                          float *y, int ldy, int p0, int p1, int accumulate) {
    for (int p = p0; p < p1; p++) {
        const void *panel = panel_at(packed, format, p, k);
        int cols = n - p * PANEL < PANEL ? n - p * PANEL : PANEL;
        for (int i = 0; i < m; i += TILE_ROWS) {
            int rows = m - i < TILE_ROWS ? m - i : TILE_ROWS;
            tile_portable(x + (size_t)i * ldx, ldx, rows, k, panel, format, y + (size_t)i * ldy + p * PANEL, ldy,
                          cols, accumulate);
        }
    }
}

// MARK: AVX2 + FMA

#if DLSP_X86
/// Eight weights of a panel row widened to f32.
DLSP_AVX2 static inline __attribute__((always_inline)) __m256 load8_avx2(const void *panel, size_t i, const int format) {
    if (format == DLSP_PANEL_F32) return _mm256_loadu_ps((const float *)panel + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)panel + i));
    if (format == DLSP_PANEL_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/// One tile with the row count a compile-time constant at each call site (always inlined), so the
/// accumulators stay in registers.
DLSP_AVX2 static inline __attribute__((always_inline))
void tile_avx2(const float *x, int ldx, const int rows, int k, const void *panel, const int format, float *y, int ldy,
               int cols, int accumulate) {
    __m256 c[TILE_ROWS][2];
    for (int r = 0; r < rows; r++) { c[r][0] = _mm256_setzero_ps(); c[r][1] = _mm256_setzero_ps(); }
    for (int kk = 0; kk < k; kk++) {
        __m256 w0 = load8_avx2(panel, (size_t)kk * PANEL, format);
        __m256 w1 = load8_avx2(panel, (size_t)kk * PANEL + 8, format);
        for (int r = 0; r < rows; r++) {
            __m256 xv = _mm256_broadcast_ss(x + (size_t)r * ldx + kk);
            c[r][0] = _mm256_fmadd_ps(xv, w0, c[r][0]);
            c[r][1] = _mm256_fmadd_ps(xv, w1, c[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * ldy;
        if (cols == PANEL) {
            if (accumulate) {
                _mm256_storeu_ps(yr, _mm256_add_ps(_mm256_loadu_ps(yr), c[r][0]));
                _mm256_storeu_ps(yr + 8, _mm256_add_ps(_mm256_loadu_ps(yr + 8), c[r][1]));
            } else {
                _mm256_storeu_ps(yr, c[r][0]);
                _mm256_storeu_ps(yr + 8, c[r][1]);
            }
        } else {
            float tmp[PANEL];
            _mm256_storeu_ps(tmp, c[r][0]);
            _mm256_storeu_ps(tmp + 8, c[r][1]);
            store_row(yr, tmp, cols, accumulate);
        }
    }
}

/// All tiles of panels [p0, p1), with `format` a constant at each call site (one copy per element type).
DLSP_AVX2 static inline __attribute__((always_inline))
void gemm_avx2(const float *x, int ldx, int m, int k, const void *packed, const int format, int n,
               float *y, int ldy, int p0, int p1, int accumulate) {
    for (int p = p0; p < p1; p++) {
        const void *panel = panel_at(packed, format, p, k);
        int cols = n - p * PANEL < PANEL ? n - p * PANEL : PANEL;
        float *yp = y + p * PANEL;
        int i = 0;
        for (; i + TILE_ROWS <= m; i += TILE_ROWS)
            tile_avx2(x + (size_t)i * ldx, ldx, 6, k, panel, format, yp + (size_t)i * ldy, ldy, cols, accumulate);
        const float *xr = x + (size_t)i * ldx;
        float *yr = yp + (size_t)i * ldy;
        switch (m - i) {
        case 5: tile_avx2(xr, ldx, 5, k, panel, format, yr, ldy, cols, accumulate); break;
        case 4: tile_avx2(xr, ldx, 4, k, panel, format, yr, ldy, cols, accumulate); break;
        case 3: tile_avx2(xr, ldx, 3, k, panel, format, yr, ldy, cols, accumulate); break;
        case 2: tile_avx2(xr, ldx, 2, k, panel, format, yr, ldy, cols, accumulate); break;
        case 1: tile_avx2(xr, ldx, 1, k, panel, format, yr, ldy, cols, accumulate); break;
        default: break;
        }
    }
}

DLSP_AVX2 static void gemm_avx2_f32(const float *x, int ldx, int m, int k, const void *packed, int n,
                                    float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx2(x, ldx, m, k, packed, DLSP_PANEL_F32, n, y, ldy, p0, p1, accumulate);
}
DLSP_AVX2 static void gemm_avx2_f16(const float *x, int ldx, int m, int k, const void *packed, int n,
                                    float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx2(x, ldx, m, k, packed, DLSP_PANEL_F16, n, y, ldy, p0, p1, accumulate);
}
DLSP_AVX2 static void gemm_avx2_bf16(const float *x, int ldx, int m, int k, const void *packed, int n,
                                     float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx2(x, ldx, m, k, packed, DLSP_PANEL_BF16, n, y, ldy, p0, p1, accumulate);
}

// MARK: AVX-512

enum { WIDE_PANELS = 4 };

/// Sixteen weights (one panel row) widened to f32.
DLSP_AVX512 static inline __attribute__((always_inline))
__m512 load16_avx512(const void *panel, size_t i, const int format) {
    if (format == DLSP_PANEL_F32) return _mm512_loadu_ps((const float *)panel + i);
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)panel + i));
    if (format == DLSP_PANEL_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/// `rows` rows × `panels` panels (both constants at each call site). `panel` is the first panel; the others follow
/// at PANEL·k elements each. The last panel of the matrix may hold fewer than 16 outputs (`last_cols`), written
/// through a mask.
DLSP_AVX512 static inline __attribute__((always_inline))
void tile_avx512(const float *x, int ldx, const int rows, int k, const void *panel, const int panels, const int format,
                 float *y, int ldy, int last_cols, int accumulate) {
    __m512 c[TILE_ROWS][WIDE_PANELS];
    size_t stride = (size_t)PANEL * k;
    for (int r = 0; r < rows; r++) for (int q = 0; q < panels; q++) c[r][q] = _mm512_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m512 w[WIDE_PANELS];
        for (int q = 0; q < panels; q++) w[q] = load16_avx512(panel, q * stride + (size_t)kk * PANEL, format);
        for (int r = 0; r < rows; r++) {
            __m512 xv = _mm512_set1_ps(x[(size_t)r * ldx + kk]);
            for (int q = 0; q < panels; q++) c[r][q] = _mm512_fmadd_ps(xv, w[q], c[r][q]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * ldy;
        for (int q = 0; q < panels; q++)
            dlsp_store16_avx512(yr + q * PANEL, c[r][q], q == panels - 1 ? last_cols : PANEL, accumulate);
    }
}

/// Rows [0, m) of `panels` consecutive panels starting at p, 6 rows at a time.
DLSP_AVX512 static inline __attribute__((always_inline))
void rows_avx512(const float *x, int ldx, int m, int k, const void *packed, const int format, int n, float *y,
                 int ldy, int p, const int panels, int accumulate) {
    const void *panel = panel_at(packed, format, p, k);
    int last = n - (p + panels - 1) * PANEL;
    int last_cols = last < PANEL ? last : PANEL;
    float *yp = y + p * PANEL;
    int i = 0;
    for (; i + TILE_ROWS <= m; i += TILE_ROWS)
        tile_avx512(x + (size_t)i * ldx, ldx, 6, k, panel, panels, format, yp + (size_t)i * ldy, ldy, last_cols,
                    accumulate);
    const float *xr = x + (size_t)i * ldx;
    float *yr = yp + (size_t)i * ldy;
    switch (m - i) {
    case 5: tile_avx512(xr, ldx, 5, k, panel, panels, format, yr, ldy, last_cols, accumulate); break;
    case 4: tile_avx512(xr, ldx, 4, k, panel, panels, format, yr, ldy, last_cols, accumulate); break;
    case 3: tile_avx512(xr, ldx, 3, k, panel, panels, format, yr, ldy, last_cols, accumulate); break;
    case 2: tile_avx512(xr, ldx, 2, k, panel, panels, format, yr, ldy, last_cols, accumulate); break;
    case 1: tile_avx512(xr, ldx, 1, k, panel, panels, format, yr, ldy, last_cols, accumulate); break;
    default: break;
    }
}

DLSP_AVX512 static inline __attribute__((always_inline))
void gemm_avx512(const float *x, int ldx, int m, int k, const void *packed, const int format, int n,
                 float *y, int ldy, int p0, int p1, int accumulate) {
    int p = p0;
    for (; p + WIDE_PANELS <= p1; p += WIDE_PANELS)
        rows_avx512(x, ldx, m, k, packed, format, n, y, ldy, p, WIDE_PANELS, accumulate);
    for (; p < p1; p++) rows_avx512(x, ldx, m, k, packed, format, n, y, ldy, p, 1, accumulate);
}

DLSP_AVX512 static void gemm_avx512_f32(const float *x, int ldx, int m, int k, const void *packed, int n,
                                        float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx512(x, ldx, m, k, packed, DLSP_PANEL_F32, n, y, ldy, p0, p1, accumulate);
}
DLSP_AVX512 static void gemm_avx512_f16(const float *x, int ldx, int m, int k, const void *packed, int n,
                                        float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx512(x, ldx, m, k, packed, DLSP_PANEL_F16, n, y, ldy, p0, p1, accumulate);
}
DLSP_AVX512 static void gemm_avx512_bf16(const float *x, int ldx, int m, int k, const void *packed, int n,
                                         float *y, int ldy, int p0, int p1, int accumulate) {
    gemm_avx512(x, ldx, m, k, packed, DLSP_PANEL_BF16, n, y, ldy, p0, p1, accumulate);
}
#endif

void dlsp_gemm_panels(const float *x, int ldx, int m, int k, const void *packed, int format, int n,
                      float *y, int ldy, int panel_begin, int panel_end, int accumulate) {
#if DLSP_X86
    int isa = dlsp_isa_active();
    if (isa >= DLSP_ISA_AVX512) {
        switch (format) {
        case DLSP_PANEL_F16: gemm_avx512_f16(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        case DLSP_PANEL_BF16: gemm_avx512_bf16(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        default: gemm_avx512_f32(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        }
    }
    if (isa >= DLSP_ISA_AVX2_FMA) {
        switch (format) {
        case DLSP_PANEL_F16: gemm_avx2_f16(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        case DLSP_PANEL_BF16: gemm_avx2_bf16(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        default: gemm_avx2_f32(x, ldx, m, k, packed, n, y, ldy, panel_begin, panel_end, accumulate); return;
        }
    }
#endif
    switch (format) {
    case DLSP_PANEL_F16: gemm_portable(x, ldx, m, k, packed, DLSP_PANEL_F16, n, y, ldy, panel_begin, panel_end, accumulate); return;
    case DLSP_PANEL_BF16: gemm_portable(x, ldx, m, k, packed, DLSP_PANEL_BF16, n, y, ldy, panel_begin, panel_end, accumulate); return;
    default: gemm_portable(x, ldx, m, k, packed, DLSP_PANEL_F32, n, y, ldy, panel_begin, panel_end, accumulate); return;
    }
}

void dlsp_gemm_packed(const float *x, int ldx, int m, int k, const float *packed, int n,
                      float *y, int ldy, int panel_begin, int panel_end, int accumulate) {
    dlsp_gemm_panels(x, ldx, m, k, packed, DLSP_PANEL_F32, n, y, ldy, panel_begin, panel_end, accumulate);
}

void dlsp_gemm_packed_f16(const float *x, int ldx, int m, int k, const uint16_t *packed, int n,
                          float *y, int ldy, int panel_begin, int panel_end, int accumulate) {
    dlsp_gemm_panels(x, ldx, m, k, packed, DLSP_PANEL_F16, n, y, ldy, panel_begin, panel_end, accumulate);
}
