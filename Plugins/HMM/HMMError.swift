import LMZooCore

/// Everything the HMM plugin refuses, each case with a message that names the array, the row or
/// the symbol at fault. Library code throws these; only the CLI prints them.
public enum HMMError: Error, Equatable, CustomStringConvertible {
    /// A parameter array is absent (`startprob`, `transmat`, `emissionprob`).
    case missingArray(String)
    /// An array has the wrong number of dimensions.
    case wrongRank(array: String, shape: [Int], expected: Int)
    /// An array's shape disagrees with the others (or with the config).
    case shapeMismatch(array: String, shape: [Int], expected: [Int])
    /// An array's element type is not floating point.
    case unsupportedDType(array: String, dtype: String)
    /// A model needs at least one state and one symbol.
    case empty(array: String)
    /// A NaN or infinite entry.
    case notFinite(array: String, row: Int, column: Int)
    /// A negative probability.
    case negative(array: String, row: Int, column: Int, value: Double)
    /// A distribution (a row; `row` is nil for `startprob`) that does not sum to 1 within 1e-6.
    case notStochastic(array: String, row: Int?, sum: Double)
    /// `config.json` disagrees with the arrays or is malformed.
    case badConfig(String)
    /// The vocabulary file is malformed.
    case badVocabulary(path: String, reason: String)
    /// The vocabulary has a different number of symbols than the emission matrix has columns.
    case vocabularySizeMismatch(path: String, symbols: Int, vocabularySize: Int)
    /// Text contains a symbol that is not in the vocabulary.
    case unknownSymbol(String, position: Int)
    /// The model has no vocabulary file, so text cannot be turned into ids.
    case noVocabulary
    /// A context whose probability under the model is zero (no next-symbol distribution exists).
    case impossibleContext(position: Int)
    /// Baum-Welch got no observations.
    case noTrainingData
    /// A training sequence has probability zero under the current parameters.
    case impossibleTrainingSequence(sequence: Int, position: Int)
    /// After training, a state is never visited (its rows are all zero).
    case unvisitedState(Int)
    /// A training option out of range.
    case badOption(name: String, value: String, reason: String)
    /// The corpus is not UTF-8 or cannot be read.
    case badCorpus(path: String, reason: String)

    private static func name(_ array: String, _ row: Int, _ column: Int) -> String {
        array == "startprob" ? "startprob[\(column)]" : "\(array)[\(row), \(column)]"
    }

    public var description: String {
        switch self {
        case let .missingArray(name): "missing array '\(name)' (an HMM needs startprob, transmat and emissionprob)"
        case let .wrongRank(array, shape, expected): "\(array) has shape \(Shape.describe(shape)); expected \(expected) dimensions"
        case let .shapeMismatch(array, shape, expected): "\(array) has shape \(Shape.describe(shape)); expected \(Shape.describe(expected))"
        case let .unsupportedDType(array, dtype): "\(array) has dtype \(dtype); expected a floating-point array"
        case let .empty(array): "\(array) is empty: an HMM needs at least one state and one symbol"
        case let .notFinite(array, row, column): "\(HMMError.name(array, row, column)) is not a finite number"
        case let .negative(array, row, column, value): "\(HMMError.name(array, row, column)) is negative (\(value))"
        case let .notStochastic(array, row, sum):
            row.map { "\(array) row \($0) sums to \(sum), not 1 (tolerance 1e-6)" } ?? "\(array) sums to \(sum), not 1 (tolerance 1e-6)"
        case let .badConfig(reason): "config.json: \(reason)"
        case let .badVocabulary(path, reason): "\(path): \(reason)"
        case let .vocabularySizeMismatch(path, symbols, size): "\(path): \(symbols) symbols, but the emission matrix has \(size) columns"
        case let .unknownSymbol(symbol, position): "symbol \(symbol.debugDescription) at position \(position) is not in the model's vocabulary"
        case .noVocabulary: "this HMM has no vocabulary (vocab.json): give token ids (--ids) instead of text"
        case let .impossibleContext(position): "the context has probability zero under the model (from position \(position) on)"
        case .noTrainingData: "no observations to train on"
        case let .impossibleTrainingSequence(sequence, position):
            "training sequence \(sequence) has probability zero under the current parameters (at position \(position))"
        case let .unvisitedState(state): "state \(state) is never visited after training; use fewer states or more data"
        case let .badOption(name, value, reason): "--\(name) \(value): \(reason)"
        case let .badCorpus(path, reason): "\(path): \(reason)"
        }
    }
}
