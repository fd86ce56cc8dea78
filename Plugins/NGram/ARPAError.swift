/// Everything that can be wrong with an ARPA file (or lmzoo's binary form of an n-gram model).
/// Messages name the line, so that `lmzoo` prints `FILE: line N: ...`.
public enum ARPAError: Error, Equatable, CustomStringConvertible {
    /// No `\data\` line before the end of the file.
    case missingData
    /// A line in the `\data\` block that is not `ngram N=COUNT`.
    case badCountLine(line: Int, text: String)
    /// `ngram N=` lines must number the orders 1, 2, 3, ... in turn.
    case nonConsecutiveOrder(line: Int, expected: Int, found: Int)
    /// The `\data\` block declares no order.
    case noCounts(line: Int)
    /// More orders than lmzoo supports.
    case orderTooHigh(line: Int, order: Int, limit: Int)
    /// A count that is negative, not a number or absurdly large.
    case badCount(line: Int, text: String)
    /// Expected the header of the given section (`\2-grams:`), found something else or the end.
    case missingSection(line: Int, order: Int, found: String)
    /// A section holds fewer entries than `\data\` declares.
    case tooFewNGrams(line: Int, order: Int, declared: Int, found: Int)
    /// A section holds more entries than `\data\` declares.
    case tooManyNGrams(line: Int, order: Int, declared: Int)
    /// An entry with the wrong number of fields.
    case badFieldCount(line: Int, order: Int, fields: Int)
    /// A probability or backoff that is not a finite decimal number.
    case badNumber(line: Int, text: String)
    /// A backoff weight on an n-gram of the highest order.
    case backoffOnHighestOrder(line: Int)
    /// A word in an n-gram of order >= 2 that is not among the 1-grams.
    case unknownWord(line: Int, word: String)
    /// The same n-gram twice.
    case duplicateNGram(line: Int, ngram: String)
    /// The file ends before `\end\`.
    case missingEnd(line: Int)
    /// Something after `\end\` or a stray line where `\end\` belongs.
    case unexpectedLine(line: Int, text: String)
    /// A `.gz` file that zlib cannot inflate.
    case gzip(String)
    /// A `.gz` file inflates to more than ``ReaderLimits/compressionRatio`` times its size (a gzip bomb).
    case compressionRatio(compressed: Int, limit: Int)
    /// The file is larger than lmzoo accepts.
    case tooLarge(bytes: Int, limit: Int)
    /// lmzoo's binary form (safetensors tables) is inconsistent.
    case badBinary(String)

    public var description: String {
        switch self {
        case .missingData: "no \\data\\ section: not an ARPA file"
        case let .badCountLine(line, text): "line \(line): expected 'ngram N=COUNT' in \\data\\, found '\(text)'"
        case let .nonConsecutiveOrder(line, expected, found): "line \(line): \\data\\ lists order \(found) where order \(expected) was expected (orders must be 1, 2, 3, ...)"
        case let .noCounts(line): "line \(line): \\data\\ declares no n-gram counts"
        case let .orderTooHigh(line, order, limit): "line \(line): order \(order) is above the supported maximum \(limit)"
        case let .badCount(line, text): "line \(line): bad n-gram count '\(text)'"
        case let .missingSection(line, order, found): "line \(line): expected the \\\(order)-grams: section, found \(found.isEmpty ? "the end of the file" : "'\(found)'")"
        case let .tooFewNGrams(line, order, declared, found): "line \(line): the \\\(order)-grams: section has \(found) entries but \\data\\ declares \(declared)"
        case let .tooManyNGrams(line, order, declared): "line \(line): the \\\(order)-grams: section has more entries than the \(declared) \\data\\ declares"
        case let .badFieldCount(line, order, fields): "line \(line): a \(order)-gram entry needs a probability, \(order) word(s) and an optional backoff; found \(fields) field(s)"
        case let .badNumber(line, text): "line \(line): '\(text)' is not a finite number"
        case let .backoffOnHighestOrder(line): "line \(line): n-grams of the highest order cannot have a backoff weight"
        case let .unknownWord(line, word): "line \(line): word '\(word)' is not among the 1-grams"
        case let .duplicateNGram(line, ngram): "line \(line): duplicate n-gram '\(ngram)'"
        case let .missingEnd(line): "line \(line): the file ends before \\end\\ (truncated?)"
        case let .unexpectedLine(line, text): "line \(line): unexpected '\(text)'"
        case let .gzip(message): "gzip: \(message)"
        case let .compressionRatio(compressed, limit):
            "gzip: \(compressed) compressed bytes inflate past the compression ratio limit of \(limit):1 (gzip bomb?)"
        case let .tooLarge(bytes, limit): "\(bytes) bytes is more than the \(limit) bytes lmzoo reads"
        case let .badBinary(message): "not a valid lmzoo n-gram model: \(message)"
        }
    }
}
