import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo distill --teacher MODEL (--student-arch ARCH | --student DIR) --corpus F --out DIR`:
/// knowledge distillation through ``Distiller`` (CLI.md: `{"out","kl_before","kl_after",
/// "teacher_perplexity","student_perplexity","seconds"}`, KL on held-out text in nats/token).
struct DistillCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(
        commandName: "distill", abstract: "Train a student to imitate a teacher model (knowledge distillation).",
        discussion: """
            loss = alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy. The student shares the \
            teacher's tokenizer; the last 10% of the corpus is held out for KL and perplexity. Students: lstm, gpt2 \
            (gradients); hmm (Baum-Welch on sequences sampled from the teacher: --states, --iterations, --samples); \
            ngram (expected Kneser-Ney on the teacher's soft counts: --order, --top-k, --top-p). --teacher-cache DIR \
            keeps the teacher's distributions (top --cache-top-k log-probs per position, f16) for later runs.
            """)

    @Option(help: "The teacher model (any model lmzoo runs).") var teacher: String
    @Option(name: .customLong("teacher-arch"), help: "Force the teacher's architecture plugin.") var teacherArch: String?
    @Option(name: .customLong("student-arch"), help: "A fresh student of this architecture (lstm, gpt2, hmm, ngram).") var studentArch: String?
    @Option(help: "A student directory to continue (lstm or gpt2 written by lmzoo).") var student: String?
    @Option(help: "Training text (UTF-8).") var corpus: String
    @Option(help: "Where to write the student.") var out: String
    @Option(help: "Softmax temperature T (default 2).") var temperature: Double = 2
    @Option(help: "Weight of the distillation term (default 0.5).") var alpha: Double = 0.5
    @Option(help: "Updates (default 200).") var steps: Int = 200
    @Option(name: .customLong("batch-size"), help: "Windows per update (default 16).") var batchSize: Int = 16
    @Option(help: "Tokens per window (default 64).") var context: Int = 64
    @Option(name: .customLong("learning-rate"), help: "Peak learning rate (default 3e-3).") var learningRate: Double = 3e-3
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(name: .customLong("embedding-size"), help: "Student: embedding width (LSTM) / n_embd (GPT-2).") var embeddingSize: Int?
    @Option(name: .customLong("hidden-size"), help: "LSTM student: hidden width.") var hiddenSize: Int?
    @Option(help: "Student layers.") var layers: Int?
    @Option(help: "GPT-2 student: attention heads.") var heads: Int?
    @Option(help: "HMM student: hidden states (default 32).") var states: Int = 32
    @Option(help: "HMM student: Baum-Welch iterations (default 10).") var iterations: Int = 10
    @Option(help: "HMM student: sequences sampled from the teacher (default 64, each --context * 4 tokens).") var samples: Int = 64
    @Option(help: "N-gram student: order (default 3).") var order: Int = 3
    @Option(name: .customLong("top-k"), help: "N-gram student: soft counts for at most this many tokens per position (default 64).") var topK: Int = 64
    @Option(name: .customLong("top-p"), help: "N-gram student: ... and no more than hold this much of the teacher's mass (default 0.99).") var topP: Double = 0.99
    @Option(name: .customLong("teacher-cache"), help: "Directory keeping the teacher's distributions for reuse by later runs.") var teacherCache: String?
    @Option(name: .customLong("cache-top-k"), help: "Log-probabilities kept per position in the teacher cache (0: whole rows; default 256).") var cacheTopK: Int = 256
    @Flag(help: "Replace OUT if it exists (a model folder; never the teacher, the student, the corpus or the cache).") var force = false
    @Flag(help: "No progress bar on stderr.") var quiet = false
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard (studentArch == nil) != (student == nil) else { throw ValidationError("give exactly one of --student-arch and --student") }
    }

    func run() throws {
        let started = Date()
        // OUT is written whole under a staging folder beside it and renamed into place; it may not be
        // (or hold) the teacher, the student, the corpus or the teacher cache.
        let inputs = [try teacherPath(), corpus] + [student, teacherCache].compactMap { $0 }
        try StagedOutput(destination: out, inputs: inputs, replace: force).write { try distill(into: $0, started: started) }
    }

    /// Distils into `directory` (the staging folder's copy of OUT).
    func distill(into directory: String, started: Date) throws {
        let teacherModel = try ModelLoader.load(teacher, architecture: teacherArch)
        let text = try TrainingCorpus(path: corpus)
        let ids = try teacherModel.tokenizer.encode(text.text)
        if studentArch == "hmm" { return try runHMM(teacherModel, ids: ids, corpus: text, into: directory, started: started) }
        let cache = try openCache(teacherModel, corpus: text)
        if studentArch == "ngram" { return try runNGram(teacherModel, ids: ids, corpus: text, cache: cache, into: directory, started: started) }
        var settings = Distiller.Settings()
        settings.temperature = Float(temperature)
        settings.alpha = Float(alpha)
        settings.training.steps = steps
        settings.training.batchSize = batchSize
        settings.training.context = context
        settings.training.learningRate = Float(learningRate)
        settings.training.seed = seed
        var sizeOptions: [String: String] = [:]
        sizeOptions["embedding-size"] = embeddingSize.map(String.init)
        sizeOptions["hidden-size"] = hiddenSize.map(String.init)
        sizeOptions["layers"] = layers.map(String.init)
        sizeOptions["heads"] = heads.map(String.init)
        let request = TrainingRequest(corpus: corpus, out: out, options: sizeOptions)
        let studentModel = try student.map { try Students.load(directory: ModelResolver.resolve($0).path) }
            ?? Students.make(architecture: studentArch ?? "lstm", vocabulary: teacherModel.tokenizer.vocabularySize,
                             request: request, context: context, seed: seed)
        let distiller = try Distiller(teacher: teacherModel, student: studentModel, settings: settings)
        distiller.teacherCache = cache
        let report = try distiller.run(ids: ids, progress: quiet ? nil : ProgressBar(total: steps))
        try Students.write(studentModel, to: directory, teacher: teacherModel)
        let result = JSONObject([
            ("out", .string(out)), ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("teacher_perplexity", .double(report.teacherPerplexity)), ("student_perplexity", .double(report.studentPerplexity)),
            ("student_perplexity_before", .double(report.studentPerplexityBefore)),
            ("teacher_parameters", .int(teacherModel.parameterCount)), ("student_parameters", .int(studentModel.parameters.count)),
            ("teacher_tokens_per_s", .double(report.teacherTokensPerSecond)), ("student_tokens_per_s", .double(report.studentTokensPerSecond)),
            ("temperature", .double(temperature)), ("alpha", .double(alpha)), ("steps", .int(steps)),
            ("training_tokens", .int(report.trainingTokens)), ("held_out_tokens", .int(report.heldOutTokens)),
            ("final_loss", .double(report.losses.last ?? .nan)), ("teacher_forward_passes", .int(report.teacherForwardPasses)),
        ] + cacheFields(cache) + [("seconds", .double(Date().timeIntervalSince(started)))])
        var card = result
        card["teacher"] = .string(teacher)
        try writeCard(in: directory, architecture: Students.architecture(of: studentModel), teacher: teacherModel, corpus: text, fields: card)
        print(result)
    }

    /// `--student-arch hmm`: sequence-level distillation into an HMM (``HMMStudent``).
    func runHMM(_ teacherModel: any LanguageModel, ids: [Int], corpus text: TrainingCorpus, into directory: String, started: Date) throws {
        let split = Int(Double(ids.count) * 0.9)
        let heldOut = Array(ids[split...])
        let (model, report) = try HMMStudent.distill(teacher: teacherModel, ids: Array(ids[..<split]), heldOut: heldOut, states: states,
                                                     samples: samples, length: context * 4, iterations: iterations, window: context, seed: seed)
        try HMMStudent.write(model, to: directory)
        let evaluated = Array(heldOut.prefix(8 * context))
        let result = JSONObject([
            ("out", .string(out)), ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("teacher_perplexity", .double(try teacherModel.score(ids: evaluated, bos: false).perplexity ?? .nan)),
            ("student_perplexity", .double(try model.score(ids: evaluated, bos: false).perplexity ?? .nan)),
            ("teacher_parameters", .int(teacherModel.parameterCount)), ("student_parameters", .int(model.parameterCount)),
            ("sampled_tokens", .int(report.sampledTokens)), ("seconds", .double(Date().timeIntervalSince(started))),
        ])
        var card = result
        card["teacher"] = .string(teacher)
        try writeCard(in: directory, architecture: "hmm", teacher: teacherModel, corpus: text, fields: card)
        print(result)
    }

    /// The teacher's file or directory (a catalog name or folder resolved).
    func teacherPath() throws -> String {
        try ModelResolver.resolve(teacher, verify: false).path
    }

    /// `--teacher-cache DIR`: the cache keyed by the teacher's files, the corpus, the window and `--cache-top-k`.
    func openCache(_ teacherModel: any LanguageModel, corpus text: TrainingCorpus) throws -> TeacherCache? {
        guard let teacherCache else { return nil }
        let settings = TeacherCache.Settings(teacher: try TeacherCache.fingerprint(ofModelAt: try teacherPath()), corpus: text.sha256, window: context,
                                             vocabulary: teacherModel.tokenizer.vocabularySize, topK: cacheTopK)
        return try TeacherCache(root: teacherCache, settings: settings)
    }

    private func cacheFields(_ cache: TeacherCache?) -> [(String, JSONValue)] {
        guard let cache else { return [] }
        return [("teacher_cache", .string(cache.directory)), ("cache_hits", .int(cache.hits)), ("cache_writes", .int(cache.writes)),
                ("cache_rebuilt", .int(cache.rebuilt))]
    }

    /// `--student-arch ngram`: expected Kneser-Ney on the teacher's soft counts (``NGramStudent``).
    func runNGram(_ teacherModel: any LanguageModel, ids: [Int], corpus text: TrainingCorpus, cache: TeacherCache?, into directory: String,
                  started: Date) throws {
        var settings = NGramStudent.Settings()
        (settings.order, settings.topK, settings.topP, settings.window) = (order, topK, topP, context)
        let (model, report) = try NGramStudent.distill(teacher: teacherModel, ids: ids, settings: settings, cache: cache)
        try NGramStudent.write(model, to: directory)
        let result = JSONObject([
            ("out", .string(out)), ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("kl_hard_counts", .double(report.klHardCounts)),
            ("teacher_perplexity", .double(report.teacherPerplexity)), ("student_perplexity", .double(report.studentPerplexity)),
            ("hard_counts_perplexity", .double(report.hardCountsPerplexity)),
            ("teacher_parameters", .int(teacherModel.parameterCount)), ("student_parameters", .int(model.parameterCount)),
            ("teacher_tokens_per_s", .double(report.teacherTokensPerSecond)), ("student_tokens_per_s", .double(report.studentTokensPerSecond)),
            ("order", .int(order)), ("counts", .array(report.counts.map { .int($0) })), ("soft_count_trials", .int(report.trials)),
            ("training_tokens", .int(report.trainingTokens)), ("held_out_tokens", .int(report.heldOutTokens)),
            ("teacher_seconds", .double(report.teacherSeconds)), ("estimation_seconds", .double(report.estimationSeconds)),
            ("teacher_forward_passes", .int(report.teacherForwardPasses)),
        ] + cacheFields(cache) + [("seconds", .double(Date().timeIntervalSince(started)))])
        var card = result
        card["teacher"] = .string(teacher)
        try writeCard(in: directory, architecture: "ngram", teacher: teacherModel, corpus: text, fields: card)
        print(result)
    }

    /// The student's `model.json` (a catalog card `lmzoo verify` checks), naming the teacher.
    private func writeCard(in directory: String, architecture: String, teacher teacherModel: any LanguageModel,
                           corpus text: TrainingCorpus, fields: JSONObject) throws {
        try ModelCard.write(directory: directory, architecture: architecture,
                            tokenizer: "the teacher's (\(teacherModel.architecture), \(teacherModel.tokenizer.vocabularySize) ids)",
                            summary: "\(architecture) student distilled from \(teacher) by lmzoo distill",
                            command: CommandLine.arguments.joined(separator: " "), corpus: text, fields: fields)
    }

    private func print(_ result: JSONObject) {
        if output.json {
            Console.printJSON(.object(result))
        } else {
            Console.printTable(result.entries.map { [$0.key, $0.value.stringValue ?? $0.value.compactText] })
        }
    }
}
