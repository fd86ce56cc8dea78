import Foundation
import LMZooCore
import LMZooFormats

/// How a gradient-trained architecture makes, loads and writes distillation students. A plugin
/// gives one to ``GradientDistillation/run(_:student:)`` from its ``ArchitectureDescriptor/distill`` hook.
public struct GradientStudent: Sendable {
    /// A fresh student for a teacher of `vocabulary` ids, sized by the request's options
    /// (`embedding-size`, `hidden-size`, `layers`, `heads`), `context` positions, seeded by `seed`.
    public let make: @Sendable (_ vocabulary: Int, _ request: TrainingRequest, _ context: Int, _ seed: UInt64) throws -> any TrainableLanguageModel
    /// An untrained student of the sizes a `config.json` (at the path given) written by ``write`` gives
    /// (its weights are then loaded from `model.safetensors`).
    public let fromConfig: @Sendable (_ config: JSONObject, _ path: String) throws -> any TrainableLanguageModel
    /// Writes the trained student to a directory its plugin loads, keeping the teacher's tokenizer (``KeptTokenizer``).
    public let write: @Sendable (_ student: any TrainableLanguageModel, _ directory: String, _ teacher: any LanguageModel) throws -> Void

    public init(make: @escaping @Sendable (Int, TrainingRequest, Int, UInt64) throws -> any TrainableLanguageModel,
                fromConfig: @escaping @Sendable (JSONObject, String) throws -> any TrainableLanguageModel,
                write: @escaping @Sendable (any TrainableLanguageModel, String, any LanguageModel) throws -> Void) {
        self.make = make
        self.fromConfig = fromConfig
        self.write = write
    }

    /// `read()` (a plugin's config decoder), its error reported as a bad student checkpoint at `path`.
    public static func reading<Config>(_ path: String, _ read: () throws -> Config) throws -> Config {
        do { return try read() } catch { throw TrainingError.badCheckpoint(path: path, reason: String(describing: error)) }
    }

    /// A student to continue training: `directory`'s `config.json` and `model.safetensors`.
    public func load(directory: String) throws -> any TrainableLanguageModel {
        let configPath = Paths.join(directory, "config.json"), weightsPath = Paths.join(directory, "model.safetensors")
        guard let config = try JSONFile.read(path: configPath).objectValue else {
            throw TrainingError.badCheckpoint(path: configPath, reason: "not a JSON object")
        }
        let model = try fromConfig(config, configPath)
        try model.parameters.load(try SafetensorsReader.read(path: weightsPath), path: weightsPath)
        return model
    }
}

/// `lmzoo distill` into a gradient-trained student (``Distiller``): the generic run every such
/// plugin's ``ArchitectureDescriptor/distill`` hook calls with its ``GradientStudent``.
///
/// Options read: `temperature` (2), `alpha` (0.5), `steps` (200), `batch-size` (16), `context` (64),
/// `learning-rate` (3e-3), `seed` (0), the student's sizes, and `teacher-cache` / `cache-top-k` (``TeacherCache/open(for:)``).
public enum GradientDistillation {
    public static func run(_ request: DistillationRequest, student factory: GradientStudent) throws -> JSONObject {
        let options = request.trainingRequest
        let teacher = request.teacher
        var settings = Distiller.Settings()
        let temperature = try options.double("temperature", default: 2), alpha = try options.double("alpha", default: 0.5)
        settings.temperature = Float(temperature)
        settings.alpha = Float(alpha)
        settings.training.steps = try options.int("steps", default: 200)
        settings.training.batchSize = try options.int("batch-size", default: 16)
        settings.training.context = try options.int("context", default: 64)
        settings.training.learningRate = Float(try options.double("learning-rate", default: 3e-3))
        settings.training.seed = try options.seed()
        let cache = try TeacherCache.open(for: request)
        let studentModel = try request.student.map { try factory.load(directory: $0) }
            ?? factory.make(teacher.tokenizer.vocabularySize, options, settings.training.context, settings.training.seed)
        let distiller = try Distiller(teacher: teacher, student: studentModel, settings: settings)
        distiller.teacherCache = cache
        let report = try distiller.run(ids: request.ids, progress: request.showProgress ? ProgressBar(total: settings.training.steps) : nil)
        try factory.write(studentModel, request.out, teacher)
        return JSONObject([
            ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("teacher_perplexity", .double(report.teacherPerplexity)), ("student_perplexity", .double(report.studentPerplexity)),
            ("student_perplexity_before", .double(report.studentPerplexityBefore)),
            ("teacher_parameters", .int(teacher.parameterCount)), ("student_parameters", .int(studentModel.parameters.count)),
            ("teacher_tokens_per_s", .double(report.teacherTokensPerSecond)), ("student_tokens_per_s", .double(report.studentTokensPerSecond)),
            ("temperature", .double(temperature)), ("alpha", .double(alpha)), ("steps", .int(settings.training.steps)),
            ("training_tokens", .int(report.trainingTokens)), ("held_out_tokens", .int(report.heldOutTokens)),
            ("final_loss", .double(report.losses.last ?? .nan)), ("teacher_forward_passes", .int(report.teacherForwardPasses)),
        ] + TeacherCache.fields(cache))
    }
}

