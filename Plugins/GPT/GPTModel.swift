import Foundation
import LMZooCore
import LMZooTransformer

/// A GPT-2 language model (transformers' `GPT2LMHeadModel`, ``GPTConfig/transformerDescription`` run by
/// the transformer engine). Keeps a KV cache of
/// the last context it ran, so calls whose context extends the previous one (generation, predict
/// after predict) only run the new tokens.
public final class GPTModel: LanguageModel, StreamingGenerating, SequenceDistributions, @unchecked Sendable {
    public let architecture = "gpt2"
    public let config: GPTConfig
    public let tokenizer: any Tokenizer
    public let parameterCount: Int
    /// Bytes of the weight matrices as kept in memory (f32, or compressed).
    public var weightByteCount: Int { network.weights.matrixByteCount }

    let network: TransformerNetwork
    private let cache: KVCache
    /// The cached context's activation buffers (used under `lock`, like `cache`).
    private let workspace = TransformerWorkspace()
    private var cachedIDs: [Int] = []
    private var lastLogits: [Float] = []
    private let lock = NSLock()

    init(config: GPTConfig, network: TransformerNetwork, parameterCount: Int, tokenizer: any Tokenizer) {
        self.config = config
        self.tokenizer = tokenizer
        self.network = network
        self.parameterCount = parameterCount
        cache = network.makeCache()
    }

    /// Which rows of logits a forward pass returns.
    enum Output { case lastRow, allRows }

    /// Runs `ids` at positions `cache.count ..< cache.count + T` and appends their keys/values to
    /// `cache`; returns logits `(rows, V)` for the last or all new positions.
    func forward(_ ids: [Int], cache: KVCache, workspace: TransformerWorkspace, output: Output) -> [Float] {
        let (T, C) = (ids.count, config.embeddingSize)
        precondition(T > 0 && cache.count + T <= config.contextLength, "positions beyond the context")
        let x = workspace.buffer(.caller, count: T * C)  // hidden states (T, C)
        network.hiddenStates(PackedSequences(ids), cache: cache, workspace: workspace, into: x)
        // logits = ln_f(x) · wteᵀ   (rows, C) -> (rows, V)
        let rows = output == .allRows ? T : 1
        var logits = [Float](repeating: 0, count: rows * config.vocabSize)
        logits.withUnsafeMutableBufferPointer {
            network.logits(x + (T - rows) * C, rows: rows, workspace: workspace, into: $0.baseAddress!)
        }
        return logits
    }

    /// Log-probabilities after the last `contextLength` tokens of `context`; an empty context means
    /// `<|endoftext|>` alone (GPT-2's start of an unconditional sample).
    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        try checkIDs(context)
        var window = Array(context.suffix(config.contextLength))
        if window.isEmpty {
            guard let bos = tokenizer.bosID else { throw ModelError.emptyContext }
            window = [bos]
        }
        var logits = lock.withLock { logitsAfter(window) }
        logits.withUnsafeMutableBufferPointer { Kernels.logSoftmax($0.baseAddress!, count: $0.count) }
        return logits
    }

    /// Logits after `window` (at most `contextLength` ids), reusing the cache when `window` extends it.
    private func logitsAfter(_ window: [Int]) -> [Float] {
        if window == cachedIDs, !lastLogits.isEmpty { return lastLogits }
        if window.count <= cachedIDs.count || !window.starts(with: cachedIDs) {
            cache.reset()
            cachedIDs = []
        }
        let fresh = Array(window[cachedIDs.count...])
        lastLogits = forward(fresh, cache: cache, workspace: workspace, output: .lastRow)
        cachedIDs = window
        return lastLogits
    }

    /// `log_softmax` rows for every position of `ids` (at most `contextLength`) in one pass:
    /// row `t` is the distribution of the token after `ids[...t]` — `(T, V)` row-major (teacher
    /// distributions for distillation, scoring).
    public func logProbRows(_ ids: [Int]) throws -> [Float] {
        try checkIDs(ids)
        guard !ids.isEmpty else { return [] }
        guard ids.count <= config.contextLength else {
            throw GPTError.badConfig("\(ids.count) tokens exceed the context of \(config.contextLength)")
        }
        var rows = forward(ids, cache: network.makeCache(capacity: ids.count), workspace: TransformerWorkspace(), output: .allRows)
        let V = config.vocabSize
        rows.withUnsafeMutableBufferPointer { buffer in
            Kernels.parallelChunks(ids.count, minimumChunk: 4) { a, b in
                for t in a..<b { Kernels.logSoftmax(buffer.baseAddress! + t * V, count: V) }
            }
        }
        return rows
    }

    /// `log P(ids[i] | ids[..<i])` for i in 1..<n (windowed past the context, see ``forEachRow(_:count:_:)``).
    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        guard ids.count > 1 else { return [] }
        var result: [Double] = []
        result.reserveCapacity(ids.count - 1)
        try forEachRow(ids, count: ids.count - 1) { t, row in result.append(Double(row[row.startIndex + ids[t + 1]])) }
        return result
    }

    /// Row t (t = 0..<n): `log P(. | ids[...t])` (distillation teachers; windowed past the context).
    public func sequenceLogProbs(_ ids: [Int]) throws -> [[Float]] {
        try checkIDs(ids)
        var rows: [[Float]] = []
        try forEachRow(ids, count: ids.count) { _, row in rows.append(Array(row)) }
        return rows
    }

    /// Calls `body(t, row)` for t = 0..<count with the log-distribution after `ids[...t]`. Past
    /// `contextLength`, windows of `contextLength` tokens advance by half of it, so every row after
    /// the first window has at least half a context behind it.
    private func forEachRow(_ ids: [Int], count: Int, _ body: (Int, ArraySlice<Float>) -> Void) throws {
        let (P, V) = (config.contextLength, config.vocabSize)
        var (next, start) = (0, 0)
        while next < count {
            let end = min(ids.count, start + P)
            let rows = try logProbRows(Array(ids[start..<end]))
            while next < min(count, end) {
                body(next, rows[(next - start) * V..<(next - start + 1) * V])
                next += 1
            }
            start += max(1, P / 2)
        }
    }

    public func generate(prompt: [Int], options: GenerationOptions) throws -> [Int] {
        try generateBySampling(prompt: prompt, options: options, onToken: { _ in })
    }

    /// Greedy or sampled continuation; each step runs only the new token against the KV cache
    /// (``nextTokenLogProbs(context:)`` extends the cached context); the context slides past `contextLength`.
    public func generate(prompt: [Int], options: GenerationOptions, onToken: (Int) -> Void) throws -> [Int] {
        try generateBySampling(prompt: prompt, options: options, onToken: onToken)
    }
}
