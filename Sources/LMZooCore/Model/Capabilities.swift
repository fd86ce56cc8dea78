/// Optional capabilities beyond ``LanguageModel``. A plugin declares the ones it supports; the
/// CLI asks for them with `as? any Generating` etc., never for a concrete type.

/// Sampling or greedy decoding. The default implementation samples from
/// ``LanguageModel/nextTokenLogProbs(context:)`` one token at a time.
public protocol Generating: LanguageModel {
    /// `prompt` followed by up to `options.maxTokens` new ids (stops early at the EOS id).
    func generate(prompt: [Int], options: GenerationOptions) throws -> [Int]
}

extension Generating {
    public func generate(prompt: [Int], options: GenerationOptions) throws -> [Int] {
        try generateBySampling(prompt: prompt, options: options, onToken: { _ in })
    }

    /// The sampling loop: ``Sampler`` over ``LanguageModel/nextTokenLogProbs(context:)`` one token at
    /// a time, `onToken` called with each new id; stops at EOS (not before `options.minTokens`) or
    /// `options.maxTokens`.
    public func generateBySampling(prompt: [Int], options: GenerationOptions, onToken: (Int) -> Void) throws -> [Int] {
        try checkIDs(prompt)
        var sampler = Sampler(options: options)
        var ids = prompt
        for _ in 0..<options.maxTokens {
            let next = sampler.sample(logProbs: try nextTokenLogProbs(context: ids), produced: ids.count - prompt.count, endID: tokenizer.eosID)
            ids.append(next)
            onToken(next)
            if next == tokenizer.eosID { break }
        }
        return ids
    }
}

/// Generation that reports each new token as soon as it is chosen (the CLI streams its text).
public protocol StreamingGenerating: Generating {
    /// As ``Generating/generate(prompt:options:)``, calling `onToken` with each new id in order.
    func generate(prompt: [Int], options: GenerationOptions, onToken: (Int) -> Void) throws -> [Int]
}

/// Sentence embeddings (mean pooling over the attention mask, L2-normalised: CLI.md).
public protocol Embedding: LanguageModel {
    /// One unit-length vector per text.
    func embed(_ texts: [String]) throws -> [[Float]]
}

/// Masked-language-model predictions.
public protocol MaskedLM: LanguageModel {
    /// For each mask token in `text`, its position and the `topK` best candidates.
    func fillMask(_ text: String, topK: Int) throws -> [MaskPrediction]
}

/// One mask's candidates.
public struct MaskPrediction: Equatable, Sendable {
    /// Token position of the mask in the tokenized input.
    public let position: Int
    /// Candidates, most likely first.
    public let candidates: [TokenPrediction]

    public init(position: Int, candidates: [TokenPrediction]) {
        self.position = position
        self.candidates = candidates
    }
}

/// Most likely hidden-state path (HMM Viterbi).
public protocol StateDecoding: LanguageModel {
    /// The best state path for `ids` and its natural-log joint probability.
    func decodeStates(_ ids: [Int]) throws -> (states: [Int], logProb: Double)
}

/// Models whose parameters can be updated from token sequences (gradient steps or EM).
public protocol Trainable: LanguageModel {
    /// Fits the model to `sequences`; returns the per-epoch/iteration training objective.
    func train(on sequences: [[Int]], options: TrainingOptions) throws -> [Double]
}

/// Students that learn from a teacher's next-token distributions.
public protocol Distillable: Trainable {
    /// Moves the model towards `teacher` on `sequences`; returns the per-step loss.
    func distill(from teacher: any LanguageModel, on sequences: [[Int]], options: DistillationOptions) throws -> [Double]
}

/// Options common to training loops.
public struct TrainingOptions: Sendable {
    public var steps: Int
    public var learningRate: Double
    public var seed: UInt64

    public init(steps: Int = 100, learningRate: Double = 1e-3, seed: UInt64 = 0) {
        self.steps = steps
        self.learningRate = learningRate
        self.seed = seed
    }
}

/// Options of knowledge distillation.
public struct DistillationOptions: Sendable {
    public var training: TrainingOptions
    /// Softmax temperature applied to teacher and student.
    public var temperature: Double
    /// Weight of the soft (teacher) loss; `1 - alpha` weighs the hard (data) loss.
    public var alpha: Double

    public init(training: TrainingOptions = TrainingOptions(), temperature: Double = 2, alpha: Double = 0.5) {
        self.training = training
        self.temperature = temperature
        self.alpha = alpha
    }
}
