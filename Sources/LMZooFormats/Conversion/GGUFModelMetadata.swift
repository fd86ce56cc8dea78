import LMZooCore

/// The GGUF key/values llama.cpp needs to load a model converted from a Hugging Face directory,
/// as llama.cpp's `convert_hf_to_gguf.py` writes them: `general.*` and the tokenizer's
/// `tokenizer.ggml.*` (`_set_vocab_gpt2`, `SpecialVocab`) here, the architecture's own `<arch>.*`
/// keys from its plugin (``ArchitectureDescriptor/gguf``).
public enum GGUFModelMetadata {
    /// llama.cpp's `general.file_type` for the dtype most tensors are written in.
    public static func fileType(for dtype: DType?) -> UInt32 {
        if let dtype, let blocks = BlockQuantization.of(dtype) { return blocks.fileType }
        return switch dtype {
        case .f16: 1
        case .bf16: 32
        default: 0
        }
    }

    /// Key/values for `config` (a Hugging Face `config.json`) and the directory's vocabulary, the
    /// `<arch>.*` part from `architecture`'s plugin.
    public static func build(architecture: GGUFArchitecture, name: String, config: JSONObject, vocabulary: HFVocabulary,
                             fileType: UInt32) throws -> [GGUFKeyValue] {
        var kv: [GGUFKeyValue] = [
            GGUFKeyValue("general.architecture", .string(architecture.name)),
            GGUFKeyValue("general.name", .string(name)),
        ]
        kv += try architecture.keyValues(config)
        kv += [
            GGUFKeyValue("general.file_type", .uint32(fileType)),
            GGUFKeyValue("general.quantization_version", .uint32(2)),
        ]
        kv += try tokenizer(config: config, vocabulary: vocabulary)
        return kv
    }

    /// `tokenizer.ggml.*`: BPE vocabularies as llama.cpp's tokenizer model `gpt2` with merges; WordPiece
    /// as its tokenizer model `bert` with
    /// llama.cpp's "phantom space" spelling (`##ing` -> `ing`, `word` -> `▁word`, `[CLS]` unchanged).
    static func tokenizer(config: JSONObject, vocabulary: HFVocabulary) throws -> [GGUFKeyValue] {
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
