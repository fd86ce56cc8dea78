import LMZooCore
import LMZooFormats

/// Builds a ``WordPieceTokenizer`` from a Hugging Face directory: `tokenizer.json` (normalizer, WordPiece
/// model, added tokens, post-processor), or else `vocab.txt` with `tokenizer_config.json`
/// (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, special-token names, `model_max_length`).
enum BERTTokenizerFiles {
    /// Lengths above this in `model_max_length` mean "no limit" (transformers writes 1e30).
    static let unlimited = 1 << 40

    static func read(directory: String, maxPositions: Int) throws -> WordPieceTokenizer {
        let vocabulary = try HFVocabulary.read(directory: directory)
        guard vocabulary.kind == .wordPiece else {
            throw LocatedError(path: directory, BERTError.badTokenizer("the vocabulary is \(vocabulary.kind.rawValue), expected WordPiece"))
        }
        let configPath = Paths.join(directory, "tokenizer_config.json")
        let config = Paths.exists(configPath) ? try JSONFile.read(path: configPath) : JSONValue.object(JSONObject())
        var maxLength = maxPositions
        if let limit = config["model_max_length"]?.doubleValue, limit > 0, limit < Double(unlimited) { maxLength = min(maxLength, Int(limit)) }
        let tokenizerJSON = Paths.join(directory, "tokenizer.json")
        if Paths.exists(tokenizerJSON) {
            let json = try JSONFile.read(path: tokenizerJSON, limit: 256 << 20)
            return try LocatedError.at(tokenizerJSON) { try fromTokenizerJSON(json, tokens: vocabulary.tokens, maxLength: maxLength) }
        }
        return try LocatedError.at(configPath) { try fromConfig(config, tokens: vocabulary.tokens, maxLength: maxLength) }
    }

    /// `tokenizer.json` as `tokenizers` writes it for BERT.
    static func fromTokenizerJSON(_ json: JSONValue, tokens: [String], maxLength: Int) throws -> WordPieceTokenizer {
        let normalizer = try WordPieceNormalizer(tokenizerJSON: json["normalizer"])
        let model = json["model"]
        let wordPiece = try WordPiece(tokens: tokens, unknownToken: model?["unk_token"]?.stringValue ?? "[UNK]",
                                      continuingPrefix: model?["continuing_subword_prefix"]?.stringValue ?? "##",
                                      maxInputCharsPerWord: model?["max_input_chars_per_word"]?.intValue ?? 100)
        let added = try (json["added_tokens"]?.arrayValue ?? []).compactMap { entry -> WordPieceAddedToken? in
            guard let id = entry["id"]?.intValue, let content = entry["content"]?.stringValue, id >= 0, id < tokens.count else {
                throw BERTError.badTokenizer("an added token lacks a valid id or content")
            }
            // Tokens matched after normalisation are ordinary vocabulary entries for WordPiece.
            if entry["normalized"]?.boolValue == true { return nil }
            return WordPieceAddedToken(content: content, id: id, lstrip: entry["lstrip"]?.boolValue ?? false,
                                       rstrip: entry["rstrip"]?.boolValue ?? false, singleWord: entry["single_word"]?.boolValue ?? false,
                                       special: entry["special"]?.boolValue ?? false)
        }
        let (cls, sep) = try specialIDs(postProcessor: json["post_processor"], tokens: wordPiece.ids)
        return WordPieceTokenizer(normalizer: normalizer, model: wordPiece, addedTokens: added, clsID: cls, sepID: sep, maxLength: maxLength)
    }

