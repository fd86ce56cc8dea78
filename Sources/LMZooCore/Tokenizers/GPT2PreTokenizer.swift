/// GPT-2's pre-tokenisation (OpenAI `encoder.py`, Hugging Face `ByteLevel(use_regex: true)`):
/// the pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// matched by hand over Unicode scalars (first alternative that matches wins, each greedy).
public enum GPT2PreTokenizer {
    private enum Class { case letter, number, space, other }

    private static func classify(_ scalar: Unicode.Scalar) -> Class {
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The pieces of `text`, in order; concatenated they are `text`.
    public static func split(_ text: String) -> [Substring] {
        let scalars = text.unicodeScalars
        let indices = Array(scalars.indices) + [scalars.endIndex]
        let classes = scalars.map(classify)
        let n = classes.count
        var pieces: [Substring] = []
        var i = 0
        func emit(_ end: Int) {
            pieces.append(Substring(scalars[indices[i]..<indices[end]]))
            i = end
        }
        func run(from start: Int, of kind: Class) -> Int {
            var end = start
            while end < n, classes[end] == kind { end += 1 }
            return end
        }
        while i < n {
            let c = scalars[indices[i]]
            if c == "'", let length = contractionLength(scalars, indices, at: i + 1, count: n) {
                emit(i + 1 + length)
                continue
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            let start = (c == " " && i + 1 < n && classes[i + 1] != .space) ? i + 1 : i
            if classes[start] != .space {
                emit(run(from: start, of: classes[start]))
                continue
            }
            // `\s+(?!\S)` then `\s+`: a whitespace run, leaving its last scalar to the next word.
            let end = run(from: i, of: .space)
            emit(end == n || end - i == 1 ? end : end - 1)
        }
        return pieces
    }

    /// Length of `s|t|re|ve|m|ll|d` after an apostrophe at `index`, if one follows.
    private static func contractionLength(_ scalars: String.UnicodeScalarView, _ indices: [String.UnicodeScalarView.Index],
                                          at index: Int, count n: Int) -> Int? {
        guard index < n else { return nil }
        let first = scalars[indices[index]]
        if "stmd".unicodeScalars.contains(first) { return 1 }
        guard index + 1 < n else { return nil }
        let pair = String(first) + String(scalars[indices[index + 1]])
        return ["re", "ve", "ll"].contains(pair) ? 2 : nil
    }
}
