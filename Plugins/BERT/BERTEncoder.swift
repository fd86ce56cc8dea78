import Foundation
import LMZooCore

/// Sequences packed one after another without padding: `(N, ·)` rows, N = the sum of `lengths`.
/// Attention runs per sequence over its own keys only, which equals HF's padded batch with an
/// attention mask (masked keys get weight exactly 0 there), while no work is spent on padding.
struct BERTPackedBatch {
    var ids: [Int] = []
    var typeIDs: [Int] = []
    var lengths: [Int] = []

    mutating func append(ids sequence: [Int], typeIDs types: [Int]) {
        ids += sequence
        typeIDs += types
        lengths.append(sequence.count)
    }

    /// First row of each sequence.
    var offsets: [Int] {
        var offsets: [Int] = [], total = 0
        for length in lengths { offsets.append(total); total += length }
        return offsets
    }
}

/// The BERT encoder and heads with transformers' `modeling_bert.py` semantics (`BertEmbeddings`,
/// post-LayerNorm `BertLayer`s, `BertPooler`, `BertLMPredictionHead`), over the shared kernels.
final class BERTEncoder: @unchecked Sendable {
    let weights: BERTWeights
    let activation: BERTActivation
    var config: BERTConfig { weights.config }

    init(weights: BERTWeights) throws {
        self.weights = weights
        activation = try weights.config.activation
    }

    /// The last hidden state of every row of `batch`: `(N, C)`.
    func hiddenStates(_ batch: BERTPackedBatch) -> [Float] {
        let N = batch.ids.count, C = config.hiddenSize, I = config.intermediateSize
        let H = config.numAttentionHeads, headDim = C / H, eps = Float(config.layerNormEps)
        var hidden = [Float](repeating: 0, count: N * C)
        guard N > 0 else { return hidden }
        var qkv = [Float](repeating: 0, count: N * 3 * C)
        var context = [Float](repeating: 0, count: N * C), sum = context
        var inner = [Float](repeating: 0, count: N * I)
        let longest = batch.lengths.max() ?? 0
        var scratch = [Float](repeating: 0, count: Attention.scratchCount(queryCount: longest, keyCount: longest))
        let offsets = batch.offsets
        hidden.withUnsafeMutableBufferPointer { hb in
            let h = hb.baseAddress!
            embed(batch, into: h)
            Kernels.layerNorm(h, rows: N, dim: C, gamma: weights.embeddingNorm.gamma, beta: weights.embeddingNorm.beta,
                              epsilon: eps, into: h)
            qkv.withUnsafeMutableBufferPointer { qb in
            context.withUnsafeMutableBufferPointer { cb in sum.withUnsafeMutableBufferPointer { sb in
            inner.withUnsafeMutableBufferPointer { ib in scratch.withUnsafeMutableBufferPointer { scr in
                let (qkv, ctx, s, inner) = (qb.baseAddress!, cb.baseAddress!, sb.baseAddress!, ib.baseAddress!)
                for layer in weights.layers {
                    // (N, C) x (C, 3C) -> (N, 3C) rows [q | k | v]
                    layer.queryKeyValue.apply(h, rows: N, into: qkv)
                    // per sequence: (T, C) queries over its own (T, C) keys and values -> (T, C)
                    for (b, length) in batch.lengths.enumerated() {
                        let row = qkv + offsets[b] * 3 * C
                        Attention.multiHead(queries: row, queryStride: 3 * C, queryCount: length, keys: row + C, values: row + 2 * C,
                                            keyValueStride: 3 * C, keyCount: length, heads: H, headDim: headDim, mask: .none,
                                            into: ctx + offsets[b] * C, outStride: C, scratch: scr.baseAddress!)
                    }
                    // h = LayerNorm(ctx Wo + bo + h)
                    layer.attentionOutput.apply(ctx, rows: N, into: s)
                    Kernels.add(h, into: s, count: N * C)
                    Kernels.layerNorm(s, rows: N, dim: C, gamma: layer.attentionNorm.gamma, beta: layer.attentionNorm.beta,
                                      epsilon: eps, into: h)
                    // (N, C) x (C, I) -> (N, I), activation, (N, I) x (I, C) -> (N, C); h = LayerNorm(that + h)
                    layer.intermediate.apply(h, rows: N, into: inner)
                    activation.apply(inner, count: N * I)
                    layer.output.apply(inner, rows: N, into: s)
                    Kernels.add(h, into: s, count: N * C)
                    Kernels.layerNorm(s, rows: N, dim: C, gamma: layer.outputNorm.gamma, beta: layer.outputNorm.beta,
                                      epsilon: eps, into: h)
                }
            } } } } }
        }
        return hidden
    }

