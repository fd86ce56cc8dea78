/// The knobs of a training run (the `lmzoo train` / `distill` flags).
public struct TrainerOptions: Sendable, Equatable {
    /// Optimizer updates.
    public var steps: Int = 200
    /// Windows per update (B).
    public var batchSize: Int = 16
    /// Tokens per window (T).
    public var context: Int = 64
    /// Peak learning rate.
    public var learningRate: Float = 3e-3
    /// Warm-up updates (default: 5% of steps).
    public var warmup: Int? = nil
    /// The cosine schedule ends at this fraction of the peak.
    public var minimumLearningRateFraction: Float = 0.1
    public var weightDecay: Float = 0.01
    /// Global gradient-norm limit (0: no clipping).
    public var gradientClip: Float = 1
    /// Seeds the initial weights and every batch.
    public var seed: UInt64 = 0
    /// Write a checkpoint every this many updates (0: only at the end when a path is set).
    public var checkpointEvery: Int = 0
    /// Where checkpoints go (nil: none).
    public var checkpointPath: String? = nil

    public init() {}

    /// The schedule these options describe.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, warmup: warmup ?? max(steps / 20, 1), total: steps,
                             minimumFraction: minimumLearningRateFraction)
    }

    /// Throws ``TrainingError/badOption(name:value:reason:)`` for a value no run can use.
    public func validate() throws {
        for (name, value) in [("steps", steps), ("batch-size", batchSize), ("context", context)] where value <= 0 {
            throw TrainingError.badOption(name: name, value: String(value), reason: "must be positive")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw TrainingError.badOption(name: "learning-rate", value: String(learningRate), reason: "must be a positive number")
        }
        if let warmup, warmup < 0 { throw TrainingError.badOption(name: "warmup", value: String(warmup), reason: "must be at least 0") }
        guard checkpointEvery >= 0 else {
            throw TrainingError.badOption(name: "checkpoint-every", value: String(checkpointEvery), reason: "must be at least 0")
        }
    }
}
