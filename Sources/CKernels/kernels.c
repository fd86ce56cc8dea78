// Matrix-vector products and row decoding for f16 / bf16 / Q8_0 / Q4_0 weights (see include/lmzoo_kernels.h).
// Decode is memory-bound: these read the compressed bytes once and widen them in registers. Each
// encoding is a row dot product and a row decoder, scalar and AVX2; `matvec_rows` / `decode_rows`
// pick the path once per call and walk the rows.
#include "lmzoo_kernels.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LMZ_X86 1
#endif

typedef float (*row_dot_fn)(const uint8_t *row, size_t cols, const float *x);
typedef void (*row_decode_fn)(const uint8_t *row, size_t cols, float *out);

// ---- scalar -----------------------------------------------------------------------------------

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
    if (exponent == 0) {
        float magnitude = (float)mantissa * (1.0f / 16777216.0f);
        memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t load_u16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return h;
}

// (cols) . (cols) -> ()
static float dot_f16_scalar(const uint8_t *row, size_t cols, const float *x) {
    float sum = 0;
    for (size_t i = 0; i < cols; i++) sum += f16_to_f32(load_u16(row + 2 * i)) * x[i];
    return sum;
}

static float dot_bf16_scalar(const uint8_t *row, size_t cols, const float *x) {
    float sum = 0;
    for (size_t i = 0; i < cols; i++) sum += bf16_to_f32(load_u16(row + 2 * i)) * x[i];
    return sum;
}

static void decode_f16_scalar(const uint8_t *row, size_t cols, float *out) {
    for (size_t i = 0; i < cols; i++) out[i] = f16_to_f32(load_u16(row + 2 * i));
}

static void decode_bf16_scalar(const uint8_t *row, size_t cols, float *out) {
    for (size_t i = 0; i < cols; i++) out[i] = bf16_to_f32(load_u16(row + 2 * i));
}

// Q8_0 block: { f16 d; int8 q[32] }, value i = d * q[i].
static void decode_q8_0_scalar(const uint8_t *row, size_t cols, float *out) {
    for (size_t b = 0; b < cols / 32; b++) {
        const uint8_t *block = row + b * 34;
        float d = f16_to_f32(load_u16(block));
        for (int i = 0; i < 32; i++) out[b * 32 + i] = d * (float)(int8_t)block[2 + i];
    }
}

static float dot_q8_0_scalar(const uint8_t *row, size_t cols, const float *x) {
    float sum = 0;
    for (size_t b = 0; b < cols / 32; b++) {
        const uint8_t *block = row + b * 34;
        float partial = 0;
        for (int i = 0; i < 32; i++) partial += (float)(int8_t)block[2 + i] * x[b * 32 + i];
        sum += f16_to_f32(load_u16(block)) * partial;
    }
    return sum;
}

// Q4_0 block: { f16 d; uint8 qs[16] }, value j = d * ((qs[j] & 15) - 8), value j + 16 = d * ((qs[j] >> 4) - 8).
static void decode_q4_0_scalar(const uint8_t *row, size_t cols, float *out) {
    for (size_t b = 0; b < cols / 32; b++) {
        const uint8_t *block = row + b * 18;
        float d = f16_to_f32(load_u16(block));
        for (int j = 0; j < 16; j++) {
            out[b * 32 + j] = d * (float)((block[2 + j] & 15) - 8);
            out[b * 32 + j + 16] = d * (float)((block[2 + j] >> 4) - 8);
        }
    }
}

static float dot_q4_0_scalar(const uint8_t *row, size_t cols, const float *x) {
    float sum = 0;
    for (size_t b = 0; b < cols / 32; b++) {
        const uint8_t *block = row + b * 18;
        const float *xb = x + b * 32;
        float partial = 0;
        for (int j = 0; j < 16; j++) {
            partial += (float)((block[2 + j] & 15) - 8) * xb[j] + (float)((block[2 + j] >> 4) - 8) * xb[j + 16];
        }
        sum += f16_to_f32(load_u16(block)) * partial;
    }
    return sum;
}

// ---- AVX2 + FMA + F16C ------------------------------------------------------------------------

#ifdef LMZ_X86
#define LMZ_AVX2 __attribute__((target("avx2,fma,f16c")))

LMZ_AVX2 static float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// 8 f32 from 8 f16 / bf16.
LMZ_AVX2 static __m256 load8_f16(const uint8_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
LMZ_AVX2 static __m256 load8_bf16(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

#define DOT_16BIT_AVX2(name, load8)                                                           \
    LMZ_AVX2 static float dot_##name##_avx2(const uint8_t *row, size_t cols, const float *x) { \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                        \
        size_t i = 0;                                                                         \
        for (; i + 16 <= cols; i += 16) {                                                     \
            acc0 = _mm256_fmadd_ps(load8(row + 2 * i), _mm256_loadu_ps(x + i), acc0);         \
            acc1 = _mm256_fmadd_ps(load8(row + 2 * i + 16), _mm256_loadu_ps(x + i + 8), acc1); \
        }                                                                                     \
        float sum = hsum(_mm256_add_ps(acc0, acc1));                                          \
        if (i < cols) sum += dot_##name##_scalar(row + 2 * i, cols - i, x + i);               \
        return sum;                                                                           \
    }                                                                                         \
    LMZ_AVX2 static void decode_##name##_avx2(const uint8_t *row, size_t cols, float *out) {  \
        size_t i = 0;                                                                         \
        for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(out + i, load8(row + 2 * i));          \
        if (i < cols) decode_##name##_scalar(row + 2 * i, cols - i, out + i);                 \
    }
