import LMZooCore

/// BERT's llama.cpp metadata, typed both ways: written from `config.json` as `convert_hf_to_gguf.py`'s
/// `BertModel` does, read back by ``BERTConfig/fromGGUF(_:vocabSize:)``.
public enum BERTGGUF {
    /// `general.architecture` and the key prefix.
    public static let name = "bert"

    /// The plugin's ``ArchitectureDescriptor/gguf``.
    public static let architecture = GGUFArchitecture(name: name) { config in
        let a = name
        return [
            GGUFKeyValue("\(a).context_length", try config.ggufUInt32("max_position_embeddings")),
            GGUFKeyValue("\(a).embedding_length", try config.ggufUInt32("hidden_size")),
            GGUFKeyValue("\(a).feed_forward_length", try config.ggufUInt32("intermediate_size")),
            GGUFKeyValue("\(a).block_count", try config.ggufUInt32("num_hidden_layers")),
            GGUFKeyValue("\(a).attention.head_count", try config.ggufUInt32("num_attention_heads")),
            GGUFKeyValue("\(a).attention.layer_norm_epsilon", config.ggufFloat32("layer_norm_eps", default: 1e-12)),
            GGUFKeyValue("\(a).attention.causal", .bool(false)),
        ]
    }
}

extension BERTConfig {
    /// The sizes a GGUF file's typed `bert.*` metadata gives (vocabulary size from the token embedding).
    static func fromGGUF(_ keyValues: [GGUFKeyValue], vocabSize: Int) throws -> BERTConfig {
        func int(_ key: String) throws -> Int {
            guard let value = keyValues[key: "\(BERTGGUF.name).\(key)"]?.intValue else {
                throw BERTError.badConfig("GGUF metadata lacks \(BERTGGUF.name).\(key)")
            }
            return value
        }
        return BERTConfig(vocabSize: vocabSize, hiddenSize: try int("embedding_length"), numHiddenLayers: try int("block_count"),
                          numAttentionHeads: try int("attention.head_count"), intermediateSize: try int("feed_forward_length"),
                          maxPositionEmbeddings: try int("context_length"),
                          typeVocabSize: keyValues[key: "tokenizer.ggml.token_type_count"]?.intValue ?? 2,
                          layerNormEps: keyValues[key: "\(BERTGGUF.name).attention.layer_norm_epsilon"]?.doubleValue ?? 1e-12)
    }
}
