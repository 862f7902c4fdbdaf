// Shared by the kernel files: the x86 target attributes, IEEE half conversions and the vector exp every path uses.
#ifndef DLSP_ISA_H
#define DLSP_ISA_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DLSP_X86 1
#include <immintrin.h>
#define DLSP_AVX2 __attribute__((target("avx2,fma,f16c")))
/// AVX-512 with the byte/word, vector-length and VNNI extensions (Ice Lake, Sapphire Rapids, Zen 4 and later).
#define DLSP_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#else
#define DLSP_X86 0
#endif

/// IEEE half → float, exactly (normals, subnormals, infinities, NaN).
static inline float dlsp_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {
            int e = -1;
            do { e++; mant <<= 1; } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000 | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// float → IEEE half, rounding to nearest even (exact for values that came from a half).
static inline uint16_t dlsp_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000;
        int shift = 14 - exp;
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;   // a carry into the exponent is right
    return (uint16_t)half;
}

/// e^x: Cody–Waite reduction to r ∈ [−ln2/2, ln2/2], a degree-6 polynomial, 2^n put back through the float's
/// bits; relative error about 2e-7 (the same algorithm as the engine's Swift `expVec`).
static inline float dlsp_exp_scalar(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    // Round to nearest through the 1.5·2²³ trick rather than nearbyintf, so that loops calling this vectorise
    // on baseline x86-64 (SSE2 has no rounding instruction).
    float n = (x * 1.442695040888963f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

#if DLSP_X86
/// Writes (or, with `accumulate`, adds) the first `cols` (≤ 16) lanes of `v` to y: a tile's row of one panel,
/// masked for the last panel of a matrix whose outputs are not a multiple of 16.
DLSP_AVX512 static inline __attribute__((always_inline)) void dlsp_store16_avx512(float *y, __m512 v, int cols,
                                                                                    int accumulate) {
    __mmask16 keep = cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(keep, y));
    _mm512_mask_storeu_ps(y, keep, v);
}

DLSP_AVX2 static inline __m256 dlsp_exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.442695040888963f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/// Sum of the eight lanes.
DLSP_AVX2 static inline float dlsp_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Replaces x[0..<n] by e^(x − max x) and returns the sum: the unnormalised half of a softmax.
DLSP_AVX2 static inline float dlsp_exp_row256(float *x, int n) {
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= n; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + j));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float max = _mm_cvtss_f32(m4);
    for (; j < n; j++) if (x[j] > max) max = x[j];
    __m256 mx = _mm256_set1_ps(max), sv = _mm256_setzero_ps();
    j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = dlsp_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), mx));
        _mm256_storeu_ps(x + j, e);
        sv = _mm256_add_ps(sv, e);
    }
    float sum = dlsp_hsum256(sv);
    for (; j < n; j++) { x[j] = dlsp_exp_scalar(x[j] - max); sum += x[j]; }
    return sum;
}
#endif

#endif
