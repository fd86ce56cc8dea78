// Viterbi's max-plus recursion (see include/lmz_viterbi.h).
//
// Per step the destination states are taken in blocks of 16 held in registers while rows j of
// log A stream past (16 adds and 16 maxima per row: (16) max (p_j + (16))). Rows are skipped
// exactly: first the "leaders", the rows whose lattice[t-1, j] is within `margin` of the largest
// (a handful; `margin` adapts to keep about LEADER_TARGET), set every entry; then a row j is read
// only if its best possible contribution, lattice[t-1, j] + max_i log A[j, i], reaches the smallest
// entry so far (a skipped row cannot change any entry, not even as a tie, and ties do not matter:
// the lattice holds values, the path is recovered afterwards). Which rows lead changes only speed.
#include "lmz_viterbi.h"
#include <math.h>

enum { BLOCK = 16, LEADER_TARGET = 8, PREFETCH_ROWS = 16 };

#define LMZ_INLINE static inline __attribute__((always_inline))

/// acc[0..<16) = max(acc, previous[j] + log_a[j * ld + base ..< +16]) over the listed rows j.
/// (k rows) x (16) max+ -> (16)
LMZ_INLINE void max_plus_block(double *restrict out, const double *restrict previous, const ptrdiff_t *restrict rows,
                               ptrdiff_t first, ptrdiff_t count, const double *restrict log_a, ptrdiff_t ld) {
    double acc[BLOCK];
    for (int i = 0; i < BLOCK; i++) acc[i] = out[i];
    for (ptrdiff_t k = first; k < count; k++) {
        const ptrdiff_t j = rows[k];
        const double p = previous[j];
        const double *a = log_a + j * ld;
        for (int i = 0; i < BLOCK; i++) {
            const double x = p + a[i];
            acc[i] = x > acc[i] ? x : acc[i];
        }
    }
    for (int i = 0; i < BLOCK; i++) out[i] = acc[i];
}

/// For each 4-bit mask, the lanes whose bit is set, in order, and how many there are.
static const unsigned char SET_LANES[16][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
    {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0}, {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};
static const unsigned char SET_COUNT[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};

/// Appends j + (the set lanes of `mask`) to out[count...]; out has room for 4 more entries.
LMZ_INLINE ptrdiff_t append_lanes(ptrdiff_t *out, ptrdiff_t count, ptrdiff_t j, unsigned mask) {
    for (int k = 0; k < 4; k++) out[count + k] = j + SET_LANES[mask][k];
    return count + SET_COUNT[mask];
}

/// The leaders: the j (in order) with previous[j] >= cut. Branch-free: the outcome is data-dependent.
LMZ_INLINE ptrdiff_t select_leaders(const double *previous, ptrdiff_t n, double cut, ptrdiff_t *out) {
    ptrdiff_t count = 0, j = 0;
    for (; j + 4 <= n; j += 4) {
        const unsigned mask = (unsigned)(previous[j] >= cut) | (unsigned)(previous[j + 1] >= cut) << 1
                              | (unsigned)(previous[j + 2] >= cut) << 2 | (unsigned)(previous[j + 3] >= cut) << 3;
        count = append_lanes(out, count, j, mask);
    }
    for (; j < n; j++) {
        out[count] = j;
        count += previous[j] >= cut;
    }
    return count;
}

/// The other rows that can still change an entry: previous[j] < cut and previous[j] + row_max[j] >= floor.
LMZ_INLINE ptrdiff_t select_followers(const double *previous, const double *row_max, ptrdiff_t n, double cut, double floor,
                                      ptrdiff_t *out) {
#define LMZ_FOLLOWS(j) ((unsigned)(previous[j] < cut) & (unsigned)(previous[j] + row_max[j] >= floor))
    ptrdiff_t count = 0, j = 0;
    for (; j + 4 <= n; j += 4) {
        const unsigned mask = LMZ_FOLLOWS(j) | LMZ_FOLLOWS(j + 1) << 1 | LMZ_FOLLOWS(j + 2) << 2 | LMZ_FOLLOWS(j + 3) << 3;
        count = append_lanes(out, count, j, mask);
    }
    for (; j < n; j++) {
        out[count] = j;
        count += LMZ_FOLLOWS(j);
    }
#undef LMZ_FOLLOWS
    return count;
}

/// min(x[0..<n)), eight lanes at a time (vectorised; no NaNs occur here).
LMZ_INLINE double minimum(const double *x, ptrdiff_t n) {
    double lanes[8];
    for (int k = 0; k < 8; k++) lanes[k] = INFINITY;
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) lanes[k] = x[i + k] < lanes[k] ? x[i + k] : lanes[k];
    }
    for (; i < n; i++) lanes[0] = x[i] < lanes[0] ? x[i] : lanes[0];
    double low = lanes[0];
    for (int k = 1; k < 8; k++) low = lanes[k] < low ? lanes[k] : low;
    return low;
}

