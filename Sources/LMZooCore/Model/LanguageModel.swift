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

    /// Tokenizes `text` and scores the ids. The scored tokens are the last ``ScoreResult/tokenCount``
    /// ids; the bytes of a first id that is only context (no `bos`, no start distribution) are left out
    /// of ``ScoreResult/utf8Bytes``. With an ``OpenVocabularyTokenizer``, scored OOV pieces are counted
    /// and their spellings charged.
    public func score(text: String, bos: Bool) throws -> ScoreResult {
        let open = (tokenizer as? any OpenVocabularyTokenizer).flatMap { $0.unknownID == nil ? nil : $0 }
        let (ids, unknown): ([Int], [String?])
        if let open {
            (ids, unknown) = try open.encodeMarkingUnknown(text)
        } else {
            ids = try tokenizer.encode(text)
            unknown = []
        }
        let result = try score(ids: ids, bos: bos)
        let firstScored = max(0, ids.count - result.tokenCount)
        let unscoredBytes = (0..<firstScored).reduce(0) { total, position in
            total + ((unknown.isEmpty ? nil : unknown[position]) ?? tokenizer.decode([ids[position]])).utf8.count
        }
        guard let open else {
            return ScoreResult(perToken: result.perToken, utf8Bytes: max(0, text.utf8.count - unscoredBytes))
        }
        let oov = unknown[firstScored...].compactMap { $0 }, spelling = open.spelling
        return ScoreResult(perToken: result.perToken, utf8Bytes: max(0, text.utf8.count - unscoredBytes), oovCount: oov.count,
                           spellingLogProb: oov.reduce(0) { $0 + spelling.logProb(of: $1) })
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
///
/// Bits per byte has one definition, used by `score`, `bench` and `serve` alike:
/// `-(logprob + spelling_logprob) / ln 2 / utf8Bytes`, where `utf8Bytes` counts the UTF-8 bytes of
/// the text the scored tokens cover (a first token that is only context, not scored, is left out) and
/// `spelling_logprob` is what the OOV pieces' spellings cost (``SpellingModel``; 0 for models that
/// cannot have OOV). With no token scored there is no figure (nil), never 0.
public struct ScoreResult: Equatable, Sendable {
    /// Natural-log probability of each scored token.
    public let perToken: [Double]
    /// UTF-8 bytes of the text the scored tokens cover, when known (enables ``bitsPerByte``).
    public let utf8Bytes: Int?
    /// Scored tokens that stand for a piece outside the vocabulary (`<unk>`, `[UNK]`); nil for models
    /// that cannot have any (byte-level vocabularies, or no unknown token).
    public let oovCount: Int?
    /// Natural-log probability of the OOV pieces' spellings (0 when there are none or they are not known).
    public let spellingLogProb: Double

    public init(perToken: [Double], utf8Bytes: Int?, oovCount: Int? = nil, spellingLogProb: Double = 0) {
        self.perToken = perToken
        self.utf8Bytes = utf8Bytes
        self.oovCount = oovCount
        self.spellingLogProb = spellingLogProb
    }

    /// The results of consecutive pieces of one text, as one (tokens concatenated, counts added).
    public init(concatenating parts: [ScoreResult]) {
        let bytes = parts.map(\.utf8Bytes)
        let oov = parts.map(\.oovCount)
        self.init(perToken: parts.flatMap(\.perToken),
                  utf8Bytes: bytes.contains(nil) || bytes.isEmpty ? nil : bytes.reduce(0) { $0 + $1! },
                  oovCount: oov.allSatisfy { $0 == nil } ? nil : oov.reduce(0) { $0 + ($1 ?? 0) },
                  spellingLogProb: parts.reduce(0) { $0 + $1.spellingLogProb })
    }

    /// Number of scored tokens.
    public var tokenCount: Int { perToken.count }
    /// Natural-log total.
    public var logProb: Double { perToken.reduce(0, +) }
    /// Base-10 total (n-gram users' unit).
    public var log10Prob: Double { logProb / 2.302585092994046 }
    /// `exp(-logprob / tokens)`; nil with no tokens.
    public var perplexity: Double? { tokenCount == 0 ? nil : exp(-logProb / Double(tokenCount)) }
    /// `oov / tokens`; nil for models that cannot have OOV or with no tokens.
    public var oovRate: Double? {
        guard let oovCount, tokenCount > 0 else { return nil }
        return Double(oovCount) / Double(tokenCount)
    }
    /// `-(logprob + spelling_logprob) / ln 2 / utf8Bytes` (see the type's comment); nil with no scored
    /// token or when the byte count is unknown or zero.
    public var bitsPerByte: Double? {
        guard tokenCount > 0, let utf8Bytes, utf8Bytes > 0 else { return nil }
        return -(logProb + spellingLogProb) / 0.6931471805599453 / Double(utf8Bytes)
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
