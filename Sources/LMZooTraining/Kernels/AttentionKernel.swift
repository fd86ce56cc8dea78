import Foundation

/// Multi-head scaled dot-product self-attention over a packed `qkv` (llm.c `attention_forward` /
/// `attention_backward`, with the per-head products through sgemm): causal for GPT-2, bidirectional
/// (every position sees every position of its window) for BERT.
public enum AttentionKernel {
    /// qkv (B, T, 3C) = [Q | K | V] per position -> out (B, T, C); saves att (B, NH, T, T), the softmax
    /// probabilities (zero above the diagonal when `causal`).
    public static func forward(out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, batch B: Int, steps T: Int, channels C: Int,
                               heads NH: Int, causal: Bool) {
        let hs = C / NH
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let q = qkv + b * T * 3 * C + h * hs, k = q + C, v = q + 2 * C
                let a = att + (b * NH + h) * T * T
                // preatt (T, T) = scale * Q (T, hs) . K^T (hs, T)
                GEMM.multiply(q, lda: 3 * C, k, transposeB: true, ldb: 3 * C, into: a, ldc: T, m: T, n: T, k: hs, alpha: scale)
                for t in 0..<T { softmaxRow(a + t * T, visible: causal ? t + 1 : T, width: T) }
                // out (T, hs) = att (T, T) . V (T, hs)
                GEMM.multiply(a, lda: T, v, ldb: 3 * C, into: out + b * T * C + h * hs, ldc: C, m: T, n: hs, k: T)
            }
        }
    }

    /// Accumulates dqkv (B, T, 3C) from dout (B, T, C), with the saved att.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
                                batch B: Int, steps T: Int, channels C: Int, heads NH: Int) {
        let hs = C / NH
        let scale = 1 / Float(hs).squareRoot()
        let datt = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
        defer { datt.deallocate() }
        for b in 0..<B {
            for h in 0..<NH {
                let offset = b * T * 3 * C + h * hs
                let q = qkv + offset, k = q + C, v = q + 2 * C
                let dq = dqkv + offset, dk = dq + C, dv = dq + 2 * C
                let a = att + (b * NH + h) * T * T
                let d = dout + b * T * C + h * hs
                // datt (T, T) = dout (T, hs) . V^T (hs, T);  dV (T, hs) += att^T (T, T) . dout (T, hs)
                GEMM.multiply(d, lda: C, v, transposeB: true, ldb: 3 * C, into: datt, ldc: T, m: T, n: T, k: hs)
                GEMM.multiply(a, transposeA: true, lda: T, d, ldb: C, into: dv, ldc: 3 * C, m: T, n: hs, k: T, beta: 1)
                // softmax backward in place: dpreatt = att * (datt - <att, datt>)
                for t in 0..<T {
                    let p = a + t * T, g = datt + t * T
                    var dot: Float = 0
                    for j in 0..<T { dot += p[j] * g[j] }
                    for j in 0..<T { g[j] = p[j] * (g[j] - dot) }
                }
                // dQ (T, hs) += scale * dpreatt . K;  dK (T, hs) += scale * dpreatt^T . Q
                GEMM.multiply(datt, lda: T, k, ldb: 3 * C, into: dq, ldc: 3 * C, m: T, n: hs, k: T, alpha: scale, beta: 1)
                GEMM.multiply(datt, transposeA: true, lda: T, q, ldb: 3 * C, into: dk, ldc: 3 * C, m: T, n: hs, k: T, alpha: scale, beta: 1)
            }
        }
    }

    /// Softmax over the first `visible` entries of a row; the rest become 0.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, visible: Int, width: Int) {
        var maximum = -Float.infinity
        for j in 0..<visible { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<visible { row[j] = Foundation.exp(row[j] - maximum); sum += row[j] }
        let inverse = 1 / sum
        for j in 0..<visible { row[j] *= inverse }
        for j in visible..<width { row[j] = 0 }
    }
}
