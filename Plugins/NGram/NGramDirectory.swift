import LMZooCore
import LMZooFormats

/// lmzoo's n-gram model directory: `config.json` (`{"model_type": "ngram", "order": N, "tokenizer": T}`),
/// `model.arpa` (or `model.arpa.gz`), and for T = `byte-level-bpe` another model's tokenizer files
/// (`tokenizer.json`, or `vocab.json` + `merges.txt`) whose token i is the ARPA word that
/// ``NGramWordForms`` spells: text is tokenized as that model does (a distilled student scores the
/// teacher's tokens). T = `words` (or absent): the ARPA file's own whitespace words.
public enum NGramDirectory {
    /// ARPA file names looked for in the directory, in order.
    public static let arpaNames = ["model.arpa", "model.arpa.gz"]
    /// `config.json`'s `tokenizer` for a directory with byte-level BPE files.
    public static let byteLevelBPE = ByteLevelBPEFolder.configValue

    /// Opens the directory: a ``TokenizedNGramModel`` for a BPE tokenizer, else the plain ``NGramModel``.
    public static func load(_ directory: String) throws -> any LanguageModel {
        let configPath = Paths.join(directory, "config.json")
        guard let config = try JSONFile.read(path: configPath).objectValue else { throw LocatedError(path: configPath, JSONFileError.notAnObject) }
        guard let arpa = arpaNames.map({ Paths.join(directory, $0) }).first(where: Paths.exists) else {
            throw LocatedError(path: directory, ARPAError.badBinary("an n-gram model directory needs \(arpaNames.joined(separator: " or "))"))
        }
        let model = try LocatedError.at(arpa) { try NGramModel(arpaPath: arpa) }
        if let order = config["order"]?.intValue, order != model.order {
            throw LocatedError(path: configPath, ARPAError.badBinary("order \(order), but \(Paths.fileName(of: arpa)) is of order \(model.order)"))
        }
        if let tokenizer = try ByteLevelBPEFolder.tokenizer(directory: directory, config: config) {
            return try LocatedError.at(arpa) { try TokenizedNGramModel(model, tokenizer: tokenizer) }
        }
        switch config["tokenizer"]?.stringValue ?? "words" {
        case "words": return model
        case let other: throw LocatedError(path: configPath, ARPAError.badBinary("tokenizer '\(other)': expected words or \(byteLevelBPE)"))
        }
    }

    /// True when `path` is a directory holding `config.json` and one of ``arpaNames``.
    public static func isModelDirectory(_ path: String) -> Bool {
        Paths.isDirectory(path) && Paths.exists(Paths.join(path, "config.json"))
            && arpaNames.contains { Paths.exists(Paths.join(path, $0)) }
    }
}

/// An n-gram model over another tokenizer's tokens (``NGramDirectory``): ids are that tokenizer's,
/// each mapped to the ARPA word ``NGramWordForms`` gives it. A sequence is scored after `<s>`, every
/// token included and no `</s>` added (the model was estimated on a token stream, not on sentences).
public final class TokenizedNGramModel: LanguageModel, Generating, @unchecked Sendable {
    public let architecture = "ngram"
    public let tokenizer: any Tokenizer
    /// The word-level model.
    public let model: NGramModel
    /// ARPA word id of each token id.
    private let wordIDs: [UInt32]

    /// Throws ``ARPAError/badBinary(_:)`` when a token's word is missing from the model.
    public init(_ model: NGramModel, tokenizer: any Tokenizer) throws {
        let words = NGramWordForms.words(for: (0..<tokenizer.vocabularySize).map { tokenizer.token(for: $0) })
        wordIDs = try words.enumerated().map { id, word in
            guard let wordID = model.tables.vocabulary.id(of: word) else {
                throw ARPAError.badBinary("token \(id) of the tokenizer ('\(word)') is not a word of the model")
            }
            return UInt32(wordID)
        }
        self.model = model
        self.tokenizer = tokenizer
    }

    public var parameterCount: Int { model.parameterCount }
    public var scoresFirstToken: Bool { true }

    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        var state = model.scorer.beginState()
        return ids.map { Double(model.scorer.score(wordIDs[$0], &state)) * NGramModel.ln10 }
    }

    /// The ids after `<s>` (`bos` changes nothing: `<s>` is always the context of the first token).
    public func score(ids: [Int], bos: Bool) throws -> ScoreResult {
        ScoreResult(perToken: try tokenLogProbs(ids), utf8Bytes: nil)
    }

    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        try checkIDs(context)
        var state = model.scorer.beginState()
        for id in context { _ = model.scorer.score(wordIDs[id], &state) }
        return wordIDs.map { Float(Double(model.scorer.probability(of: $0, given: state)) * NGramModel.ln10) }
    }
}
