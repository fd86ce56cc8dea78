// lmzoo's one home for SIMD elementwise math, 8 lanes with AVX2 + FMA where the CPU has them (chosen
// at run time), a scalar path with the same arithmetic otherwise: exp (Cephes expf: range reduction
// by ln 2 in two parts, a degree-5 polynomial, about 2 ulp), and from it sigmoid, tanh
// (1 - 2 / (e^{2x} + 1)), erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), GELU (tanh and erf
// forms), softmax and log-sum-exp. A ragged tail goes through the 8-lane code on a padded copy, so
// every element of a row is computed the same way.
#include "lmzoo_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LMZ_ACTIVATIONS_X86 1
#endif

#define GELU_C 0.7978845608028654f
#define INV_SQRT2 0.7071067811865476f

// ---- scalar, one value (`name1`) -------------------------------------------------------------------------------------

static inline float exp1(float x) {
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

static inline float sigmoid1(float x) { return 1 / (1 + exp1(-x)); }
static inline float tanh1(float x) { return 1 - 2 / (exp1(x + x) + 1); }

static inline float erf1(float x) {
    float a = fabsf(x), t = 1 / (1 + 0.3275911f * a);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    float y = 1 - poly * t * exp1(-a * a);
    return x < 0 ? -y : y;
}

static inline float gelu_tanh1(float v) {
    float inner = GELU_C * (v + 0.044715f * v * v * v);
    return 0.5f * v * (1 + tanh1(inner));
}

static inline float gelu_erf1(float v) { return 0.5f * v * (1 + erf1(v * INV_SQRT2)); }

static float max_scalar(const float *x, size_t count, float top) {
    for (size_t i = 0; i < count; i++) top = x[i] > top ? x[i] : top;
    return top;
}

// ---- AVX2 + FMA ---------------------------------------------------------------------------------

#ifdef LMZ_ACTIVATIONS_X86
#define LMZ_AVX2 __attribute__((target("avx2,fma")))

LMZ_AVX2 static inline __m256 exp8(__m256 x) {
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

LMZ_AVX2 static inline __m256 sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

LMZ_AVX2 static inline __m256 tanh8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(exp8(_mm256_add_ps(x, x)), one)));
}

LMZ_AVX2 static inline __m256 erf8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 a = _mm256_andnot_ps(sign, x);
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
    __m256 poly = _mm256_set1_ps(1.061405429f);
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
    __m256 y = _mm256_fnmadd_ps(_mm256_mul_ps(poly, t), exp8(_mm256_mul_ps(_mm256_xor_ps(a, sign), a)), one);
    return _mm256_xor_ps(y, _mm256_and_ps(sign, x));  // odd: erf(-x) = -erf(x)
}

LMZ_AVX2 static inline __m256 gelu_tanh8(__m256 v) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 c = _mm256_set1_ps(GELU_C), cubic = _mm256_set1_ps(0.044715f * GELU_C);
    // inner = c v + c 0.044715 v^3
    __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(cubic, v), _mm256_mul_ps(v, v), _mm256_mul_ps(c, v));
    return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, tanh8(inner)));
}

LMZ_AVX2 static inline __m256 gelu_erf8(__m256 v) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf8(_mm256_mul_ps(v, _mm256_set1_ps(INV_SQRT2)))));
}

LMZ_AVX2 static inline __m256 exp_shifted8(__m256 x, __m256 shift) { return exp8(_mm256_sub_ps(x, shift)); }

/// y = f(x - shift) over count values, 8 at a time; the tail through a padded copy. y may be x.
#define MAP_AVX2(name, f8)                                                                       \
    LMZ_AVX2 static void name##_avx2(const float *x, float *y, size_t count, float shift_value) { \
        const __m256 shift = _mm256_set1_ps(shift_value);                                        \
        size_t i = 0;                                                                            \
        for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, f8(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift))); \
        if (i < count) {                                                                         \
            float tail[8] = {0};                                                                 \
            memcpy(tail, x + i, (count - i) * sizeof(float));                                    \
            _mm256_storeu_ps(tail, f8(_mm256_sub_ps(_mm256_loadu_ps(tail), shift)));             \
            memcpy(y + i, tail, (count - i) * sizeof(float));                                    \
        }                                                                                        \
    }
