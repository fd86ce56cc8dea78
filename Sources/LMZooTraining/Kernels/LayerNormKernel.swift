import Foundation

/// Layer normalisation over the last dimension, eps 1e-5 (llm.c `layernorm_forward` / `_backward`,
/// `torch.nn.LayerNorm`).
public enum LayerNormKernel {
    public static let epsilon: Float = 1e-5

    /// inp (N, C), weight and bias (C) -> out (N, C); saves mean (N) and rstd (N) for the backward.
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows N: Int, width C: Int,
                               epsilon: Float = LayerNormKernel.epsilon) {
        for n in 0..<N {
            let x = inp + n * C, y = out + n * C
            var m: Float = 0
            for c in 0..<C { m += x[c] }
            m /= Float(C)
            var v: Float = 0
            for c in 0..<C { let d = x[c] - m; v += d * d }
            v /= Float(C)
            let s = 1 / (v + epsilon).squareRoot()
            for c in 0..<C { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
            mean[n] = m
            rstd[n] = s
        }
    }

    /// Accumulates dinp (N, C), dweight and dbias (C).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows N: Int, width C: Int) {
        for n in 0..<N {
            let x = inp + n * C, d = dout + n * C, dx = dinp + n * C
            let m = mean[n], s = rstd[n]
            var dnormMean: Float = 0, dnormNormMean: Float = 0
            for c in 0..<C {
                let norm = (x[c] - m) * s
                let dnorm = weight[c] * d[c]
                dnormMean += dnorm
                dnormNormMean += dnorm * norm
            }
            dnormMean /= Float(C)
            dnormNormMean /= Float(C)
            for c in 0..<C {
                let norm = (x[c] - m) * s
                dbias[c] += d[c]
                dweight[c] += norm * d[c]
                dx[c] += (weight[c] * d[c] - dnormMean - norm * dnormNormMean) * s
            }
        }
    }
}
