/// Models that give the next-token distribution after every prefix of a sequence in one pass (a
/// recurrent or causal network runs the sequence once instead of once per prefix). Distillation
/// teachers use it through ``LanguageModel/nextTokenLogProbRows(_:)``.
public protocol SequenceDistributions: LanguageModel {
    /// Row t (t = 0..<ids.count): natural-log probabilities of every id after `ids[...t]`
    /// (`tokenizer.vocabularySize` entries each).
    func sequenceLogProbs(_ ids: [Int]) throws -> [[Float]]
}

extension LanguageModel {
    /// Row t: `log P(. | ids[...t])` for t = 0..<ids.count. Uses the model's
    /// ``SequenceDistributions/sequenceLogProbs(_:)`` when it has one, else one
    /// ``nextTokenLogProbs(context:)`` call per prefix.
    public func nextTokenLogProbRows(_ ids: [Int]) throws -> [[Float]] {
        if let model = self as? any SequenceDistributions { return try model.sequenceLogProbs(ids) }
        try checkIDs(ids)
        return try (0..<ids.count).map { try nextTokenLogProbs(context: Array(ids[...$0])) }
    }
}
