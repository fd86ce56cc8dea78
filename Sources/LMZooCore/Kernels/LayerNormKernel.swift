import Foundation

/// Layer normalisation over the last dimension, `torch.nn.LayerNorm` semantics (biased variance;
/// llm.c `layernorm_forward` / `layernorm_backward`): the one implementation behind inference
/// (``Kernels/layerNorm(_:rows:dim:gamma:beta:epsilon:into:)``) and training.
public enum LayerNormKernel {
    /// GPT-2's epsilon, the default.
    public static let epsilon: Float = 1e-5

    /// inp (N, C), weight (C), bias (C) or nil -> out (N, C), `out = (x - mean) / sqrt(var + eps) * w + b`;
    /// saves mean (N) and rstd (N) when given (training). `out` may be `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>? = nil,
                               rstd: UnsafeMutablePointer<Float>? = nil, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows N: Int, width C: Int,
                               epsilon: Float = LayerNormKernel.epsilon) {
        for n in 0..<N {
            let x = inp + n * C, y = out + n * C
            let m = VectorMath.sum(x, count: C) / Float(C)
            let variance = VectorMath.sumOfSquaredDeviations(x, from: m, count: C) / Float(C)
            let s = 1 / (variance + epsilon).squareRoot()
            mean?[n] = m
            rstd?[n] = s
            if let bias {
                for c in 0..<C { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
            } else {
                for c in 0..<C { y[c] = (x[c] - m) * s * weight[c] }
            }
        }
    }

    /// Accumulates dinp (N, C), dweight (C) and dbias (C, when the norm has a bias) from dout (N, C).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
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
                dbias?[c] += d[c]
                dweight[c] += norm * d[c]
                dx[c] += (weight[c] * d[c] - dnormMean - norm * dnormNormMean) * s
            }
        }
    }
}

/// Root-mean-square normalisation (Llama's `LlamaRMSNorm`: `x / sqrt(mean(x^2) + eps) * w`, no centring,
/// no bias), forward and backward.
public enum RMSNormKernel {
    /// inp (N, C), weight (C) -> out (N, C); saves rstd (N) when given. `out` may be `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>? = nil,
                               inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows N: Int, width C: Int,
                               epsilon: Float) {
        for n in 0..<N {
            let x = inp + n * C, y = out + n * C
            let s = 1 / (VectorMath.sumOfSquaredDeviations(x, from: 0, count: C) / Float(C) + epsilon).squareRoot()
            rstd?[n] = s
            for c in 0..<C { y[c] = x[c] * s * weight[c] }
        }
    }

    /// Accumulates dinp (N, C) and dweight (C) from dout (N, C):
    /// `dx = s (w d - x s^2 mean(w d x))`, `dw += x s d`.
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, rows N: Int, width C: Int) {
        for n in 0..<N {
            let x = inp + n * C, d = dout + n * C, dx = dinp + n * C
            let s = rstd[n]
            var dot: Float = 0
            for c in 0..<C { dot += weight[c] * d[c] * x[c] }
            dot /= Float(C)
            for c in 0..<C {
                dweight[c] += x[c] * s * d[c]
                dx[c] += s * (weight[c] * d[c] - x[c] * s * s * dot)
            }
        }
    }
}
