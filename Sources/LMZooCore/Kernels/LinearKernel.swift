/// How a linear layer's weight is stored.
public enum WeightLayout: Sendable {
    /// `[out, in]`: `torch.nn.Linear`, BERT's dense layers, the LSTM decoder.
    case outIn
    /// `[in, out]`: GPT-2's `Conv1D` (`c_attn`, `c_proj`, `c_fc`).
    case inOut
}

/// A fully connected layer `out = inp W + b` over f32 parameters with gradients (llm.c `matmul_forward` /
/// `matmul_backward`): training's form of ``Linear`` (which keeps inference weights in their stored
/// precision, f16/bf16/Q8_0 included, and has no backward). Both multiply through `cblas_sgemm`.
public enum LinearKernel {
    /// inp (N, C), weight (OC, C) or (C, OC) by `layout`, bias (OC) or nil -> out (N, OC).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               rows N: Int, inputs C: Int, outputs OC: Int, layout: WeightLayout = .outIn) {
        if let bias {
            for n in 0..<N { (out + n * OC).update(from: bias, count: OC) }
        }
        GEMM.multiply(inp, lda: C, weight, transposeB: layout == .outIn, ldb: layout == .outIn ? C : OC,
                      into: out, ldc: OC, m: N, n: OC, k: C, beta: bias == nil ? 0 : 1)
    }

    /// Accumulates (+=) the gradients of ``forward``: dinp (N, C), dweight (as weight), dbias (OC).
    /// `dinp` may be nil when the input needs no gradient (token ids upstream).
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows N: Int, inputs C: Int, outputs OC: Int, layout: WeightLayout = .outIn) {
        if let dinp {
            // dinp (N, C) += dout (N, OC) . W (OC, C)   [or W^T for (C, OC)]
            GEMM.multiply(dout, lda: OC, weight, transposeB: layout == .inOut, ldb: layout == .outIn ? C : OC,
                          into: dinp, ldc: C, m: N, n: C, k: OC, beta: 1)
        }
        switch layout {
        case .outIn:  // dW (OC, C) += dout^T (OC, N) . inp (N, C)
            GEMM.multiply(dout, transposeA: true, lda: OC, inp, ldb: C, into: dweight, ldc: C, m: OC, n: C, k: N, beta: 1)
        case .inOut:  // dW (C, OC) += inp^T (C, N) . dout (N, OC)
            GEMM.multiply(inp, transposeA: true, lda: C, dout, ldb: OC, into: dweight, ldc: OC, m: C, n: OC, k: N, beta: 1)
        }
        if let dbias {
            for n in 0..<N {
                let row = dout + n * OC
                for o in 0..<OC { dbias[o] += row[o] }
            }
        }
    }
}
