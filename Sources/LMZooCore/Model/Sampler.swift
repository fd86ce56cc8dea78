import Foundation

/// How ``Generating/generate(prompt:options:)`` picks tokens.
public struct GenerationOptions: Sendable {
    /// New tokens to produce at most.
    public var maxTokens: Int
    /// New tokens to produce at least: until then the end token (the tokenizer's EOS) is never chosen.
    public var minTokens: Int
    /// Always the most likely token (temperature, top-k and top-p are ignored).
    public var greedy: Bool
    public var temperature: Double
    /// Keep the `topK` most likely tokens (0 = all).
    public var topK: Int
    /// Keep the smallest set of tokens whose probability reaches `topP` (1 = all).
    public var topP: Double
    public var seed: UInt64

    public init(maxTokens: Int = 32, minTokens: Int = 0, greedy: Bool = false, temperature: Double = 1, topK: Int = 0,
                topP: Double = 1, seed: UInt64 = 0) {
        self.maxTokens = maxTokens
        self.minTokens = minTokens
        self.greedy = greedy
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }
}

/// Draws token ids from log-probabilities; deterministic for a given seed.
public struct Sampler {
    private let options: GenerationOptions
    private var random: SplitMix64

    public init(options: GenerationOptions) {
        self.options = options
        random = SplitMix64(seed: options.seed)
    }

    /// The next id after `produced` new tokens: as ``sample(logProbs:)``, except that `endID` (the
    /// end token, if the model has one) is not chosen before ``GenerationOptions/minTokens`` new tokens.
    public mutating func sample(logProbs: [Float], produced: Int, endID: Int?) -> Int {
        guard produced < options.minTokens, let endID, logProbs.indices.contains(endID) else { return sample(logProbs: logProbs) }
        var allowed = logProbs
        allowed[endID] = -.infinity
        return sample(logProbs: allowed)
    }

    /// The next id for these natural-log probabilities.
    public mutating func sample(logProbs: [Float]) -> Int {
        if options.greedy || options.temperature <= 0 {
            return TopK.indices(of: logProbs, k: 1).first ?? 0
        }
        let keep = options.topK > 0 ? options.topK : logProbs.count
        let candidates = TopK.indices(of: logProbs, k: keep)
        guard let best = candidates.first else { return 0 }
        // Tempered, max-shifted probabilities of the candidates (already sorted, most likely first).
        let top = Double(logProbs[best])
        var weights = candidates.map { exp((Double(logProbs[$0]) - top) / options.temperature) }
        let total = weights.reduce(0, +)
        if options.topP < 1 {
            var cumulative = 0.0
            var cut = weights.count
            for (i, w) in weights.enumerated() {
                cumulative += w / total
                if cumulative >= options.topP { cut = i + 1; break }
            }
            weights.removeSubrange(cut...)
        }
        let threshold = random.nextUnitDouble() * weights.reduce(0, +)
        var cumulative = 0.0
        for (i, w) in weights.enumerated() {
            cumulative += w
            if threshold < cumulative { return candidates[i] }
        }
        return candidates[weights.count - 1]
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