DOT_16BIT_AVX2(f16, load8_f16)
DOT_16BIT_AVX2(bf16, load8_bf16)

/// The 32 int8 of a block, 16 in `lo` (values 0..<16) and 16 in `hi` (16..<32), as four f32 vectors.
typedef struct { __m256 v[4]; } block32;

LMZ_AVX2 static block32 widen_int8(__m128i lo, __m128i hi) {
    block32 q;
    q.v[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
    q.v[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lo, lo)));
    q.v[2] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
    q.v[3] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(hi, hi)));
    return q;
}

/// Q8_0 quants: 32 int8 after the scale.
LMZ_AVX2 static block32 quants_q8_0(const uint8_t *block) {
    return widen_int8(_mm_loadu_si128((const __m128i *)(block + 2)), _mm_loadu_si128((const __m128i *)(block + 18)));
}

/// Q4_0 quants: the low nibbles are values 0..<16, the high ones 16..<32, each minus 8.
LMZ_AVX2 static block32 quants_q4_0(const uint8_t *block) {
    __m128i packed = _mm_loadu_si128((const __m128i *)(block + 2));
    __m128i mask = _mm_set1_epi8(15), eight = _mm_set1_epi8(8);
    __m128i lo = _mm_sub_epi8(_mm_and_si128(packed, mask), eight);
    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), eight);
    return widen_int8(lo, hi);
}

/// Σ q[i] x[i] over one block, as 8 lanes:  (32) . (32) -> (8).
LMZ_AVX2 static __m256 block_dot(block32 q, const float *xb) {
    __m256 s0 = _mm256_mul_ps(q.v[0], _mm256_loadu_ps(xb));
    __m256 s1 = _mm256_mul_ps(q.v[1], _mm256_loadu_ps(xb + 8));
    s0 = _mm256_fmadd_ps(q.v[2], _mm256_loadu_ps(xb + 16), s0);
    s1 = _mm256_fmadd_ps(q.v[3], _mm256_loadu_ps(xb + 24), s1);
    return _mm256_add_ps(s0, s1);
}

#define BLOCK_AVX2(name, bytes)                                                                \
    LMZ_AVX2 static float dot_##name##_avx2(const uint8_t *row, size_t cols, const float *x) {  \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                         \
        for (size_t b = 0; b < cols / 32; b++) {                                               \
            const uint8_t *block = row + b * (bytes);                                          \
            __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(block)));                             \
            __m256 s = block_dot(quants_##name(block), x + b * 32);                            \
            if (b & 1) acc1 = _mm256_fmadd_ps(d, s, acc1);                                     \
            else acc0 = _mm256_fmadd_ps(d, s, acc0);                                           \
        }                                                                                      \
        return hsum(_mm256_add_ps(acc0, acc1));                                                \
    }                                                                                          \
    LMZ_AVX2 static void decode_##name##_avx2(const uint8_t *row, size_t cols, float *out) {   \
        for (size_t b = 0; b < cols / 32; b++) {                                               \
            const uint8_t *block = row + b * (bytes);                                          \
            __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(block)));                             \
            block32 q = quants_##name(block);                                                  \
            for (int k = 0; k < 4; k++) _mm256_storeu_ps(out + b * 32 + 8 * k, _mm256_mul_ps(d, q.v[k])); \
        }                                                                                      \
    }
BLOCK_AVX2(q8_0, 34)
BLOCK_AVX2(q4_0, 18)

static int simd_state = -1;

int lmz_kernels_simd(void) {
    if (simd_state < 0) {
        __builtin_cpu_init();
        simd_state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return simd_state;
}
#define PICK(name, kind) (lmz_kernels_simd() ? kind##_##name##_avx2 : kind##_##name##_scalar)
#else
int lmz_kernels_simd(void) { return 0; }
#define PICK(name, kind) (kind##_##name##_scalar)
#endif

// ---- entry points -----------------------------------------------------------------------------

static void matvec_rows(row_dot_fn dot, size_t stride, const void *weights, size_t row0, size_t rows, size_t cols,
                        const float *x, float *y) {
    const uint8_t *base = (const uint8_t *)weights + row0 * stride;
    for (size_t r = 0; r < rows; r++) y[r] = dot(base + r * stride, cols, x);
}

static void decode_rows(row_decode_fn decode, size_t stride, const void *weights, size_t row0, size_t rows,
                        size_t cols, float *out) {
    const uint8_t *base = (const uint8_t *)weights + row0 * stride;
    for (size_t r = 0; r < rows; r++) decode(base + r * stride, cols, out + r * cols);
}

/// The two entry points of an encoding whose rows are `row_bytes` bytes.
#define ENTRY_POINTS(name, row_bytes)                                                                      \
    void lmz_matvec_##name(const void *weights, size_t row0, size_t rows, size_t cols, const float *x,     \
                           float *y) {                                                                     \
        matvec_rows(PICK(name, dot), (row_bytes), weights, row0, rows, cols, x, y);                        \
    }                                                                                                      \
    void lmz_decode_rows_##name(const void *weights, size_t row0, size_t rows, size_t cols, float *out) {  \
        decode_rows(PICK(name, decode), (row_bytes), weights, row0, rows, cols, out);                      \
    }
ENTRY_POINTS(f16, cols * 2)
ENTRY_POINTS(bf16, cols * 2)
ENTRY_POINTS(q8_0, cols / 32 * 34)
ENTRY_POINTS(q4_0, cols / 32 * 18)
