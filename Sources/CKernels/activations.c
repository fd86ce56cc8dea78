// Elementwise math over long rows, 8 lanes with AVX2 + FMA where the CPU has them: GELU with the tanh
// approximation (`gelu_new`, GPT-2) and log-sum-exp (log-softmax normalisers). The same arithmetic as
// LMZooCore's VectorMath (Cephes expf: range reduction by ln 2 in two parts, a degree-5 polynomial;
// tanh(x) = 1 - 2 / (e^{2x} + 1)), so the paths agree to a few ulp.
#include "lmzoo_kernels.h"
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LMZ_ACTIVATIONS_X86 1
#endif

#define GELU_C 0.7978845608028654f

static inline float exp_scalar(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    float n = nearbyintf(x * 1.4426950408889634f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    return ldexpf(p * r * r + r + 1, (int)n);
}

static void gelu_tanh_scalar(float *x, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float v = x[i], inner = GELU_C * (v + 0.044715f * v * v * v);
        x[i] = 0.5f * v * (1 + (1 - 2 / (exp_scalar(inner + inner) + 1)));
    }
}

#ifdef LMZ_ACTIVATIONS_X86
__attribute__((target("avx2,fma"))) static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.4426950408889634f), _mm256_set1_ps(12582912.0f));
    __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(12582912.0f));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted),
                                                                       _mm256_set1_epi32(0x4B400000)),
                                                      _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) static void gelu_tanh_avx2(float *x, size_t count) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    const __m256 c = _mm256_set1_ps(GELU_C), cubic = _mm256_set1_ps(0.044715f * GELU_C);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        // inner = c v + c 0.044715 v^3
        __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(cubic, v), _mm256_mul_ps(v, v), _mm256_mul_ps(c, v));
        __m256 e = exp8(_mm256_add_ps(inner, inner));
        __m256 t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, t)));
    }
    gelu_tanh_scalar(x + i, count - i);
}
#endif

static float max_scalar(const float *x, size_t count, float top) {
    for (size_t i = 0; i < count; i++) top = x[i] > top ? x[i] : top;
    return top;
}

static float log_sum_exp_scalar(const float *x, size_t count) {
    float top = max_scalar(x, count, -INFINITY);
    if (!isfinite(top)) return top;
    float sum = 0;
    for (size_t i = 0; i < count; i++) sum += exp_scalar(x[i] - top);
    return top + logf(sum);
}

#ifdef LMZ_ACTIVATIONS_X86
__attribute__((target("avx2,fma"))) static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float log_sum_exp_avx2(const float *x, size_t count) {
    size_t i = 0;
    __m256 wide = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= count; i += 8) wide = _mm256_max_ps(wide, _mm256_loadu_ps(x + i));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(wide), _mm256_extractf128_ps(wide, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float top = max_scalar(x + i, count - i, _mm_cvtss_f32(m));
    if (!isfinite(top)) return top;
    const __m256 shift = _mm256_set1_ps(top);
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    for (i = 0; i + 16 <= count; i += 16) {
        sum0 = _mm256_add_ps(sum0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift)));
        sum1 = _mm256_add_ps(sum1, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), shift)));
    }
    float sum = hsum8(_mm256_add_ps(sum0, sum1));
    for (; i < count; i++) sum += exp_scalar(x[i] - top);
    return top + logf(sum);
}
#endif

float lmz_add_log_sum_exp(float *x, const float *bias, size_t count) {
    if (bias) {
        for (size_t i = 0; i < count; i++) x[i] += bias[i];  // vectorised by the compiler
    }
    return lmz_log_sum_exp(x, count);
}

float lmz_log_sum_exp(const float *x, size_t count) {
#ifdef LMZ_ACTIVATIONS_X86
    if (lmz_kernels_simd()) return log_sum_exp_avx2(x, count);
#endif
    return log_sum_exp_scalar(x, count);
}

void lmz_gelu_tanh(float *x, size_t count) {
#ifdef LMZ_ACTIVATIONS_X86
    if (lmz_kernels_simd()) {
        gelu_tanh_avx2(x, count);
        return;
    }
#endif
    gelu_tanh_scalar(x, count);
}
