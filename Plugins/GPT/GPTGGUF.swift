import LMZooCore

/// GPT-2's llama.cpp metadata, typed both ways: written from `config.json` as `convert_hf_to_gguf.py`'s
/// `GPT2Model` does, read back by ``GPTConfig/decode(gguf:vocabSize:)``.
public enum GPTGGUF {
    /// `general.architecture` and the key prefix.
    public static let name = "gpt2"

    /// The plugin's ``ArchitectureDescriptor/gguf``.
    public static let architecture = GGUFArchitecture(name: name) { config in
        let a = name
        let width = try config.ggufUInt32(GPTConfig.Key.embedding)
        return [
            GGUFKeyValue("\(a).block_count", try config.ggufUInt32(GPTConfig.Key.layers)),
            GGUFKeyValue("\(a).context_length", try config.ggufUInt32(GPTConfig.Key.context, GPTConfig.Key.positions)),
            GGUFKeyValue("\(a).embedding_length", width),
            GGUFKeyValue("\(a).feed_forward_length", (try? config.ggufUInt32(GPTConfig.Key.inner)) ?? .uint32(4 * UInt32(width.intValue ?? 0))),
            GGUFKeyValue("\(a).attention.head_count", try config.ggufUInt32(GPTConfig.Key.heads)),
            GGUFKeyValue("\(a).attention.layer_norm_epsilon", config.ggufFloat32(GPTConfig.Key.epsilon, default: 1e-5)),
        ]
    }
}

extension GPTConfig {
    /// From GGUF metadata (`gpt2.context_length`, ... as typed values); the vocabulary size from the tokenizer.
    static func decode(gguf keyValues: [GGUFKeyValue], vocabSize: Int) throws -> GPTConfig {
        func int(_ key: String) throws -> Int {
            guard let value = keyValues.positiveInt("\(GPTGGUF.name).\(key)") else {
                throw GPTError.badConfig("GGUF key '\(GPTGGUF.name).\(key)' is missing or not a positive integer")
            }
            return value
        }
        let embedding = try int("embedding_length")
        return GPTConfig(vocabSize: vocabSize, contextLength: try int("context_length"), embeddingSize: embedding,
                         layerCount: try int("block_count"), headCount: try int("attention.head_count"),
                         innerSize: (try? int("feed_forward_length")) ?? 4 * embedding,
                         layerNormEpsilon: keyValues[key: "\(GPTGGUF.name).attention.layer_norm_epsilon"]?.doubleValue.map(Float.init) ?? 1e-5,
                         activation: "gelu_new")
    }
}
