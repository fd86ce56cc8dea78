import Foundation
import LMZooCore

/// An LSTM language model: embedding -> stacked LSTM -> linear decoder -> log-softmax.
///
/// Reference: `torch.nn.LSTM` as used by pytorch/examples `word_language_model/model.py` (`RNNModel`)
/// and Keras 3's `LSTMCell` (`keras/src/layers/rnn/lstm.py`): the same gates i, f, g, o, with Keras's
/// one bias loaded as `b_ih` and `b_hh = 0`, and its `recurrent_activation` (sigmoid or hard sigmoid).
///
/// ``nextTokenLogProbs(context:)`` keeps the state after the last context it saw, so successive calls
/// with growing contexts (`predict`, `generate`) only run the new tokens.
public final class LSTMModel: LanguageModel, Generating, @unchecked Sendable {
    public let architecture = "lstm"
    public let tokenizer: any Tokenizer
    /// The sizes and options the model runs with.
    public let config: LSTMConfig
    let network: LSTMNetwork

    private let lock = NSLock()
    /// The context of the last ``nextTokenLogProbs(context:)`` call, the state after it, and the top
    /// layer's last output.
    private var cache: (context: [Int], state: LSTMState, top: [Float])?

    init(weights: LSTMWeights, tokenizer: any Tokenizer) {
        self.config = weights.config
        self.network = LSTMNetwork(weights: weights)
        self.tokenizer = tokenizer
        parameterCount = weights.parameterCount
    }

    public let parameterCount: Int

    private func freshState(batch: Int) -> LSTMState {
        LSTMState(layers: config.numLayers, batch: batch, hidden: config.hiddenSize)
    }

    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        try checkIDs(context)
        guard !context.isEmpty else { throw ModelError.emptyContext }
        let top: [Float] = lock.withLock {
            var start = 0
            var state = freshState(batch: 1)
            var top: [Float] = []
            if let cache, cache.context.count <= context.count, context.starts(with: cache.context) {
                (start, state, top) = (cache.context.count, cache.state, cache.top)
            }
            if start < context.count {
                let suffix = Array(context[start...])
                let hidden = network.hiddenStates(ids: suffix, steps: suffix.count, batch: 1, state: &state)
                top = Array(hidden[(suffix.count * config.hiddenSize)...])  // the last of (T+1, 1, H)
            }
            cache = (context, state, top)
            return top
        }
        var logits = [Float](repeating: 0, count: config.vocabSize)
        var total: Float = 0
        top.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { network.logits(h.baseAddress!, rows: 1, into: $0.baseAddress!, logSumExps: &total) }
        }
        return logits.map { $0 - total }
    }

    /// One forward pass over `ids` from the zero state: `log P(ids[t+1] | ids[...t])` for t = 0..<n-1.
    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try tokenLogProbs(batch: [ids])[0]
    }

    /// Scores several sequences in one batched pass (shorter ones are padded at the end, which cannot
    /// change their earlier outputs). Each result is as ``tokenLogProbs(_:)``.
    public func tokenLogProbs(batch sequences: [[Int]]) throws -> [[Double]] {
        for ids in sequences { try checkIDs(ids) }
        let B = sequences.count, T = (sequences.map(\.count).max() ?? 0) - 1
        guard B > 0, T > 0 else { return sequences.map { _ in [] } }
        var results = sequences.map { [Double](repeating: 0, count: max($0.count - 1, 0)) }
        try forEachDistribution(sequences, steps: T) { t, b, row, total in
            if t + 1 < sequences[b].count { results[b][t] = Double(row[sequences[b][t + 1]] - total) }
        }
        return results
    }

    /// The full next-token log-distributions after each prefix `ids[...t]`, t = 0..<n (n rows of V).
    public func logProbs(ids: [Int]) throws -> [[Float]] {
        try checkIDs(ids)
        guard !ids.isEmpty else { return [] }
        var rows: [[Float]] = []
        try forEachDistribution([ids], steps: ids.count) { _, _, row, total in
            rows.append((0..<config.vocabSize).map { row[$0] - total })
        }
        return rows
    }

    /// Runs the batch from the zero state for `steps` inputs and calls `body(t, b, logits, logsumexp)`
    /// for every position, in time order; the decoder runs in blocks of up to 8 Mi logits.
    private func forEachDistribution(_ sequences: [[Int]], steps T: Int,
                                     _ body: (Int, Int, UnsafePointer<Float>, Float) throws -> Void) throws {
        let B = sequences.count, V = config.vocabSize, H = config.hiddenSize
        var ids = [Int](repeating: 0, count: T * B)
        for (b, sequence) in sequences.enumerated() {
            for t in 0..<min(T, sequence.count) { ids[t * B + b] = sequence[t] }
        }
        var state = freshState(batch: B)
        let hidden = network.hiddenStates(ids: ids, steps: T, batch: B, state: &state)
        // Up to 8 Mi logits (32 MiB) per sgemm: each call packs the whole decoder weight, so few large
        // calls beat cache-sized ones (measured: 0.074 s against 0.10 s for 511 rows x 10k).
        let block = max(1, min(T * B, (8 << 20) / V))
        var logits = [Float](repeating: 0, count: block * V)
        var totals = [Float](repeating: 0, count: block)
        try hidden.withUnsafeBufferPointer { h in
            try logits.withUnsafeMutableBufferPointer { logits in
                try totals.withUnsafeMutableBufferPointer { totals in
                    var first = 0
                    while first < T * B {
                        let rows = min(block, T * B - first)
                        network.logits(h.baseAddress! + (B + first) * H, rows: rows, into: logits.baseAddress!,
                                       logSumExps: totals.baseAddress!)
                        for r in 0..<rows {
                            try body((first + r) / B, (first + r) % B, logits.baseAddress! + r * V, totals[r])
                        }
                        first += rows
                    }
                }
            }
        }
    }

    /// Forgets the state carried between ``nextTokenLogProbs(context:)`` calls.
    public func resetState() { lock.withLock { cache = nil } }
}
