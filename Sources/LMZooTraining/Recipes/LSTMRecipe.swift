import Foundation
import LMZooCore

/// `lmzoo train lstm --corpus F --out DIR`: a character-level LSTM language model trained from
/// scratch, written as a directory the LSTM plugin loads (`config.json` model_type lstm,
/// `model.safetensors` in PyTorch `word_language_model` names, `vocab.json`) with a `model.json` card.
///
/// Options (``TrainingRequest/options``): `embedding-size` (64), `hidden-size` (128), `layers` (1),
/// and the common ones of ``TrainerOptions/read(_:defaults:)``. With `checkpoint-every N` the run
/// writes `DIR/checkpoint.safetensors` every N updates; `resume` continues from it (`stop-after N`
/// ends a run early, as an interruption would).
public enum LSTMRecipe {
    public static func train(_ request: TrainingRequest, progress: Bool = false) throws -> JSONObject {
        let corpus = try TrainingCorpus(path: request.corpus)
        let vocabulary = corpus.characterVocabulary + ["<unk>"]  // held-out text may have characters the corpus lacks
        let ids = try corpus.characterIDs(vocabulary)
        let sizes = try LSTMTrainable.Sizes.read(request, vocabulary: vocabulary.count)
        var options = try TrainerOptions.read(request, defaults: TrainerOptions())
        options.checkpointPath = Paths.join(request.out, "checkpoint.safetensors")
        let windows = try TokenWindows(ids: ids, length: options.context, source: request.corpus)
        let model = LSTMTrainable(sizes: sizes, seed: options.seed)
        try TrainedModelDirectory.create(request.out)
        let started = Date()
        let (trainer, loss) = try TrainerOptions.runOrResume(model: model, options: options, request: request, windows: windows, progress: progress)
        let seconds = Date().timeIntervalSince(started)

        var config = sizes.config
        config["tokenization"] = .string("characters")
        try TrainedModelDirectory.write(request.out, tensors: try model.parameters.tensorStore(), config: config,
                                 json: [("vocab.json", .array(vocabulary.map(JSONValue.string)))])
        let fields = JSONObject([
            ("architecture", .string("lstm")), ("vocab_size", .int(sizes.vocabulary)), ("embedding_size", .int(sizes.embedding)),
            ("hidden_size", .int(sizes.hidden)), ("num_layers", .int(sizes.layers)), ("parameters", .int(model.parameters.count)),
            ("tokens", .int(ids.count)), ("steps", .int(trainer.completedSteps)), ("batch_size", .int(options.batchSize)),
            ("context", .int(options.context)), ("learning_rate", .double(Double(options.learningRate))),
            ("seed", .int(Int(truncatingIfNeeded: options.seed))), ("final_loss", .double(loss)),
            ("train_seconds", .double(seconds)),
            ("tokens_per_s", .double(Double(options.batchSize * options.context * max(trainer.losses.count, 1)) / max(seconds, 1e-9))),
        ])
        try ModelCard.write(directory: request.out, architecture: "lstm", tokenizer: "characters", summary: "character-level LSTM trained by lmzoo train",
                            command: request.options["command"], corpus: corpus, fields: fields)
        return fields
    }
}

extension TrainerOptions {
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

    /// Runs `model` under these options, first restoring `checkpointPath` when the request has
    /// `resume`. Returns the trainer and the mean loss of the last (up to) 10 updates.
    static func runOrResume(model: any TrainableLanguageModel, options: TrainerOptions, request: TrainingRequest,
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
