import LMZooCore

/// How a text is scored: the one definition `lmzoo score`, `lmzoo bench` and `serve`'s `/v1/score` share,
/// so that they report the same figures for the same text (CLI.md, "Scoring conventions").
///
/// - The text is cut after line breaks into pieces of at least ``chunkBytes`` UTF-8 bytes (a shorter
///   text is one piece); each piece is scored from a fresh context (n-gram models score each line as a
///   sentence anyway). The pieces' results are added up (``ScoreResult/init(concatenating:)``).
/// - A model with a BOS token that has no start distribution (GPT, an LSTM with `<bos>`/`<s>`) scores
///   each piece from BOS unless `bos` is false, so every token of the text is scored; without BOS the
///   first token of each piece is context only and its bytes are not counted.
/// - Bits per byte is ``ScoreResult/bitsPerByte`` of the total.
public enum TextScoring {
    /// Minimum bytes per scored piece.
    public static let chunkBytes = 8192

    /// Whether `model` scores a text from its BOS token when the caller does not say.
    public static func startsAtBOS(_ model: any LanguageModel) -> Bool {
        model.tokenizer.bosID != nil && !model.scoresFirstToken
    }

    /// Scores `text` with `model`; `bos` nil takes ``startsAtBOS(_:)``. `progress` receives the fraction
    /// of the text's bytes scored so far.
    public static func score(_ model: any LanguageModel, text: String, bos: Bool? = nil,
                             progress: (Double) -> Void = { _ in }) throws -> ScoreResult {
        let fromBOS = bos ?? startsAtBOS(model)
        let pieces = chunk(text)
        let totalBytes = max(text.utf8.count, 1)
        var results: [ScoreResult] = [], doneBytes = 0
        progress(0)
        for piece in pieces {
            results.append(try model.score(text: piece, bos: fromBOS))
            doneBytes += piece.utf8.count
            progress(Double(doneBytes) / Double(totalBytes))
        }
        return results.count == 1 ? results[0] : ScoreResult(concatenating: results)
    }

    /// `text` cut after line breaks into pieces of at least ``chunkBytes`` (the last may be shorter;
    /// an empty text is one empty piece).
    static func chunk(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var pieces: [String] = []
        var start = 0
        for end in bytes.indices where bytes[end] == UInt8(ascii: "\n") && end + 1 - start >= chunkBytes {
            pieces.append(String(decoding: bytes[start...end], as: UTF8.self))
            start = end + 1
        }
        if start < bytes.count || pieces.isEmpty { pieces.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return pieces
    }
}
