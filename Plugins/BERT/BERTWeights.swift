import LMZooCore

/// One encoder layer's weights (HF `BertLayer`).
struct BERTLayerWeights: @unchecked Sendable {
    /// Query, key and value fused into one `(3C, C)` layer: one sgemm gives `(N, 3C)` rows `[q | k | v]`.
    let queryKeyValue: Linear
    let attentionOutput: Linear
    let attentionNorm: (gamma: [Float], beta: [Float])
    let intermediate, output: Linear
    let outputNorm: (gamma: [Float], beta: [Float])
}

/// The masked-LM head (HF `BertOnlyMLMHead`): dense + activation + LayerNorm, then the decoder, tied to
/// the word embedding, with its own bias.
struct BERTMaskedLMHead: @unchecked Sendable {
    let transform: Linear
    let norm: (gamma: [Float], beta: [Float])
    let decoder: Linear
}

/// Every weight of a BERT model, by canonical (`BertModel`) names.
///
/// Accepted spellings: `bert.` prefix or none (`BertFor*` / `BertModel`), TF-era `LayerNorm.gamma` /
/// `LayerNorm.beta`, llama.cpp's GGUF names (through ``BERTLayout``).
struct BERTWeights: @unchecked Sendable {
    let config: BERTConfig
    /// The word embedding `(V, C)`; its rows are looked up, and it is the tied masked-LM decoder.
    let wordEmbeddings: Linear
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNorm: (gamma: [Float], beta: [Float])
    let layers: [BERTLayerWeights]
    let pooler: Linear?
    let maskedLMHead: BERTMaskedLMHead?
    let parameterCount: Int

    /// Brings the names of `store` to canonical `BertModel` names (plus `cls.*` heads).
    static func canonicalize(_ store: TensorStore) throws -> TensorStore {
        if BERTLayout.layouts.layout(of: store.names) == .gguf {
            var notes: [String] = []
            return try BERTLayout.gguf.apply(to: store, forward: false, notes: &notes)
        }
        var renamed = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries {
            var name = name.hasPrefix(BERTLayout.modelPrefix) ? String(name.dropFirst(BERTLayout.modelPrefix.count)) : name
            if name.hasSuffix("LayerNorm.gamma") { name = String(name.dropLast(5)) + "weight" }
            if name.hasSuffix("LayerNorm.beta") { name = String(name.dropLast(4)) + "bias" }
            try renamed.add(name, tensor)
        }
        return renamed
    }

    /// Checks shapes against `config` and builds the layers; `precision` as ``Linear``'s.
    init(_ store: TensorStore, config: BERTConfig, precision: DType? = nil) throws {
        self.config = config
        let C = config.hiddenSize, I = config.intermediateSize, V = config.vocabSize
        var parameters = 0
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = store[name] else { throw BERTError.missingTensor(name, expected: Shape.describe(shape)) }
            guard t.shape == shape || (shape.count == 1 && t.shape == [1, shape[0]]) else {
                throw BERTError.badShape(name, expected: shape, actual: t.shape)
            }
            parameters += t.elementCount
            return t
        }
        func floats(_ name: String, _ shape: [Int]) throws -> [Float] { try tensor(name, shape).floats() }
        func linear(_ prefix: String, out: Int, in inputs: Int) throws -> Linear {
            try Linear(name: prefix + ".weight", weight: try tensor(prefix + ".weight", [out, inputs]),
                       bias: try tensor(prefix + ".bias", [out]), precision: precision)
        }
        func fused(_ prefix: String, _ parts: [String]) throws -> Linear {
            var weight: [Float] = [], bias: [Float] = []
            var dtype = DType.f32
            for part in parts {
                let w = try tensor(prefix + part + ".weight", [C, C])
                weight += w.floats()
                bias += try floats(prefix + part + ".bias", [C])
                dtype = w.dtype
            }
            return try Linear(name: prefix + "{query,key,value}.weight", weight: try Tensor(shape: [parts.count * C, C], floats: weight),
                              bias: try Tensor(shape: [parts.count * C], floats: bias), precision: precision ?? dtype)
        }
        func norm(_ prefix: String) throws -> ([Float], [Float]) {
            (try floats(prefix + ".weight", [C]), try floats(prefix + ".bias", [C]))
        }
        let word = try tensor("embeddings.word_embeddings.weight", [V, C])
        positionEmbeddings = try floats("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, C])
        tokenTypeEmbeddings = try floats("embeddings.token_type_embeddings.weight", [config.typeVocabSize, C])
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<config.numHiddenLayers).map { n in
            let p = "encoder.layer.\(n)."
            return BERTLayerWeights(
                queryKeyValue: try fused(p + "attention.self.", ["query", "key", "value"]),
                attentionOutput: try linear(p + "attention.output.dense", out: C, in: C),
                attentionNorm: try norm(p + "attention.output.LayerNorm"),
                intermediate: try linear(p + "intermediate.dense", out: I, in: C),
                output: try linear(p + "output.dense", out: C, in: I),
                outputNorm: try norm(p + "output.LayerNorm"))
        }
        pooler = store["pooler.dense.weight"] == nil ? nil : try linear("pooler.dense", out: C, in: C)
        if store["cls.predictions.transform.dense.weight"] != nil {
            let bias = try tensor(store["cls.predictions.bias"] != nil ? "cls.predictions.bias" : "cls.predictions.decoder.bias", [V])
            // The decoder is tied to the word embedding (`cls.predictions.decoder.weight`, when stored, is the same matrix).
            let decoderWeight = store["cls.predictions.decoder.weight"] ?? word
            guard decoderWeight.shape == [V, C] else {
                throw BERTError.badShape("cls.predictions.decoder.weight", expected: [V, C], actual: decoderWeight.shape)
            }
            let decoder = try Linear(name: "cls.predictions.decoder.weight", weight: decoderWeight, bias: bias, precision: precision)
            maskedLMHead = BERTMaskedLMHead(transform: try linear("cls.predictions.transform.dense", out: C, in: C),
                                            norm: try norm("cls.predictions.transform.LayerNorm"), decoder: decoder)
            wordEmbeddings = store["cls.predictions.decoder.weight"] == nil
                ? decoder : try Linear(name: "embeddings.word_embeddings.weight", weight: word, bias: nil, precision: precision)
        } else {
            maskedLMHead = nil
            wordEmbeddings = try Linear(name: "embeddings.word_embeddings.weight", weight: word, bias: nil, precision: precision)
        }
        parameterCount = parameters
    }
}
