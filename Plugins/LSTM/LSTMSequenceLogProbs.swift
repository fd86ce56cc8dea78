import LMZooCore

/// An LSTM runs a sequence once for all its next-token distributions (distillation teachers).
extension LSTMModel: SequenceDistributions {
    public func sequenceLogProbs(_ ids: [Int]) throws -> [[Float]] { try logProbs(ids: ids) }
}
