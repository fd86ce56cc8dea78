import LMZooCore

/// A model this engine trained (or is training), as a ``LanguageModel`` that can teach: its
/// distributions come from one forward pass, so a Swift program can distill from its own models
/// without writing them to disk first.
public final class TrainedTeacher: LanguageModel, SequenceDistributions {
    public let architecture: String
    public let tokenizer: any Tokenizer
    public let model: any TrainableLanguageModel
    /// The longest sequence one pass takes (GPT's positions).
    public let maximumLength: Int

    public init(_ model: any TrainableLanguageModel, tokenizer: any Tokenizer, architecture: String, maximumLength: Int = .max) throws {
        guard tokenizer.vocabularySize == model.vocabularySize else {
            throw TrainingError.incompatibleTeacher("tokenizer of \(tokenizer.vocabularySize) ids for a model of \(model.vocabularySize)")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.architecture = architecture
        self.maximumLength = maximumLength
    }

    public var parameterCount: Int { model.parameters.count }

    public func sequenceLogProbs(_ ids: [Int]) throws -> [[Float]] {
        try checkIDs(ids)
        guard !ids.isEmpty else { return [] }
        guard ids.count <= maximumLength else {
            throw TrainingError.incompatibleTeacher("\(ids.count) tokens, more than the model's \(maximumLength) positions")
        }
        let V = model.vocabularySize
        let logits = model.forward(inputs: ids, batch: 1, steps: ids.count)
        var out = [Float](repeating: 0, count: logits.count)
        CrossEntropyKernel.logSoftmax(logits, rows: ids.count, vocabulary: V, into: &out)
        return (0..<ids.count).map { Array(out[($0 * V)..<(($0 + 1) * V)]) }
    }

    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        guard !context.isEmpty else { throw ModelError.emptyContext }
        return try sequenceLogProbs(Array(context.suffix(min(context.count, maximumLength)))).last!
    }
}
