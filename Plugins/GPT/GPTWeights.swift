import LMZooCore
import LMZooTransformer

/// GPT-2's weight binder: the tensors of one GPT-2, found under Hugging Face names (with or without
/// `transformer.`; Conv1D `[in, out]`) or llama.cpp's GGUF names (`[out, in]`), as ``GPT2Layout`` maps
/// them, bound to the transformer engine's roles; `.attn.bias` buffers are ignored. Matrices become
/// ``Linear`` layers kept in their stored precision unless `precision` says otherwise.
enum GPTWeights {
    /// The engine's weights and the parameter count (the tied head counted once).
    static func bind(_ store: TensorStore, config c: GPTConfig, precision: DType?) throws -> (weights: TransformerWeights, parameterCount: Int) {
        var parameterCount = 0
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
            parameterCount += count
            return found.tensor.floats()
        }
        func norm(_ prefix: String) throws -> TransformerWeights.Norm {
            TransformerWeights.Norm(weight: try vector(prefix + ".weight", c.embeddingSize), bias: try vector(prefix + ".bias", c.embeddingSize))
        }
        func linear(_ prefix: String, in inF: Int, out outF: Int) throws -> Linear {
            let weight = try find(prefix + ".weight"), bias = try find(prefix + ".bias")
            // HF Conv1D stores [in, out]; GGUF (llama.cpp transposes it) [out, in].
            let expected = weight.gguf ? [outF, inF] : [inF, outF]
            guard weight.tensor.shape == expected else {
                throw GPTError.badTensor(name: weight.name, shape: weight.tensor.shape, expected: expected)
            }
            parameterCount += inF * outF + outF
            return try Linear(name: weight.name, weight: weight.tensor, bias: bias.tensor, inputMajor: !weight.gguf, precision: precision)
        }
        let C = c.embeddingSize
        let wte = try find("wte.weight")
        guard wte.tensor.shape == [c.vocabSize, C] else {
            throw GPTError.badTensor(name: wte.name, shape: wte.tensor.shape, expected: [c.vocabSize, C])
        }
        let tokenEmbedding = try Linear(name: wte.name, weight: wte.tensor, bias: nil, precision: precision)
        let wpe = try find("wpe.weight")
        guard wpe.tensor.shape.count == 2, wpe.tensor.shape[1] == C, wpe.tensor.shape[0] >= c.contextLength else {
            throw GPTError.badTensor(name: wpe.name, shape: wpe.tensor.shape, expected: [c.contextLength, C])
        }
        parameterCount += c.vocabSize * C + wpe.tensor.elementCount
        let layers = try (0..<c.layerCount).map { n in
            let p = "h.\(n)."
            return TransformerWeights.Layer(
                attentionNorm: try norm(p + "ln_1"), queryKeyValue: try linear(p + "attn.c_attn", in: C, out: 3 * C),
                attentionOutput: try linear(p + "attn.c_proj", in: C, out: C),
                mlpNorm: try norm(p + "ln_2"), up: try linear(p + "mlp.c_fc", in: C, out: c.innerSize),
                down: try linear(p + "mlp.c_proj", in: c.innerSize, out: C))
        }
        let finalNorm = try norm("ln_f")
        var head = tokenEmbedding
        if let separate = store["lm_head.weight"] ?? store["output.weight"], !separate.isSameView(as: wte.tensor) {
            guard separate.shape == [c.vocabSize, C] else {
                throw GPTError.badTensor(name: "lm_head.weight", shape: separate.shape, expected: [c.vocabSize, C])
            }
            head = try Linear(name: "lm_head.weight", weight: separate, bias: nil, precision: precision)
            parameterCount += c.vocabSize * C
        }
        let weights = TransformerWeights(tokenEmbedding: tokenEmbedding, positionEmbedding: wpe.tensor.floats(), tokenTypeEmbedding: nil,
                                         embeddingNorm: nil, layers: layers, finalNorm: finalNorm, headTransform: nil, head: head)
        return (weights, parameterCount)
    }
}
