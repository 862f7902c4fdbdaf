// Attention of a few query rows against the whole cached canvas, fused with its softmax.
//
// Why: a denoising step has ~32 query rows per head against ~1,000 cached keys of 64 or 128 dimensions. As two
// sgemm calls (scores, then scores·V) OpenBLAS packs the key and value caches on every call and zeroes the
// score matrix first. Here one call takes a head's query rows (up to 64) through the keys block by block and
// then through the values block by block, so each block is read once from memory and then reused from L1.
#include "CKernels.h"
#include "isa.h"

// MARK: portable

static void rows_portable(const float *q, int ldq, int rows, const float *k, const float *v, int ldkv, int n,
                          int hd, float scale, float *scratch, float *out, int ldo) {
    for (int r = 0; r < rows; r++) {
        const float *qr = q + (size_t)r * ldq;
        float *s = scratch;
        float max = -INFINITY;
        for (int j = 0; j < n; j++) {
            const float *kj = k + (size_t)j * ldkv;
            float dot = 0;
            for (int d = 0; d < hd; d++) dot += qr[d] * kj[d];
            s[j] = dot * scale;
            if (s[j] > max) max = s[j];
        }
        float sum = 0;
        for (int j = 0; j < n; j++) { s[j] = dlsp_exp_scalar(s[j] - max); sum += s[j]; }
        float inv = 1.0f / sum;
        float *o = out + (size_t)r * ldo;
        for (int d = 0; d < hd; d++) o[d] = 0;
        for (int j = 0; j < n; j++) {
            const float *vj = v + (size_t)j * ldkv;
            float pj = s[j];
            for (int d = 0; d < hd; d++) o[d] += pj * vj[d];
        }
        for (int d = 0; d < hd; d++) o[d] *= inv;
    }
}

// MARK: AVX2 + FMA

#if DLSP_X86
/// Scaled scores of `rows` (1 or 2, constant at each call site) query rows against all keys, four keys at a
/// time: eight accumulators of partial dot products, reduced four at once with horizontal adds.
DLSP_AVX2 static inline __attribute__((always_inline))
void scores_avx2(const float *q, int ldq, const int rows, const float *k, int ldkv, int n, int hd, float scale,
                 float *s, int lds) {
    int j = 0;
    const __m128 sc = _mm_set1_ps(scale);
    for (; j + 4 <= n; j += 4) {
        __m256 acc[2][4];
        for (int r = 0; r < rows; r++) for (int t = 0; t < 4; t++) acc[r][t] = _mm256_setzero_ps();
        const float *k0 = k + (size_t)j * ldkv;
        for (int d = 0; d < hd; d += 8) {
            __m256 kv[4];
            for (int t = 0; t < 4; t++) kv[t] = _mm256_loadu_ps(k0 + (size_t)t * ldkv + d);
            for (int r = 0; r < rows; r++) {
                __m256 qv = _mm256_loadu_ps(q + (size_t)r * ldq + d);
                for (int t = 0; t < 4; t++) acc[r][t] = _mm256_fmadd_ps(qv, kv[t], acc[r][t]);
            }
        }
        for (int r = 0; r < rows; r++) {
            __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(acc[r][0], acc[r][1]), _mm256_hadd_ps(acc[r][2], acc[r][3]));
            __m128 sum = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
            _mm_storeu_ps(s + (size_t)r * lds + j, _mm_mul_ps(sum, sc));
        }
    }
    for (; j < n; j++) {
        const float *kj = k + (size_t)j * ldkv;
        for (int r = 0; r < rows; r++) {
            __m256 acc = _mm256_setzero_ps();
            for (int d = 0; d < hd; d += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + (size_t)r * ldq + d), _mm256_loadu_ps(kj + d), acc);
            s[(size_t)r * lds + j] = dlsp_hsum256(acc) * scale;
        }
    }
}

/// Replaces a row of scores by e^(s − max) and returns 1 / Σ.
DLSP_AVX2 static float exp_row_avx2(float *s, int n) {
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= n; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(s + j));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float max = _mm_cvtss_f32(m4);
    for (; j < n; j++) if (s[j] > max) max = s[j];
    __m256 mx = _mm256_set1_ps(max), sv = _mm256_setzero_ps();
    j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = dlsp_exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), mx));
        _mm256_storeu_ps(s + j, e);
        sv = _mm256_add_ps(sv, e);
    }
    float sum = dlsp_hsum256(sv);
    for (; j < n; j++) { s[j] = dlsp_exp_scalar(s[j] - max); sum += s[j]; }
    return 1.0f / sum;
}

