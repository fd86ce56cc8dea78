import LMZooCore

/// One f32 parameter and its gradient (slices of a flat parameter buffer, e.g. LMZooTraining's
/// `ParameterSet`).
public struct TrainableTensor {
    public let value: UnsafeMutablePointer<Float>
    public let grad: UnsafeMutablePointer<Float>

    public init(value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        (self.value, self.grad) = (value, grad)
    }
}

/// A trainable dense layer: weight `(out, in)` or `(in, out)` by `layout`, optional bias `(out)`.
public struct TrainableLinear {
    public let weight: TrainableTensor
    public let bias: TrainableTensor?
    public let layout: WeightLayout

    public init(weight: TrainableTensor, bias: TrainableTensor?, layout: WeightLayout) {
        (self.weight, self.bias, self.layout) = (weight, bias, layout)
    }
}

/// A trainable norm: weight (C), bias (C; nil for RMSNorm).
public struct TrainableNorm {
    public let weight: TrainableTensor
    public let bias: TrainableTensor?

    public init(weight: TrainableTensor, bias: TrainableTensor?) { (self.weight, self.bias) = (weight, bias) }
}

/// The trainable parameters of a transformer by role (the roles of ``TransformerWeights``). A family's
/// binder points them at its named parameters; stacked layers (`[q | k | v]`, `[gate | up]`) may be
/// consecutive named tensors of one `(out, in)` block.
public struct TrainableTransformerWeights {
    public struct Layer {
        public let attentionNorm: TrainableNorm
        /// (C) -> (queryKeyValueWidth), rows `[q | k | v]`.
        public let queryKeyValue: TrainableLinear
        public let attentionOutput: TrainableLinear
        public let mlpNorm: TrainableNorm
        /// (C) -> (upWidth), `[gate | up]` when gated.
        public let up: TrainableLinear
        public let down: TrainableLinear

        public init(attentionNorm: TrainableNorm, queryKeyValue: TrainableLinear, attentionOutput: TrainableLinear,
                    mlpNorm: TrainableNorm, up: TrainableLinear, down: TrainableLinear) {
            (self.attentionNorm, self.queryKeyValue, self.attentionOutput) = (attentionNorm, queryKeyValue, attentionOutput)
            (self.mlpNorm, self.up, self.down) = (mlpNorm, up, down)
        }
    }

    /// (V, C)
    public let tokenEmbedding: TrainableTensor
    /// (P, C), learned positions only.
    public let positionEmbedding: TrainableTensor?
    /// (tokenTypes, C)
    public let tokenTypeEmbedding: TrainableTensor?
    public let embeddingNorm: TrainableNorm?
    public let layers: [Layer]
    public let finalNorm: TrainableNorm?
    public let headTransform: (dense: TrainableLinear, norm: TrainableNorm)?
    /// (C) -> (V); a tied head is the token embedding, `.outIn`.
    public let head: TrainableLinear

    public init(tokenEmbedding: TrainableTensor, positionEmbedding: TrainableTensor?, tokenTypeEmbedding: TrainableTensor?,
                embeddingNorm: TrainableNorm?, layers: [Layer], finalNorm: TrainableNorm?,
                headTransform: (dense: TrainableLinear, norm: TrainableNorm)?, head: TrainableLinear) {
        (self.tokenEmbedding, self.positionEmbedding, self.tokenTypeEmbedding) = (tokenEmbedding, positionEmbedding, tokenTypeEmbedding)
        (self.embeddingNorm, self.layers, self.finalNorm, self.headTransform, self.head) = (embeddingNorm, layers, finalNorm, headTransform, head)
    }
}

/// The training forward and backward of a ``TransformerDescription`` (llm.c's `gpt2_forward` /
/// `gpt2_backward` generalised): the forward saves every activation the backward needs, the backward
/// accumulates the parameters' gradients. Same layers as ``TransformerNetwork``, f32 throughout.
public final class TrainableTransformer {
    public let description: TransformerDescription
    public let weights: TrainableTransformerWeights
    private let rotary: RotaryTable?

    /// A norm's output and saved statistics.
    struct SavedNorm {
        var out: [Float], mean: [Float], rstd: [Float]
        init(rows: Int = 0, width: Int = 0) { (out, mean, rstd) = (zeros(rows * width), zeros(rows), zeros(rows)) }
    }

