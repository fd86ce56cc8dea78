import LMZooCore

/// The GGUF key/values llama.cpp needs to load a model converted from a Hugging Face directory,
/// as llama.cpp's `convert_hf_to_gguf.py` writes them (`GPT2Model`, `BertModel`, `_set_vocab_gpt2`,
/// `SpecialVocab`).
public enum GGUFModelMetadata {
    /// The architectures this can describe.
    public static let architectures: Set<String> = ["gpt2", "bert"]

    /// llama.cpp's `general.file_type` for the dtype most tensors are written in.
    public static func fileType(for dtype: DType?) -> UInt32 {
        if let dtype, let blocks = BlockQuantization.of(dtype) { return blocks.fileType }
        return switch dtype {
        case .f16: 1
        case .bf16: 32
        default: 0
        }
    }

    /// Key/values for `config` (a Hugging Face `config.json`) and the directory's vocabulary.
    public static func build(architecture: String, name: String, config: JSONObject, vocabulary: HFVocabulary,
                             fileType: UInt32) throws -> [GGUFKeyValue] {
        func int(_ keys: String...) throws -> UInt32 {
            for key in keys { if let value = config[key]?.intValue, value >= 0, value <= Int(UInt32.max) { return UInt32(value) } }
            throw HFVocabularyError.malformed("config.json lacks \(keys.joined(separator: " / "))")
        }
        func float(_ key: String, default fallback: Double) -> Float { Float(config[key]?.doubleValue ?? fallback) }

        var kv: [GGUFKeyValue] = [
            GGUFKeyValue("general.architecture", .string(architecture)),
            GGUFKeyValue("general.name", .string(name)),
        ]
        let a = architecture
        switch architecture {
        case "gpt2":
            let width = try int("n_embd")
            kv += [
                GGUFKeyValue("\(a).block_count", .uint32(try int("n_layer"))),
                GGUFKeyValue("\(a).context_length", .uint32(try int("n_ctx", "n_positions"))),
                GGUFKeyValue("\(a).embedding_length", .uint32(width)),
                GGUFKeyValue("\(a).feed_forward_length", .uint32((try? int("n_inner")) ?? 4 * width)),
                GGUFKeyValue("\(a).attention.head_count", .uint32(try int("n_head"))),
                GGUFKeyValue("\(a).attention.layer_norm_epsilon", .float32(float("layer_norm_epsilon", default: 1e-5))),
            ]
        case "bert":
            kv += [
                GGUFKeyValue("\(a).context_length", .uint32(try int("max_position_embeddings"))),
                GGUFKeyValue("\(a).embedding_length", .uint32(try int("hidden_size"))),
                GGUFKeyValue("\(a).feed_forward_length", .uint32(try int("intermediate_size"))),
                GGUFKeyValue("\(a).block_count", .uint32(try int("num_hidden_layers"))),
                GGUFKeyValue("\(a).attention.head_count", .uint32(try int("num_attention_heads"))),
                GGUFKeyValue("\(a).attention.layer_norm_epsilon", .float32(float("layer_norm_eps", default: 1e-12))),
                GGUFKeyValue("\(a).attention.causal", .bool(false)),
            ]
        default:
            throw LayoutError.unsupported(architecture: architecture, layout: .gguf)
        }
        kv += [
            GGUFKeyValue("general.file_type", .uint32(fileType)),
            GGUFKeyValue("general.quantization_version", .uint32(2)),
        ]
        kv += try tokenizer(architecture: architecture, config: config, vocabulary: vocabulary)
        return kv
    }

    /// `tokenizer.ggml.*`: BPE vocabularies as `gpt2` with merges; WordPiece as `bert` with
    /// llama.cpp's "phantom space" spelling (`##ing` -> `ing`, `word` -> `▁word`, `[CLS]` unchanged).
    static func tokenizer(architecture: String, config: JSONObject, vocabulary: HFVocabulary) throws -> [GGUFKeyValue] {
        let types = vocabulary.tokens.indices.map { vocabulary.specialIDs.contains($0) ? Int32(3) : Int32(1) }  // CONTROL / NORMAL
        var kv: [GGUFKeyValue] = []
        switch vocabulary.kind {
        case .bpe:
            kv += [
                GGUFKeyValue("tokenizer.ggml.model", .string("gpt2")),
                GGUFKeyValue("tokenizer.ggml.pre", .string("gpt-2")),
                GGUFKeyValue("tokenizer.ggml.tokens", .array(.string(vocabulary.tokens))),
                GGUFKeyValue("tokenizer.ggml.token_type", .array(.int32(types))),
                GGUFKeyValue("tokenizer.ggml.merges", .array(.string(vocabulary.merges))),
            ]
            for (key, configKey) in [("bos", "bos_token_id"), ("eos", "eos_token_id")] {
                if let id = config[configKey]?.intValue, vocabulary.tokens.indices.contains(id) {
                    kv.append(GGUFKeyValue("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id))))
                }
            }
        case .wordPiece:
            let spelled = vocabulary.tokens.map { token -> String in
                if token.hasPrefix("["), token.hasSuffix("]") { return token }
                if token.hasPrefix("##") { return String(token.dropFirst(2)) }
                return "\u{2581}" + token
            }
            kv += [
                GGUFKeyValue("tokenizer.ggml.model", .string("bert")),
                GGUFKeyValue("tokenizer.ggml.tokens", .array(.string(spelled))),
                GGUFKeyValue("tokenizer.ggml.token_type", .array(.int32(types))),
                GGUFKeyValue("tokenizer.ggml.token_type_count", .uint32(UInt32(config["type_vocab_size"]?.intValue ?? 2))),
            ]
            for (key, token) in [("unknown", "[UNK]"), ("seperator", "[SEP]"), ("padding", "[PAD]"), ("cls", "[CLS]"), ("mask", "[MASK]")] {
                if let id = vocabulary.id(of: token) { kv.append(GGUFKeyValue("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id)))) }
            }
        }
        return kv
    }
}
