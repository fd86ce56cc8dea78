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
    /// whose keys and values are appended to the cache.
    public func hiddenStates(_ batch: PackedSequences, cache: KVCache? = nil, into x: UnsafeMutablePointer<Float>) {
        let d = description, N = batch.ids.count, C = d.width, W = d.queryKeyValueWidth, I = d.inner
        guard N > 0 else { return }
        let start = cache?.count ?? 0
        precondition(cache == nil || batch.lengths.count == 1, "a KV cache runs one sequence")
        precondition(start + (batch.lengths.max() ?? 0) <= d.contextLength, "positions beyond the context")
        let longest = batch.lengths.max() ?? 0
        let h = UnsafeMutablePointer<Float>.allocate(capacity: N * C)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: N * W)
        let attended = UnsafeMutablePointer<Float>.allocate(capacity: N * C)
        let mlp = UnsafeMutablePointer<Float>.allocate(capacity: N * d.upWidth)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Attention.scratchCount(queryCount: longest, keyCount: start + longest))
        defer { for p in [h, qkv, attended, mlp, scratch] { p.deallocate() } }
        let offsets = batch.offsets
        var positions = [Int](repeating: 0, count: N)
        for (b, length) in batch.lengths.enumerated() { for t in 0..<length { positions[offsets[b] + t] = start + t } }

        embed(batch, positions: positions, into: x)
        let post = d.normalization.placement == .post
        for (index, layer) in weights.layers.enumerated() {
            // attention: pre: x += o(attn(norm(x)));  post: x = norm(x + o(attn(x)))
            let input = post ? UnsafePointer(x) : norm(layer.attentionNorm, x, rows: N, into: h)
            layer.queryKeyValue.apply(input, rows: N, into: qkv)  // (N, C) -> (N, W) = [q | k | v]
            if let rotary { PositionLayer.rotate(rotary, d, qkv, rows: N) { positions[$0] } }
            attend(qkv, batch: batch, offsets: offsets, layer: index, cache: cache, into: attended, scratch: scratch)
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
    public func logits(_ hidden: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        guard let head = weights.head, rows > 0 else { return }
        let C = description.width
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * C)
        defer { h.deallocate() }
        if let final = weights.finalNorm {
            _ = norm(final, hidden, rows: rows, into: h)
        } else {
            h.update(from: hidden, count: rows * C)
        }
        if case let (dense, transformNorm)? = weights.headTransform {
            let t = UnsafeMutablePointer<Float>.allocate(capacity: rows * C)
            defer { t.deallocate() }
            dense.apply(h, rows: rows, into: t)  // (rows, C) -> (rows, C)
            ActivationLayer.forward(description.activation, t, rows: rows, inner: C, into: t)
            _ = norm(transformNorm, t, rows: rows, into: h)
        }
        head.apply(h, rows: rows, into: out)  // (rows, C) -> (rows, V)
    }

    /// token + learned position + token-type embeddings, then the embedding norm -> `(N, C)`.
    private func embed(_ batch: PackedSequences, positions: [Int], into x: UnsafeMutablePointer<Float>) {
        let C = description.width
        for n in 0..<batch.ids.count {
            let row = x + n * C
            weights.tokenEmbedding.copyRow(batch.ids[n], into: row)
            if let table = weights.positionEmbedding { Kernels.add(table.values + positions[n] * C, into: row, count: C) }
            if let types = weights.tokenTypeEmbedding {
                Kernels.add(types.values + (batch.typeIDs.isEmpty ? 0 : batch.typeIDs[n]) * C, into: row, count: C)
            }
        }
        if let embeddingNorm = weights.embeddingNorm { _ = norm(embeddingNorm, x, rows: batch.ids.count, into: x) }
    }

    /// Scaled dot-product attention of each sequence's queries over its keys (or the cache's), heads
    /// concatenated into `out` `(N, C)`.
    private func attend(_ qkv: UnsafeMutablePointer<Float>, batch: PackedSequences, offsets: [Int], layer: Int, cache: KVCache?,
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
        for (b, length) in batch.lengths.enumerated() {
            let row = qkv + offsets[b] * W
            Attention.multiHead(queries: row, queryStride: W, queryCount: length, keys: row + C, values: row + C + KV,
                                keyValueStride: W, keyCount: length, heads: a.heads, keyValueHeads: a.keyValueHeads,
                                headDim: d.headDim, mask: a.causal ? .causal(offset: 0) : .none,
                                into: out + offsets[b] * C, outStride: C, scratch: scratch)
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
