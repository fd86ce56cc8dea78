import Foundation

/// GELU, in both forms the plugins use (llm.c `gelu_forward` / `gelu_backward`).
public enum GELUKernel {
    public enum Form: String, Sendable {
        /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`: GPT-2's `gelu_new`.
        case tanh
        /// `0.5 x (1 + erf(x / sqrt 2))`: BERT's `gelu`.
        case erf
    }

    static let scale = Float((2 / Double.pi).squareRoot())

    /// inp (N) -> out (N).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count N: Int, form: Form) {
        switch form {
        case .tanh:
            for i in 0..<N {
                let x = inp[i]
                out[i] = 0.5 * x * (1 + Foundation.tanh(scale * (x + 0.044715 * x * x * x)))
            }
        case .erf:
            for i in 0..<N { let x = inp[i]; out[i] = 0.5 * x * (1 + Foundation.erf(x * Float(0.5).squareRoot())) }
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
