// lmzoo's SIMD kernels: compressed weights (f16, bf16, llama.cpp Q8_0 / Q4_0) and elementwise math,
// in C so that the AVX2/FMA/F16C paths can be selected per function at run time (no global -march flags); a portable scalar path
// serves every other CPU. The Swift API over these lives in Sources/LMZooCore/Kernels.
#pragma once
#include <stddef.h>
#include <stdint.h>

// ---- compressed weights -------------------------------------------------------------------------
// Each encoding has a matrix-vector product and a row decoder with these signatures. W is row-major
// (R, cols), each row stored in the encoding: f16 / bf16 2 bytes a value; the block types cols / 32
// blocks (Q8_0: 34 bytes, Q4_0: 18 bytes, see Sources/LMZooCore/Tensor/GGMLBlocks.swift), so
// cols % 32 == 0 for them. Swift reaches them through `WeightKernels` (and, for the block types,
// the `BlockQuantization` table), never by switching on the encoding.

/// y[r] = dot(W[row0 + r, :], x) for r in 0..<rows:  (rows, cols) . (cols) -> (rows).
typedef void (*lmz_matvec_fn)(const void *weights, size_t row0, size_t rows, size_t cols, const float *x, float *y);

/// Decodes rows row0..<row0+rows of W to f32:  (rows, cols) encoded -> (rows, cols) f32 in `out`.
typedef void (*lmz_decode_rows_fn)(const void *weights, size_t row0, size_t rows, size_t cols, float *out);

void lmz_matvec_f16(const void *weights, size_t row0, size_t rows, size_t cols, const float *x, float *y);
void lmz_decode_rows_f16(const void *weights, size_t row0, size_t rows, size_t cols, float *out);
void lmz_matvec_bf16(const void *weights, size_t row0, size_t rows, size_t cols, const float *x, float *y);
void lmz_decode_rows_bf16(const void *weights, size_t row0, size_t rows, size_t cols, float *out);
void lmz_matvec_q8_0(const void *weights, size_t row0, size_t rows, size_t cols, const float *x, float *y);
void lmz_decode_rows_q8_0(const void *weights, size_t row0, size_t rows, size_t cols, float *out);
void lmz_matvec_q4_0(const void *weights, size_t row0, size_t rows, size_t cols, const float *x, float *y);
void lmz_decode_rows_q4_0(const void *weights, size_t row0, size_t rows, size_t cols, float *out);

/// 1 when the AVX2+FMA+F16C paths are in use.
int lmz_kernels_simd(void);

// ---- elementwise math (activations.c: the one SIMD exp, and what is built on it) ---------------
// exp is Cephes's expf (about 2 ulp); y may be x in every out-of-place function.

/// y = exp(x):  (count) -> (count).
void lmz_exp(const float *x, float *y, size_t count);

/// y = 1 / (1 + exp(-x)):  (count) -> (count).
void lmz_sigmoid(const float *x, float *y, size_t count);

/// y = tanh(x) = 1 - 2 / (exp(2x) + 1) (absolute error about 1e-7):  (count) -> (count).
void lmz_tanh(const float *x, float *y, size_t count);

/// y = erf(x), Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7):  (count) -> (count).
void lmz_erf(const float *x, float *y, size_t count);

/// In place: GELU with the tanh approximation, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
/// (GPT-2's `gelu_new`).
void lmz_gelu_tanh(float *x, size_t count);

/// In place: exact GELU `0.5 x (1 + erf(x / sqrt 2))` (BERT), erf by Abramowitz & Stegun 7.1.26
/// (|error| < 1.5e-7).
void lmz_gelu_erf(float *x, size_t count);

/// In place: softmax of one row, max-shifted.
void lmz_softmax(float *x, size_t count);

/// The largest of `count` values (-inf for none; NaN may or may not propagate).
float lmz_max(const float *x, size_t count);

/// `sum(exp(x - shift))` over `count` values.
float lmz_sum_exp(const float *x, size_t count, float shift);

/// `log(sum(exp(x)))` over `count` values, max-shifted (a log-softmax normaliser); -inf or NaN
/// propagate as the maximum does.
float lmz_log_sum_exp(const float *x, size_t count);

/// `x += bias` (when `bias` is not NULL), then ``lmz_log_sum_exp`` of the result.
float lmz_add_log_sum_exp(float *x, const float *bias, size_t count);
