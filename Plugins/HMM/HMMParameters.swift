import LMZooCore

/// The three tables of a discrete HMM with `numStates` hidden states over `vocabularySize` symbols,
/// in float64 and row-major, named as hmmlearn's `CategoricalHMM` attributes without the underscore.
///
/// - `startProb` (N): `P(state_0 = i)`
/// - `transitions` (N, N): `transitions[i * N + j] = P(state_t+1 = j | state_t = i)`
/// - `emissions` (N, V): `emissions[i * V + k] = P(symbol = k | state = i)`
public struct HMMParameters: Sendable, Equatable {
    public let numStates: Int
    public let vocabularySize: Int
    public var startProb: [Double]
    public var transitions: [Double]
    public var emissions: [Double]

    /// How far a distribution's sum may be from 1.
    public static let stochasticTolerance = 1e-6

    /// Checked parameters (see ``validate()``).
    public init(startProb: [Double], transitions: [Double], emissions: [Double], numStates: Int, vocabularySize: Int) throws {
        self.numStates = numStates
        self.vocabularySize = vocabularySize
        self.startProb = startProb
        self.transitions = transitions
        self.emissions = emissions
        try validate()
    }

    /// Unchecked, for the trainer's intermediate states (hmmlearn keeps zero rows too).
    init(unchecked startProb: [Double], transitions: [Double], emissions: [Double], numStates: Int, vocabularySize: Int) {
        self.numStates = numStates
        self.vocabularySize = vocabularySize
        self.startProb = startProb
        self.transitions = transitions
        self.emissions = emissions
    }

    /// Sizes consistent, every entry finite and non-negative, every distribution summing to 1
    /// within ``stochasticTolerance``.
    public func validate() throws {
        guard numStates > 0 else { throw HMMError.empty(array: "startprob") }
        guard vocabularySize > 0 else { throw HMMError.empty(array: "emissionprob") }
        let (nn, o1) = numStates.multipliedReportingOverflow(by: numStates)
        let (nv, o2) = numStates.multipliedReportingOverflow(by: vocabularySize)
        guard !o1, !o2 else { throw HMMError.shapeMismatch(array: "transmat", shape: [numStates, numStates], expected: []) }
        guard startProb.count == numStates else { throw HMMError.shapeMismatch(array: "startprob", shape: [startProb.count], expected: [numStates]) }
        guard transitions.count == nn else {
            throw HMMError.shapeMismatch(array: "transmat", shape: [transitions.count], expected: [numStates, numStates])
        }
        guard emissions.count == nv else {
            throw HMMError.shapeMismatch(array: "emissionprob", shape: [emissions.count], expected: [numStates, vocabularySize])
        }
        try Self.checkRows(startProb, rows: 1, columns: numStates, name: "startprob")
        try Self.checkRows(transitions, rows: numStates, columns: numStates, name: "transmat")
        try Self.checkRows(emissions, rows: numStates, columns: vocabularySize, name: "emissionprob")
    }

    /// Each row of the (rows, columns) table `values` is a probability distribution.
    static func checkRows(_ values: [Double], rows: Int, columns: Int, name: String) throws {
        for row in 0..<rows {
            var sum = 0.0
            for column in 0..<columns {
                let value = values[row * columns + column]
                guard value.isFinite else { throw HMMError.notFinite(array: name, row: row, column: column) }
                guard value >= 0 else { throw HMMError.negative(array: name, row: row, column: column, value: value) }
                sum += value
            }
            guard abs(sum - 1) <= stochasticTolerance else {
                throw HMMError.notStochastic(array: name, row: name == "startprob" ? nil : row, sum: sum)
            }
        }
    }

    /// Random parameters for training from scratch: every entry uniform in [0, 1) plus a small
    /// floor, rows normalised (hmmlearn draws emissions the same way; its Dirichlet start and
    /// transition draws are replaced by this, which keeps every transition possible).
    public static func random(numStates: Int, vocabularySize: Int, seed: UInt64) -> HMMParameters {
        var generator = SplitMix64(seed: seed)
        func rows(_ count: Int, _ width: Int) -> [Double] {
            var values = (0..<(count * width)).map { _ in generator.nextUnitDouble() + 1e-3 }
            for row in 0..<count {
                let sum = values[(row * width)..<((row + 1) * width)].reduce(0, +)
                for column in 0..<width { values[row * width + column] /= sum }
            }
            return values
        }
        return HMMParameters(unchecked: rows(1, numStates), transitions: rows(numStates, numStates),
                             emissions: rows(numStates, vocabularySize), numStates: numStates, vocabularySize: vocabularySize)
    }

    /// Number of free parameters counted as stored entries: N + N*N + N*V.
    public var parameterCount: Int { startProb.count + transitions.count + emissions.count }
}
