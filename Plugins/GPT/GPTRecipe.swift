import Foundation
import LMZooCore
import LMZooTraining
import LMZooFormats

/// `lmzoo train gpt2 --corpus F --out DIR`: a byte-level BPE vocabulary learnt from the corpus and a
/// small GPT-2 trained from scratch, written as a Hugging Face GPT-2 directory (`config.json`
/// model_type gpt2, `model.safetensors` with `transformer.*` names and `Conv1D` `[in, out]` weights,
/// LM head tied to `wte`; `vocab.json` + `merges.txt`) with a `model.json` card.
///
/// Options: `vocab-size` (512), `embedding-size` (n_embd, 64), `layers` (2), `heads` (2); `context`
/// is also `n_positions`; and the common ones of ``TrainerOptions/read(_:defaults:)``.
public enum GPTRecipe {
    public static func train(_ request: TrainingRequest, progress: Bool = false) throws -> JSONObject {
        let corpus = try TrainingCorpus(path: request.corpus)
        let vocabularySize = try request.positive("vocab-size", default: 512)
        let (tokens, merges) = try ByteLevelBPETrainer.train(text: corpus.text, vocabularySize: vocabularySize)
        let tokenizer = try ByteLevelBPETokenizer(tokens: tokens, merges: merges)
        let ids = try tokenizer.encode(corpus.text)
        var defaults = TrainerOptions()
        defaults.learningRate = 1e-3
        var options = try TrainerOptions.read(request, defaults: defaults)
        options.checkpointPath = Paths.join(request.out, "checkpoint.safetensors")
        let sizes = try GPTTrainable.Sizes.read(request, vocabulary: tokens.count, positions: options.context)
        let windows = try TokenWindows(ids: ids, length: options.context, source: request.corpus)
        let model = GPTTrainable(sizes: sizes, seed: options.seed)
        try TrainedModelDirectory.create(request.out)
        let started = Date()
        let (trainer, loss) = try TrainerOptions.runOrResume(model: model, options: options, request: request, windows: windows, progress: progress)
        let seconds = Date().timeIntervalSince(started)

        try TrainedModelDirectory.write(request.out, tensors: try model.parameters.tensorStore(),
                                        config: sizes.config(bos: tokenizer.bosID, eos: tokenizer.eosID))
        try ByteLevelBPEFolder.write(tokenizer, to: request.out)
        let fields = JSONObject([
            ("architecture", .string("gpt2")), ("vocab_size", .int(sizes.vocabulary)), ("n_embd", .int(sizes.channels)),
            ("n_layer", .int(sizes.layers)), ("n_head", .int(sizes.heads)), ("n_positions", .int(sizes.positions)),
            ("parameters", .int(model.parameters.count)), ("tokens", .int(ids.count)), ("steps", .int(trainer.completedSteps)),
            ("batch_size", .int(options.batchSize)), ("learning_rate", .double(Double(options.learningRate))),
            ("seed", .int(Int(truncatingIfNeeded: options.seed))), ("final_loss", .double(loss)), ("train_seconds", .double(seconds)),
            ("tokens_per_s", .double(options.tokensPerSecond(updates: trainer.losses.count, seconds: seconds))),
        ])
        try ModelCard.write(directory: request.out, architecture: "gpt2", tokenizer: "byte-level BPE (learnt from the corpus)", summary: "GPT-2 trained by lmzoo train",
                            command: request.options["command"], corpus: corpus, fields: fields)
        return fields
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