MAP_AVX2(exp, exp8)
MAP_AVX2(sigmoid, sigmoid8)
MAP_AVX2(tanh, tanh8)
MAP_AVX2(erf, erf8)
MAP_AVX2(gelu_tanh, gelu_tanh8)
MAP_AVX2(gelu_erf, gelu_erf8)

LMZ_AVX2 static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

LMZ_AVX2 static float max_avx2(const float *x, size_t count) {
    size_t i = 0;
    __m256 wide = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= count; i += 8) wide = _mm256_max_ps(wide, _mm256_loadu_ps(x + i));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(wide), _mm256_extractf128_ps(wide, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return max_scalar(x + i, count - i, _mm_cvtss_f32(m));
}

/// Σ exp(x - shift).
LMZ_AVX2 static float sum_exp_avx2(const float *x, size_t count, float top) {
    const __m256 shift = _mm256_set1_ps(top);
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        sum0 = _mm256_add_ps(sum0, exp_shifted8(_mm256_loadu_ps(x + i), shift));
        sum1 = _mm256_add_ps(sum1, exp_shifted8(_mm256_loadu_ps(x + i + 8), shift));
    }
    float sum = hsum8(_mm256_add_ps(sum0, sum1));
    for (; i < count; i++) sum += exp1(x[i] - top);
    return sum;
}

static int simd(void) { return lmz_kernels_simd(); }
#else
static int simd(void) { return 0; }
#endif

// ---- entry points -------------------------------------------------------------------------------

/// The scalar twin of MAP_AVX2.
#define MAP_SCALAR(name, f)                                                                       \
    static void name##_scalar(const float *x, float *y, size_t count, float shift) {             \
        for (size_t i = 0; i < count; i++) y[i] = f(x[i] - shift);                                \
    }
MAP_SCALAR(exp, exp1)
MAP_SCALAR(sigmoid, sigmoid1)
MAP_SCALAR(tanh, tanh1)
MAP_SCALAR(erf, erf1)
MAP_SCALAR(gelu_tanh, gelu_tanh1)
MAP_SCALAR(gelu_erf, gelu_erf1)

#ifdef LMZ_ACTIVATIONS_X86
#define MAP(name, x, y, count, shift) \
    (simd() ? name##_avx2(x, y, count, shift) : name##_scalar(x, y, count, shift))
#else
#define MAP(name, x, y, count, shift) name##_scalar(x, y, count, shift)
#endif

void lmz_exp(const float *x, float *y, size_t count) { MAP(exp, x, y, count, 0); }
void lmz_sigmoid(const float *x, float *y, size_t count) { MAP(sigmoid, x, y, count, 0); }
void lmz_tanh(const float *x, float *y, size_t count) { MAP(tanh, x, y, count, 0); }
void lmz_erf(const float *x, float *y, size_t count) { MAP(erf, x, y, count, 0); }
void lmz_gelu_tanh(float *x, size_t count) { MAP(gelu_tanh, x, x, count, 0); }
void lmz_gelu_erf(float *x, size_t count) { MAP(gelu_erf, x, x, count, 0); }

float lmz_max(const float *x, size_t count) {
#ifdef LMZ_ACTIVATIONS_X86
    if (simd()) return max_avx2(x, count);
#endif
    return max_scalar(x, count, -INFINITY);
}

static float sum_exp(const float *x, size_t count, float top) {
#ifdef LMZ_ACTIVATIONS_X86
    if (simd()) return sum_exp_avx2(x, count, top);
#endif
    float sum = 0;
    for (size_t i = 0; i < count; i++) sum += exp1(x[i] - top);
    return sum;
}

float lmz_sum_exp(const float *x, size_t count, float shift) { return sum_exp(x, count, shift); }

float lmz_log_sum_exp(const float *x, size_t count) {
    float top = lmz_max(x, count);
    if (!isfinite(top)) return top;
    return top + logf(sum_exp(x, count, top));
}

float lmz_add_log_sum_exp(float *x, const float *bias, size_t count) {
    if (bias) {
        for (size_t i = 0; i < count; i++) x[i] += bias[i];  // vectorised by the compiler
    }
    return lmz_log_sum_exp(x, count);
}

void lmz_softmax(float *x, size_t count) {
    if (count == 0) return;
    float top = lmz_max(x, count);
    MAP(exp, x, x, count, top);
    float total = 0;
    for (size_t i = 0; i < count; i++) total += x[i];
    float scale = 1 / total;
    for (size_t i = 0; i < count; i++) x[i] *= scale;
}