    /// One block's saved activations. Pre-norm: n1 = norm(inp), r1 = inp + attn, n2 = norm(r1),
    /// out = r1 + mlp. Post-norm: r1 = inp + attn(inp), n1 = norm(r1), r2 = n1 + mlp(n1), out = n2 = norm(r2).
    struct SavedBlock {
        var inp: [Float] = [], n1 = SavedNorm(), qkv: [Float] = [], att: [Float] = [], atty: [Float] = []
        var r1: [Float] = [], n2 = SavedNorm(), fc: [Float] = [], act: [Float] = [], r2: [Float] = []
    }

    private var ids: [Int] = [], typeIDs: [Int] = []
    private var shape = (batch: 0, steps: 0)
    private var embeddingSum: [Float] = [], embeddingNorm = SavedNorm()
    private var blocks: [SavedBlock] = []
    private var finalInput: [Float] = [], finalNorm = SavedNorm()
    private var transform: (inp: [Float], dense: [Float], act: [Float], norm: SavedNorm) = ([], [], [], SavedNorm())
    private var headInput: [Float] = []

    /// The caller has checked the sizes (``TransformerDescription/validate()``): training sizes come
    /// from the recipe's checked options or a checkpoint's config.
    public init(description: TransformerDescription, weights: TrainableTransformerWeights) {
        self.description = description
        self.weights = weights
        rotary = PositionLayer.rotaryTable(description)
    }

    /// inputs (B, T) batch-major (token types (B, T), default all 0) -> logits (B*T, V), row `b*T + t`
    /// at position t. Keeps what ``backward(dlogits:)`` needs.
    public func forward(inputs: [Int], typeIDs types: [Int] = [], batch B: Int, steps T: Int) -> [Float] {
        let d = description, w = weights, N = B * T
        let (C, V, W, I, U) = (d.width, d.vocabulary, d.queryKeyValueWidth, d.inner, d.upWidth)
        precondition(inputs.count == N && T <= d.contextLength, "inputs must be (B, T) with T <= the context")
        (shape, ids, typeIDs) = ((B, T), inputs, types)
        // x (N, C) = token[ids] + position[t] + type[typeIDs]
        var x = zeros(N * C)
        EmbeddingKernel.forward(out: &x, ids: inputs, count: N, weight: w.tokenEmbedding.value, width: C)
        if let table = w.positionEmbedding {
            for n in 0..<N { for c in 0..<C { x[n * C + c] += table.value[(n % T) * C + c] } }
        }
        if let table = w.tokenTypeEmbedding {
            for n in 0..<N { let row = table.value + (types.isEmpty ? 0 : types[n]) * C; for c in 0..<C { x[n * C + c] += row[c] } }
        }
        if let norm = w.embeddingNorm {
            embeddingSum = x
            embeddingNorm = forward(norm, x, rows: N)
            x = embeddingNorm.out
        }
        let post = d.normalization.placement == .post
        blocks = []
        for layer in w.layers {
            var k = SavedBlock()
            k.inp = x
            if !post { k.n1 = forward(layer.attentionNorm, x, rows: N) }
            var qkv = linear(layer.queryKeyValue, post ? x : k.n1.out, rows: N, inputs: C, outputs: W)
            if let rotary { qkv.withUnsafeMutableBufferPointer { PositionLayer.rotate(rotary, d, $0.baseAddress!, rows: N) { $0 % T } } }
            var (atty, att) = (zeros(N * C), zeros(B * d.attention.heads * T * T))
            AttentionKernel.forward(out: &atty, att: &att, qkv: qkv, batch: B, steps: T, channels: C, heads: d.attention.heads,
                                    keyValueHeads: d.attention.keyValueHeads, causal: d.attention.causal)
            let projected = linear(layer.attentionOutput, atty, rows: N, inputs: C, outputs: C)
            (k.qkv, k.att, k.atty) = (qkv, att, atty)
            k.r1 = zip(x, projected).map(+)
            if post { k.n1 = forward(layer.attentionNorm, k.r1, rows: N) } else { k.n2 = forward(layer.mlpNorm, k.r1, rows: N) }
            let mlpInput = post ? k.n1.out : k.n2.out
            k.fc = linear(layer.up, mlpInput, rows: N, inputs: C, outputs: U)
            var act = zeros(N * I)
            ActivationLayer.forward(d.activation, k.fc, rows: N, inner: I, into: &act)
            k.act = act
            let mlp = linear(layer.down, act, rows: N, inputs: I, outputs: C)
            if post {
                k.r2 = zip(mlpInput, mlp).map(+)
                k.n2 = forward(layer.mlpNorm, k.r2, rows: N)
                x = k.n2.out
            } else {
                x = zip(k.r1, mlp).map(+)
            }
            blocks.append(k)
        }
        finalInput = x
        if let norm = w.finalNorm {
            finalNorm = forward(norm, x, rows: N)
            x = finalNorm.out
        }
        if case let (dense, norm)? = w.headTransform {
            // BERT's cls.predictions.transform: norm(act(dense(x)))
            let h = linear(dense, x, rows: N, inputs: C, outputs: C)
            var act = zeros(N * C)
            ActivationLayer.forward(d.activation, h, rows: N, inner: C, into: &act)
            transform = (x, h, act, forward(norm, act, rows: N))
            x = transform.norm.out
        }
        headInput = x
        return linear(w.head, x, rows: N, inputs: C, outputs: V)
    }