/// out[0..<n) = x + y, returning max(out), eight lanes at a time.
LMZ_INLINE double add_and_maximum(double *restrict out, const double *restrict x, const double *restrict y, ptrdiff_t n) {
    double lanes[8];
    for (int k = 0; k < 8; k++) lanes[k] = -INFINITY;
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) {
            const double value = x[i + k] + y[i + k];
            out[i + k] = value;
            lanes[k] = value > lanes[k] ? value : lanes[k];
        }
    }
    for (; i < n; i++) {
        out[i] = x[i] + y[i];
        lanes[0] = out[i] > lanes[0] ? out[i] : lanes[0];
    }
    double high = lanes[0];
    for (int k = 1; k < 8; k++) high = lanes[k] > high ? lanes[k] : high;
    return high;
}

LMZ_INLINE void lattice_body(ptrdiff_t n, ptrdiff_t count, const ptrdiff_t *symbols, const double *log_start,
                             const double *log_a, ptrdiff_t ld, const double *row_max, const double *log_b,
                             double *lattice, double *row, ptrdiff_t *index) {
    // lattice[0] = log pi + log B[:, o_0]; `best` is always the largest entry of the last row.
    double best = add_and_maximum(lattice, log_start, log_b + symbols[0] * n, n);
    ptrdiff_t *leaders = index, *kept = index + n + 4;
    const ptrdiff_t target = n < LEADER_TARGET ? n : LEADER_TARGET;
    double margin = 1.0;
    for (ptrdiff_t t = 1; t < count; t++) {
        const double *previous = lattice + (t - 1) * n;
        const double cut = best - margin;
        ptrdiff_t leading = select_leaders(previous, n, cut, leaders);
        if (leading > target + 4 && margin > 1e-6) margin *= 0.8;
        else if (leading < target - 2 && margin < 1e6) margin *= 1.25;
        if (leading == 0) {  // only when previous holds NaNs (never from log-probabilities); stay defined
            leaders[0] = 0;
            leading = 1;
        }
        // (leaders) max+ (leaders, ld) -> (ld), block by block
        for (ptrdiff_t base = 0; base < ld; base += BLOCK) {
            const double *a = log_a + leaders[0] * ld + base;
            const double p = previous[leaders[0]];
            for (int i = 0; i < BLOCK; i++) row[base + i] = p + a[i];
            max_plus_block(row + base, previous, leaders, 1, leading, log_a + base, ld);
        }
        const ptrdiff_t keeping = select_followers(previous, row_max, n, cut, minimum(row, n), kept);
        if (keeping > 0) {
            for (ptrdiff_t base = 0; base < ld; base += BLOCK) {
                max_plus_block(row + base, previous, kept, 0, keeping, log_a + base, ld);
            }
        }
        best = add_and_maximum(lattice + t * n, row, log_b + symbols[t] * n, n);
    }
}

