import CKernels
import Foundation
import LMZooCore

/// Viterbi decoding in log space, as hmmlearn's `_hmmc.cpp` `viterbi`: the same sums
/// (`lattice[t-1, j] + log A[j, i]`, then `+ log B[i, o_t]`) and the same tie-breaking (the first
/// best final state; while backtracking, the last best predecessor), so the path and its
/// log-probability match hmmlearn's `decode(algorithm="viterbi")` exactly.
///
/// Max-plus is not a BLAS operation. The recursion runs in C (Sources/CKernels/viterbi.c) so that
/// an AVX2 path can be chosen at run time: destination states in blocks of 16 held in registers
/// while rows of log A stream past, and rows that provably cannot change any entry are skipped
/// (exact; see the C file). Memory: the (T, N) lattice; the path is recovered from it afterwards
/// (as hmmlearn does; a backpointer table would cost the forward pass an index blend per entry),
/// reading it back to front with software prefetch.
enum HMMViterbi {
    /// Destination states per register block in the C kernel (`log A` rows are padded to it).
    static let blockWidth = 16

    static func decode(_ tables: HMMTables, _ ids: [Int]) -> (states: [Int], logProb: Double) {
        let n = tables.n, count = ids.count
        guard count > 0 else { return ([], 0) }
        let logs = LogTables(tables, blockWidth: blockWidth)
        defer { logs.deallocate() }
        // (T, N), then scratch: (ld) one step's maxima, (2N + 8) row lists.
        let latticeMemory = LatticeMemory(doubles: count * n)
        let lattice = latticeMemory.pointer
        let scratchRow = UnsafeMutablePointer<Double>.allocate(capacity: logs.ld)
        let scratchIndex = UnsafeMutablePointer<Int>.allocate(capacity: 2 * n + 8)
        defer { latticeMemory.deallocate(); scratchRow.deallocate(); scratchIndex.deallocate() }
        var states = [Int](repeating: 0, count: count)
        let logProb = ids.withUnsafeBufferPointer { symbols in
            // (T) ids -> (T, N) lattice -> (T) states
            lmz_viterbi_lattice(n, count, symbols.baseAddress!, logs.start, logs.transitions, logs.ld, logs.rowMax,
                                logs.emissionColumns, lattice, scratchRow, scratchIndex, 1)
            return states.withUnsafeMutableBufferPointer { lmz_viterbi_backtrack(n, count, lattice, logs.transitionsT, $0.baseAddress!, 1) }
        }
        return (states, logProb)
    }

    /// The lattice's memory: written once front to back, read once back to front. Large lattices
    /// (8 bytes x T x N: 51 MB for T = 100,000, N = 64) are asked for in 2 MiB pages where Linux
    /// allows it (`madvise(MADV_HUGEPAGE)`): a few hundred page faults instead of 12,500 (measured:
    /// the forward pass 20% faster).
    struct LatticeMemory {
        static let hugePage = 2 << 20
        let pointer: UnsafeMutablePointer<Double>
        private let raw: UnsafeMutableRawPointer

        init(doubles: Int) {
            let bytes = (doubles * MemoryLayout<Double>.stride + Self.hugePage - 1) / Self.hugePage * Self.hugePage
            raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, Self.hugePage), alignment: Self.hugePage)
            #if os(Linux)
            if bytes >= 4 * Self.hugePage { _ = madvise(raw, bytes, Int32(MADV_HUGEPAGE)) }  // advice only: failure is harmless
            #endif
            pointer = raw.bindMemory(to: Double.self, capacity: doubles)
        }

        func deallocate() { raw.deallocate() }
    }

    /// The logarithms of the parameters, laid out for the C kernel.
    struct LogTables {
        /// Row stride of ``transitions``: N rounded up to whole blocks.
        let ld: Int
        /// (N)
        let start: UnsafeMutablePointer<Double>
        /// (N, ld) log A, columns N..<ld -inf; (N) `max_i log A[j, i]`; (N, N) log A transposed.
        let transitions: UnsafeMutablePointer<Double>, rowMax: UnsafeMutablePointer<Double>, transitionsT: UnsafeMutablePointer<Double>
        /// (V, N) log B by symbol.
        let emissionColumns: UnsafeMutablePointer<Double>

        init(_ tables: HMMTables, blockWidth: Int) {
            let n = tables.n
            ld = (n + blockWidth - 1) / blockWidth * blockWidth
            start = .allocate(capacity: n)
            transitions = .allocate(capacity: n * ld)
            rowMax = .allocate(capacity: n)
            transitionsT = .allocate(capacity: n * n)
            emissionColumns = .allocate(capacity: tables.v * n)
            for j in 0..<n {
                start[j] = log(tables.start[j])
                var top = -Double.infinity
                for i in 0..<ld {
                    let value = i < n ? log(tables.transitions[j * n + i]) : -.infinity
                    transitions[j * ld + i] = value
                    top = max(top, value)
                }
                rowMax[j] = top
                for i in 0..<n { transitionsT[i * n + j] = transitions[j * ld + i] }
            }
            for index in 0..<(tables.v * n) { emissionColumns[index] = log(tables.emissionColumns[index]) }
        }

        func deallocate() {
            start.deallocate(); transitions.deallocate(); rowMax.deallocate(); transitionsT.deallocate(); emissionColumns.deallocate()
        }
    }
}
