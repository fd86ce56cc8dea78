// Matrix-vector products and row decoding for f16 / bf16 / Q8_0 weights (see include/lmzoo_kernels.h).
// Decode is memory-bound: these read the compressed bytes once and widen them in registers.
#include "lmzoo_kernels.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LMZ_X86 1
#endif

// ---- scalar helpers -------------------------------------------------------------------------

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

size_t lmz_row_bytes(lmz_weight_kind kind, size_t cols) {
    return kind == LMZ_WEIGHT_Q8_0 ? cols / 32 * 34 : cols * 2;
}

static float dot_scalar(lmz_weight_kind kind, const uint8_t *row, size_t cols, const float *x) {
    float sum = 0;
    if (kind == LMZ_WEIGHT_Q8_0) {
        for (size_t b = 0; b < cols / 32; b++) {
            const uint8_t *block = row + b * 34;
            uint16_t d;
            memcpy(&d, block, 2);
            float partial = 0;
            for (int i = 0; i < 32; i++) partial += (float)(int8_t)block[2 + i] * x[b * 32 + i];
            sum += f16_to_f32(d) * partial;
        }
    } else {
        for (size_t i = 0; i < cols; i++) {
            uint16_t h;
            memcpy(&h, row + 2 * i, 2);
            sum += (kind == LMZ_WEIGHT_F16 ? f16_to_f32(h) : bf16_to_f32(h)) * x[i];
        }
    }
    return sum;
}

static void decode_scalar(lmz_weight_kind kind, const uint8_t *row, size_t cols, float *out) {
    if (kind == LMZ_WEIGHT_Q8_0) {
        for (size_t b = 0; b < cols / 32; b++) {
            const uint8_t *block = row + b * 34;
            uint16_t d;
            memcpy(&d, block, 2);
            float scale = f16_to_f32(d);
            for (int i = 0; i < 32; i++) out[b * 32 + i] = scale * (float)(int8_t)block[2 + i];
        }
    } else {
        for (size_t i = 0; i < cols; i++) {
            uint16_t h;
            memcpy(&h, row + 2 * i, 2);
            out[i] = kind == LMZ_WEIGHT_F16 ? f16_to_f32(h) : bf16_to_f32(h);
        }
    }
}

// ---- AVX2 + FMA + F16C ----------------------------------------------------------------------

#ifdef LMZ_X86
#define LMZ_AVX2 __attribute__((target("avx2,fma,f16c")))

LMZ_AVX2 static float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// 8 f32 from 8 encoded 16-bit values.
LMZ_AVX2 static __m256 load8_16bit(lmz_weight_kind kind, const uint8_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    if (kind == LMZ_WEIGHT_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/// The 32 int8 of a Q8_0 block as four f32 vectors.
#define Q8_WIDEN(block, q0, q1, q2, q3)                                                       \
    __m128i lo_ = _mm_loadu_si128((const __m128i *)((block) + 2));                            \
    __m128i hi_ = _mm_loadu_si128((const __m128i *)((block) + 18));                           \
    __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo_));                                \
    __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lo_, lo_)));       \
    __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi_));                                \
    __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(hi_, hi_)));

LMZ_AVX2 static float dot_avx2(lmz_weight_kind kind, const uint8_t *row, size_t cols, const float *x) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    if (kind == LMZ_WEIGHT_Q8_0) {
        size_t blocks = cols / 32;
        for (size_t b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 34;
            const float *xb = x + b * 32;
            uint16_t dbits;
            memcpy(&dbits, block, 2);
            Q8_WIDEN(block, q0, q1, q2, q3)
            __m256 s0 = _mm256_mul_ps(q0, _mm256_loadu_ps(xb));
            __m256 s1 = _mm256_mul_ps(q1, _mm256_loadu_ps(xb + 8));
            s0 = _mm256_fmadd_ps(q2, _mm256_loadu_ps(xb + 16), s0);
            s1 = _mm256_fmadd_ps(q3, _mm256_loadu_ps(xb + 24), s1);
            __m256 d = _mm256_set1_ps(_cvtsh_ss(dbits));
            if (b & 1) acc1 = _mm256_fmadd_ps(d, _mm256_add_ps(s0, s1), acc1);
            else acc0 = _mm256_fmadd_ps(d, _mm256_add_ps(s0, s1), acc0);
        }
        return hsum(_mm256_add_ps(acc0, acc1));
    }
    size_t i = 0;
    for (; i + 16 <= cols; i += 16) {
        acc0 = _mm256_fmadd_ps(load8_16bit(kind, row + 2 * i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(load8_16bit(kind, row + 2 * i + 16), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum(_mm256_add_ps(acc0, acc1));
    if (i < cols) sum += dot_scalar(kind, row + 2 * i, cols - i, x + i);
    return sum;
}

LMZ_AVX2 static void decode_avx2(lmz_weight_kind kind, const uint8_t *row, size_t cols, float *out) {
    if (kind == LMZ_WEIGHT_Q8_0) {
        for (size_t b = 0; b < cols / 32; b++) {
            const uint8_t *block = row + b * 34;
            uint16_t dbits;
            memcpy(&dbits, block, 2);
            __m256 d = _mm256_set1_ps(_cvtsh_ss(dbits));
            Q8_WIDEN(block, q0, q1, q2, q3)
            _mm256_storeu_ps(out + b * 32, _mm256_mul_ps(d, q0));
            _mm256_storeu_ps(out + b * 32 + 8, _mm256_mul_ps(d, q1));
            _mm256_storeu_ps(out + b * 32 + 16, _mm256_mul_ps(d, q2));
            _mm256_storeu_ps(out + b * 32 + 24, _mm256_mul_ps(d, q3));
        }
        return;
    }
    size_t i = 0;
    for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(out + i, load8_16bit(kind, row + 2 * i));
    if (i < cols) decode_scalar(kind, row + 2 * i, cols - i, out + i);
}

static int simd_state = -1;

int lmz_kernels_simd(void) {
    if (simd_state < 0) {
        __builtin_cpu_init();
        simd_state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return simd_state;
}
#else
int lmz_kernels_simd(void) { return 0; }
#endif

// ---- entry points -----------------------------------------------------------------------------

void lmz_matvec(lmz_weight_kind kind, const void *weights, size_t row0, size_t rows, size_t cols,
                const float *x, float *y) {
    size_t stride = lmz_row_bytes(kind, cols);
    const uint8_t *base = (const uint8_t *)weights + row0 * stride;
#ifdef LMZ_X86
    if (lmz_kernels_simd()) {
        for (size_t r = 0; r < rows; r++) y[r] = dot_avx2(kind, base + r * stride, cols, x);
        return;
    }
#endif
    for (size_t r = 0; r < rows; r++) y[r] = dot_scalar(kind, base + r * stride, cols, x);
}

void lmz_dequantize_rows(lmz_weight_kind kind, const void *weights, size_t row0, size_t rows, size_t cols,
                         float *out) {
    size_t stride = lmz_row_bytes(kind, cols);
    const uint8_t *base = (const uint8_t *)weights + row0 * stride;
#ifdef LMZ_X86
    if (lmz_kernels_simd()) {
        for (size_t r = 0; r < rows; r++) decode_avx2(kind, base + r * stride, cols, out + r * cols);
        return;
    }
#endif
    for (size_t r = 0; r < rows; r++) decode_scalar(kind, base + r * stride, cols, out + r * cols);
}