    /// word + position (0..<T per sequence) + token-type embeddings -> `(N, C)`.
    private func embed(_ batch: BERTPackedBatch, into h: UnsafeMutablePointer<Float>) {
        let C = config.hiddenSize
        weights.positionEmbeddings.withUnsafeBufferPointer { pos in
            weights.tokenTypeEmbeddings.withUnsafeBufferPointer { types in
                var row = 0
                for length in batch.lengths {
                    for p in 0..<length {
                        let out = h + row * C
                        weights.wordEmbeddings.copyRow(batch.ids[row], into: out)
                        Kernels.add(pos.baseAddress! + p * C, into: out, count: C)
                        Kernels.add(types.baseAddress! + batch.typeIDs[row] * C, into: out, count: C)
                        row += 1
                    }
                }
            }
        }
    }

    /// Natural-log vocabulary distributions of the masked-LM head at `rows` of `hidden`: `(rows.count, V)`.
    func maskedLMLogProbs(hidden: [Float], rows: [Int]) throws -> [Float] {
        guard let head = weights.maskedLMHead else { throw BERTError.noMaskedLMHead }
        let C = config.hiddenSize, V = config.vocabSize, M = rows.count
        var gathered = [Float](repeating: 0, count: M * C), transformed = gathered
        var out = [Float](repeating: 0, count: M * V)
        hidden.withUnsafeBufferPointer { h in
            gathered.withUnsafeMutableBufferPointer { g in
                for (i, r) in rows.enumerated() { (g.baseAddress! + i * C).update(from: h.baseAddress! + r * C, count: C) }
            }
        }
        gathered.withUnsafeBufferPointer { g in
            transformed.withUnsafeMutableBufferPointer { t in
                // (M, C) x (C, C) -> (M, C), activation, LayerNorm; (M, C) x (C, V) -> (M, V)
                head.transform.apply(g.baseAddress!, rows: M, into: t.baseAddress!)
                activation.apply(t.baseAddress!, count: M * C)
                Kernels.layerNorm(t.baseAddress!, rows: M, dim: C, gamma: head.norm.gamma, beta: head.norm.beta,
                                  epsilon: Float(config.layerNormEps), into: t.baseAddress!)
                out.withUnsafeMutableBufferPointer { o in
                    head.decoder.apply(t.baseAddress!, rows: M, into: o.baseAddress!)
                    for i in 0..<M { Kernels.logSoftmax(o.baseAddress! + i * V, count: V) }
                }
            }
        }
        return out
    }

    /// `BertPooler`: tanh(first token's hidden state Wp + bp) per sequence, nil without pooler weights.
    func pooled(hidden: [Float], offsets: [Int]) -> [[Float]]? {
        guard let pooler = weights.pooler else { return nil }
        let C = config.hiddenSize
        return offsets.map { offset in
            var out = [Float](repeating: 0, count: C)
            hidden.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { pooler.apply(h.baseAddress! + offset * C, rows: 1, into: $0.baseAddress!) }
            }
            return out.map { Float(tanh(Double($0))) }
        }
    }
}
