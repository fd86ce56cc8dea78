import Foundation

/// The MLP activations of the transformer families, forward (the eight-lane in-place kernels of
/// ``Kernels``) and backward (llm.c `gelu_forward` / `gelu_backward`).
public enum GELUKernel {
    public enum Form: String, Sendable {
        /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`: GPT-2's `gelu_new`.
        case tanh
        /// `0.5 x (1 + erf(x / sqrt 2))`: BERT's `gelu`.
        case erf
    }

    static let scale = Float((2 / Double.pi).squareRoot())

    /// inp (N) -> out (N); `out` may be `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count N: Int, form: Form) {
        if UnsafePointer(out) != inp { out.update(from: inp, count: N) }
        switch form {
        case .tanh: Kernels.geluTanh(out, count: N)
        case .erf: Kernels.geluErf(out, count: N)
        }
    }

    /// dinp (N) += GELU'(inp) * dout.
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count N: Int, form: Form) {
        switch form {
        case .tanh:
            for i in 0..<N {
                let x = inp[i]
                let u = scale * (x + 0.044715 * x * x * x)
                let t = Foundation.tanh(u)
                let sech2 = 1 - t * t
                let local = 0.5 * (1 + t) + x * 0.5 * sech2 * scale * (1 + 3 * 0.044715 * x * x)
                dinp[i] += local * dout[i]
            }
        case .erf:
            let invSqrt2Pi = Float(1 / (2 * Double.pi).squareRoot())
            for i in 0..<N {
                let x = inp[i]
                let local = 0.5 * (1 + Foundation.erf(x * Float(0.5).squareRoot())) + x * invSqrt2Pi * Foundation.exp(-0.5 * x * x)
                dinp[i] += local * dout[i]
            }
        }
    }
}

/// `max(x, 0)` (BERT's `relu`), forward and backward.
public enum ReLUKernel {
    /// inp (N) -> out (N); `out` may be `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count N: Int) {
        for i in 0..<N { out[i] = max(inp[i], 0) }
    }

    /// dinp (N) += (inp > 0) * dout.
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, count N: Int) {
        for i in 0..<N where inp[i] > 0 { dinp[i] += dout[i] }
    }
}

/// The gated SiLU of Llama's MLP ("SwiGLU"): `silu(gate) * up`, `silu(g) = g / (1 + e^-g)`, over rows
/// laid out `[gate | up]` (the gate and up projections stacked into one `(2I, C)` layer).
public enum GatedSiLUKernel {
    /// inp (N, 2I) rows `[gate | up]` -> out (N, I). `out` may be `inp` (rows are compacted in order).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows N: Int, width I: Int) {
        for n in 0..<N {
            let g = inp + n * 2 * I, u = g + I, y = out + n * I
            for i in 0..<I {
                let gate = g[i], up = u[i]
                y[i] = gate / (1 + Foundation.exp(-gate)) * up
            }
        }
    }

    /// dinp (N, 2I) += the gradient of ``forward(out:inp:rows:width:)`` for dout (N, I):
    /// `dgate = dout * up * sigma(g) (1 + g (1 - sigma(g)))`, `dup = dout * silu(g)`.
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                                rows N: Int, width I: Int) {
        for n in 0..<N {
            let g = inp + n * 2 * I, u = g + I, d = dout + n * I, dg = dinp + n * 2 * I, du = dg + I
            for i in 0..<I {
                let sigma = 1 / (1 + Foundation.exp(-g[i]))
                dg[i] += d[i] * u[i] * sigma * (1 + g[i] * (1 - sigma))
                du[i] += d[i] * g[i] * sigma
            }
        }
    }
}
