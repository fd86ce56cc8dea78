import LMZooCore

extension TrainerOptions {
    /// The options of a request ``read(_:defaults:)`` and ``runOrResume(model:options:request:windows:objective:inputs:progress:)``
    /// read: a gradient-training plugin lists them in its ``ArchitectureDescriptor/trainOptions`` after its own.
    public static let requestOptions = ["steps", "batch-size", "context", "learning-rate", "warmup", "weight-decay", "clip", "seed",
                                        "checkpoint-every", "resume"]

    /// The common training flags of a request: `steps`, `batch-size`, `context`, `learning-rate`,
    /// `warmup`, `weight-decay`, `clip`, `seed`, `checkpoint-every`.
    public static func read(_ request: TrainingRequest, defaults: TrainerOptions) throws -> TrainerOptions {
        var options = defaults
        options.steps = try request.int("steps", default: defaults.steps)
        options.batchSize = try request.int("batch-size", default: defaults.batchSize)
        options.context = try request.int("context", default: defaults.context)
        options.learningRate = Float(try request.double("learning-rate", default: Double(defaults.learningRate)))
        if request.options["warmup"] != nil { options.warmup = try request.int("warmup", default: 0) }
        options.weightDecay = Float(try request.double("weight-decay", default: Double(defaults.weightDecay)))
        options.gradientClip = Float(try request.double("clip", default: Double(defaults.gradientClip)))
        if let text = request.options["seed"] {
            guard let seed = UInt64(text) else { throw TrainingError.badOption(name: "seed", value: text, reason: "not an unsigned integer") }
            options.seed = seed
        }
        options.checkpointEvery = try request.int("checkpoint-every", default: defaults.checkpointEvery)
        try options.validate()
        return options
    }

    /// Training throughput for `lmzoo train`'s `tokens_per_s`: `batchSize x context` tokens per update,
    /// over the updates run (at least one), per second of training.
    public func tokensPerSecond(updates: Int, seconds: Double) -> Double {
        Double(batchSize * context * max(updates, 1)) / max(seconds, 1e-9)
    }

    /// Runs `model` under these options, first restoring `checkpointPath` when the request has
    /// `resume`. Returns the trainer and the mean loss of the last (up to) 10 updates.
    public static func runOrResume(model: any TrainableLanguageModel, options: TrainerOptions, request: TrainingRequest,
                            windows: TokenWindows, objective: Trainer.Objective? = nil,
                            inputs: Trainer.Inputs? = nil, progress: Bool) throws -> (Trainer, Double) {
        let trainer = try Trainer(model: model, options: options)
        if request.flag("resume"), let path = request.resumeFrom ?? options.checkpointPath {
            guard Paths.exists(path) else { throw TrainingError.badCheckpoint(path: path, reason: "--resume: no checkpoint there") }
            try trainer.resume(from: path)
        }
        // `stop-after N` ends this invocation after N updates, as an interruption would (tests use it).
        let stopAfter = try request.options["stop-after"].map { _ in try request.int("stop-after", default: 0) }
        try trainer.run(windows: windows, objective: objective, inputs: inputs, progress: progress ? ProgressBar(total: options.steps) : nil,
                        stopAfter: stopAfter)
        let tail = trainer.losses.suffix(10)
        return (trainer, tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count))
    }
}
