import COpenBLAS
import Foundation
import LMZooCore

/// What a Baum-Welch run did.
public struct BaumWelchReport: Sendable, Equatable {
    /// The training log-likelihood of each iteration, computed with the parameters *before* that
    /// iteration's M-step (hmmlearn's `monitor_.history`).
    public var logLikelihoods: [Double] = []
    /// True when the run stopped because the gain fell below the tolerance.
    public var converged = false
    /// Iterations run.
    public var iterations: Int { logLikelihoods.count }
}

/// Baum-Welch (EM) over many sequences, as hmmlearn's `BaseHMM.fit` with `CategoricalHMM`'s
/// default priors (all 1, i.e. maximum likelihood): per iteration an E-step over every sequence
/// (scaled forward-backward, expected start/transition/emission counts), then the M-step
/// (normalised counts; entries that are zero stay zero, rows with no counts stay zero), and the
/// stop test `L_k - L_k-1 < tol`.
enum HMMBaumWelch {
    static func fit(_ parameters: HMMParameters, sequences: [[Int]], iterations: Int, tolerance: Double,
                    progress: ((Int, Double) -> Void)? = nil) throws -> (HMMParameters, BaumWelchReport) {
        let n = parameters.numStates, v = parameters.vocabularySize
        guard sequences.contains(where: { !$0.isEmpty }) else { throw HMMError.noTrainingData }
        for (index, sequence) in sequences.enumerated() {
            guard sequence.count < Int(Int32.max) else {
                throw HMMError.badOption(name: "corpus", value: "sequence \(index)", reason: "longer than 2^31 - 1 symbols")
            }
            if let bad = sequence.first(where: { $0 < 0 || $0 >= v }) { throw ModelError.idOutOfRange(bad, vocabularySize: v) }
        }
        var current = parameters
        var report = BaumWelchReport()
        let work = HMMForwardBackward.Workspace(states: n)
        work.reserve(sequences.map(\.count).max() ?? 0)
        // Sufficient statistics: start (N), xi before .* A (N, N), emission counts transposed (V, N).
        var startCounts = [Double](repeating: 0, count: n)
        var xiCounts = [Double](repeating: 0, count: n * n)
        var emissionCounts = [Double](repeating: 0, count: v * n)

        for iteration in 0..<iterations {
            let tables = HMMTables(current)
            for i in startCounts.indices { startCounts[i] = 0 }
            for i in xiCounts.indices { xiCounts[i] = 0 }
            for i in emissionCounts.indices { emissionCounts[i] = 0 }
            var logLikelihood = 0.0
            // E-step
            for (index, sequence) in sequences.enumerated() where !sequence.isEmpty {
                try sequence.withUnsafeBufferPointer { ids in
                    switch HMMForwardBackward.forwardLattice(tables, ids, work) {
                    case let .success(value): logLikelihood += value
                    case let .failure(error): throw HMMError.impossibleTrainingSequence(sequence: index, position: error.position)
                    }
                    emissionCounts.withUnsafeMutableBufferPointer { counts in
                        startCounts.withUnsafeMutableBufferPointer { starts in
                            HMMForwardBackward.backward(tables, ids, work) { t, gamma in
                                let row = counts.baseAddress! + ids[t] * n
                                for i in 0..<n { row[i] += gamma[i] }
                                if t == 0 { for i in 0..<n { starts[i] += gamma[i] } }
                            }
                        }
                    }
                    xiCounts.withUnsafeMutableBufferPointer { HMMForwardBackward.accumulateXi(tables, length: ids.count, work, into: $0.baseAddress!) }
                }
            }
            report.logLikelihoods.append(logLikelihood)
            progress?(iteration, logLikelihood)
            // M-step
            var start = current.startProb, transitions = current.transitions, emissions = current.emissions
            for i in 0..<n { start[i] = current.startProb[i] == 0 ? 0 : max(startCounts[i], 0) }
            normalize(&start, rows: 1, columns: n)
            for index in 0..<(n * n) {
                let a = current.transitions[index]
                transitions[index] = a == 0 ? 0 : max(xiCounts[index] * a, 0)
            }
            normalize(&transitions, rows: n, columns: n)
            for i in 0..<n { for k in 0..<v { emissions[i * v + k] = max(emissionCounts[k * n + i], 0) } }
            normalize(&emissions, rows: n, columns: v)
            current = HMMParameters(unchecked: start, transitions: transitions, emissions: emissions, numStates: n, vocabularySize: v)
            let history = report.logLikelihoods
            if history.count >= 2, history[history.count - 1] - history[history.count - 2] < tolerance {
                report.converged = true
                break
            }
        }
        return (current, report)
    }

    /// Each row divided by its sum; rows summing to zero are left as they are (hmmlearn's `normalize`).
    static func normalize(_ values: inout [Double], rows: Int, columns: Int) {
        for row in 0..<rows {
            var sum = 0.0
            for column in 0..<columns { sum += values[row * columns + column] }
            guard sum != 0 else { continue }
            for column in 0..<columns { values[row * columns + column] /= sum }
        }
    }
}
