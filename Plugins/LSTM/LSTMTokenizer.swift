import Foundation
import LMZooCore
import LMZooFormats

/// The vocabulary of a word_language_model-style model: `vocab.json`, a list of symbols (index = id),
/// read as characters (every symbol one character) or whitespace-separated words. Unknown symbols map
/// to `<unk>` when the vocabulary has it. Without a vocabulary file, ids still work and text does not.
public struct LSTMTokenizer: OpenVocabularyTokenizer {
    /// The symbols by id, nil without a vocabulary file.
    public let symbols: [String]?
    /// True: one id per character; false: one id per whitespace-separated word.
    public let characters: Bool
    public let vocabularySize: Int
    private let ids: [String: Int]
    /// The spelling model of the symbols other than `<unk>`, `<bos>`, `<s>`, `<eos>`.
    public let spelling: SpellingModel

    public init(symbols: [String]?, vocabularySize: Int, characters: Bool? = nil) {
        self.symbols = symbols
        self.vocabularySize = vocabularySize
        self.characters = characters ?? (symbols?.allSatisfy { $0.count == 1 } ?? false)
        var ids: [String: Int] = [:]
        for (id, symbol) in (symbols ?? []).enumerated() where ids[symbol] == nil { ids[symbol] = id }
        self.ids = ids
        spelling = SpellingModel(spellings: (symbols ?? []).filter { !["<unk>", "<bos>", "<s>", "<eos>"].contains($0) })
    }

    /// Reads `path` (a JSON list of strings) for a model of `vocabularySize` ids; `tokenization`
    /// is config.json's `characters` / `words`, or nil to decide from the symbols.
    public static func read(path: String, vocabularySize: Int, tokenization: String?) throws -> LSTMTokenizer {
        guard let list = try JSONFile.read(path: path).arrayValue else {
            throw LocatedError(path: path, LSTMError.badVocabulary("expected a JSON list of symbols"))
        }
        let symbols = try list.enumerated().map { index, value in
            guard let text = value.stringValue else {
                throw LocatedError(path: path, LSTMError.badVocabulary("entry \(index) is not a string"))
            }
            return text
        }
        guard symbols.count == vocabularySize else {
            throw LocatedError(path: path, LSTMError.badVocabulary("\(symbols.count) symbols for a model of vocab_size \(vocabularySize)"))
        }
        let characters: Bool?
        switch tokenization {
        case nil: characters = nil
        case "characters"?, "chars"?, "char"?: characters = true
        case "words"?, "word"?: characters = false
        case let other?: throw LSTMError.badConfig("tokenization is \"\(other)\", expected \"characters\" or \"words\"")
        }
        return LSTMTokenizer(symbols: symbols, vocabularySize: vocabularySize, characters: characters)
    }

    public func encode(_ text: String) throws -> [Int] { try encodeMarkingUnknown(text).ids }

    /// The ids of `text`, and the pieces (characters or words) that became `<unk>`.
    public func encodeMarkingUnknown(_ text: String) throws -> (ids: [Int], unknown: [String?]) {
        guard symbols != nil else { throw LSTMError.noVocabulary }
        let pieces = characters ? text.map { String($0) } : text.split(whereSeparator: \.isWhitespace).map(String.init)
        return try markingUnknown(pieces, id: { ids[$0] }, spelled: { $0 }, refuse: { piece, _ in LSTMError.unknownSymbol(piece) })
    }

    /// The id of `<unk>`, when the vocabulary has it.
    public var unknownID: Int? { ids["<unk>"] }

    public func decode(_ ids: [Int]) -> String {
        ids.compactMap(token(for:)).joined(separator: characters ? "" : " ")
    }

    public func token(for id: Int) -> String? {
        guard id >= 0, id < vocabularySize else { return nil }
        guard let symbols else { return String(id) }
        return symbols[id]
    }

    public var eosID: Int? { ids["<eos>"] }
    public var bosID: Int? { ids["<bos>"] ?? ids["<s>"] }
}
