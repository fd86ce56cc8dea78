import Foundation

/// A token matched in raw text before normalisation (`tokenizers`' `AddedToken` with `normalized: false`):
/// BERT's `[CLS]`, `[SEP]`, `[MASK]`, ...
public struct WordPieceAddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Whitespace before the token is part of the match (and dropped).
    public var lstrip: Bool
    /// Whitespace after the token is part of the match (and dropped).
    public var rstrip: Bool
    /// Matches only as a whole word (no letter, digit or `_` beside it).
    public var singleWord: Bool
    /// Special tokens are dropped by ``WordPieceTokenizer/decode(_:)``.
    public var special: Bool

    public init(content: String, id: Int, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false, special: Bool = true) {
        self.content = content
        self.id = id
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
        self.special = special
    }
}

/// Ids and token-type ids of one encoded text or text pair.
public struct WordPieceEncoding: Equatable, Sendable {
    public var ids: [Int]
    /// 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`.
    public var typeIDs: [Int]

    public init(ids: [Int], typeIDs: [Int]) {
        self.ids = ids
        self.typeIDs = typeIDs
    }
}

/// A Hugging Face BERT tokenizer: added tokens split out of the raw text, ``WordPieceNormalizer``
/// (basic tokenisation), ``WordPiece`` sub-words, then `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with
/// token-type ids and longest-first truncation, as `BertTokenizerFast.__call__` returns them.
public struct WordPieceTokenizer: Tokenizer {
    public let normalizer: WordPieceNormalizer
    public let model: WordPiece
    /// Tokens matched in the raw text, longest first.
    public let addedTokens: [WordPieceAddedToken]
    /// `[CLS]` / `[SEP]` ids of the post-processor; nil adds no special tokens.
    public let clsID: Int?
    public let sepID: Int?
    /// The model's maximum sequence length (`model_max_length`, max positions), if known.
    public let maxLength: Int?

    public init(normalizer: WordPieceNormalizer, model: WordPiece, addedTokens: [WordPieceAddedToken],
                clsID: Int?, sepID: Int?, maxLength: Int?) {
        self.normalizer = normalizer
        self.model = model
        self.addedTokens = addedTokens.sorted { $0.content.unicodeScalars.count > $1.content.unicodeScalars.count }
        self.clsID = clsID
        self.sepID = sepID
        self.maxLength = maxLength
    }

    public var vocabularySize: Int { model.tokens.count }

    /// The id of `token` (an added token or a vocabulary entry).
    public func id(of token: String) -> Int? { addedTokens.first { $0.content == token }?.id ?? model.ids[token] }

    public var maskID: Int? { id(of: "[MASK]") }
    public var padID: Int? { id(of: "[PAD]") }

    /// `[CLS] text [SEP]`, not truncated (as `__call__` without `truncation`).
    public func encode(_ text: String) throws -> [Int] { encode(text, pair: nil, maxLength: nil).ids }

    /// `[CLS] text [SEP] (pair [SEP])`, truncated longest-first to `maxLength` ids in all when given.
    public func encode(_ text: String, pair: String?, maxLength: Int?) -> WordPieceEncoding {
        var first = pieces(text)
        var second = pair.map(pieces)
        let specials = (clsID == nil ? 0 : 1) + (sepID == nil ? 0 : 1) + (pair != nil && sepID != nil ? 1 : 0)
        if let maxLength {
            Self.truncateLongestFirst(&first, &second, to: max(maxLength - specials, 0))
        }
        var ids: [Int] = [], types: [Int] = []
        if let clsID { ids.append(clsID); types.append(0) }
        ids += first
        if let sepID { ids.append(sepID) }
        types += [Int](repeating: 0, count: ids.count - types.count)
        if let second {
            ids += second
            if let sepID { ids.append(sepID) }
            types += [Int](repeating: 1, count: ids.count - types.count)
        }
        return WordPieceEncoding(ids: ids, typeIDs: types)
    }

    /// The ids of `text` without `[CLS]` / `[SEP]`.
    public func pieces(_ text: String) -> [Int] {
        var out: [Int] = []
        for segment in split(Array(text.unicodeScalars)) {
            switch segment {
            case let .added(id): out.append(id)
            case let .text(scalars):
                for word in WordPieceNormalizer.words(normalizer.normalize(scalars)) { model.encode(word: word, into: &out) }
            }
        }
        return out
    }

    /// tokenizers' `TruncationStrategy::LongestFirst`: the longer sequence loses tokens first; when both
    /// must be cut, the first keeps `budget / 2` and the second the rest.
    static func truncateLongestFirst(_ a: inout [Int], _ b: inout [Int]?, to budget: Int) {
        guard var second = b else {
            if a.count > budget { a.removeSubrange(budget...) }
            return
        }
        guard a.count + second.count > budget else { return }
        var n1 = min(a.count, second.count), n2 = max(a.count, second.count)
        n2 = n1 > budget ? n1 : max(n1, budget - n1)
        if n1 + n2 > budget { n1 = budget / 2; n2 = n1 + budget % 2 }
        let (keepA, keepB) = a.count > second.count ? (n2, n1) : (n1, n2)
        if a.count > keepA { a.removeSubrange(keepA...) }
        if second.count > keepB { second.removeSubrange(keepB...) }
        b = second
    }

    private enum Segment {
        case text(ArraySlice<Unicode.Scalar>)
        case added(Int)
    }

    /// Splits raw text at added tokens (leftmost, then longest match).
    private func split(_ scalars: [Unicode.Scalar]) -> [Segment] {
        guard !addedTokens.isEmpty else { return [.text(scalars[...])] }
        let patterns = addedTokens.map { Array($0.content.unicodeScalars) }
        var segments: [Segment] = []
        var textStart = 0, i = 0
        while i < scalars.count {
            var matched: (token: WordPieceAddedToken, start: Int, end: Int)?
            for (k, pattern) in patterns.enumerated() where !pattern.isEmpty && scalars[i] == pattern[0] {
                let end = i + pattern.count
                guard end <= scalars.count, scalars[i..<end].elementsEqual(pattern) else { continue }
                let token = addedTokens[k]
                if token.singleWord, (i > 0 && Self.isWordScalar(scalars[i - 1])) || (end < scalars.count && Self.isWordScalar(scalars[end])) {
                    continue
                }
                var start = i, stop = end
                if token.lstrip { while start > textStart, WordPieceNormalizer.isWhitespace(scalars[start - 1]) { start -= 1 } }
                if token.rstrip { while stop < scalars.count, WordPieceNormalizer.isWhitespace(scalars[stop]) { stop += 1 } }
                matched = (token, start, stop)
                break
            }
            guard let match = matched else { i += 1; continue }
            if textStart < match.start { segments.append(.text(scalars[textStart..<match.start])) }
            segments.append(.added(match.token.id))
            textStart = match.end
            i = match.end
        }
        if textStart < scalars.count { segments.append(.text(scalars[textStart...])) }
        return segments
    }

    private static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Tokens joined by spaces, `##` continuations glued, special tokens dropped, and spaces before
    /// punctuation and contractions removed (tokenizers' WordPiece decoder with `cleanup`).
    public func decode(_ ids: [Int]) -> String {
        let special = Set(addedTokens.filter(\.special).map(\.id))
        var text = ""
        for id in ids where !special.contains(id) {
            guard let token = token(for: id) else { continue }
            if token.hasPrefix(model.continuingPrefix), !text.isEmpty {
                text += token.dropFirst(model.continuingPrefix.count)
            } else {
                if !text.isEmpty { text += " " }
                text += token
            }
        }
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text
    }

    public func token(for id: Int) -> String? {
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }
}
