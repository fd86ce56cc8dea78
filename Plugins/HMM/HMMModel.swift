// A discrete (categorical) hidden Markov language model.
//
// Reference: hmmlearn's `CategoricalHMM` (hmmlearn/hmm.py, base.py) and its C++ kernels
// `_hmmc.cpp` (forward_scaling, backward_scaling, compute_scaling_xi_sum, viterbi). lmzoo computes
// in float64 like hmmlearn, with the scaled forward-backward algorithm and the matrix-vector work
// in OpenBLAS (cblas_dgemv / cblas_dgemm), and matches hmmlearn's `score`, `decode`,
// `predict_proba` and `fit` to 1e-6 relative (Tests/Fixtures/make_hmm_fixtures.py).
//
// Checkpoint names are hmmlearn's attribute names without the underscore:
//   startprob (N), transmat (N, N), emissionprob (N, V)
// in an `.npz` (as `np.savez(f, startprob=m.startprob_, ...)` writes it) or lmzoo's own form, a
// directory with config.json {"model_type":"hmm","num_states","vocab_size"}, model.safetensors
// (float64) and vocab.json (the symbols, index = id).
import Foundation
import LMZooCore

/// A discrete HMM: N hidden states emitting symbols from a vocabulary of V.
///
/// Scores every symbol, the first included (`log P(o_0) = log sum_i pi_i B[i, o_0]`): the
/// per-token log-probabilities are the forward algorithm's log scale factors and sum to
/// hmmlearn's `score`.
public final class HMMModel: LanguageModel, Generating, StateDecoding, Trainable {
    public let architecture = "hmm"
    public private(set) var tokenizer: any Tokenizer
    /// The symbol tokenizer (the same object as ``tokenizer``).
    public private(set) var symbols: HMMTokenizer
    /// The parameters (validated: rows stochastic within 1e-6, entries non-negative).
    public private(set) var parameters: HMMParameters
    /// The tolerance ``train(on:options:)`` stops at (hmmlearn's default `tol`).
    public var trainingTolerance = 1e-2
    var tables: HMMTables

    public var scoresFirstToken: Bool { true }
    public var parameterCount: Int { parameters.parameterCount }
    public var numStates: Int { parameters.numStates }
    public var vocabularySize: Int { parameters.vocabularySize }

    /// A model from checked parameters and a tokenizer of the same vocabulary size.
    public init(parameters: HMMParameters, tokenizer: HMMTokenizer? = nil) throws {
        try parameters.validate()
        let symbols = tokenizer ?? HMMTokenizer(idsOnly: parameters.vocabularySize)
        guard symbols.vocabularySize == parameters.vocabularySize else {
            throw HMMError.vocabularySizeMismatch(path: "vocab.json", symbols: symbols.vocabularySize, vocabularySize: parameters.vocabularySize)
        }
        self.parameters = parameters
        self.symbols = symbols
        self.tokenizer = symbols
        tables = HMMTables(parameters)
    }

    /// Tokenizes text with `tokenizer` (of the same vocabulary size) instead of the symbol list: a
    /// distilled student keeps its teacher's byte-level BPE (``ByteLevelBPEFolder``).
    public func useTokenizer(_ tokenizer: any Tokenizer) throws {
        guard tokenizer.vocabularySize == vocabularySize else {
            throw HMMError.vocabularySizeMismatch(path: "tokenizer", symbols: tokenizer.vocabularySize, vocabularySize: vocabularySize)
        }
        self.tokenizer = tokenizer
    }

    // MARK: scoring

