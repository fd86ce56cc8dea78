import LMZooCore
import LMZooTransformer

/// BERT's weight binder: every weight of a BERT model by canonical (`BertModel`) names, bound to the
/// transformer engine's roles (``BERTConfig/transformerDescription``), plus the pooler BERT keeps for itself.
///
/// Accepted spellings: `bert.` prefix or none (`BertFor*` / `BertModel`), TF-era `LayerNorm.gamma` /
/// `LayerNorm.beta`, llama.cpp's GGUF names (through ``BERTLayout``).
struct BERTWeights: @unchecked Sendable {
    let config: BERTConfig
    /// The encoder and, when the checkpoint has `cls.predictions.*`, the masked-LM head (HF
    /// `BertOnlyMLMHead`: dense + activation + LayerNorm, then the decoder tied to the word embedding
    /// with its own bias).
    let engine: TransformerWeights
    /// `BertPooler`'s dense layer.
    let pooler: Linear?
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
        func norm(_ prefix: String) throws -> TransformerWeights.Norm {
            TransformerWeights.Norm(weight: try floats(prefix + ".weight", [C]), bias: try floats(prefix + ".bias", [C]))
        }
        let word = try tensor("embeddings.word_embeddings.weight", [V, C])
        let positions = try floats("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, C])
        let types = try floats("embeddings.token_type_embeddings.weight", [config.typeVocabSize, C])
        let embeddingNorm = try norm("embeddings.LayerNorm")
        let layers = try (0..<config.numHiddenLayers).map { n in
            let p = "encoder.layer.\(n)."
            let queryKeyValue = try ["query", "key", "value"].map { part in
                (weight: try tensor(p + "attention.self." + part + ".weight", [C, C]),
                 bias: Optional(try tensor(p + "attention.self." + part + ".bias", [C])))
            }
            // the order in which a missing tensor is reported: as the layer runs
            let stacked = try TransformerWeights.stacked(name: p + "attention.self.{query,key,value}.weight", queryKeyValue,
                                                         precision: precision)
            let attentionOutput = try linear(p + "attention.output.dense", out: C, in: C)
            let attentionNorm = try norm(p + "attention.output.LayerNorm")
            let up = try linear(p + "intermediate.dense", out: I, in: C), down = try linear(p + "output.dense", out: C, in: I)
            return TransformerWeights.Layer(attentionNorm: attentionNorm, queryKeyValue: stacked, attentionOutput: attentionOutput,
                                            mlpNorm: try norm(p + "output.LayerNorm"), up: up, down: down)
        }
        pooler = store["pooler.dense.weight"] == nil ? nil : try linear("pooler.dense", out: C, in: C)
        let wordEmbeddings: Linear
        var head: Linear?
        var headTransform: (dense: Linear, norm: TransformerWeights.Norm)?
        if store["cls.predictions.transform.dense.weight"] != nil {
            let bias = try tensor(store["cls.predictions.bias"] != nil ? "cls.predictions.bias" : "cls.predictions.decoder.bias", [V])
            // The decoder is tied to the word embedding (`cls.predictions.decoder.weight`, when stored, is the same matrix).
            let decoderWeight = store["cls.predictions.decoder.weight"] ?? word
            guard decoderWeight.shape == [V, C] else {
                throw BERTError.badShape("cls.predictions.decoder.weight", expected: [V, C], actual: decoderWeight.shape)
            }
            let decoder = try Linear(name: "cls.predictions.decoder.weight", weight: decoderWeight, bias: bias, precision: precision)
            headTransform = (try linear("cls.predictions.transform.dense", out: C, in: C), try norm("cls.predictions.transform.LayerNorm"))
            head = decoder
            wordEmbeddings = store["cls.predictions.decoder.weight"] == nil
                ? decoder : try Linear(name: "embeddings.word_embeddings.weight", weight: word, bias: nil, precision: precision)
        } else {
            wordEmbeddings = try Linear(name: "embeddings.word_embeddings.weight", weight: word, bias: nil, precision: precision)
        }
        engine = TransformerWeights(tokenEmbedding: wordEmbeddings, positionEmbedding: positions, tokenTypeEmbedding: types,
                                    embeddingNorm: embeddingNorm, layers: layers, finalNorm: nil, headTransform: headTransform, head: head)
        parameterCount = parameters
    }
}
