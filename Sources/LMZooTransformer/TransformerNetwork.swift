import LMZooCore

/// Token ids to run: one or more sequences packed one after another without padding, `(N, ·)` rows,
/// N = the sum of `lengths`. Each sequence starts at position 0 (or, with a KV cache, continues it)
/// and attends to its own keys only: for an encoder this equals Hugging Face's padded batch with an
/// attention mask (masked keys get weight exactly 0 there), while no work is spent on padding.
public struct PackedSequences: Sendable {
    public var ids: [Int] = []
    /// Token types (segments) per row; empty means all 0.
    public var typeIDs: [Int] = []
    public var lengths: [Int] = []

    public init() {}

    /// One sequence.
    public init(_ ids: [Int], typeIDs: [Int] = []) {
        append(ids: ids, typeIDs: typeIDs)
    }

    public mutating func append(ids sequence: [Int], typeIDs types: [Int] = []) {
        ids += sequence
        if !types.isEmpty || !typeIDs.isEmpty {
            if typeIDs.count < ids.count - sequence.count { typeIDs += [Int](repeating: 0, count: ids.count - sequence.count - typeIDs.count) }
            typeIDs += types.isEmpty ? [Int](repeating: 0, count: sequence.count) : types
        }
        lengths.append(sequence.count)
    }

    /// Calls `body(index, firstRow, length)` for each sequence in order.
    @inline(__always)
    func forEachSequence(_ body: (Int, Int, Int) -> Void) {
        var offset = 0
        for (index, length) in lengths.enumerated() {
            body(index, offset, length)
            offset += length
        }
    }

    /// First row of each sequence.
    public var offsets: [Int] {
        var offsets: [Int] = [], total = 0
        for length in lengths { offsets.append(total); total += length }
        return offsets
    }
}

/// The inference forward pass of a ``TransformerDescription`` over ``TransformerWeights``: embeddings,
/// blocks (pre- or post-norm; `[q | k | v]` in one sgemm through ``Linear``; rotary positions;
/// ``Attention/multiHead(queries:queryStride:queryCount:keys:values:keyValueStride:keyCount:heads:keyValueHeads:headDim:mask:into:outStride:scratch:)``
/// causal against a ``KVCache`` or bidirectional per packed sequence; the MLP), then the head.
public final class TransformerNetwork: @unchecked Sendable {
    public let description: TransformerDescription
    public let weights: TransformerWeights
    private let rotary: RotaryTable?

    public init(description: TransformerDescription, weights: TransformerWeights) throws {
        try description.validate()
        guard weights.layers.count == description.layers else {
            throw TransformerError.badDescription("\(weights.layers.count) layers of weights for \(description.layers)")
        }
        self.description = description
        self.weights = weights
        rotary = PositionLayer.rotaryTable(description)
    }

