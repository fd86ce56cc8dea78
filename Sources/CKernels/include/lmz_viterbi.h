// The max-plus recursion of Viterbi decoding (the HMM plugin, Plugins/HMM/HMMViterbi.swift), in C so
// that an AVX2 path can be chosen at run time (no global -march flags); a portable path serves every
// other CPU. Both give identical results (a maximum of exact sums, whatever the order).
#pragma once
#include <stddef.h>

/// Fills the Viterbi lattice (T, N) in log space, as hmmlearn's `_hmmc.cpp` `viterbi`:
///   lattice[0, i] = log_start[i] + log_b[o_0 * N + i]
///   lattice[t, i] = max_j (lattice[t-1, j] + log_a[j * ld + i]) + log_b[o_t * N + i]
/// log_a: (N, ld) log transitions, ld a multiple of 16 >= N, columns N..<ld filled with -inf.
/// row_max: (N) max_i log_a[j, i]. log_b: (V, N) log emissions by symbol. symbols: (T), each < V.
/// scratch_rows: (ld) doubles; scratch_index: (2 N + 8) indices. allow_simd: 1 to use the AVX2 path when
/// the CPU has it, 0 for the portable path (tests compare the two).
void lmz_viterbi_lattice(ptrdiff_t n, ptrdiff_t count, const ptrdiff_t *symbols, const double *log_start,
                         const double *log_a, ptrdiff_t ld, const double *row_max, const double *log_b,
                         double *lattice, double *scratch_row, ptrdiff_t *scratch_index, int allow_simd);

/// The Viterbi path from a filled lattice (T, N), with hmmlearn's tie rules: the first best final
/// state; going back, the last j maximising lattice[t, j] + log_at[state(t+1) * N + j].
/// log_at: (N, N) log A transposed. Writes states (T); returns the path's log-probability.
double lmz_viterbi_backtrack(ptrdiff_t n, ptrdiff_t count, const double *lattice, const double *log_at, ptrdiff_t *states,
                             int allow_simd);

/// 1 when the CPU has the AVX2 path (used unless allow_simd is 0).
int lmz_viterbi_simd(void);
