import LMZooCore
import LMZooFormats

/// Finds a GPT-2 model's byte-level BPE vocabulary: `tokenizer.json`, `vocab.json` + `merges.txt` or
/// `encoder.json` + `vocab.bpe` beside the weights, or a GGUF's `tokenizer.ggml.tokens` / `.merges`.
public enum GPTTokenizerFiles {
    /// The tokenizer of a model source (GGUF arrays, else the files in its directory).
    public static func tokenizer(for source: ModelSource) throws -> ByteLevelBPETokenizer {
        if let keyValues = GGUFReader.keyValues(of: source.tensors), keyValues[key: "tokenizer.ggml.tokens"] != nil {
            return try LocatedError.at(source.path) { try fromGGUF(keyValues) }
        }
        guard let directory = source.directory else {
            throw LocatedError(path: source.path, GPTError.noTokenizer("no tokenizer files beside the weights"))
        }
        return try read(directory: directory)
    }

    /// The vocabulary files of `directory` (OpenAI's `encoder.json` + `vocab.bpe` when there is no HF file).
    public static func read(directory: String) throws -> ByteLevelBPETokenizer {
        let encoder = Paths.join(directory, "encoder.json"), bpe = Paths.join(directory, "vocab.bpe")
        let hasHF = ["tokenizer.json", "vocab.json"].contains { Paths.exists(Paths.join(directory, $0)) }
        if !hasHF, Paths.exists(encoder), Paths.exists(bpe) {
            return try read(encoderJSON: encoder, vocabBPE: bpe)
        }
        let vocabulary = try HFVocabulary.read(directory: directory)
        guard vocabulary.kind == .bpe else {
            throw LocatedError(path: directory, GPTError.noTokenizer("the vocabulary is \(vocabulary.kind.rawValue), not byte-level BPE"))
        }
        return try LocatedError.at(directory) { try vocabulary.byteLevelBPETokenizer() }
    }

    /// OpenAI's files: `encoder.json` ({token: id}) and `vocab.bpe` (merges after a `#version` line).
    public static func read(encoderJSON: String, vocabBPE: String) throws -> ByteLevelBPETokenizer {
        let vocabulary = try HFVocabulary.readBPE(vocabJSON: encoderJSON, merges: vocabBPE)
        return try LocatedError.at(encoderJSON) { try ByteLevelBPETokenizer(tokens: vocabulary.tokens, merges: vocabulary.merges) }
    }

    static func fromGGUF(_ keyValues: [GGUFKeyValue]) throws -> ByteLevelBPETokenizer {
        func strings(_ key: String) throws -> [String] {
            guard let array = keyValues[key: key]?.arrayValue else { throw GPTError.noTokenizer("GGUF key '\(key)' is missing") }
            return try (0..<array.count).map { i in
                guard let text = array[i]?.stringValue else { throw GPTError.noTokenizer("GGUF '\(key)'[\(i)] is not a string") }
                return text
            }
        }
        if let model = keyValues[key: "tokenizer.ggml.model"]?.stringValue, model != "gpt2" {
            throw GPTError.noTokenizer("GGUF tokenizer.ggml.model is '\(model)', not gpt2")
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        let merges = keyValues[key: "tokenizer.ggml.merges"] == nil ? [] : try strings("tokenizer.ggml.merges")
        var special = ["<|endoftext|>"]
        if let types = keyValues[key: "tokenizer.ggml.token_type"]?.arrayValue {
            for i in 0..<min(types.count, tokens.count) where types[i]?.intValue == 3 { special.append(tokens[i]) }  // CONTROL
        }
        func name(_ key: String) -> String? {
            keyValues[key: key]?.intValue.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil }
        }
        return try ByteLevelBPETokenizer(tokens: tokens, merges: merges, specialTokens: Array(Set(special)),
                                         bos: name("tokenizer.ggml.bos_token_id") ?? "<|endoftext|>",
                                         eos: name("tokenizer.ggml.eos_token_id") ?? "<|endoftext|>")
    }
}