    /// Accumulates the parameters' gradients from dlogits (B*T, V) of the last forward.
    public func backward(dlogits: [Float]) {
        let d = description, w = weights, (B, T) = shape, N = B * T
        let (C, V, W, I, U) = (d.width, d.vocabulary, d.queryKeyValueWidth, d.inner, d.upWidth)
        var dx = zeros(N * C)
        backward(w.head, dinp: &dx, dout: dlogits, inp: headInput, rows: N, inputs: C, outputs: V)
        if case let (dense, norm)? = w.headTransform {
            var dact = zeros(N * C)
            backward(norm, dinp: &dact, dout: dx, inp: transform.act, saved: transform.norm, rows: N)
            var dh = zeros(N * C)
            ActivationLayer.backward(d.activation, dinp: &dh, inp: transform.dense, dout: dact, rows: N, inner: C)
            dx = zeros(N * C)
            backward(dense, dinp: &dx, dout: dh, inp: transform.inp, rows: N, inputs: C, outputs: C)
        }
        if let norm = w.finalNorm {
            var dfinal = zeros(N * C)
            backward(norm, dinp: &dfinal, dout: dx, inp: finalInput, saved: finalNorm, rows: N)
            dx = dfinal
        }
        let post = d.normalization.placement == .post
        for (layer, k) in zip(w.layers, blocks).reversed() {
            // MLP: dr (the gradient at the MLP's residual sum) and dm (at its input)
            var dsum: [Float]
            if post {
                dsum = zeros(N * C)
                backward(layer.mlpNorm, dinp: &dsum, dout: dx, inp: k.r2, saved: k.n2, rows: N)
            } else {
                dsum = dx
            }
            var dact = zeros(N * I)
            backward(layer.down, dinp: &dact, dout: dsum, inp: k.act, rows: N, inputs: I, outputs: C)
            var dfc = zeros(N * U)
            ActivationLayer.backward(d.activation, dinp: &dfc, inp: k.fc, dout: dact, rows: N, inner: I)
            // the MLP input's gradient: the residual's (post) plus the up projection's
            var dmlpInput = post ? dsum : zeros(N * C)
            backward(layer.up, dinp: &dmlpInput, dout: dfc, inp: post ? k.n1.out : k.n2.out, rows: N, inputs: C, outputs: U)
            // dr1: the gradient at inp + attn
            var dr1: [Float]
            if post {
                dr1 = zeros(N * C)
                backward(layer.attentionNorm, dinp: &dr1, dout: dmlpInput, inp: k.r1, saved: k.n1, rows: N)
            } else {
                dr1 = dsum
                backward(layer.mlpNorm, dinp: &dr1, dout: dmlpInput, inp: k.r1, saved: k.n2, rows: N)
            }
            // attention
            var datty = zeros(N * C)
            backward(layer.attentionOutput, dinp: &datty, dout: dr1, inp: k.atty, rows: N, inputs: C, outputs: C)
            var dqkv = zeros(N * W)
            AttentionKernel.backward(dqkv: &dqkv, dout: datty, qkv: k.qkv, att: k.att, batch: B, steps: T, channels: C,
                                     heads: d.attention.heads, keyValueHeads: d.attention.keyValueHeads)
            if let rotary {
                dqkv.withUnsafeMutableBufferPointer { PositionLayer.rotate(rotary, d, $0.baseAddress!, rows: N, inverse: true) { $0 % T } }
            }
            if post {
                var dinp = dr1
                backward(layer.queryKeyValue, dinp: &dinp, dout: dqkv, inp: k.inp, rows: N, inputs: C, outputs: W)
                dx = dinp
            } else {
                var dn1 = zeros(N * C)
                backward(layer.queryKeyValue, dinp: &dn1, dout: dqkv, inp: k.n1.out, rows: N, inputs: C, outputs: W)
                var dinp = dr1
                backward(layer.attentionNorm, dinp: &dinp, dout: dn1, inp: k.inp, saved: k.n1, rows: N)
                dx = dinp
            }
        }
        if let norm = w.embeddingNorm {
            var dsum = zeros(N * C)
            backward(norm, dinp: &dsum, dout: dx, inp: embeddingSum, saved: embeddingNorm, rows: N)
            dx = dsum
        }
        if let table = w.positionEmbedding {
            for n in 0..<N { for c in 0..<C { table.grad[(n % T) * C + c] += dx[n * C + c] } }
        }
        if let table = w.tokenTypeEmbedding {
            for n in 0..<N { let row = table.grad + (typeIDs.isEmpty ? 0 : typeIDs[n]) * C; for c in 0..<C { row[c] += dx[n * C + c] } }
        }
        // `nn.Embedding`'s padding_idx row learns nothing from lookups.
        if let padding = d.paddingIndex { for n in 0..<N where ids[n] == padding { for c in 0..<C { dx[n * C + c] = 0 } } }
        EmbeddingKernel.backward(dweight: w.tokenEmbedding.grad, dout: dx, ids: ids, count: N, width: C)
    }