/// out[r, d..<d+16] += Σ_{j < n} p[r, j] · v_j[d..<d+16] for `rows` (≤ 6, constant at each call site) rows:
/// twelve accumulators, two value loads and one broadcast per key and row.
DLSP_AVX2 static inline __attribute__((always_inline))
void weighted_values_avx2(const float *p, int ldp, const int rows, const float *v, int ldkv, int n, int hd,
                          float *out, int ldo) {
    for (int d = 0; d < hd; d += 16) {
        __m256 acc[6][2];
        for (int r = 0; r < rows; r++) {
            acc[r][0] = _mm256_loadu_ps(out + (size_t)r * ldo + d);
            acc[r][1] = _mm256_loadu_ps(out + (size_t)r * ldo + d + 8);
        }
        const float *vd = v + d;
        for (int j = 0; j < n; j++) {
            __m256 v0 = _mm256_loadu_ps(vd + (size_t)j * ldkv), v1 = _mm256_loadu_ps(vd + (size_t)j * ldkv + 8);
            for (int r = 0; r < rows; r++) {
                __m256 pb = _mm256_broadcast_ss(p + (size_t)r * ldp + j);
                acc[r][0] = _mm256_fmadd_ps(pb, v0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(pb, v1, acc[r][1]);
            }
        }
        for (int r = 0; r < rows; r++) {
            _mm256_storeu_ps(out + (size_t)r * ldo + d, acc[r][0]);
            _mm256_storeu_ps(out + (size_t)r * ldo + d + 8, acc[r][1]);
        }
    }
}

/// All `rows` query rows against one block of keys at a time, so each block of K and then of V is read from
/// memory once per call rather than once per few rows.
DLSP_AVX2 static void rows_avx2(const float *q, int ldq, int rows, const float *k, const float *v, int ldkv,
                                int n, int hd, float scale, float *s, float *out, int ldo) {
    const int kb = hd <= 64 ? 64 : 4096 / hd;   // a key block of K or V fills about 16 KiB of L1
    for (int j0 = 0; j0 < n; j0 += kb) {
        int jn = n - j0 < kb ? n - j0 : kb;
        int r = 0;
        for (; r + 2 <= rows; r += 2)
            scores_avx2(q + (size_t)r * ldq, ldq, 2, k + (size_t)j0 * ldkv, ldkv, jn, hd, scale,
                        s + (size_t)r * n + j0, n);
        if (r < rows)
            scores_avx2(q + (size_t)r * ldq, ldq, 1, k + (size_t)j0 * ldkv, ldkv, jn, hd, scale,
                        s + (size_t)r * n + j0, n);
    }
    for (int r = 0; r < rows; r++) {
        float inv = exp_row_avx2(s + (size_t)r * n, n);
        // The normalisation is applied to the probabilities (n multiplies) rather than the output, so the
        // value pass can accumulate straight into `out`.
        __m256 iv = _mm256_set1_ps(inv);
        float *sr = s + (size_t)r * n;
        int j = 0;
        for (; j + 8 <= n; j += 8) _mm256_storeu_ps(sr + j, _mm256_mul_ps(_mm256_loadu_ps(sr + j), iv));
        for (; j < n; j++) sr[j] *= inv;
        memset(out + (size_t)r * ldo, 0, sizeof(float) * (size_t)hd);
    }
    for (int j0 = 0; j0 < n; j0 += kb) {
        int jn = n - j0 < kb ? n - j0 : kb;
        const float *vb = v + (size_t)j0 * ldkv;
        int r = 0;
        for (; r + 6 <= rows; r += 6)
            weighted_values_avx2(s + (size_t)r * n + j0, n, 6, vb, ldkv, jn, hd, out + (size_t)r * ldo, ldo);
        const float *sr = s + (size_t)r * n + j0;
        float *orow = out + (size_t)r * ldo;
        switch (rows - r) {
        case 5: weighted_values_avx2(sr, n, 5, vb, ldkv, jn, hd, orow, ldo); break;
        case 4: weighted_values_avx2(sr, n, 4, vb, ldkv, jn, hd, orow, ldo); break;
        case 3: weighted_values_avx2(sr, n, 3, vb, ldkv, jn, hd, orow, ldo); break;
        case 2: weighted_values_avx2(sr, n, 2, vb, ldkv, jn, hd, orow, ldo); break;
        case 1: weighted_values_avx2(sr, n, 1, vb, ldkv, jn, hd, orow, ldo); break;
        default: break;
        }
    }
}
#endif

void dlsp_attention_rows(const float *q, int ldq, int row_begin, int row_end,
                         const float *k, const float *v, int ldkv, int n, int head_dim, float scale,
                         float *scratch, float *out, int ldo) {
    if (row_end <= row_begin || n <= 0) return;
    const float *qb = q + (size_t)row_begin * ldq;
    float *ob = out + (size_t)row_begin * ldo;
#if DLSP_X86
    if (dlsp_isa_active() == DLSP_ISA_AVX2_FMA && head_dim % 16 == 0) {
        rows_avx2(qb, ldq, row_end - row_begin, k, v, ldkv, n, head_dim, scale, scratch, ob, ldo);
        return;
    }
#endif
    rows_portable(qb, ldq, row_end - row_begin, k, v, ldkv, n, head_dim, scale, scratch, ob, ldo);
}
