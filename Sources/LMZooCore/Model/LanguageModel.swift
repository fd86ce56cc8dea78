import Foundation

/// The uniform interface every architecture plugin answers.
///
/// A plugin implements ``nextTokenLogProbs(context:)``; scoring and prediction follow from it by
/// the default implementations below, which a plugin overrides where it can do better (e.g. an
/// incremental state instead of re-reading the prefix).
public protocol LanguageModel: AnyObject {
    /// The registry name of the architecture (`ngram`, `hmm`, `lstm`, `gpt2`, `bert`).
    var architecture: String { get }
    /// The model's tokenizer.
    var tokenizer: any Tokenizer { get }
    /// Number of parameters (for catalogs and benchmarks).
    var parameterCount: Int { get }
    /// True for models with a start distribution (HMM, n-gram): they score the first token too.
    /// Models without one (GPT, LSTM) score tokens 2..n given their prefix.
    var scoresFirstToken: Bool { get }
    /// What `score` computes: a true log-likelihood, or a pseudo-log-likelihood (masked-LM models
    /// mask each token in turn); reports say which.
    var scoreKind: ScoreKind { get }

    /// Natural-log probabilities of every id as the token after `context`
    /// (`tokenizer.vocabularySize` entries).
    func nextTokenLogProbs(context: [Int]) throws -> [Float]

    /// `log P(ids[i] | ids[..<i])` for each scored position: all positions when
    /// ``scoresFirstToken``, else positions 1..<n.
    func tokenLogProbs(_ ids: [Int]) throws -> [Double]

    /// Scores an id sequence (CLI.md conventions; `bos` prepends the tokenizer's BOS id).
    func score(ids: [Int], bos: Bool) throws -> ScoreResult

    /// Scores a text. The default tokenizes it and scores the ids; a plugin overrides this where its
    /// convention differs (n-gram models score each line as a sentence with `<s>` ... `</s>`).
    func score(text: String, bos: Bool) throws -> ScoreResult
}

extension LanguageModel {
    public var scoresFirstToken: Bool { false }
    public var scoreKind: ScoreKind { .logLikelihood }

    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        let first = scoresFirstToken ? 0 : 1
        guard ids.count > first else { return [] }
        return try (first..<ids.count).map { position in
            Double(try nextTokenLogProbs(context: Array(ids[..<position]))[ids[position]])
        }
    }

    public func score(ids: [Int], bos: Bool) throws -> ScoreResult {
        var sequence = ids
        if bos {
            guard let bosID = tokenizer.bosID else { throw ModelError.noBOSToken(architecture: architecture) }
            sequence.insert(bosID, at: 0)
        }
        return ScoreResult(perToken: try tokenLogProbs(sequence), utf8Bytes: nil)
    }

    public func score(text: String, bos: Bool) throws -> ScoreResult {
        let result = try score(ids: try tokenizer.encode(text), bos: bos)
        return ScoreResult(perToken: result.perToken, utf8Bytes: text.utf8.count)
    }

    /// The `topK` most likely next tokens after `context`, most likely first.
    public func predict(context: [Int], topK: Int) throws -> [TokenPrediction] {
        try checkIDs(context)
        let logProbs = try nextTokenLogProbs(context: context)
        return TopK.indices(of: logProbs, k: topK).map {
            TokenPrediction(id: $0, token: tokenizer.token(for: $0) ?? "", logProb: Double(logProbs[$0]))
        }
    }

    /// Throws ``ModelError/idOutOfRange(_:vocabularySize:)`` for an id outside the vocabulary.
    public func checkIDs(_ ids: [Int]) throws {
        let size = tokenizer.vocabularySize
        if let bad = ids.first(where: { $0 < 0 || $0 >= size }) {
            throw ModelError.idOutOfRange(bad, vocabularySize: size)
        }
    }
}

/// One candidate next token.
public struct TokenPrediction: Equatable, Sendable {
    public let id: Int
    public let token: String
    /// Natural-log probability.
    public let logProb: Double

    public init(id: Int, token: String, logProb: Double) {
        self.id = id
        self.token = token
        self.logProb = logProb
    }
}

/// What a model's `score` measures.
public enum ScoreKind: String, Sendable {
    /// `sum log P(x_i | x_<i)` (and the first token from a start distribution where there is one).
    case logLikelihood = "log-likelihood"
    /// `sum log P(x_i | x_{-i})`, each token masked in turn (BERT-style models): not comparable with a
    /// true log-likelihood, only among masked-LM models.
    case pseudoLogLikelihood = "pseudo-log-likelihood"
    /// The model cannot score text (an encoder checkpoint without a language-model head).
    case unavailable = "none"
}

/// The log-likelihood of a sequence, with the derived figures CLI.md names.
public struct ScoreResult: Equatable, Sendable {
    /// Natural-log probability of each scored token.
    public let perToken: [Double]
    /// UTF-8 bytes of the scored text, when known (enables ``bitsPerByte``).
    public let utf8Bytes: Int?

    public init(perToken: [Double], utf8Bytes: Int?) {
        self.perToken = perToken
        self.utf8Bytes = utf8Bytes
    }

    /// Number of scored tokens.
    public var tokenCount: Int { perToken.count }
    /// Natural-log total.
    public var logProb: Double { perToken.reduce(0, +) }
    /// Base-10 total (n-gram users' unit).
    public var log10Prob: Double { logProb / 2.302585092994046 }
    /// `exp(-logprob / tokens)`; nil with no tokens.
    public var perplexity: Double? { tokenCount == 0 ? nil : exp(-logProb / Double(tokenCount)) }
    /// `-logprob / ln 2 / bytes`; nil when the byte count is unknown or zero.
    public var bitsPerByte: Double? {
        guard let utf8Bytes, utf8Bytes > 0 else { return nil }
        return -logProb / 0.6931471805599453 / Double(utf8Bytes)
    }
}

/// Errors a model raises on bad requests.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case idOutOfRange(Int, vocabularySize: Int)
    case noBOSToken(architecture: String)
    case emptyContext

    public var description: String {
        switch self {
        case let .idOutOfRange(id, size): "token id \(id) is outside the vocabulary (0..<\(size))"
        case let .noBOSToken(arch): "the \(arch) model's vocabulary has no BOS token"
        case .emptyContext: "the context is empty and the model has no start distribution"
        }
    }
}
