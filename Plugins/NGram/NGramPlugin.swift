import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

/// The `ngram` architecture plugin: ARPA back-off models (`.arpa`, `.arpa.gz`) scored exactly as
/// KenLM, lmzoo's binary form (safetensors of the tables, ``NGramBinary``), and interpolated modified
/// Kneser-Ney estimation as `lmplz` (``KneserNey``); model directories (``NGramDirectory``: config.json +
/// model.arpa + another model's tokenizer files) and expected Kneser-Ney on soft counts
/// (``SoftCountEstimator``, the distillation student).
public enum NGramPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor(
        name: "ngram", summary: "n-gram language model (ARPA, KenLM-exact scoring)",
        capabilities: [.tokenize, .predict, .score, .generate, .train],
        ownFileSuffixes: [".arpa", ".arpa.gz"],
        loadFile: { path in NGramDirectory.isModelDirectory(path) ? try NGramDirectory.load(path) : try NGramModel(arpaPath: path) },
        train: { request in try train(request) }, trainOptions: ["order", "discount-fallback", "prune"],
        distill: { try NGramStudent.run($0) },
        load: { source in try load(source) })

    /// Checkpoint formats this plugin adds to `lmzoo convert` / `inspect` (registered by `LMZoo.registerBuiltins`).
    public static let formats: [any CheckpointFormat] = [ARPAFormat()]

    /// Opens lmzoo's binary form (tables as tensors; `order` from the config or the metadata).
    public static func load(_ source: ModelSource) throws -> NGramModel {
        NGramModel(tables: try NGramBinary.tables(from: source.tensors, config: source.config))
    }

    /// Writes `model` in lmzoo's binary form (safetensors, atomically).
    public static func writeBinary(_ model: NGramModel, to path: String) throws {
        _ = try SafetensorsWriter.write(try NGramBinary.store(model.tables), to: path)
    }

    /// `lmzoo train ngram --corpus F --out x.arpa [--order N] [--discount-fallback]`: interpolated
    /// modified Kneser-Ney as lmplz. OUT ending in `.safetensors` gets lmzoo's binary form, anything
    /// else ARPA text.
    public static func train(_ request: TrainingRequest) throws -> JSONObject {
        let order = try request.int("order", default: 3, in: 1...ARPAReader.maxOrder)
        let prune = try CountPruning.thresholds(request.options["prune"], order: order)
        let (tables, summary) = try LocatedError.at(request.corpus) {
            try KneserNey.estimate(corpus: request.corpus, order: order, discountFallback: request.flag("discount-fallback"), prune: prune)
        }
        let model = NGramModel(tables: tables)
        if request.out.lowercased().hasSuffix(".safetensors") {
            try writeBinary(model, to: request.out)
        } else {
            try model.writeARPA(to: request.out)
        }
        var result = JSONObject([
            ("order", .int(order)), ("sentences", .int(summary.sentences)), ("tokens", .int(summary.tokens)),
            ("vocabulary", .int(tables.vocabulary.count)), ("counts", .array(tables.counts.map { .int($0) })),
            ("discounts", .array(summary.discounts.map { .array($0.map { .double($0) }) })),
            ("discount_fallback_orders", .array(summary.fellBack.map { .int($0) })),
        ])
        if let before = summary.countsBeforePruning { result["counts_before_pruning"] = .array(before.map { .int($0) }) }
        return result
    }
}
