// lmzoo's SIMD kernels for compressed weights (f16, bf16, llama.cpp Q8_0), in C so that the AVX2/FMA/F16C
// paths can be selected per function at run time (no global -march flags); a portable scalar path
// serves every other CPU. The Swift API over these lives in Sources/LMZooCore/Kernels.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Weight encodings the kernels read (row-major [rows, cols]; Q8_0 rows are cols/32 blocks of 34 bytes).
typedef enum {
    LMZ_WEIGHT_F16 = 1,
    LMZ_WEIGHT_BF16 = 2,
    LMZ_WEIGHT_Q8_0 = 3,
} lmz_weight_kind;

/// Bytes of one weight row of `cols` values (cols % 32 == 0 for Q8_0).
size_t lmz_row_bytes(lmz_weight_kind kind, size_t cols);

/// y[r] = dot(W[row0 + r, :], x) for r in 0..<rows.  W: (R, cols) encoded as `kind`; x: (cols); y: (rows).
void lmz_matvec(lmz_weight_kind kind, const void *weights, size_t row0, size_t rows, size_t cols,
                const float *x, float *y);

/// Decodes rows row0..<row0+rows of W into out (rows, cols) f32.
void lmz_dequantize_rows(lmz_weight_kind kind, const void *weights, size_t row0, size_t rows, size_t cols,
                         float *out);

/// 1 when the AVX2+FMA+F16C paths are in use.
int lmz_kernels_simd(void);

/// In place: GELU with the tanh approximation, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
/// (GPT-2's `gelu_new`); AVX2 + FMA when the CPU has them.
void lmz_gelu_tanh(float *x, size_t count);

/// `log(sum(exp(x)))` over `count` values, max-shifted (a log-softmax normaliser); -inf or NaN
/// propagate as the maximum does.
float lmz_log_sum_exp(const float *x, size_t count);

/// `x += bias` (when `bias` is not NULL), then ``lmz_log_sum_exp`` of the result.
float lmz_add_log_sum_exp(float *x, const float *bias, size_t count);