    // MARK: layers over saved arrays

    private func forward(_ norm: TrainableNorm, _ inp: [Float], rows N: Int) -> SavedNorm {
        var (out, mean, rstd) = (zeros(N * description.width), zeros(N), zeros(N))
        NormLayer.forward(description.normalization, inp, rows: N, width: description.width, weight: norm.weight.value,
                          bias: norm.bias?.value, into: &out, mean: &mean, rstd: &rstd)
        return SavedNorm(out: out, mean: mean, rstd: rstd)
    }

    private func backward(_ norm: TrainableNorm, dinp: inout [Float], dout: [Float], inp: [Float], saved: SavedNorm, rows N: Int) {
        NormLayer.backward(description.normalization, dinp: &dinp, dweight: norm.weight.grad, dbias: norm.bias?.grad, dout: dout,
                           inp: inp, weight: norm.weight.value, mean: saved.mean, rstd: saved.rstd, rows: N, width: description.width)
    }

    private func linear(_ layer: TrainableLinear, _ inp: [Float], rows N: Int, inputs: Int, outputs: Int) -> [Float] {
        var out = zeros(N * outputs)
        LinearKernel.forward(out: &out, inp: inp, weight: layer.weight.value, bias: layer.bias?.value, rows: N, inputs: inputs,
                             outputs: outputs, layout: layer.layout)
        return out
    }

    private func backward(_ layer: TrainableLinear, dinp: inout [Float], dout: [Float], inp: [Float], rows N: Int, inputs: Int, outputs: Int) {
        LinearKernel.backward(dinp: &dinp, dweight: layer.weight.grad, dbias: layer.bias?.grad, dout: dout, inp: inp,
                              weight: layer.weight.value, rows: N, inputs: inputs, outputs: outputs, layout: layer.layout)
    }
}

extension TrainableTransformer.SavedNorm {
    init(out: [Float], mean: [Float], rstd: [Float]) {
        self.init()
        (self.out, self.mean, self.rstd) = (out, mean, rstd)
    }
}

@inline(__always)
func zeros(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }
