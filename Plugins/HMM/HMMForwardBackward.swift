import COpenBLAS
import Foundation
import LMZooCore

/// The scaled forward-backward algorithm (hmmlearn `_hmmc.cpp`: `forward_scaling`,
/// `backward_scaling`, `compute_scaling_xi_sum`), with the matrix-vector products in BLAS.
///
/// Scaled variables: `alpha_t = P(state_t | o_0..t)`, `c_t = P(o_t | o_0..t-1)` (so
/// `log P(o) = sum log c_t`), `beta_t = P(o_t+1..T-1 | state_t) / prod_{s>t} c_s`; then the
/// posteriors are `gamma_t = alpha_t .* beta_t` and the expected transition counts are
/// `xi_sum = A .* (sum_t alpha_t^T (b_{o_t+1} .* beta_t+1 / c_t+1))`, one GEMM over the sequence.
enum HMMForwardBackward {
    /// `log c_t` for every position of `ids` (rolling state: no (T, N) lattice). After a position
    /// with probability zero every later entry is `-inf` too.
    static func logScales(_ tables: HMMTables, _ ids: [Int]) -> [Double] {
        let n = tables.n
        var out = [Double](repeating: -.infinity, count: ids.count)
        let a = UnsafeMutablePointer<Double>.allocate(capacity: n), b = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { a.deallocate(); b.deallocate() }
        var previous = a, current = b
        ids.withUnsafeBufferPointer { symbols in
            out.withUnsafeMutableBufferPointer { out in
                for t in 0..<symbols.count {
                    tables.predictStates(after: t == 0 ? nil : UnsafePointer(previous), into: current)
                    let c = tables.observe(symbols[t], state: current)
                    guard c > 0 else { return }
                    out[t] = log(c)
                    swap(&previous, &current)
                }
            }
        }
        return out
    }

    /// The filtered state distribution after `ids` (the start distribution's prediction when
    /// empty is handled by the caller): returns nil and the position when the context is impossible.
    static func filter(_ tables: HMMTables, _ ids: [Int], into state: UnsafeMutablePointer<Double>) -> Int? {
        let n = tables.n
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { scratch.deallocate() }
        for (t, symbol) in ids.enumerated() {
            if t == 0 {
                tables.predictStates(after: nil, into: state)
            } else {
                tables.predictStates(after: state, into: scratch)
                state.update(from: scratch, count: n)
            }
            if tables.observe(symbol, state: state) <= 0 { return t }
        }
        return nil
    }

    /// Work buffers for one sequence of up to `capacity` symbols, reused across sequences and
    /// iterations: alpha (T, N), the xi right-hand side W (T, N), beta (N) twice.
    final class Workspace {
        let n: Int
        private(set) var capacity = 0
        private(set) var alpha: UnsafeMutablePointer<Double>
        private(set) var w: UnsafeMutablePointer<Double>
        private(set) var scales: UnsafeMutablePointer<Double>
        let betaNext: UnsafeMutablePointer<Double>
        let betaCurrent: UnsafeMutablePointer<Double>
        let scratch: UnsafeMutablePointer<Double>

        init(states n: Int) {
            self.n = n
            alpha = .allocate(capacity: 0)
            w = .allocate(capacity: 0)
            scales = .allocate(capacity: 0)
            betaNext = .allocate(capacity: n)
            betaCurrent = .allocate(capacity: n)
            scratch = .allocate(capacity: n)
        }

        func reserve(_ length: Int) {
            guard length > capacity else { return }
            alpha.deallocate(); w.deallocate(); scales.deallocate()
            alpha = .allocate(capacity: length * n)
            w = .allocate(capacity: length * n)
            scales = .allocate(capacity: length)
            capacity = length
        }

        deinit {
            alpha.deallocate(); w.deallocate(); scales.deallocate()
            betaNext.deallocate(); betaCurrent.deallocate(); scratch.deallocate()
        }
    }

    /// Forward pass keeping the lattice: fills `work.alpha` (T, N) and `work.scales` (T); returns
    /// the log-likelihood, or the first position with probability zero.
    static func forwardLattice(_ tables: HMMTables, _ ids: UnsafeBufferPointer<Int>, _ work: Workspace) -> Result<Double, PositionError> {
        let n = tables.n
        work.reserve(ids.count)
        var logLikelihood = 0.0
        for t in 0..<ids.count {
            let row = work.alpha + t * n
            tables.predictStates(after: t == 0 ? nil : UnsafePointer(row - n), into: row)
            let c = tables.observe(ids[t], state: row)
            guard c > 0 else { return .failure(PositionError(position: t)) }
            work.scales[t] = c
            logLikelihood += log(c)
        }
        return .success(logLikelihood)
    }

    /// A position where the sequence has probability zero.
    struct PositionError: Error { let position: Int }

    /// Backward pass after ``forwardLattice(_:_:_:)``: calls `posterior(t, gamma_t)` for each
    /// position (last to first) with the normalised posterior state distribution, and fills
    /// `work.w` (T, N) with `b_{o_t+1} .* beta_t+1 / c_t+1` (row T-1 zero), the right-hand side
    /// of the xi-sum GEMM.
    static func backward(_ tables: HMMTables, _ ids: UnsafeBufferPointer<Int>, _ work: Workspace,
                         posterior: (Int, UnsafeMutablePointer<Double>) -> Void) {
        let n = tables.n, count = ids.count
        guard count > 0 else { return }
        var next = work.betaNext, current = work.betaCurrent
        let gamma = work.scratch
        for i in 0..<n { next[i] = 1 }
        (work.w + (count - 1) * n).initialize(repeating: 0, count: n)
        emitPosterior(work.alpha + (count - 1) * n, next, n, gamma)
        posterior(count - 1, gamma)
        var t = count - 2
        while t >= 0 {
            // (N) .* (N) / c -> W[t];  (N, N) x (N) -> beta_t
            let column = tables.emissionColumns + ids[t + 1] * n
            let wRow = work.w + t * n
            let c = work.scales[t + 1]
            for i in 0..<n { wRow[i] = column[i] * next[i] / c }
            cblas_dgemv(CblasRowMajor, CblasNoTrans, tables.blasN, tables.blasN, 1, tables.transitions, tables.blasN, wRow, 1, 0, current, 1)
            emitPosterior(work.alpha + t * n, current, n, gamma)
            posterior(t, gamma)
            swap(&next, &current)
            t -= 1
        }
    }

    /// gamma = normalize(alpha .* beta), as hmmlearn's `_compute_posteriors_scaling`.
    @inline(__always)
    private static func emitPosterior(_ alpha: UnsafePointer<Double>, _ beta: UnsafePointer<Double>, _ n: Int,
                                      _ gamma: UnsafeMutablePointer<Double>) {
        var sum = 0.0
        for i in 0..<n {
            let x = alpha[i] * beta[i]
            gamma[i] = x
            sum += x
        }
        if sum > 0 { for i in 0..<n { gamma[i] /= sum } }
    }

    /// Adds `alpha^T W` to `xiCounts` (before the element-wise product with A, done once per
    /// E-step). (N, T) x (T, N) -> (N, N)
    static func accumulateXi(_ tables: HMMTables, length: Int, _ work: Workspace, into xiCounts: UnsafeMutablePointer<Double>) {
        guard length > 1 else { return }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tables.blasN, tables.blasN, Int32(truncatingIfNeeded: length), 1,
                    work.alpha, tables.blasN, work.w, tables.blasN, 1, xiCounts, tables.blasN)
    }
}
