import Foundation
import LMZooCore

/// Viterbi decoding in log space, as hmmlearn's `_hmmc.cpp` `viterbi`: the same sums in the same
/// order (`lattice[t-1, j] + log A[j, i]`, then `+ log B[i, o_t]`), the same tie-breaking (the
/// first best final state; while backtracking, the last best predecessor), so the path and its
/// log-probability match hmmlearn's `decode(algorithm="viterbi")` exactly.
///
/// Max-plus is not a BLAS operation: the inner loop runs over transition-matrix rows with SIMD
/// vectors, four rows per pass, after an exact pruning test per row; one thread (a two-thread
/// split of each step was tried and dropped: the per-step handshake made it slower than one
/// thread whenever the machine was shared). Memory: the (T, N) lattice (backtracking recomputes
/// the argmax, as hmmlearn does).
enum HMMViterbi {
    static func decode(_ tables: HMMTables, _ ids: [Int]) -> (states: [Int], logProb: Double) {
        let n = tables.n, count = ids.count
        guard count > 0 else { return ([], 0) }
        let logA = UnsafeMutablePointer<Double>.allocate(capacity: n * n)
        let logStart = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let lattice = UnsafeMutablePointer<Double>.allocate(capacity: count * n)
        defer { logA.deallocate(); logStart.deallocate(); lattice.deallocate() }
        for index in 0..<(n * n) { logA[index] = log(tables.transitions[index]) }
        for i in 0..<n { logStart[i] = log(tables.start[i]) }
        // max_i log A[j, i] per row, for pruning.
        let rowMax = UnsafeMutablePointer<Double>.allocate(capacity: n)
        // log A transposed (N, N), so that backtracking reads a contiguous column.
        let logAT = UnsafeMutablePointer<Double>.allocate(capacity: n * n)
        defer { logAT.deallocate() }
        for i in 0..<n { for j in 0..<n { logAT[j * n + i] = logA[i * n + j] } }
        defer { rowMax.deallocate() }
        for j in 0..<n { rowMax[j] = (0..<n).reduce(-Double.infinity) { max($0, logA[j * n + $1]) } }
        // log B, transposed (V, N).
        let logColumns = UnsafeMutablePointer<Double>.allocate(capacity: tables.v * n)
        defer { logColumns.deallocate() }
        for index in 0..<(tables.v * n) { logColumns[index] = log(tables.emissionColumns[index]) }

        ids.withUnsafeBufferPointer { symbols in
            // lattice[0] = log pi + log B[:, o_0]
            let first = logColumns + symbols[0] * n
            for i in 0..<n { lattice[i] = logStart[i] + first[i] }
            guard count > 1 else { return }
            let recursion = Recursion(n: n, count: count, lattice: lattice, logA: logA, rowMax: rowMax, logColumns: logColumns,
                                      symbols: symbols.baseAddress!)
            recursion.fill(rows: 1..<count, columns: 0..<n)
        }

        var states = [Int](repeating: 0, count: count)
        let last = lattice + (count - 1) * n
        var best = 0
        for i in 1..<n where last[i] > last[best] { best = i }
        let logProb = last[best]
        states[count - 1] = best
        var t = count - 2
        while t >= 0 {
            let row = lattice + t * n, column = logAT + best * n
            var bestValue = -Double.infinity, bestState = 0
            for i in 0..<n {
                let value = row[i] + column[i]
                // std::max on (value, index) pairs: a tie goes to the later index.
                if value >= bestValue { bestValue = value; bestState = i }
            }
            best = bestState
            states[t] = best
            t -= 1
        }
        return (states, logProb)
    }

