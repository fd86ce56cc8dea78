import Foundation

/// BERT's basic tokenisation, exactly as Hugging Face `tokenizers`' `BertNormalizer` followed by
/// `BertPreTokenizer` (`normalizers/bert.rs`, `pre_tokenizers/bert.rs`), with tokenizers' own Unicode tables
/// (``WordPieceUnicodeTables``).
public struct WordPieceNormalizer: Sendable, Equatable {
    /// Remove control characters, NUL and U+FFFD; turn every kind of whitespace into a space.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs, so that each becomes a word.
    public var handleChineseChars: Bool
    /// Remove non-spacing marks after canonical decomposition (NFD); nil follows ``lowercase``.
    public var stripAccents: Bool?
    /// Lower-case (Unicode full mapping, character by character).
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalised scalars of `text`, in tokenizers' order: clean, CJK spacing, accents, lower case.
    public func normalize<S: Sequence<Unicode.Scalar>>(_ text: S) -> [Unicode.Scalar] {
        let strip = stripAccents ?? lowercase
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.underestimatedCount)
        for scalar in text {
            var s = scalar
            if cleanText {
                if Self.contains(WordPieceUnicodeTables.removed, s) { continue }
                if s != " ", Self.contains(WordPieceUnicodeTables.whitespace, s) { s = " " }
            }
            let spaced = handleChineseChars && Self.contains(WordPieceUnicodeTables.chinese, s)
            if spaced { out.append(" ") }
            if s.isASCII {
                out.append(lowercase && s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(s.value + 0x20)! : s)
            } else if strip, !WordPieceUnicodeTables.noDecomposition.contains(s.value) {
                for part in String(s).decomposedStringWithCanonicalMapping.unicodeScalars
                where !Self.contains(WordPieceUnicodeTables.mark, part) {
                    appendCased(part, to: &out)
                }
            } else {
                appendCased(s, to: &out)
            }
            if spaced { out.append(" ") }
        }
        return out
    }

    private func appendCased(_ scalar: Unicode.Scalar, to out: inout [Unicode.Scalar]) {
        if lowercase { out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) } else { out.append(scalar) }
    }

    /// Words of normalised text as `BertPreTokenizer` splits it: at whitespace (dropped), and around every
    /// punctuation character (kept as a word of its own).
    public static func words(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, s) in scalars.enumerated() {
            let space = isWhitespace(s), punctuation = !space && contains(WordPieceUnicodeTables.punctuation, s)
            guard space || punctuation else { continue }
            if start < i { words.append(scalars[start..<i]) }
            if punctuation { words.append(scalars[i...i]) }
            start = i + 1
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    /// Rust's `char::is_whitespace` (the White_Space property).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20, 0x0B, 0x0C, 0x85: true
        default: contains(WordPieceUnicodeTables.whitespace, s)
        }
    }

    /// True when `s` lies in one of the sorted, disjoint `ranges` (binary search).
    static func contains(_ ranges: [ClosedRange<UInt32>], _ s: Unicode.Scalar) -> Bool {
        let v = s.value
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < v { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].contains(v)
    }
}
