import LMZooCore

extension TrainingRequest {
    /// The positive integer option `name` (`fallback` when absent).
    public func positive(_ name: String, default fallback: Int) throws -> Int {
        let value = try int(name, default: fallback)
        guard value > 0 else { throw TrainingError.badOption(name: name, value: String(value), reason: "must be positive") }
        return value
    }
}

extension LSTMTrainable.Sizes {
    /// Sizes from `embedding-size` (64), `hidden-size` (128), `layers` (1).
    public static func read(_ request: TrainingRequest, vocabulary: Int) throws -> Self {
        Self(vocabulary: vocabulary, embedding: try request.positive("embedding-size", default: 64),
             hidden: try request.positive("hidden-size", default: 128), layers: try request.positive("layers", default: 1))
    }
}

extension GPTTrainable.Sizes {
    /// Sizes from `embedding-size` (n_embd, 64), `layers` (2), `heads` (2, must divide n_embd).
    public static func read(_ request: TrainingRequest, vocabulary: Int, positions: Int) throws -> Self {
        let channels = try request.positive("embedding-size", default: 64), heads = try request.positive("heads", default: 2)
        guard channels % heads == 0 else {
            throw TrainingError.badOption(name: "heads", value: String(heads), reason: "must divide --embedding-size \(channels)")
        }
        return Self(vocabulary: vocabulary, positions: positions, channels: channels,
                    layers: try request.positive("layers", default: 2), heads: heads)
    }
}

extension BERTTrainable.Sizes {
    /// Sizes from `hidden-size` (64), `layers` (2), `heads` (2, must divide the hidden size),
    /// `intermediate-size` (4 x hidden).
    public static func read(_ request: TrainingRequest, vocabulary: Int, positions: Int) throws -> Self {
        let hidden = try request.positive("hidden-size", default: 64), heads = try request.positive("heads", default: 2)
        guard hidden % heads == 0 else {
            throw TrainingError.badOption(name: "heads", value: String(heads), reason: "must divide --hidden-size \(hidden)")
        }
        return Self(vocabulary: vocabulary, positions: positions, hidden: hidden, layers: try request.positive("layers", default: 2),
                    heads: heads, intermediate: try request.positive("intermediate-size", default: 4 * hidden))
    }
}
