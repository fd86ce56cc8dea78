import Foundation
import LMZooCore
import LMZooTransformer

/// BERT's outputs over the engine: the last hidden states of packed sequences, the masked-LM head's
/// log-distributions at chosen rows, and `BertPooler`.
extension BERTModel {
    /// The last hidden state of every row of `batch`: `(N, C)`.
    func hiddenStates(_ batch: PackedSequences) -> [Float] {
        var hidden = [Float](repeating: 0, count: batch.ids.count * config.hiddenSize)
        hidden.withUnsafeMutableBufferPointer { network.hiddenStates(batch, into: $0.baseAddress!) }
        return hidden
    }

    /// Natural-log vocabulary distributions of the masked-LM head at `rows` of `hidden`: `(rows.count, V)`.
    func maskedLMLogProbs(hidden: [Float], rows: [Int]) throws -> [Float] {
        guard network.weights.head != nil else { throw BERTError.noMaskedLMHead }
        let C = config.hiddenSize, V = config.vocabSize, M = rows.count
        var gathered = [Float](repeating: 0, count: M * C)
        var out = [Float](repeating: 0, count: M * V)
        hidden.withUnsafeBufferPointer { h in
            gathered.withUnsafeMutableBufferPointer { g in
                for (i, r) in rows.enumerated() { (g.baseAddress! + i * C).update(from: h.baseAddress! + r * C, count: C) }
            }
        }
        gathered.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                // (M, C) -> transform -> (M, V)
                network.logits(g.baseAddress!, rows: M, into: o.baseAddress!)
                for i in 0..<M { Kernels.logSoftmax(o.baseAddress! + i * V, count: V) }
            }
        }
        return out
    }

    /// `BertPooler`: tanh(first token's hidden state Wp + bp) per sequence, nil without pooler weights.
    func pooled(hidden: [Float], offsets: [Int]) -> [[Float]]? {
        guard let pooler else { return nil }
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