    /// `current[i] = max(current[i], offsets[r] + rows[r][i])` over four rows r, for i < n.
    /// 4 x (N) max+ (N) -> (N)
    @inline(__always)
    static func maxPlusFourRows(_ current: UnsafeMutablePointer<Double>, _ r0: UnsafePointer<Double>, _ r1: UnsafePointer<Double>,
                                _ r2: UnsafePointer<Double>, _ r3: UnsafePointer<Double>, _ offsets: SIMD4<Double>, _ n: Int) {
        let s0 = SIMD4<Double>(repeating: offsets[0]), s1 = SIMD4<Double>(repeating: offsets[1])
        let s2 = SIMD4<Double>(repeating: offsets[2]), s3 = SIMD4<Double>(repeating: offsets[3])
        var i = 0
        while i + 4 <= n {
            let a = load(r0 + i) + s0, b = load(r1 + i) + s1, c = load(r2 + i) + s2, d = load(r3 + i) + s3
            let best = vmax(load(current + i), vmax(vmax(a, b), vmax(c, d)))
            UnsafeMutableRawPointer(current + i).storeBytes(of: best, as: SIMD4<Double>.self)
            i += 4
        }
        while i < n {
            current[i] = max(current[i], offsets[0] + r0[i], offsets[1] + r1[i], offsets[2] + r2[i], offsets[3] + r3[i])
            i += 1
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> { UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self) }

    /// Lane-wise maximum (compiles to `maxpd`; no NaNs occur here).
    @inline(__always)
    static func vmax(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> { a.replacing(with: b, where: b .> a) }

    /// `current[i] = max(current[i], offset + row[i])` for i < n. (N) max+ (N) -> (N)
    @inline(__always)
    static func maxPlusRow(_ current: UnsafeMutablePointer<Double>, _ row: UnsafePointer<Double>, _ offset: Double, _ n: Int) {
        let shift = SIMD4<Double>(repeating: offset)
        var i = 0
        while i + 4 <= n {
            let sum = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD4<Double>.self) + shift
            let old = UnsafeRawPointer(current + i).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(current + i).storeBytes(of: old.replacing(with: sum, where: sum .> old), as: SIMD4<Double>.self)
            i += 4
        }
        while i < n {
            let sum = offset + row[i]
            if sum > current[i] { current[i] = sum }
            i += 1
        }
    }
}

/// The Viterbi recursion over lattice rows 1..<count.
struct Recursion {
    let n: Int, count: Int
    /// (T, N)
    let lattice: UnsafeMutablePointer<Double>
    /// (N, N) log transitions; (N) their row maxima; (V, N) log emissions by symbol.
    let logA: UnsafePointer<Double>, rowMax: UnsafePointer<Double>, logColumns: UnsafePointer<Double>
    /// (T)
    let symbols: UnsafePointer<Int>

    /// Fills `lattice[rows, columns]` on this thread.
    func fill(rows: Range<Int>, columns: Range<Int>) {
        let keptRows = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { keptRows.deallocate() }
        for t in rows { fillRow(t, columns: columns, keptRows: keptRows) }
    }

    /// `lattice[t, columns]` from the complete row t-1:
    /// `lattice[t, i] = max_j (lattice[t-1, j] + log A[j, i]) + log B[i, o_t]`.
    /// (N) max+ (N, width) -> (width)
    @inline(__always)
    func fillRow(_ t: Int, columns: Range<Int>, keptRows: UnsafeMutablePointer<Int>) {
        let lo = columns.lowerBound, width = columns.count
        let previous = lattice + (t - 1) * n, current = lattice + t * n + lo
        // Exact pruning: start from the best predecessor's row; then a row j whose best possible
        // contribution, previous[j] + max_i log A[j, i], is below the smallest entry so far cannot
        // change any entry (not even a tie) and is skipped.
        var top = 0
        for j in 1..<n where previous[j] > previous[top] { top = j }
        let offset = previous[top], topRow = logA + top * n + lo
        var floor = Double.infinity
        for i in 0..<width {
            let value = offset + topRow[i]
            current[i] = value
            floor = min(floor, value)
        }
        var kept = 0
        for j in 0..<n where j != top && previous[j] + rowMax[j] >= floor {
            keptRows[kept] = j
            kept += 1
        }
        // Four rows per pass over `current` (a quarter of the loads and stores of it).
        var k = 0
        while k + 4 <= kept {
            let j0 = keptRows[k], j1 = keptRows[k + 1], j2 = keptRows[k + 2], j3 = keptRows[k + 3]
            HMMViterbi.maxPlusFourRows(current, logA + j0 * n + lo, logA + j1 * n + lo, logA + j2 * n + lo, logA + j3 * n + lo,
                                       SIMD4(previous[j0], previous[j1], previous[j2], previous[j3]), width)
            k += 4
        }
        while k < kept {
            HMMViterbi.maxPlusRow(current, logA + keptRows[k] * n + lo, previous[keptRows[k]], width)
            k += 1
        }
        let column = logColumns + symbols[t] * n + lo
        for i in 0..<width { current[i] += column[i] }
    }
}