LMZ_INLINE double backtrack_body(ptrdiff_t n, ptrdiff_t count, const double *lattice, const double *log_at, ptrdiff_t *states) {
    const double *last = lattice + (count - 1) * n;
    ptrdiff_t best = 0;
    for (ptrdiff_t i = 1; i < n; i++) best = last[i] > last[best] ? i : best;
    const double log_prob = last[best];
    states[count - 1] = best;
    for (ptrdiff_t t = count - 2; t >= 0; t--) {
        const double *row = lattice + t * n, *column = log_at + best * n;
        // The lattice is read backwards, out of cache; ask for the row PREFETCH_ROWS steps back now.
        if (t >= PREFETCH_ROWS) {
            const char *ahead = (const char *)(row - PREFETCH_ROWS * n);
            for (ptrdiff_t byte = 0; byte < n * (ptrdiff_t)sizeof(double); byte += 64) __builtin_prefetch(ahead + byte);
        }
        // The maximum of the sums (vectorised), then the last index that reaches it (std::max on
        // (value, index) pairs: a tie goes to the later index).
        double lanes[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
        ptrdiff_t i8 = 0;
        for (; i8 + 8 <= n; i8 += 8) {
            for (int k = 0; k < 8; k++) {
                const double value = row[i8 + k] + column[i8 + k];
                lanes[k] = value > lanes[k] ? value : lanes[k];
            }
        }
        for (; i8 < n; i8++) {
            const double value = row[i8] + column[i8];
            lanes[0] = value > lanes[0] ? value : lanes[0];
        }
        double top = lanes[0];
        for (int k = 1; k < 8; k++) top = lanes[k] > top ? lanes[k] : top;
        ptrdiff_t found = 0;
        for (ptrdiff_t i = 0; i < n; i++) found = row[i] + column[i] == top ? i : found;  // branch-free
        best = found;
        states[t] = best;
    }
    return log_prob;
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static double backtrack_avx2(ptrdiff_t n, ptrdiff_t count, const double *lattice, const double *log_at, ptrdiff_t *states) {
    return backtrack_body(n, count, lattice, log_at, states);
}

__attribute__((target("avx2")))
static void lattice_avx2(ptrdiff_t n, ptrdiff_t count, const ptrdiff_t *symbols, const double *log_start,
                         const double *log_a, ptrdiff_t ld, const double *row_max, const double *log_b,
                         double *lattice, double *row, ptrdiff_t *index) {
    lattice_body(n, count, symbols, log_start, log_a, ld, row_max, log_b, lattice, row, index);
}
#endif

static void lattice_portable(ptrdiff_t n, ptrdiff_t count, const ptrdiff_t *symbols, const double *log_start,
                             const double *log_a, ptrdiff_t ld, const double *row_max, const double *log_b,
                             double *lattice, double *row, ptrdiff_t *index) {
    lattice_body(n, count, symbols, log_start, log_a, ld, row_max, log_b, lattice, row, index);
}

int lmz_viterbi_simd(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

void lmz_viterbi_lattice(ptrdiff_t n, ptrdiff_t count, const ptrdiff_t *symbols, const double *log_start,
                         const double *log_a, ptrdiff_t ld, const double *row_max, const double *log_b,
                         double *lattice, double *scratch_row, ptrdiff_t *scratch_index, int allow_simd) {
    if (n <= 0 || count <= 0) return;
#if defined(__x86_64__)
    if (allow_simd && lmz_viterbi_simd()) {
        lattice_avx2(n, count, symbols, log_start, log_a, ld, row_max, log_b, lattice, scratch_row, scratch_index);
        return;
    }
#endif
    lattice_portable(n, count, symbols, log_start, log_a, ld, row_max, log_b, lattice, scratch_row, scratch_index);
}

double lmz_viterbi_backtrack(ptrdiff_t n, ptrdiff_t count, const double *lattice, const double *log_at, ptrdiff_t *states,
                             int allow_simd) {
    if (n <= 0 || count <= 0) return 0;
#if defined(__x86_64__)
    if (allow_simd && lmz_viterbi_simd()) return backtrack_avx2(n, count, lattice, log_at, states);
#endif
    return backtrack_body(n, count, lattice, log_at, states);
}
