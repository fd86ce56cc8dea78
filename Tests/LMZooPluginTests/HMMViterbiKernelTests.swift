import CKernels
import Foundation
import LMZooCore
import LMZooTestSupport
import Testing

/// The C Viterbi kernel (Sources/CKernels/viterbi.c) on both of its paths (AVX2 where the CPU has
/// it, and the portable one every CPU runs): the lattice equals the plain max-plus recursion exactly,
/// whatever rows the pruning skips, for sizes that are not whole blocks and with impossible
/// transitions (-inf), and the backtracked path follows hmmlearn's tie rule.
@Suite struct HMMViterbiKernelTests {
    @Test(arguments: [(21, 5, 3000), (1, 3, 50), (64, 65, 2000), (33, 2, 500)])
    func bothPathsEqualThePlainRecursion(n: Int, v: Int, count: Int) {
        var random = SplitMix64(seed: UInt64(n * 1000 + v))
        // Logarithms of eighths: sums of them tie often, which exercises the pruning's exactness and the tie rule.
        func logEighth() -> Double { log(Double(Int(random.nextUnitDouble() * 8) + 1) / 8) }
        let ld = (n + 15) / 16 * 16
        // log A (N, ld) padded with -inf, a fifth of it impossible; log B (V, N); log pi (N).
        var logA = [Double](repeating: -.infinity, count: n * ld), rowMax = [Double](repeating: -.infinity, count: n)
        for j in 0..<n {
            for i in 0..<n where n == 1 || random.nextUnitDouble() >= 0.2 { logA[j * ld + i] = logEighth() }
            rowMax[j] = logA[(j * ld)..<(j * ld + ld)].max()!
        }
        let logB = (0..<(v * n)).map { _ in logEighth() }
        let logStart = (0..<n).map { _ in logEighth() }
        let symbols = (0..<count).map { _ in Int(random.nextUnitDouble() * Double(v)) }

        var plain = [Double](repeating: 0, count: count * n)
        for i in 0..<n { plain[i] = logStart[i] + logB[symbols[0] * n + i] }
        for t in 1..<count {
            for i in 0..<n {
                var best = -Double.infinity
                for j in 0..<n { best = max(best, plain[(t - 1) * n + j] + logA[j * ld + i]) }
                plain[t * n + i] = best + logB[symbols[t] * n + i]
            }
        }
        var plainPath = [Int](repeating: 0, count: count)
        let last = Array(plain[((count - 1) * n)...])
        plainPath[count - 1] = last.indices.first { last[$0] == last.max()! }!
        for t in stride(from: count - 2, through: 0, by: -1) {
            var best = (-Double.infinity, 0)
            for i in 0..<n where plain[t * n + i] + logA[i * ld + plainPath[t + 1]] >= best.0 {
                best = (plain[t * n + i] + logA[i * ld + plainPath[t + 1]], i)
            }
            plainPath[t] = best.1
        }
        var logAT = [Double](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { logAT[i * n + j] = logA[j * ld + i] } }

        for simd: Int32 in [0, 1] {
            var lattice = [Double](repeating: .nan, count: count * n), row = [Double](repeating: 0, count: ld)
            var index = [Int](repeating: 0, count: 2 * n + 8), path = [Int](repeating: -1, count: count)
            lmz_viterbi_lattice(n, count, symbols, logStart, logA, ld, rowMax, logB, &lattice, &row, &index, simd)
            let logProb = lmz_viterbi_backtrack(n, count, lattice, logAT, &path, simd)
            #expect(lattice.elementsEqual(plain) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "n \(n), simd \(simd): lattice differs")
            #expect(path == plainPath, "n \(n), simd \(simd): path differs")
            #expect(logProb == last[plainPath[count - 1]])
        }
    }
}
