// Row softmax and SwiGLU with the vector exp: the element-wise work between the matrix products.
#include "CKernels.h"
#include "isa.h"

/// Σ x[0..<n] over eight running sums, a loop the compiler vectorises (a single running sum is a dependency
/// chain it may not reorder).
static float sum_portable(const float *x, int n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int j = 0;
    for (; j + 8 <= n; j += 8) for (int t = 0; t < 8; t++) acc[t] += x[j + t];
    float sum = 0;
    for (; j < n; j++) sum += x[j];
    for (int t = 0; t < 8; t++) sum += acc[t];
    return sum;
}

static void softmax_portable(float *x, int n) {
    float max = -INFINITY;
    for (int j = 0; j < n; j++) max = x[j] > max ? x[j] : max;
    for (int j = 0; j < n; j++) x[j] = dlsp_exp_scalar(x[j] - max);
    float inv = 1.0f / sum_portable(x, n);
    for (int j = 0; j < n; j++) x[j] *= inv;
}

static void swiglu_portable(float *g, const float *u, int count) {
    for (int i = 0; i < count; i++) g[i] = g[i] / (1.0f + dlsp_exp_scalar(-g[i])) * u[i];
}

#if DLSP_X86
DLSP_AVX2 static void softmax_avx2(float *x, int n) {
    __m256 iv = _mm256_set1_ps(1.0f / dlsp_exp_row256(x, n));
    int j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), iv));
    for (; j < n; j++) x[j] *= _mm256_cvtss_f32(iv);
}

DLSP_AVX2 static void swiglu_avx2(float *g, const float *u, int count) {
    int i = 0;
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    for (; i + 8 <= count; i += 8) {
        __m256 gv = _mm256_loadu_ps(g + i);
        __m256 e = dlsp_exp256(_mm256_sub_ps(zero, gv));
        __m256 r = _mm256_mul_ps(_mm256_div_ps(gv, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i));
        _mm256_storeu_ps(g + i, r);
    }
    for (; i < count; i++) g[i] = g[i] / (1.0f + dlsp_exp_scalar(-g[i])) * u[i];
}
#endif

void dlsp_softmax_rows(float *x, int rows, int n, int stride) {
#if DLSP_X86
    if (dlsp_isa_active() >= DLSP_ISA_AVX2_FMA) {
        for (int r = 0; r < rows; r++) softmax_avx2(x + (size_t)r * stride, n);
        return;
    }
#endif
    for (int r = 0; r < rows; r++) softmax_portable(x + (size_t)r * stride, n);
}

void dlsp_swiglu(float *g, const float *u, int count) {
#if DLSP_X86
    if (dlsp_isa_active() >= DLSP_ISA_AVX2_FMA) { swiglu_avx2(g, u, count); return; }
#endif
    swiglu_portable(g, u, count);
}
