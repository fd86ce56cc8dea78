import LMZooCore

/// The forward pass of transformers' `modeling_gpt2.py` (`GPT2LMHeadModel`): token + position
/// embeddings, pre-LN blocks (fused qkv, causal attention, `gelu_new` MLP), final LN, LM head.
/// New tokens run together through sgemm (prefill) against a ``KVCache`` of earlier positions.
final class GPTNetwork {
    let config: GPTConfig
    let weights: GPTWeights

    init(config: GPTConfig, weights: GPTWeights) {
        self.config = config
        self.weights = weights
    }

    /// Which rows of logits a forward pass returns.
    enum Output { case lastRow, allRows }

    /// Runs `ids` at positions `cache.count ..< cache.count + T` and appends their keys/values to
    /// `cache`; returns logits `(rows, V)` for the last or all new positions.
    func forward(_ ids: [Int], cache: KVCache, output: Output) -> [Float] {
        let (T, C, V, inner) = (ids.count, config.embeddingSize, config.vocabSize, config.innerSize)
        let start = cache.count
        precondition(T > 0 && start + T <= config.contextLength, "positions beyond the context")
        let x = UnsafeMutablePointer<Float>.allocate(capacity: T * C)  // residual stream (T, C)
        let h = UnsafeMutablePointer<Float>.allocate(capacity: T * C)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: T * 3 * C)
        let attended = UnsafeMutablePointer<Float>.allocate(capacity: T * C)
        let mlp = UnsafeMutablePointer<Float>.allocate(capacity: T * inner)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Attention.scratchCount(queryCount: T, keyCount: start + T))
        defer { for p in [x, h, qkv, attended, mlp, scratch] { p.deallocate() } }

        // x = wte[ids] + wpe[positions]   (T, C)
        weights.positionEmbedding.withUnsafeBufferPointer { wpe in
            for t in 0..<T {
                weights.tokenEmbedding.copyRow(ids[t], into: x + t * C)
                Kernels.add(wpe.baseAddress! + (start + t) * C, into: x + t * C, count: C)
            }
        }
        for (layer, block) in weights.blocks.enumerated() {
            // attention: x += c_proj(attn(ln_1(x)))
            Kernels.layerNorm(x, rows: T, dim: C, gamma: block.ln1.gamma, beta: block.ln1.beta, epsilon: config.layerNormEpsilon, into: h)
            block.qkv.apply(h, rows: T, into: qkv)  // (T, C) -> (T, 3C) = [q | k | v]
            cache.store(layer: layer, keys: qkv + C, values: qkv + 2 * C, rows: T, stride: 3 * C)
            Attention.multiHead(queries: qkv, queryStride: 3 * C, queryCount: T,
                                keys: cache.keys(layer: layer), values: cache.values(layer: layer), keyValueStride: C,
                                keyCount: start + T, heads: config.headCount, headDim: config.headDim,
                                mask: .causal(offset: start), into: attended, outStride: C, scratch: scratch)
            block.attentionOut.apply(attended, rows: T, into: h)
            Kernels.add(h, into: x, count: T * C)
            // MLP: x += c_proj(gelu(c_fc(ln_2(x))))
            Kernels.layerNorm(x, rows: T, dim: C, gamma: block.ln2.gamma, beta: block.ln2.beta, epsilon: config.layerNormEpsilon, into: h)
            block.up.apply(h, rows: T, into: mlp)  // (T, C) -> (T, inner)
            if config.activation == "gelu" { Kernels.geluErf(mlp, count: T * inner) } else { Kernels.geluTanh(mlp, count: T * inner) }
            block.down.apply(mlp, rows: T, into: h)  // (T, inner) -> (T, C)
            Kernels.add(h, into: x, count: T * C)
        }
        cache.advance(by: T)
        // logits = ln_f(x) · wteᵀ   (rows, C) -> (rows, V)
        let rows = output == .allRows ? T : 1
        let first = x + (T - rows) * C
        Kernels.layerNorm(first, rows: rows, dim: C, gamma: weights.finalNorm.gamma, beta: weights.finalNorm.beta,
                          epsilon: config.layerNormEpsilon, into: h)
        var logits = [Float](repeating: 0, count: rows * V)
        logits.withUnsafeMutableBufferPointer { weights.head.apply(h, rows: rows, into: $0.baseAddress!) }
        return logits
    }
}