    /// A KV cache for this network holding `capacity` positions (default: the context).
    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layers: description.layers, capacity: capacity ?? description.contextLength, width: description.keyValueWidth)
    }

    /// The last hidden states `(N, C)` of `batch` into `hidden` (before a pre-norm family's final norm).
    /// With a `cache` (decoders), `batch` is one sequence at positions `cache.count ..< cache.count + N`,
    /// whose keys and values are appended to the cache. Activations live in `workspace` (a temporary
    /// one when nil): decoding with one workspace allocates nothing per token.
    public func hiddenStates(_ batch: PackedSequences, cache: KVCache? = nil, workspace: TransformerWorkspace? = nil,
                             into x: UnsafeMutablePointer<Float>) {
        let d = description, N = batch.ids.count, C = d.width, W = d.queryKeyValueWidth, I = d.inner
        guard N > 0 else { return }
        let start = cache?.count ?? 0
        precondition(cache == nil || batch.lengths.count == 1, "a KV cache runs one sequence")
        let longest = batch.lengths.max() ?? 0
        precondition(start + longest <= d.contextLength, "positions beyond the context")
        // h (N, C) | qkv (N, W) | attended (N, C) | mlp (N, upWidth) | attention scores
        let scoreCount = Attention.scratchCount(queryCount: longest, keyCount: start + longest)
        let space = workspace ?? TransformerWorkspace()
        defer { withExtendedLifetime(space) {} }
        let buffer = space.buffer(.layers, count: N * (2 * C + W + d.upWidth) + scoreCount)
        let h = buffer, qkv = h + N * C, attended = qkv + N * W, mlp = attended + N * C, scratch = mlp + N * d.upWidth

        embed(batch, start: start, into: x)
        let post = d.normalization.placement == .post
        for (index, layer) in weights.layers.enumerated() {
            // attention: pre: x += o(attn(norm(x)));  post: x = norm(x + o(attn(x)))
            let input = post ? UnsafePointer(x) : norm(layer.attentionNorm, x, rows: N, into: h)
            layer.queryKeyValue.apply(input, rows: N, into: qkv)  // (N, C) -> (N, W) = [q | k | v]
            if let rotary {
                batch.forEachSequence { _, offset, length in
                    PositionLayer.rotate(rotary, d, qkv + offset * W, rows: length) { start + $0 }
                }
            }
            attend(qkv, batch: batch, layer: index, cache: cache, into: attended, scratch: scratch)
            layer.attentionOutput.apply(attended, rows: N, into: h)  // (N, C) -> (N, C)
            Kernels.add(h, into: x, count: N * C)
            if post { _ = norm(layer.attentionNorm, x, rows: N, into: x) }
            // MLP: pre: x += down(act(up(norm(x))));  post: x = norm(x + down(act(up(x))))
            let mlpInput = post ? UnsafePointer(x) : norm(layer.mlpNorm, x, rows: N, into: h)
            layer.up.apply(mlpInput, rows: N, into: mlp)  // (N, C) -> (N, I) or (N, 2I)
            ActivationLayer.forward(d.activation, mlp, rows: N, inner: I, into: mlp)
            layer.down.apply(mlp, rows: N, into: h)  // (N, I) -> (N, C)
            Kernels.add(h, into: x, count: N * C)
            if post { _ = norm(layer.mlpNorm, x, rows: N, into: x) }
        }
        cache?.advance(by: N)
    }

    /// Logits `(rows, V)` of hidden states `(rows, C)`: the final norm (pre-norm families), the head's
    /// transform when the family has one, then the head. `hidden` is not modified.
    public func logits(_ hidden: UnsafePointer<Float>, rows: Int, workspace: TransformerWorkspace? = nil,
                       into out: UnsafeMutablePointer<Float>) {
        guard let head = weights.head, rows > 0 else { return }
        let C = description.width
        let space = workspace ?? TransformerWorkspace()
        defer { withExtendedLifetime(space) {} }
        let h = space.buffer(.head, count: 2 * rows * C), t = h + rows * C
        if let final = weights.finalNorm {
            _ = norm(final, hidden, rows: rows, into: h)
        } else {
            h.update(from: hidden, count: rows * C)
        }
        if case let (dense, transformNorm)? = weights.headTransform {
            dense.apply(h, rows: rows, into: t)  // (rows, C) -> (rows, C)
            ActivationLayer.forward(description.activation, t, rows: rows, inner: C, into: t)
            _ = norm(transformNorm, t, rows: rows, into: h)
        }
        head.apply(h, rows: rows, into: out)  // (rows, C) -> (rows, V)
    }

    /// token + learned position + token-type embeddings, then the embedding norm -> `(N, C)`.
    private func embed(_ batch: PackedSequences, start: Int, into x: UnsafeMutablePointer<Float>) {
        let C = description.width
        batch.forEachSequence { _, offset, length in
            for t in 0..<length {
                let n = offset + t, row = x + n * C
                weights.tokenEmbedding.copyRow(batch.ids[n], into: row)
                if let table = weights.positionEmbedding { Kernels.add(table.values + (start + t) * C, into: row, count: C) }
                if let types = weights.tokenTypeEmbedding {
                    Kernels.add(types.values + (batch.typeIDs.isEmpty ? 0 : batch.typeIDs[n]) * C, into: row, count: C)
                }
            }
        }
        if let embeddingNorm = weights.embeddingNorm { _ = norm(embeddingNorm, x, rows: batch.ids.count, into: x) }
    }

    /// Scaled dot-product attention of each sequence's queries over its keys (or the cache's), heads
    /// concatenated into `out` `(N, C)`.
    private func attend(_ qkv: UnsafeMutablePointer<Float>, batch: PackedSequences, layer: Int, cache: KVCache?,
                        into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let d = description, C = d.width, W = d.queryKeyValueWidth, KV = d.keyValueWidth
        let a = d.attention
        if let cache {
            let T = batch.ids.count, start = cache.count
            cache.store(layer: layer, keys: qkv + C, values: qkv + C + KV, rows: T, stride: W)
            Attention.multiHead(queries: qkv, queryStride: W, queryCount: T,
                                keys: cache.keys(layer: layer), values: cache.values(layer: layer), keyValueStride: KV,
                                keyCount: start + T, heads: a.heads, keyValueHeads: a.keyValueHeads, headDim: d.headDim,
                                mask: a.causal ? .causal(offset: start) : .none, into: out, outStride: C, scratch: scratch)
            return
        }
        batch.forEachSequence { _, offset, length in
            let row = qkv + offset * W
            Attention.multiHead(queries: row, queryStride: W, queryCount: length, keys: row + C, values: row + C + KV,
                                keyValueStride: W, keyCount: length, heads: a.heads, keyValueHeads: a.keyValueHeads,
                                headDim: d.headDim, mask: a.causal ? .causal(offset: 0) : .none,
                                into: out + offset * C, outStride: C, scratch: scratch)
        }
    }

    /// `norm(x)` into `out` (which may be `x`); returns `out`.
    @discardableResult
    private func norm(_ weights: TransformerWeights.Norm, _ x: UnsafePointer<Float>, rows: Int,
                      into out: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        NormLayer.forward(description.normalization, x, rows: rows, width: description.width, weight: weights.weight.values,
                          bias: weights.bias?.values, into: out)
        return UnsafePointer(out)
    }
}

/// Reusable activation buffers of ``TransformerNetwork``'s passes, grown on demand: a decoder keeps one
/// beside its KV cache, so a decode step allocates nothing. Not for concurrent passes.
public final class TransformerWorkspace: @unchecked Sendable {
    /// Which pass a buffer serves (each has its own).
    public enum Slot: Int, CaseIterable, Sendable {
        /// The blocks' activations.
        case layers
        /// The head's input and transform.
        case head
        /// The caller's (e.g. the hidden states handed to ``TransformerNetwork/hiddenStates(_:cache:workspace:into:)``).
        case caller
    }

    private var buffers: [(pointer: UnsafeMutablePointer<Float>, count: Int)?] = Array(repeating: nil, count: Slot.allCases.count)

    public init() {}

    deinit { for case let (pointer, _)? in buffers { pointer.deallocate() } }

    /// At least `count` floats for `slot` (contents left from earlier use), reallocated only to grow.
    public func buffer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        if let (pointer, capacity) = buffers[slot.rawValue], capacity >= count { return pointer }
        buffers[slot.rawValue]?.pointer.deallocate()
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        buffers[slot.rawValue] = (pointer, max(1, count))
        return pointer
    }
}
