import LMZooCore

/// One model's line in `lmzoo bench` (fields as ../shared/CLI.md names them).
public struct BenchRow: Sendable, Equatable {
    /// The MODEL argument (catalog name or path).
    public var model: String
    /// Architecture plugin name.
    public var architecture: String
    /// Parameter count.
    public var parameters: Int
    /// Bytes of the model's files on disk.
    public var fileBytes: Int
    /// Seconds to load (including sha256 verification for catalog models).
    public var loadSeconds: Double
    /// Tokens scored.
    public var tokens: Int
    /// ``ScoreResult/bitsPerByte`` of the corpus, as `lmzoo score --file` reports it (OOV spellings
    /// charged): comparable across tokenizers; nil for a model that cannot score (an encoder without a
    /// language-model head).
    public var bitsPerByte: Double?
    /// `exp(-logprob / tokens)`: comparable only between models with the same tokenizer; nil as above.
    public var perplexity: Double?
    /// Share of the scored tokens that are out of vocabulary (`<unk>`, `[UNK]`); nil for models that
    /// cannot have OOV (byte-level vocabularies, or none with an unknown token).
    public var oovRate: Double?
    /// Tokens scored (or, for a model that cannot score, embedded) per second of compute (load excluded).
    public var tokensPerSecond: Double
    /// Peak resident memory of the process that ran the model (load + scoring), in bytes.
    public var peakRSSBytes: Int
    /// What was measured: log-likelihood or pseudo-log-likelihood (masked-LM models).
    public var scoring: ScoreKind

    public init(model: String, architecture: String, parameters: Int, fileBytes: Int, loadSeconds: Double, tokens: Int,
                bitsPerByte: Double?, perplexity: Double?, oovRate: Double? = nil, tokensPerSecond: Double, peakRSSBytes: Int,
                scoring: ScoreKind) {
        self.model = model
        self.architecture = architecture
        self.parameters = parameters
        self.fileBytes = fileBytes
        self.loadSeconds = loadSeconds
        self.tokens = tokens
        self.bitsPerByte = bitsPerByte
        self.perplexity = perplexity
        self.oovRate = oovRate
        self.tokensPerSecond = tokensPerSecond
        self.peakRSSBytes = peakRSSBytes
        self.scoring = scoring
    }

    /// The row as JSON, CLI.md's field names.
    public var json: JSONValue {
        .object(JSONObject([
            ("model", .string(model)), ("architecture", .string(architecture)), ("parameters", .int(parameters)),
            ("file_bytes", .int(fileBytes)), ("load_s", .double(loadSeconds)), ("tokens", .int(tokens)),
            ("bits_per_byte", bitsPerByte.map(JSONValue.double) ?? .null), ("perplexity", perplexity.map(JSONValue.double) ?? .null),
            ("oov_rate", oovRate.map(JSONValue.double) ?? .null),
            ("tokens_per_s", .double(tokensPerSecond)), ("peak_rss_bytes", .int(peakRSSBytes)),
            ("scoring", .string(scoring.rawValue)),
        ]))
    }

    /// Reads a row back from ``json`` (how `lmzoo bench` collects the rows its child processes print).
    public init(json: JSONValue) throws {
        func number(_ key: String) throws -> Double {
            guard let value = json[key]?.doubleValue else { throw BenchError.badRow(key) }
            return value
        }
        guard let model = json["model"]?.stringValue, let architecture = json["architecture"]?.stringValue,
              let scoring = json["scoring"]?.stringValue.flatMap(ScoreKind.init(rawValue:))
        else { throw BenchError.badRow("model/architecture/scoring") }
        self.init(model: model, architecture: architecture, parameters: Int(try number("parameters")),
                  fileBytes: Int(try number("file_bytes")), loadSeconds: try number("load_s"), tokens: Int(try number("tokens")),
                  bitsPerByte: json["bits_per_byte"]?.doubleValue, perplexity: json["perplexity"]?.doubleValue,
                  oovRate: json["oov_rate"]?.doubleValue,
                  tokensPerSecond: try number("tokens_per_s"), peakRSSBytes: Int(try number("peak_rss_bytes")), scoring: scoring)
    }
}

/// Problems while benchmarking.
public enum BenchError: Error, Equatable, CustomStringConvertible {
    /// A child process printed a row without this field.
    case badRow(String)
    /// The corpus has no text to score.
    case emptyCorpus
    /// The model scored no tokens (corpus too short for it).
    case nothingScored

    public var description: String {
        switch self {
        case let .badRow(field): "benchmark row without \(field)"
        case .emptyCorpus: "the corpus is empty"
        case .nothingScored: "the model scored no tokens of the corpus"
        }
    }
}
