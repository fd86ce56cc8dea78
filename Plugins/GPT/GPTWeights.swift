import LMZooCore

/// The weights of one GPT-2, found under Hugging Face names (with or without `transformer.`; Conv1D
/// `[in, out]`) or llama.cpp's GGUF names (`[out, in]`), as ``GPT2Layout`` maps them; `.attn.bias`
/// buffers are ignored. Matrices become ``Linear`` layers kept in their stored precision unless
/// `precision` says otherwise.
struct GPTWeights {
    struct Block {
        let ln1: (gamma: [Float], beta: [Float])
        let qkv: Linear  // (C) -> (3C)
        let attentionOut: Linear  // (C) -> (C)
        let ln2: (gamma: [Float], beta: [Float])
        let up: Linear  // (C) -> (inner)
        let down: Linear  // (inner) -> (C)
    }

    /// `wte` as a (V, C) layer: the embedding rows and, when tied, the LM head.
    let tokenEmbedding: Linear
    /// `wpe` (P, C).
    let positionEmbedding: [Float]
    let blocks: [Block]
    let finalNorm: (gamma: [Float], beta: [Float])
    /// (C) -> (V): `lm_head.weight` when the checkpoint has its own, else `wte`.
    let head: Linear

    init(_ store: TensorStore, config c: GPTConfig, precision: DType?) throws {
        func find(_ canonical: String) throws -> (name: String, tensor: Tensor, gguf: Bool) {
            for name in [canonical, GPT2Layout.torchPrefix + canonical] {
                if let tensor = store[name] { return (name, tensor, false) }
            }
            if let gguf = GPT2Layout.gguf.forward(canonical)?.name, let tensor = store[gguf] { return (gguf, tensor, true) }
            throw GPTError.missingTensor(canonical)
        }
        func vector(_ canonical: String, _ count: Int) throws -> [Float] {
            let found = try find(canonical)
            guard found.tensor.elementCount == count, found.tensor.shape.count <= 2 else {
                throw GPTError.badTensor(name: found.name, shape: found.tensor.shape, expected: [count])
            }
            return found.tensor.floats()
        }
        func norm(_ prefix: String) throws -> (gamma: [Float], beta: [Float]) {
            (try vector(prefix + ".weight", c.embeddingSize), try vector(prefix + ".bias", c.embeddingSize))
        }
        func linear(_ prefix: String, in inF: Int, out outF: Int) throws -> Linear {
            let weight = try find(prefix + ".weight"), bias = try find(prefix + ".bias")
            // HF Conv1D stores [in, out]; GGUF (llama.cpp transposes it) [out, in].
            let expected = weight.gguf ? [outF, inF] : [inF, outF]
            guard weight.tensor.shape == expected else {
                throw GPTError.badTensor(name: weight.name, shape: weight.tensor.shape, expected: expected)
            }
            return try Linear(name: weight.name, weight: weight.tensor, bias: bias.tensor, inputMajor: !weight.gguf, precision: precision)
        }
        let wte = try find("wte.weight")
        guard wte.tensor.shape == [c.vocabSize, c.embeddingSize] else {
            throw GPTError.badTensor(name: wte.name, shape: wte.tensor.shape, expected: [c.vocabSize, c.embeddingSize])
        }
        tokenEmbedding = try Linear(name: wte.name, weight: wte.tensor, bias: nil, precision: precision)
        let wpe = try find("wpe.weight")
        guard wpe.tensor.shape.count == 2, wpe.tensor.shape[1] == c.embeddingSize, wpe.tensor.shape[0] >= c.contextLength else {
            throw GPTError.badTensor(name: wpe.name, shape: wpe.tensor.shape, expected: [c.contextLength, c.embeddingSize])
        }
        positionEmbedding = wpe.tensor.floats()
        blocks = try (0..<c.layerCount).map { n in
            let p = "h.\(n)."
            return Block(ln1: try norm(p + "ln_1"), qkv: try linear(p + "attn.c_attn", in: c.embeddingSize, out: 3 * c.embeddingSize),
                         attentionOut: try linear(p + "attn.c_proj", in: c.embeddingSize, out: c.embeddingSize),
                         ln2: try norm(p + "ln_2"), up: try linear(p + "mlp.c_fc", in: c.embeddingSize, out: c.innerSize),
                         down: try linear(p + "mlp.c_proj", in: c.innerSize, out: c.embeddingSize))
        }
        finalNorm = try norm("ln_f")
        if let separate = store["lm_head.weight"] ?? store["output.weight"], !separate.isSameView(as: wte.tensor) {
            guard separate.shape == [c.vocabSize, c.embeddingSize] else {
                throw GPTError.badTensor(name: "lm_head.weight", shape: separate.shape, expected: [c.vocabSize, c.embeddingSize])
            }
            head = try Linear(name: "lm_head.weight", weight: separate, bias: nil, precision: precision)
        } else {
            head = tokenEmbedding
        }
    }

    /// Total parameters (the tied head counted once).
    var parameterCount: Int {
        let layers = blocks.reduce(0) { total, b in
            total + 4 * b.ln1.gamma.count + [b.qkv, b.attentionOut, b.up, b.down].reduce(0) {
                $0 + $1.inFeatures * $1.outFeatures + $1.outFeatures
            }
        }
        let head = self.head === tokenEmbedding ? 0 : self.head.inFeatures * self.head.outFeatures
        return tokenEmbedding.inFeatures * tokenEmbedding.outFeatures + positionEmbedding.count + layers
            + 2 * finalNorm.gamma.count + head
    }
}