    /// `vocab.txt` + `tokenizer_config.json` as transformers' `BertTokenizer` reads them.
    static func fromConfig(_ config: JSONValue, tokens: [String], maxLength: Int) throws -> WordPieceTokenizer {
        let lowercase = config["do_lower_case"]?.boolValue ?? true
        let normalizer = WordPieceNormalizer(cleanText: true, handleChineseChars: config["tokenize_chinese_chars"]?.boolValue ?? true,
                                             stripAccents: config["strip_accents"]?.boolValue, lowercase: lowercase)
        func name(_ key: String, _ fallback: String) -> String {
            config[key]?.stringValue ?? config[key]?["content"]?.stringValue ?? fallback
        }
        let model = try WordPiece(tokens: tokens, unknownToken: name("unk_token", "[UNK]"))
        let specials = ["unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"]
        let added = specials.keys.sorted().compactMap { key -> WordPieceAddedToken? in
            let content = name(key, specials[key]!)
            return model.ids[content].map { WordPieceAddedToken(content: content, id: $0) }
        }
        return WordPieceTokenizer(normalizer: normalizer, model: model, addedTokens: added,
                                  clsID: model.ids[name("cls_token", "[CLS]")], sepID: model.ids[name("sep_token", "[SEP]")],
                                  maxLength: maxLength)
    }

    /// The vocabulary llama.cpp's converter stores in GGUF (`tokenizer.ggml.tokens`, "phantom space"
    /// spelling: `▁word` = word start, `[X]` = special, anything else = a `##` continuation), with
    /// uncased normalisation (llama.cpp's WPM tokenizer lower-cases and strips accents).
    static func fromGGUF(_ keyValues: [GGUFKeyValue], maxLength: Int) throws -> WordPieceTokenizer {
        guard case let .array(.string(spelled))? = keyValues.first(where: { $0.key == "tokenizer.ggml.tokens" })?.value else {
            throw BERTError.badTokenizer("GGUF file has no tokenizer.ggml.tokens string array")
        }
        let tokens = spelled.map { token -> String in
            if token.hasPrefix("\u{2581}") { return String(token.dropFirst()) }
            if token.hasPrefix("["), token.hasSuffix("]") { return token }
            return "##" + token
        }
        let model = try WordPiece(tokens: tokens)
        let added = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"].compactMap { name in
            model.ids[name].map { WordPieceAddedToken(content: name, id: $0) }
        }
        return WordPieceTokenizer(normalizer: WordPieceNormalizer(), model: model, addedTokens: added,
                                  clsID: model.ids["[CLS]"], sepID: model.ids["[SEP]"], maxLength: maxLength)
    }

    /// `[CLS]` / `[SEP]` of a `BertProcessing` or `TemplateProcessing` post-processor (none when null).
    static func specialIDs(postProcessor: JSONValue?, tokens: [String: Int]) throws -> (cls: Int?, sep: Int?) {
        guard let processor = postProcessor, processor != .null else { return (nil, nil) }
        switch processor["type"]?.stringValue {
        case "BertProcessing"?:
            return (processor["cls"]?.arrayValue?.last?.intValue, processor["sep"]?.arrayValue?.last?.intValue)
        case "TemplateProcessing"?:
            let single = processor["single"]?.arrayValue ?? []
            let names = single.compactMap { $0["SpecialToken"]?["id"]?.stringValue }
            guard single.count == 3, names.count == 2 else {
                throw BERTError.badTokenizer("post_processor template is not [CLS] $A [SEP]")
            }
            func id(_ name: String) -> Int? {
                processor["special_tokens"]?[name]?["ids"]?.arrayValue?.first?.intValue ?? tokens[name]
            }
            return (id(names[0]), id(names[1]))
        case let other:
            throw BERTError.badTokenizer("post_processor \(other ?? "?") is not BertProcessing or TemplateProcessing")
        }
    }
}

extension WordPieceNormalizer {
    /// A `tokenizer.json` normalizer: `BertNormalizer`, or null (no normalisation).
    init(tokenizerJSON value: JSONValue?) throws {
        guard let value, value != .null else {
            self.init(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
            return
        }
        guard value["type"]?.stringValue == "BertNormalizer" else {
            throw BERTError.badTokenizer("normalizer \(value["type"]?.stringValue ?? "?") is not BertNormalizer")
        }
        self.init(cleanText: value["clean_text"]?.boolValue ?? true, handleChineseChars: value["handle_chinese_chars"]?.boolValue ?? true,
                  stripAccents: value["strip_accents"]?.boolValue, lowercase: value["lowercase"]?.boolValue ?? true)
    }
}