    /// `log P(ids[t] | ids[..<t])` for every position (the first from the start distribution).
    /// After a position of probability zero, every later entry is `-inf`.
    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        return HMMForwardBackward.logScales(tables, ids)
    }

    public func score(ids: [Int], bos: Bool) throws -> ScoreResult {
        if bos { throw ModelError.noBOSToken(architecture: architecture) }
        return ScoreResult(perToken: try tokenLogProbs(ids), utf8Bytes: nil)
    }

    /// Total log-likelihood of several sequences (hmmlearn's `score(X, lengths)`).
    public func logLikelihood(_ sequences: [[Int]]) throws -> Double {
        try sequences.reduce(0) { $0 + (try tokenLogProbs($1)).reduce(0, +) }
    }

    // MARK: prediction

    /// The next-symbol distribution after `context`: the forward state belief, moved one step by
    /// the transition matrix (the start distribution for an empty context), times the emission
    /// matrix. (N) x (N, N) -> (N) x (N, V) -> (V)
    public func nextSymbolProbabilities(context: [Int]) throws -> [Double] {
        try checkIDs(context)
        let n = numStates
        let filtered = UnsafeMutablePointer<Double>.allocate(capacity: n), predicted = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { filtered.deallocate(); predicted.deallocate() }
        try predictStates(after: context, scratch: filtered, into: predicted)
        var out = [Double](repeating: 0, count: vocabularySize)
        out.withUnsafeMutableBufferPointer { tables.symbolDistribution(predicted: predicted, into: $0.baseAddress!) }
        return out
    }

    /// The state distribution of the next position after `context` (the start distribution when it
    /// is empty) into `predicted`; `scratch` holds N values. Throws when the context is impossible.
    func predictStates(after context: [Int], scratch: UnsafeMutablePointer<Double>, into predicted: UnsafeMutablePointer<Double>) throws {
        guard !context.isEmpty else {
            tables.predictStates(after: nil, into: predicted)
            return
        }
        if let position = HMMForwardBackward.filter(tables, context, into: scratch) { throw HMMError.impossibleContext(position: position) }
        tables.predictStates(after: scratch, into: predicted)
    }

    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        try nextSymbolProbabilities(context: context).map { Float(log($0)) }
    }

    // MARK: hidden states

    /// The Viterbi path and its joint log-probability `log P(ids, states)` (hmmlearn's `decode`).
    public func decodeStates(_ ids: [Int]) throws -> (states: [Int], logProb: Double) {
        try checkIDs(ids)
        return HMMViterbi.decode(tables, ids)
    }

    /// Posterior state probabilities `P(state_t = i | ids)`, one row of N per position
    /// (hmmlearn's `predict_proba`). Throws when `ids` has probability zero.
    public func posteriors(_ ids: [Int]) throws -> [[Double]] {
        try checkIDs(ids)
        guard !ids.isEmpty else { return [] }
        let work = HMMForwardBackward.Workspace(states: numStates)
        var rows = [[Double]](repeating: [], count: ids.count)
        try ids.withUnsafeBufferPointer { symbols in
            if case let .failure(error) = HMMForwardBackward.forwardLattice(tables, symbols, work) {
                throw HMMError.impossibleContext(position: error.position)
            }
            HMMForwardBackward.backward(tables, symbols, work) { t, gamma in
                rows[t] = Array(UnsafeBufferPointer(start: gamma, count: numStates))
            }
        }
        return rows
    }

    // MARK: training

    /// Runs up to `iterations` Baum-Welch iterations over `sequences` (stopping early when the
    /// log-likelihood gain falls below `tolerance`) and replaces the parameters with the result.
    /// `progress` gets each iteration's log-likelihood as it is computed.
    @discardableResult
    public func fit(_ sequences: [[Int]], iterations: Int, tolerance: Double,
                    progress: ((Int, Double) -> Void)? = nil) throws -> BaumWelchReport {
        guard iterations >= 0 else { throw HMMError.badOption(name: "iterations", value: String(iterations), reason: "must be at least 0") }
        let (fitted, report) = try HMMBaumWelch.fit(parameters, sequences: sequences, iterations: iterations, tolerance: tolerance,
                                                    progress: progress)
        parameters = fitted
        tables = HMMTables(fitted)
        return report
    }

    /// ``Trainable``: `options.steps` Baum-Welch iterations with ``trainingTolerance``; returns the
    /// per-iteration log-likelihoods.
    public func train(on sequences: [[Int]], options: TrainingOptions) throws -> [Double] {
        try fit(sequences, iterations: options.steps, tolerance: trainingTolerance).logLikelihoods
    }
}
