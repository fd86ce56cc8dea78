import LMZooCore

/// A Hugging Face model directory's vocabulary, read from `tokenizer.json`, or from
/// `vocab.json` + `merges.txt` (byte-level BPE, GPT-2), or from `vocab.txt` (WordPiece, BERT).
public struct HFVocabulary: Sendable, Equatable {
    /// The tokenizer model: `BPE` or `WordPiece`.
    public enum Kind: String, Sendable { case bpe = "BPE", wordPiece = "WordPiece" }

    public let kind: Kind
    /// Token strings by id (index = id).
    public let tokens: [String]
    /// BPE merges as `"left right"`, in priority order (empty for WordPiece).
    public let merges: [String]
    /// Ids of special (control) tokens such as `<|endoftext|>` or `[CLS]`.
    public let specialIDs: Set<Int>

    /// The id of `token`, if it is in the vocabulary.
    public func id(of token: String) -> Int? { tokens.firstIndex(of: token) }

    /// Largest vocabulary file accepted.
    static let maxFileSize = ReaderLimits.vocabularyFileBytes

    /// Reads the vocabulary files of `directory` (preferring `tokenizer.json`).
    public static func read(directory: String) throws -> HFVocabulary {
        let tokenizerJSON = Paths.join(directory, "tokenizer.json")
        if Paths.exists(tokenizerJSON) { return try fromTokenizerJSON(tokenizerJSON) }
        let vocabJSON = Paths.join(directory, "vocab.json"), mergesTXT = Paths.join(directory, "merges.txt")
        if Paths.exists(vocabJSON) { return try readBPE(vocabJSON: vocabJSON, merges: mergesTXT) }
        let vocabTXT = Paths.join(directory, "vocab.txt")
        if Paths.exists(vocabTXT) {
            let tokens = try lines(vocabTXT)
            let special = Set(tokens.indices.filter { tokens[$0].hasPrefix("[") && tokens[$0].hasSuffix("]") })
            return HFVocabulary(kind: .wordPiece, tokens: tokens, merges: [], specialIDs: special)
        }
        throw LocatedError(path: directory, HFVocabularyError.noVocabulary)
    }

    /// A byte-level BPE vocabulary from a `{token: id}` file (`vocab.json`, OpenAI's `encoder.json`)
    /// and a merges file (`merges.txt`, `vocab.bpe`; absent = no merges).
    public static func readBPE(vocabJSON: String, merges mergesPath: String) throws -> HFVocabulary {
        let vocab = try JSONFile.read(path: vocabJSON, limit: maxFileSize)
        let merges = Paths.exists(mergesPath) ? try mergesFromText(mergesPath) : []
        return try LocatedError.at(vocabJSON) { try HFVocabulary(kind: .bpe, vocabulary: vocab, merges: merges, added: []) }
    }

    init(kind: Kind, tokens: [String], merges: [String], specialIDs: Set<Int>) {
        self.kind = kind
        self.tokens = tokens
        self.merges = merges
        self.specialIDs = specialIDs
    }

    /// From a `{token: id}` map plus added tokens: ids must be exactly `0..<n`.
    init(kind: Kind, vocabulary: JSONValue, merges: [String], added: [(id: Int, content: String, special: Bool)]) throws {
        guard let map = vocabulary.objectValue else { throw HFVocabularyError.malformed("vocabulary is not a {token: id} object") }
        var byID: [Int: String] = [:]
        for (token, value) in map.entries {
            guard let id = value.intValue, id >= 0 else { throw HFVocabularyError.malformed("id of '\(token)' is not a non-negative integer") }
            guard byID.updateValue(token, forKey: id) == nil else { throw HFVocabularyError.malformed("id \(id) is used twice") }
        }
        for token in added where byID[token.id] == nil { byID[token.id] = token.content }
        guard let maxID = byID.keys.max(), byID.count == maxID + 1 else {
            throw HFVocabularyError.malformed("ids are not contiguous from 0")
        }
        self.init(kind: kind, tokens: (0...maxID).map { byID[$0]! }, merges: merges,
                  specialIDs: Set(added.filter(\.special).map(\.id)))
    }

    static func fromTokenizerJSON(_ path: String) throws -> HFVocabulary {
        let json = try JSONFile.read(path: path, limit: maxFileSize)
        return try LocatedError.at(path) {
            guard let model = json["model"], let type = model["type"]?.stringValue, let kind = Kind(rawValue: type) else {
                throw HFVocabularyError.malformed("model.type is not BPE or WordPiece")
            }
            guard let vocab = model["vocab"] else { throw HFVocabularyError.malformed("model.vocab is missing") }
            let merges = try (model["merges"]?.arrayValue ?? []).map { merge -> String in
                if let text = merge.stringValue { return text }  // "Ġ t" (tokenizers < 0.20)
                if let pair = merge.arrayValue?.compactMap(\.stringValue), pair.count == 2 { return pair.joined(separator: " ") }
                throw HFVocabularyError.malformed("a merge is neither \"a b\" nor [\"a\", \"b\"]")
            }
            let added = try (json["added_tokens"]?.arrayValue ?? []).map { token -> (Int, String, Bool) in
                guard let id = token["id"]?.intValue, let content = token["content"]?.stringValue else {
                    throw HFVocabularyError.malformed("an added token lacks id or content")
                }
                return (id, content, token["special"]?.boolValue ?? false)
            }
            return try HFVocabulary(kind: kind, vocabulary: vocab, merges: merges, added: added)
        }
    }

    static func mergesFromText(_ path: String) throws -> [String] {
        try lines(path).filter { !$0.hasPrefix("#version") && !$0.isEmpty }
    }

    static func lines(_ path: String) throws -> [String] {
        let file = try MappedFile(path: path)
        guard file.count <= maxFileSize else { throw LocatedError(path: path, JSONFileError.tooLarge(size: file.count, limit: maxFileSize)) }
        guard let text = String(validating: file.bytes, as: UTF8.self) else { throw LocatedError(path: path, HFVocabularyError.malformed("not UTF-8")) }
        var result = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if result.last == "" { result.removeLast() }
        return result
    }
}

/// Why a vocabulary could not be read.
public enum HFVocabularyError: Error, Equatable, CustomStringConvertible {
    case noVocabulary
    case malformed(String)

    public var description: String {
        switch self {
        case .noVocabulary: "no tokenizer.json, vocab.json or vocab.txt"
        case let .malformed(what): "vocabulary: \(what)"
        }
    }
}

extension HFVocabulary {
    /// The byte-level BPE tokenizer of a ``Kind/bpe`` vocabulary, its special tokens (and
    /// `<|endoftext|>`) kept whole.
    public func byteLevelBPETokenizer() throws -> ByteLevelBPETokenizer {
        let special = specialIDs.map { tokens[$0] } + ["<|endoftext|>"]
        return try ByteLevelBPETokenizer(tokens: tokens, merges: merges, specialTokens: Array(Set(special)))
    }
}
