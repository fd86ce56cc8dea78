import Foundation

/// The open-vocabulary spelling model that makes bits per byte pay for the bytes of out-of-vocabulary
/// (OOV) pieces: a byte-level unigram model with an end-of-word symbol.
///
/// `P_spell(w) = P(end) * prod over the UTF-8 bytes b of w of P(b)`, where the 257 symbols (the 256
/// byte values and end) are estimated from the spellings of the model's own vocabulary, each word
/// type once, with add-one smoothing: `P(s) = (count(s) + 1) / (total + 257)`, every spelling adding
/// one count of end. An empty vocabulary gives every symbol `1/257`, i.e. about 8.006 bits per byte.
///
/// A word-level model scores an OOV word as its unknown token (`<unk>`); the figures that must pay
/// for every byte (bits per byte) add `log P_spell(word)` on top (``ScoreResult/spellingLogProb``).
public struct SpellingModel: Sendable, Equatable {
    /// Natural-log probabilities of the bytes 0...255, then of end-of-word (index 256).
    public let logProbs: [Double]

    /// The end-of-word symbol's index in ``logProbs``.
    public static let end = 256

    /// Estimates the model from `spellings` (the vocabulary's words, special tokens left out).
    public init<S: Sequence>(spellings: S) where S.Element: StringProtocol {
        self.init(byteSpellings: spellings.lazy.map(\.utf8))
    }

    /// Estimates the model from spellings given as UTF-8 bytes.
    public init<S: Sequence>(byteSpellings: S) where S.Element: Sequence<UInt8> {
        var counts = [Int](repeating: 0, count: 257)
        for word in byteSpellings {
            for byte in word { counts[Int(byte)] += 1 }
            counts[Self.end] += 1
        }
        self.init(counts: counts)
    }

    /// The model from raw counts: `counts[b]` occurrences of byte b in the spellings, `counts[256]` the
    /// number of spellings (add-one smoothing is applied here).
    public init(counts: [Int]) {
        precondition(counts.count == 257, "257 counts: the bytes and end-of-word")
        let total = Double(counts.reduce(0, +) + 257)
        logProbs = counts.map { log(Double($0 + 1) / total) }
    }

    /// `log P_spell` of the word spelled by `bytes` (natural log; the end symbol included).
    public func logProb<Bytes: Sequence>(ofBytes bytes: Bytes) -> Double where Bytes.Element == UInt8 {
        bytes.reduce(logProbs[Self.end]) { $0 + logProbs[Int($1)] }
    }

    /// `log P_spell(word)` (natural log).
    public func logProb(of word: some StringProtocol) -> Double { logProb(ofBytes: word.utf8) }
}

/// A tokenizer whose vocabulary is closed by an unknown token (`<unk>`): a piece outside the vocabulary
/// (a word, or a character for character-level vocabularies) becomes that one id. Scoring a text then
/// counts such pieces as OOV and charges their spelling (``SpellingModel``).
public protocol OpenVocabularyTokenizer: Tokenizer {
    /// The unknown token's id; nil when this vocabulary has none (text outside it is then refused, and
    /// there is no OOV to count).
    var unknownID: Int? { get }
    /// `encode(text)` with, for each id, the piece of `text` that became the unknown token (nil for a
    /// piece the vocabulary has, the literal unknown symbol included).
    func encodeMarkingUnknown(_ text: String) throws -> (ids: [Int], unknown: [String?])
    /// The spelling model estimated from this vocabulary's symbols (special tokens left out).
    var spelling: SpellingModel { get }
}

extension OpenVocabularyTokenizer {
    /// ``encodeMarkingUnknown(_:)`` for a text already cut into `pieces` (characters or words): each
    /// piece's `id`, else ``unknownID`` with the piece (as `spelled` spells it) marked unknown, else
    /// the error `refuse(spelled piece, position)` for a vocabulary without an unknown token.
    public func markingUnknown<Pieces: Sequence>(_ pieces: Pieces, capacity: Int = 0, id: (Pieces.Element) -> Int?,
                                                 spelled: (Pieces.Element) -> String,
                                                 refuse: (String, Int) -> any Error) throws -> (ids: [Int], unknown: [String?]) {
        var result: (ids: [Int], unknown: [String?]) = ([], [])
        result.ids.reserveCapacity(capacity)
        result.unknown.reserveCapacity(capacity)
        for (position, piece) in pieces.enumerated() {
            if let known = id(piece) {
                result.ids.append(known)
                result.unknown.append(nil)
            } else if let unknownID {
                result.ids.append(unknownID)
                result.unknown.append(spelled(piece))
            } else {
                throw refuse(spelled(piece), position)
            }
        }
        return result
    }
}
