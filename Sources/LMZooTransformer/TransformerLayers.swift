import LMZooCore

/// The engine's layers that depend on the description, each a forward/backward pair over the kernel
/// library, used by inference (``TransformerNetwork``: no statistics saved) and training
/// (``TrainableTransformer``: statistics saved, then the backward). Matrix layers are ``Linear``
/// (inference) and ``LinearKernel`` (training); attention is ``Attention`` / ``AttentionKernel``.
enum NormLayer {
    /// x (N, C) -> out (N, C) by the description's norm; `bias` is ignored by RMSNorm; saves mean (N,
    /// LayerNorm only) and rstd (N) when given. `out` may be `x`.
    static func forward(_ norm: TransformerDescription.Normalization, _ x: UnsafePointer<Float>, rows N: Int, width C: Int,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
                        mean: UnsafeMutablePointer<Float>? = nil, rstd: UnsafeMutablePointer<Float>? = nil) {
        switch norm.kind {
        case .layerNorm:
            LayerNormKernel.forward(out: out, mean: mean, rstd: rstd, inp: x, weight: weight, bias: bias, rows: N, width: C,
                                    epsilon: norm.epsilon)
        case .rmsNorm:
            RMSNormKernel.forward(out: out, rstd: rstd, inp: x, weight: weight, rows: N, width: C, epsilon: norm.epsilon)
        }
    }

    /// Accumulates dinp (N, C), dweight, dbias from dout (N, C) with the saved statistics.
    static func backward(_ norm: TransformerDescription.Normalization, dinp: UnsafeMutablePointer<Float>,
                         dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                         inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, rows N: Int, width C: Int) {
        switch norm.kind {
        case .layerNorm:
            LayerNormKernel.backward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                                     mean: mean, rstd: rstd, rows: N, width: C)
        case .rmsNorm:
            RMSNormKernel.backward(dinp: dinp, dweight: dweight, dout: dout, inp: inp, weight: weight, rstd: rstd, rows: N, width: C)
        }
    }
}

/// The MLP's activation between its up and down projections.
enum ActivationLayer {
    /// inp (N, upWidth) -> out (N, I); `out` may be `inp` (in place, as inference runs it).
    static func forward(_ activation: TransformerDescription.Activation, _ inp: UnsafePointer<Float>, rows N: Int, inner I: Int,
                        into out: UnsafeMutablePointer<Float>) {
        switch activation {
        case let .gelu(form): GELUKernel.forward(out: out, inp: inp, count: N * I, form: form)
        case .relu: ReLUKernel.forward(out: out, inp: inp, count: N * I)
        case .gatedSiLU: GatedSiLUKernel.forward(out: out, inp: inp, rows: N, width: I)
        }
    }

    /// dinp (N, upWidth) += the gradient through the activation of dout (N, I).
    static func backward(_ activation: TransformerDescription.Activation, dinp: UnsafeMutablePointer<Float>,
                         inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, rows N: Int, inner I: Int) {
        switch activation {
        case let .gelu(form): GELUKernel.backward(dinp: dinp, inp: inp, dout: dout, count: N * I, form: form)
        case .relu: ReLUKernel.backward(dinp: dinp, inp: inp, dout: dout, count: N * I)
        case .gatedSiLU: GatedSiLUKernel.backward(dinp: dinp, inp: inp, dout: dout, rows: N, width: I)
        }
    }
}

/// Where positions enter: the learned table added to the embeddings, or the rotary table applied to
/// queries and keys after the `[q | k | v]` projection.
enum PositionLayer {
    /// The rotary table of `description`, nil for learned positions.
    static func rotaryTable(_ d: TransformerDescription) -> RotaryTable? {
        guard case let .rotary(theta, scaling) = d.positions else { return nil }
        switch scaling {
        case .none: return RotaryTable(headDim: d.headDim, positions: d.contextLength, theta: theta)
        }
    }

    /// Rotates the q and k parts of qkv rows (N, queryKeyValueWidth) in place; `inverse` for the backward.
    static func rotate(_ table: RotaryTable, _ d: TransformerDescription, _ qkv: UnsafeMutablePointer<Float>, rows N: Int,
                       inverse: Bool = false, position: (Int) -> Int) {
        let W = d.queryKeyValueWidth
        table.apply(qkv, rows: N, stride: W, heads: d.attention.heads, inverse: inverse, position: position)
        table.apply(qkv + d.width, rows: N, stride: W, heads: d.attention.keyValueHeads, inverse: inverse, position: position)
    }
}

/// An owned f32 vector with a stable address (norm parameters, learned tables).
public final class ParameterVector: @unchecked Sendable {
    public let count: Int
    public let values: UnsafeMutablePointer<Float>

    public init(_ array: [Float]) {
        count = array.count
        values = .allocate(capacity: max(1, array.count))
        if count > 0 { array.withUnsafeBufferPointer { values.initialize(from: $0.baseAddress!, count: array.count) } }
    }

    deinit { values.deallocate() }
}
