import LMZooCore
import LMZooFormats

/// The HMM's symbols: a list (`vocab.json`, index = id) of characters or words, or none at all
/// (the model then works on ids only).
///
/// - every symbol one Unicode scalar: text is read scalar by scalar (Python's `list(text)`);
/// - otherwise: text is split on whitespace into words;
/// - no vocabulary: `encode` refuses text (``HMMError/noVocabulary``); ids print as numbers.
public struct HMMTokenizer: OpenVocabularyTokenizer {
    public enum Mode: String, Sendable { case characters, words, ids }

    /// The symbols, index = id (nil for an id-only model).
    public let symbols: [String]?
    public let mode: Mode
    public let vocabularySize: Int
    private let index: [String: Int]
    /// Characters by code point (Swift's `String` equality would merge canonically equivalent
    /// scalars such as U+212B and U+00C5, which Python keeps apart).
    private let scalarIndex: [UInt32: Int]

    /// A tokenizer over `symbols` (distinct, non-empty).
    public init(symbols: [String], source: String = "vocab.json") throws {
        let characters = symbols.allSatisfy { $0.unicodeScalars.count == 1 || $0 == Self.unknownSymbol }
        var index: [String: Int] = [:], scalarIndex: [UInt32: Int] = [:]
        for (id, symbol) in symbols.enumerated() {
            guard !symbol.isEmpty else { throw HMMError.badVocabulary(path: source, reason: "symbol \(id) is the empty string") }
            let fresh = characters && symbol != Self.unknownSymbol
                ? scalarIndex.updateValue(id, forKey: symbol.unicodeScalars.first!.value) == nil
                : index.updateValue(id, forKey: symbol) == nil
            guard fresh else { throw HMMError.badVocabulary(path: source, reason: "symbol \(symbol.debugDescription) appears twice") }
        }
        self.symbols = symbols
        self.index = index
        self.scalarIndex = scalarIndex
        vocabularySize = symbols.count
        spelling = SpellingModel(spellings: symbols.filter { $0 != Self.unknownSymbol })
        mode = characters ? .characters : .words
    }

    /// The symbol that stands for anything not in the vocabulary, when the vocabulary has it.
    public static let unknownSymbol = "<unk>"

    /// The id of ``unknownSymbol``, if the vocabulary has it: text with other symbols maps to it.
    public var unknownID: Int? { index[Self.unknownSymbol] }

    /// An id-only tokenizer for `vocabularySize` symbols.
    public init(idsOnly vocabularySize: Int) {
        symbols = nil
        index = [:]
        scalarIndex = [:]
        self.vocabularySize = vocabularySize
        spelling = SpellingModel(spellings: [String]())
        mode = .ids
    }

    /// The character vocabulary of `text`: its distinct Unicode scalars sorted by code point
    /// (as `sorted(set(text))` in Python).
    public static func characters(of text: String) throws -> HMMTokenizer {
        let scalars = Set(text.unicodeScalars.map(\.value)).sorted()
        return try HMMTokenizer(symbols: scalars.compactMap { Unicode.Scalar($0).map { String(Character($0)) } }, source: "corpus")
    }

    public func encode(_ text: String) throws -> [Int] { try encodeMarkingUnknown(text).ids }

    /// The ids of `text`, and the symbols (characters or words) that became ``unknownSymbol``.
    public func encodeMarkingUnknown(_ text: String) throws -> (ids: [Int], unknown: [String?]) {
        let refuse = { (symbol: String, position: Int) in HMMError.unknownSymbol(symbol, position: position) }
        switch mode {
        case .ids: throw HMMError.noVocabulary
        case .characters:
            return try markingUnknown(text.unicodeScalars, capacity: text.utf8.count, id: { scalarIndex[$0.value] },
                                      spelled: { String(Character($0)) }, refuse: refuse)
        case .words:
            return try markingUnknown(text.split(whereSeparator: \.isWhitespace), id: { index[String($0)] }, spelled: { String($0) },
                                      refuse: refuse)
        }
    }

    /// The spelling model of the symbols other than ``unknownSymbol``.
    public let spelling: SpellingModel

    public func decode(_ ids: [Int]) -> String {
        let tokens = ids.compactMap(token(for:))
        return mode == .characters ? tokens.joined() : tokens.joined(separator: " ")
    }

    public func token(for id: Int) -> String? {
        guard id >= 0, id < vocabularySize else { return nil }
        return symbols?[id] ?? String(id)
    }

    /// Reads `vocab.json` (a JSON list of strings) at `path`.
    public static func read(path: String) throws -> HMMTokenizer {
        let json = try JSONFile.read(path: path)
        guard let array = json.arrayValue else { throw HMMError.badVocabulary(path: path, reason: "expected a JSON list of symbols (index = id)") }
        let symbols = try array.enumerated().map { id, value in
            guard let symbol = value.stringValue else { throw HMMError.badVocabulary(path: path, reason: "entry \(id) is not a string") }
            return symbol
        }
        return try HMMTokenizer(symbols: symbols, source: path)
    }

    /// `vocab.json`'s bytes for this vocabulary (nil for an id-only tokenizer).
    public var json: String? { symbols.map { JSONValue.array($0.map(JSONValue.string)).compactText } }
}
