/// The WordPiece model: greedy longest-match-first sub-words, continuations prefixed `##`, a word the
/// vocabulary cannot cover (or longer than ``maxInputCharsPerWord``) becomes one unknown token
/// (`tokenizers`' `models/wordpiece`, Google BERT's `WordpieceTokenizer`).
public struct WordPiece: Sendable {
    /// Token strings by id.
    public let tokens: [String]
    /// Id of each token string (the first id when a string appears twice).
    public let ids: [String: Int]
    /// The unknown token's id.
    public let unknownID: Int
    /// Prefix of tokens that continue a word.
    public let continuingPrefix: String
    /// Words of more characters (Unicode scalars) than this become the unknown token.
    public let maxInputCharsPerWord: Int

    /// Throws ``WordPieceError/missingToken(_:)`` when the vocabulary lacks `unknownToken`.
    public init(tokens: [String], unknownToken: String = "[UNK]", continuingPrefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        guard let unknownID = ids[unknownToken] else { throw WordPieceError.missingToken(unknownToken) }
        self.tokens = tokens
        self.ids = ids
        self.unknownID = unknownID
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    /// Appends the ids of one word (normalised, no whitespace) to `out`.
    public func encode(word: ArraySlice<Unicode.Scalar>, into out: inout [Int]) {
        guard word.count <= maxInputCharsPerWord else { out.append(unknownID); return }
        let mark = out.count
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int?
            while start < end {
                var piece = start == word.startIndex ? "" : continuingPrefix
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = ids[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(unknownID)
                return
            }
            out.append(id)
            start = end
        }
    }
}

/// Why a WordPiece vocabulary or tokenizer configuration cannot be used.
public enum WordPieceError: Error, Equatable, CustomStringConvertible {
    /// A token the configuration names is not in the vocabulary.
    case missingToken(String)
    /// A setting with a value the tokenizer cannot use.
    case badSetting(String)

    public var description: String {
        switch self {
        case let .missingToken(token): "WordPiece vocabulary has no token \(token.debugDescription)"
        case let .badSetting(what): "WordPiece tokenizer: \(what)"
        }
    }
}