extension TrainingRequest {
    /// The unsigned `seed` option (0 when absent).
    public func seed() throws -> UInt64 {
        guard let text = options["seed"] else { return 0 }
        guard let seed = UInt64(text) else { throw TrainingError.badOption(name: "seed", value: text, reason: "not an unsigned integer") }
        return seed
    }
}

extension TeacherCache {
    /// `--teacher-cache DIR` of a distillation request (nil without it): keyed by the teacher's files,
    /// the corpus, the window (`context`, 64) and `cache-top-k` (256).
    public static func open(for request: DistillationRequest) throws -> TeacherCache? {
        guard let root = request.options["teacher-cache"] else { return nil }
        let options = request.trainingRequest
        let corpus = try TrainingCorpus(path: request.corpus)
        let settings = Settings(teacher: try fingerprint(ofModelAt: request.teacherPath), corpus: corpus.sha256,
                                window: try options.int("context", default: 64),
                                vocabulary: request.teacher.tokenizer.vocabularySize, topK: try options.int("cache-top-k", default: 256))
        return try TeacherCache(root: root, settings: settings)
    }

    /// The JSON output fields of a run that used `cache` (none without one).
    public static func fields(_ cache: TeacherCache?) -> [(String, JSONValue)] {
        guard let cache else { return [] }
        return [("teacher_cache", .string(cache.directory)), ("cache_hits", .int(cache.hits)), ("cache_writes", .int(cache.writes)),
                ("cache_rebuilt", .int(cache.rebuilt))]
    }
}

/// The teacher's tokenizer as a student keeps it: byte-level BPE files, or a list of symbols that the
/// student's own plugin reads (characters or whitespace words). A WordPiece teacher cannot be kept so.
public enum KeptTokenizer {
    case byteLevelBPE(ByteLevelBPETokenizer)
    case symbols([String], characters: Bool)

    public init(_ tokenizer: any Tokenizer) throws {
        if let bpe = tokenizer as? ByteLevelBPETokenizer {
            self = .byteLevelBPE(bpe)
        } else if tokenizer is WordPieceTokenizer {
            throw TrainingError.incompatibleTeacher("a WordPiece (BERT) tokenizer cannot be kept by a student; use a causal teacher")
        } else {
            let tokens = (0..<tokenizer.vocabularySize).map { tokenizer.token(for: $0) ?? "<\($0)>" }
            // Characters: every token one character, apart from markers such as `<unk>` and `<eos>`.
            let ordinary = tokens.filter { !($0.count > 2 && $0.hasPrefix("<") && $0.hasSuffix(">")) }
            self = .symbols(tokens, characters: !ordinary.isEmpty && ordinary.allSatisfy { $0.count == 1 })
        }
    }
}
