import COpenBLAS
import LMZooCore

/// The parameters laid out for the kernels: owned, aligned buffers (no copy-on-write, no bounds
/// checks in the per-step loops) plus the transposed emission matrix, so that the column of a
/// symbol is contiguous.
final class HMMTables: @unchecked Sendable {
    /// N
    let n: Int
    /// V
    let v: Int
    /// (N)
    let start: UnsafeMutablePointer<Double>
    /// (N, N) row-major: `transitions[i * N + j] = P(j | i)`
    let transitions: UnsafeMutablePointer<Double>
    /// (N, V) row-major
    let emissions: UnsafeMutablePointer<Double>
    /// (V, N) row-major: `emissionColumns[k * N + i] = P(k | i)`
    let emissionColumns: UnsafeMutablePointer<Double>

    init(_ parameters: HMMParameters) {
        n = parameters.numStates
        v = parameters.vocabularySize
        start = .allocate(capacity: n)
        transitions = .allocate(capacity: n * n)
        emissions = .allocate(capacity: n * v)
        emissionColumns = .allocate(capacity: n * v)
        parameters.startProb.withUnsafeBufferPointer { start.initialize(from: $0.baseAddress!, count: n) }
        parameters.transitions.withUnsafeBufferPointer { transitions.initialize(from: $0.baseAddress!, count: n * n) }
        parameters.emissions.withUnsafeBufferPointer { emissions.initialize(from: $0.baseAddress!, count: n * v) }
        for i in 0..<n {
            for k in 0..<v { emissionColumns[k * n + i] = emissions[i * v + k] }
        }
    }

    deinit {
        start.deallocate()
        transitions.deallocate()
        emissions.deallocate()
        emissionColumns.deallocate()
    }

    var blasN: Int32 { Int32(truncatingIfNeeded: n) }
    var blasV: Int32 { Int32(truncatingIfNeeded: v) }

    // MARK: the forward step shared by scoring, prediction, training and sampling

    /// `predicted = previous x A`, or the start distribution when `previous` is nil.
    /// (N) x (N, N) -> (N)
    @inline(__always)
    func predictStates(after previous: UnsafePointer<Double>?, into predicted: UnsafeMutablePointer<Double>) {
        if let previous {
            cblas_dgemv(CblasRowMajor, CblasTrans, blasN, blasN, 1, transitions, blasN, previous, 1, 0, predicted, 1)
        } else {
            predicted.update(from: start, count: n)
        }
    }

    /// One scaled forward step (Rabiner's scaling, hmmlearn's `forward_scaling`): `state` holds the
    /// predicted state distribution on entry and the filtered one on exit; returns the scale
    /// `c = P(symbol | earlier symbols)`. When `c` is 0 the state is left unnormalised (all zero).
    /// (N) .* (N) -> (N), sum, scale
    @inline(__always)
    func observe(_ symbol: Int, state: UnsafeMutablePointer<Double>) -> Double {
        let column = emissionColumns + symbol * n
        var sum = 0.0
        for i in 0..<n {
            let x = state[i] * column[i]
            state[i] = x
            sum += x
        }
        if sum > 0 {
            for i in 0..<n { state[i] /= sum }
        }
        return sum
    }

    /// Next-symbol probabilities from a predicted state distribution.
    /// (N) x (N, V) -> (V)
    func symbolDistribution(predicted: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, CblasTrans, blasN, blasV, 1, emissions, blasV, predicted, 1, 0, out, 1)
    }
}
