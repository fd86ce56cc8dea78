import Foundation

/// Multi-head scaled dot-product self-attention for training over a packed `qkv` (llm.c
/// `attention_forward` / `attention_backward`): the forward is ``Attention``'s per-head routine (the
/// inference one) keeping each head's probabilities; causal for decoders, bidirectional for encoders.
///
/// A `qkv` row is `[q (NH hs) | k (KVH hs) | v (KVH hs)]`, `hs = C / NH`; with KVH < NH (grouped-query
/// attention) query head `h` reads key/value head `h / (NH / KVH)`.
public enum AttentionKernel {
    /// Width of a `qkv` row: `(NH + 2 KVH) hs`.
    public static func rowWidth(channels C: Int, heads NH: Int, keyValueHeads KVH: Int? = nil) -> Int {
        C + 2 * (KVH ?? NH) * (C / NH)
    }

    /// qkv (B, T, W) -> out (B, T, C); saves att (B, NH, T, T), the softmax probabilities (zero above the
    /// diagonal when `causal`).
    public static func forward(out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, batch B: Int, steps T: Int, channels C: Int,
                               heads NH: Int, keyValueHeads: Int? = nil, causal: Bool) {
        let hs = C / NH, KVH = keyValueHeads ?? NH, W = rowWidth(channels: C, heads: NH, keyValueHeads: KVH)
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let row = qkv + b * T * W, k = row + C + h / (NH / KVH) * hs
                Attention.head(queries: row + h * hs, queryStride: W, queryCount: T, keys: k, values: k + KVH * hs,
                               keyValueStride: W, keyCount: T, headDim: hs, scale: scale, offset: causal ? 0 : nil,
                               into: out + b * T * C + h * hs, outStride: C, scores: att + (b * NH + h) * T * T)
            }
        }
    }

    /// Accumulates dqkv (B, T, W) from dout (B, T, C), with the saved att.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
                                batch B: Int, steps T: Int, channels C: Int, heads NH: Int, keyValueHeads: Int? = nil) {
        let hs = C / NH, KVH = keyValueHeads ?? NH, W = rowWidth(channels: C, heads: NH, keyValueHeads: KVH)
        let scale = 1 / Float(hs).squareRoot()
        let datt = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
        defer { datt.deallocate() }
        for b in 0..<B {
            for h in 0..<NH {
                let kvOffset = b * T * W + C + h / (NH / KVH) * hs
                let q = qkv + b * T * W + h * hs, k = qkv + kvOffset, v = k + KVH * hs
                let dq = dqkv + b * T * W + h * hs, dk = dqkv + kvOffset, dv = dk + KVH * hs
                let a = att + (b * NH + h) * T * T
                let d = dout + b * T * C + h * hs
                // datt (T, T) = dout (T, hs) . V^T (hs, T);  dV (T, hs) += att^T (T, T) . dout (T, hs)
                GEMM.multiply(d, lda: C, v, transposeB: true, ldb: W, into: datt, ldc: T, m: T, n: T, k: hs)
                GEMM.multiply(a, transposeA: true, lda: T, d, ldb: C, into: dv, ldc: W, m: T, n: hs, k: T, beta: 1)
                // softmax backward in place: dpreatt = att * (datt - <att, datt>)
                for t in 0..<T {
                    let p = a + t * T, g = datt + t * T
                    var dot: Float = 0
                    for j in 0..<T { dot += p[j] * g[j] }
                    for j in 0..<T { g[j] = p[j] * (g[j] - dot) }
                }
                // dQ (T, hs) += scale * dpreatt . K;  dK (T, hs) += scale * dpreatt^T . Q
                GEMM.multiply(datt, lda: T, k, ldb: W, into: dq, ldc: W, m: T, n: hs, k: T, alpha: scale, beta: 1)
                GEMM.multiply(datt, transposeA: true, lda: T, q, ldb: W, into: dk, ldc: W, m: T, n: hs, k: T, alpha: scale, beta: 1)
            }
        }
    }
}
