// Attention of a few query rows against the whole cached canvas, fused with its softmax.
//
// Why: a denoising step has ~32 query rows per head against ~1,000 cached keys of 64 or 128 dimensions. As two
// sgemm calls (scores, then scores·V) OpenBLAS packs the key and value caches on every call and zeroes the
// score matrix first. Here one call takes a head's query rows (up to 64) through the keys block by block (each
// block transposed once into L1, so scores need no horizontal sums) and then through the values block by block,
// so each block is read once from memory and then reused from L1 for every query row.
#include "CKernels.h"
#include "isa.h"

/// Query rows one pass over the keys and values takes (the scratch holds their score rows).
enum { MAX_ROWS = 64 };

/// Keys per block: a block of K or V fills about 16 KiB of L1; a multiple of 16 keys for the transposed scores.
static int key_block(int hd) {
    int kb = (4096 / hd) & ~15;
    return kb < 16 ? 16 : kb;
}

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
/// Scaled scores of `rows` (≤ 4, constant at each call site) query rows against a block of `jn` keys held
/// transposed (`kt[d·kb + j]`, zero-padded to a multiple of 16 keys): sixteen keys at a time, one broadcast of a
/// query element against two vectors of keys, no horizontal sums.
DLSP_AVX2 static inline __attribute__((always_inline))
void scores_t_avx2(const float *q, int ldq, const int rows, const float *kt, int kb, int jn, int hd, float scale,
                   float *s, int lds) {
    const __m256 sc = _mm256_set1_ps(scale);
    for (int j = 0; j < jn; j += 16) {
        __m256 acc[4][2];
        for (int r = 0; r < rows; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
        for (int d = 0; d < hd; d++) {
            __m256 k0 = _mm256_loadu_ps(kt + (size_t)d * kb + j), k1 = _mm256_loadu_ps(kt + (size_t)d * kb + j + 8);
            for (int r = 0; r < rows; r++) {
                __m256 qb = _mm256_broadcast_ss(q + (size_t)r * ldq + d);
                acc[r][0] = _mm256_fmadd_ps(qb, k0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(qb, k1, acc[r][1]);
            }
        }
        for (int r = 0; r < rows; r++) {
            float *sr = s + (size_t)r * lds + j;
            if (j + 16 <= jn) {
                _mm256_storeu_ps(sr, _mm256_mul_ps(acc[r][0], sc));
                _mm256_storeu_ps(sr + 8, _mm256_mul_ps(acc[r][1], sc));
            } else {
                float tmp[16];
                _mm256_storeu_ps(tmp, _mm256_mul_ps(acc[r][0], sc));
                _mm256_storeu_ps(tmp + 8, _mm256_mul_ps(acc[r][1], sc));
                for (int t = 0; t < jn - j; t++) sr[t] = tmp[t];
            }
        }
    }
}

/// Copies keys [0, jn) of a block into kt transposed (kt[d·kb + j] = k_j[d]), zero up to a multiple of 16:
/// 8 keys × 8 dimensions at a time through registers (hd is a multiple of 16 here), the last keys one by one.
DLSP_AVX2 static void transpose_keys(const float *k, int ldkv, int jn, int hd, float *kt, int kb) {
    int j = 0;
    for (; j + 8 <= jn; j += 8) {
        for (int d = 0; d < hd; d += 8) {
            __m256 r[8], t[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(k + (size_t)(j + i) * ldkv + d);
            t[0] = _mm256_unpacklo_ps(r[0], r[1]); t[1] = _mm256_unpackhi_ps(r[0], r[1]);
            t[2] = _mm256_unpacklo_ps(r[2], r[3]); t[3] = _mm256_unpackhi_ps(r[2], r[3]);
            t[4] = _mm256_unpacklo_ps(r[4], r[5]); t[5] = _mm256_unpackhi_ps(r[4], r[5]);
            t[6] = _mm256_unpacklo_ps(r[6], r[7]); t[7] = _mm256_unpackhi_ps(r[6], r[7]);
            r[0] = _mm256_shuffle_ps(t[0], t[2], 0x44); r[1] = _mm256_shuffle_ps(t[0], t[2], 0xEE);
            r[2] = _mm256_shuffle_ps(t[1], t[3], 0x44); r[3] = _mm256_shuffle_ps(t[1], t[3], 0xEE);
            r[4] = _mm256_shuffle_ps(t[4], t[6], 0x44); r[5] = _mm256_shuffle_ps(t[4], t[6], 0xEE);
            r[6] = _mm256_shuffle_ps(t[5], t[7], 0x44); r[7] = _mm256_shuffle_ps(t[5], t[7], 0xEE);
            // Row i of the transposed tile (dimension d + i across the 8 keys).
            float *dst = kt + (size_t)d * kb + j;
            _mm256_storeu_ps(dst + 0 * (size_t)kb, _mm256_permute2f128_ps(r[0], r[4], 0x20));
            _mm256_storeu_ps(dst + 1 * (size_t)kb, _mm256_permute2f128_ps(r[1], r[5], 0x20));
            _mm256_storeu_ps(dst + 2 * (size_t)kb, _mm256_permute2f128_ps(r[2], r[6], 0x20));
            _mm256_storeu_ps(dst + 3 * (size_t)kb, _mm256_permute2f128_ps(r[3], r[7], 0x20));
            _mm256_storeu_ps(dst + 4 * (size_t)kb, _mm256_permute2f128_ps(r[0], r[4], 0x31));
            _mm256_storeu_ps(dst + 5 * (size_t)kb, _mm256_permute2f128_ps(r[1], r[5], 0x31));
            _mm256_storeu_ps(dst + 6 * (size_t)kb, _mm256_permute2f128_ps(r[2], r[6], 0x31));
            _mm256_storeu_ps(dst + 7 * (size_t)kb, _mm256_permute2f128_ps(r[3], r[7], 0x31));
        }
    }
    for (; j < jn; j++) {
        const float *kj = k + (size_t)j * ldkv;
        for (int d = 0; d < hd; d++) kt[(size_t)d * kb + j] = kj[d];
    }
    int padded = (jn + 15) & ~15;
    for (int d = 0; d < hd; d++) for (int jj = jn; jj < padded; jj++) kt[(size_t)d * kb + jj] = 0;
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
    const int kb = key_block(hd);
    float *kt = s + (size_t)rows * n;   // the transposed key block, after the score rows
    for (int j0 = 0; j0 < n; j0 += kb) {
        int jn = n - j0 < kb ? n - j0 : kb;
        transpose_keys(k + (size_t)j0 * ldkv, ldkv, jn, hd, kt, kb);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            scores_t_avx2(q + (size_t)r * ldq, ldq, 4, kt, kb, jn, hd, scale, s + (size_t)r * n + j0, n);
        const float *qr = q + (size_t)r * ldq;
        float *sr = s + (size_t)r * n + j0;
        switch (rows - r) {
        case 3: scores_t_avx2(qr, ldq, 3, kt, kb, jn, hd, scale, sr, n); break;
        case 2: scores_t_avx2(qr, ldq, 2, kt, kb, jn, hd, scale, sr, n); break;
        case 1: scores_t_avx2(qr, ldq, 1, kt, kb, jn, hd, scale, sr, n); break;
        default: break;
        }
    }
    // Unnormalised probabilities; the value pass accumulates into `out` block by block and each row is scaled by
    // 1/Σ at the end (hd multiplies a row instead of n).
    float inv[MAX_ROWS];
    for (int r = 0; r < rows; r++) {
        inv[r] = 1.0f / dlsp_exp_row256(s + (size_t)r * n, n);
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
    for (int r = 0; r < rows; r++) {
        __m256 iv = _mm256_set1_ps(inv[r]);
        float *o = out + (size_t)r * ldo;
        for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(o + d, _mm256_mul_ps(_mm256_loadu_ps(o + d), iv));
    }
}

// MARK: AVX-512

/// Scaled scores of `rows` (≤ 6, constant at each call site) query rows against a transposed key block: 32 keys
/// (two vectors) at a time, or 16 for the block's last keys.
DLSP_AVX512 static inline __attribute__((always_inline))
void scores_t_avx512(const float *q, int ldq, const int rows, const float *kt, int kb, int jn, int hd, float scale,
                     float *s, int lds) {
    const __m512 sc = _mm512_set1_ps(scale);
    int padded = (jn + 15) & ~15;
    int j = 0;
    for (; j + 32 <= padded; j += 32) {
        __m512 acc[6][2];
        for (int r = 0; r < rows; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
        for (int d = 0; d < hd; d++) {
            __m512 k0 = _mm512_loadu_ps(kt + (size_t)d * kb + j), k1 = _mm512_loadu_ps(kt + (size_t)d * kb + j + 16);
            for (int r = 0; r < rows; r++) {
                __m512 qb = _mm512_set1_ps(q[(size_t)r * ldq + d]);
                acc[r][0] = _mm512_fmadd_ps(qb, k0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(qb, k1, acc[r][1]);
            }
        }
        for (int r = 0; r < rows; r++) {
            float *sr = s + (size_t)r * lds + j;
            int left = jn - j;
            __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            __mmask16 m1 = left >= 32 ? (__mmask16)0xffff : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
            _mm512_mask_storeu_ps(sr, m0, _mm512_mul_ps(acc[r][0], sc));
            _mm512_mask_storeu_ps(sr + 16, m1, _mm512_mul_ps(acc[r][1], sc));
        }
    }
    for (; j < padded; j += 16) {
        __m512 acc[6];
        for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
        for (int d = 0; d < hd; d++) {
            __m512 k0 = _mm512_loadu_ps(kt + (size_t)d * kb + j);
            for (int r = 0; r < rows; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[(size_t)r * ldq + d]), k0, acc[r]);
        }
        int left = jn - j;
        __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        for (int r = 0; r < rows; r++) _mm512_mask_storeu_ps(s + (size_t)r * lds + j, m0, _mm512_mul_ps(acc[r], sc));
    }
}

/// out[r, d..<d+64] += Σ_{j < n} p[r, j] · v_j[d..<d+64] for `rows` (≤ 6, constant at each call site) rows: 24
/// accumulators, four value loads and one broadcast per key and row; a head of 16·k dimensions takes its last
/// 16–48 through narrower passes.
DLSP_AVX512 static inline __attribute__((always_inline))
void weighted_values_avx512(const float *p, int ldp, const int rows, const float *v, int ldkv, int n, int hd,
                            float *out, int ldo) {
    int d = 0;
    for (; d + 64 <= hd; d += 64) {
        __m512 acc[6][4];
        for (int r = 0; r < rows; r++) for (int t = 0; t < 4; t++) acc[r][t] = _mm512_loadu_ps(out + (size_t)r * ldo + d + 16 * t);
        const float *vd = v + d;
        for (int j = 0; j < n; j++) {
            __m512 v0 = _mm512_loadu_ps(vd + (size_t)j * ldkv), v1 = _mm512_loadu_ps(vd + (size_t)j * ldkv + 16);
            __m512 v2 = _mm512_loadu_ps(vd + (size_t)j * ldkv + 32), v3 = _mm512_loadu_ps(vd + (size_t)j * ldkv + 48);
            for (int r = 0; r < rows; r++) {
                __m512 pb = _mm512_set1_ps(p[(size_t)r * ldp + j]);
                acc[r][0] = _mm512_fmadd_ps(pb, v0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(pb, v1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(pb, v2, acc[r][2]);
                acc[r][3] = _mm512_fmadd_ps(pb, v3, acc[r][3]);
            }
        }
        for (int r = 0; r < rows; r++) for (int t = 0; t < 4; t++) _mm512_storeu_ps(out + (size_t)r * ldo + d + 16 * t, acc[r][t]);
    }
    for (; d < hd; d += 16) {
        __m512 acc[6];
        for (int r = 0; r < rows; r++) acc[r] = _mm512_loadu_ps(out + (size_t)r * ldo + d);
        for (int j = 0; j < n; j++) {
            __m512 v0 = _mm512_loadu_ps(v + d + (size_t)j * ldkv);
            for (int r = 0; r < rows; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[(size_t)r * ldp + j]), v0, acc[r]);
        }
        for (int r = 0; r < rows; r++) _mm512_storeu_ps(out + (size_t)r * ldo + d, acc[r]);
    }
}

/// `rows_avx2` with the AVX-512 score and value loops (the transposition and the exp are shared).
DLSP_AVX512 static void rows_avx512(const float *q, int ldq, int rows, const float *k, const float *v, int ldkv,
                                    int n, int hd, float scale, float *s, float *out, int ldo) {
    const int kb = key_block(hd);
    float *kt = s + (size_t)rows * n;
    for (int j0 = 0; j0 < n; j0 += kb) {
        int jn = n - j0 < kb ? n - j0 : kb;
        transpose_keys(k + (size_t)j0 * ldkv, ldkv, jn, hd, kt, kb);
        int r = 0;
        for (; r + 6 <= rows; r += 6)
            scores_t_avx512(q + (size_t)r * ldq, ldq, 6, kt, kb, jn, hd, scale, s + (size_t)r * n + j0, n);
        const float *qr = q + (size_t)r * ldq;
        float *sr = s + (size_t)r * n + j0;
        switch (rows - r) {
        case 5: scores_t_avx512(qr, ldq, 5, kt, kb, jn, hd, scale, sr, n); break;
        case 4: scores_t_avx512(qr, ldq, 4, kt, kb, jn, hd, scale, sr, n); break;
        case 3: scores_t_avx512(qr, ldq, 3, kt, kb, jn, hd, scale, sr, n); break;
        case 2: scores_t_avx512(qr, ldq, 2, kt, kb, jn, hd, scale, sr, n); break;
        case 1: scores_t_avx512(qr, ldq, 1, kt, kb, jn, hd, scale, sr, n); break;
        default: break;
        }
    }
    float inv[MAX_ROWS];
    for (int r = 0; r < rows; r++) {
        inv[r] = 1.0f / dlsp_exp_row256(s + (size_t)r * n, n);
        memset(out + (size_t)r * ldo, 0, sizeof(float) * (size_t)hd);
    }
    for (int j0 = 0; j0 < n; j0 += kb) {
        int jn = n - j0 < kb ? n - j0 : kb;
        const float *vb = v + (size_t)j0 * ldkv;
        int r = 0;
        for (; r + 6 <= rows; r += 6)
            weighted_values_avx512(s + (size_t)r * n + j0, n, 6, vb, ldkv, jn, hd, out + (size_t)r * ldo, ldo);
        const float *sr = s + (size_t)r * n + j0;
        float *orow = out + (size_t)r * ldo;
        switch (rows - r) {
        case 5: weighted_values_avx512(sr, n, 5, vb, ldkv, jn, hd, orow, ldo); break;
        case 4: weighted_values_avx512(sr, n, 4, vb, ldkv, jn, hd, orow, ldo); break;
        case 3: weighted_values_avx512(sr, n, 3, vb, ldkv, jn, hd, orow, ldo); break;
        case 2: weighted_values_avx512(sr, n, 2, vb, ldkv, jn, hd, orow, ldo); break;
        case 1: weighted_values_avx512(sr, n, 1, vb, ldkv, jn, hd, orow, ldo); break;
        default: break;
        }
    }
    for (int r = 0; r < rows; r++) {
        __m512 iv = _mm512_set1_ps(inv[r]);
        float *o = out + (size_t)r * ldo;
        for (int d = 0; d < hd; d += 16) _mm512_storeu_ps(o + d, _mm512_mul_ps(_mm512_loadu_ps(o + d), iv));
    }
}
#endif

size_t dlsp_attention_scratch_floats(int rows, int n, int head_dim) {
    return (size_t)(rows < MAX_ROWS ? rows : MAX_ROWS) * n + (size_t)key_block(head_dim) * head_dim;
}

void dlsp_attention_rows(const float *q, int ldq, int row_begin, int row_end,
                         const float *k, const float *v, int ldkv, int n, int head_dim, float scale,
                         float *scratch, float *out, int ldo) {
    if (row_end <= row_begin || n <= 0) return;
    const float *qb = q + (size_t)row_begin * ldq;
    float *ob = out + (size_t)row_begin * ldo;
#if DLSP_X86
    if (dlsp_isa_active() >= DLSP_ISA_AVX512 && head_dim % 16 == 0) {
        for (int i = 0; i < row_end - row_begin; i += MAX_ROWS) {
            int rows = row_end - row_begin - i < MAX_ROWS ? row_end - row_begin - i : MAX_ROWS;
            rows_avx512(qb + (size_t)i * ldq, ldq, rows, k, v, ldkv, n, head_dim, scale, scratch,
                        ob + (size_t)i * ldo, ldo);
        }
        return;
    }
    if (dlsp_isa_active() >= DLSP_ISA_AVX2_FMA && head_dim % 16 == 0) {
        for (int i = 0; i < row_end - row_begin; i += MAX_ROWS) {
            int rows = row_end - row_begin - i < MAX_ROWS ? row_end - row_begin - i : MAX_ROWS;
            rows_avx2(qb + (size_t)i * ldq, ldq, rows, k, v, ldkv, n, head_dim, scale, scratch,
                      ob + (size_t)i * ldo, ldo);
        }
        return;
    }
#endif
    rows_portable(qb, ldq, row_end - row_begin, k, v, ldkv, n, head_dim, scale, scratch, ob, ldo);
}
