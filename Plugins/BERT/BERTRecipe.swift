import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

/// `lmzoo train bert --corpus F --out DIR`: a WordPiece vocabulary chosen from the corpus
/// (``WordPieceVocabularyBuilder``) and a small BERT trained from scratch with the masked-LM objective
/// (``MaskedLanguageModeling``), written as a Hugging Face `BertForMaskedLM` directory (`config.json`
/// model_type bert, `model.safetensors` with `bert.*` and `cls.predictions.*` names, decoder tied to
/// the word embedding; `vocab.txt` + `tokenizer_config.json`, uncased) with a `model.json` card.
///
/// Options: `vocab-size` (2000), `hidden-size` (64), `layers` (2), `heads` (2), `intermediate-size`
/// (4 x hidden); `context` is the window length including `[CLS]` and `[SEP]` and also
/// `max_position_embeddings`; and the common ones of ``TrainerOptions/read(_:defaults:)``.
public enum BERTRecipe {
    public static func train(_ request: TrainingRequest, progress: Bool = false) throws -> JSONObject {
        let corpus = try TrainingCorpus(path: request.corpus)
        var defaults = TrainerOptions()
        defaults.learningRate = 1e-3
        var options = try TrainerOptions.read(request, defaults: defaults)
        guard options.context >= 3 else {
            throw TrainingError.badOption(name: "context", value: String(options.context), reason: "must be at least 3 ([CLS], a token, [SEP])")
        }
        options.checkpointPath = Paths.join(request.out, "checkpoint.safetensors")
        let tokens = try WordPieceVocabularyBuilder.build(text: corpus.text, size: try request.positive("vocab-size", default: 2000))
        let tokenizer = try WordPieceVocabularyBuilder.tokenizer(tokens, maxLength: options.context)
        let ids = tokenizer.pieces(corpus.text)
        let sizes = try BERTTrainable.Sizes.read(request, vocabulary: tokens.count, positions: options.context)
        let windows = try TokenWindows(ids: ids, length: options.context, source: request.corpus)
        let specials = WordPieceVocabularyBuilder.specialTokens.count
        let masking = MaskedLanguageModeling(vocabulary: tokens.count, clsID: tokenizer.clsID!, sepID: tokenizer.sepID!,
                                             maskID: tokenizer.maskID!, firstOrdinaryID: specials, seed: options.seed)
        let model = BERTTrainable(sizes: sizes, seed: options.seed)
        try TrainedModelDirectory.create(request.out)
        let started = Date()
        let (trainer, loss) = try TrainerOptions.runOrResume(model: model, options: options, request: request, windows: windows,
                                                             objective: masking.objective(steps: options.context),
                                                             inputs: masking.inputs(steps: options.context), progress: progress)
        let seconds = Date().timeIntervalSince(started)

        try TrainedModelDirectory.write(request.out, tensors: try model.parameters.tensorStore(), config: sizes.config,
                                        json: [("tokenizer_config.json", WordPieceVocabularyBuilder.tokenizerConfig(positions: options.context))])
        try AtomicFileWriter.write(Array(tokens.map { $0 + "\n" }.joined().utf8), to: Paths.join(request.out, "vocab.txt"))
        let unknown = ids.lazy.filter { $0 == tokenizer.model.unknownID }.count
        let fields = JSONObject([
            ("architecture", .string("bert")), ("objective", .string("masked-lm")), ("vocab_size", .int(sizes.vocabulary)),
            ("hidden_size", .int(sizes.hidden)), ("num_hidden_layers", .int(sizes.layers)), ("num_attention_heads", .int(sizes.heads)),
            ("intermediate_size", .int(sizes.intermediate)), ("max_position_embeddings", .int(sizes.positions)),
            ("parameters", .int(model.parameters.count)), ("tokens", .int(ids.count)), ("unknown_tokens", .int(unknown)),
            ("steps", .int(trainer.completedSteps)), ("batch_size", .int(options.batchSize)), ("context", .int(options.context)),
            ("learning_rate", .double(Double(options.learningRate))), ("seed", .int(Int(truncatingIfNeeded: options.seed))),
            ("final_loss", .double(loss)), ("train_seconds", .double(seconds)),
            ("tokens_per_s", .double(options.tokensPerSecond(updates: trainer.losses.count, seconds: seconds))),
        ])
        try ModelCard.write(directory: request.out, architecture: "bert", tokenizer: "WordPiece (learnt from the corpus)", summary: "masked-LM BERT trained by lmzoo train",
                            command: request.options["command"], corpus: corpus, fields: fields)
        return fields
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
