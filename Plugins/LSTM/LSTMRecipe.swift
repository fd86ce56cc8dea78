import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

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
            ("tokens_per_s", .double(options.tokensPerSecond(updates: trainer.losses.count, seconds: seconds))),
        ])
        try ModelCard.write(directory: request.out, architecture: "lstm", tokenizer: "characters", summary: "character-level LSTM trained by lmzoo train",
                            command: request.options["command"], corpus: corpus, fields: fields)
        return fields
    }
}

extension LSTMTrainable.Sizes {
    /// Sizes from `embedding-size` (64), `hidden-size` (128), `layers` (1).
    public static func read(_ request: TrainingRequest, vocabulary: Int) throws -> Self {
        Self(vocabulary: vocabulary, embedding: try request.positive("embedding-size", default: 64),
             hidden: try request.positive("hidden-size", default: 128), layers: try request.positive("layers", default: 1))
    }
}
