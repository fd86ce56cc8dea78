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
            teacher's tokenizer; the last 10% of the corpus is held out for KL and perplexity. Students: \
            \(ArchitectureRegistry.shared.names { $0.distill != nil }) (gradient students by the loss above; an HMM by Baum-Welch \
            on sequences sampled from the teacher; an n-gram model by expected Kneser-Ney on the teacher's soft counts). --teacher-cache DIR \
            keeps the teacher's distributions (top --cache-top-k log-probs per position, f16) for later runs.
            """)

    @Option(help: "The teacher model (any model lmzoo runs).") var teacher: String
    @Option(name: .customLong("teacher-arch"), help: "Force the teacher's architecture plugin.") var teacherArch: String?
    @Option(name: .customLong("student-arch"), help: "A fresh student of this architecture (\(ArchitectureRegistry.shared.names { $0.distill != nil })).") var studentArch: String?
    @Option(help: "A student directory to continue (one written by lmzoo distill).") var student: String?
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

    /// Distils into `directory` (the staging folder's copy of OUT) through the student architecture's
    /// ``ArchitectureDescriptor/distill`` hook.
    func distill(into directory: String, started: Date) throws {
        let studentPath = try student.map { try ModelResolver.resolve($0).path }
        let plugin = try studentPlugin(studentPath)
        guard let hook = plugin.distill else {
            throw TrainingError.badOption(name: "student-arch", value: plugin.name,
                                          reason: "students can be: \(ArchitectureRegistry.shared.names { $0.distill != nil })")
        }
        let teacherModel = try ModelLoader.load(teacher, architecture: teacherArch)
        let text = try TrainingCorpus(path: corpus)
        let ids = try teacherModel.tokenizer.encode(text.text)
        let request = DistillationRequest(teacher: teacherModel, teacherPath: try teacherPath(), corpus: corpus, ids: ids, out: directory,
                                          student: studentPath, options: options, showProgress: !quiet)
        let fields = try hook(request)
        let result = JSONObject([("out", .string(out))] + fields.entries.map { ($0.key, $0.value) }
                                + [("seconds", .double(Date().timeIntervalSince(started)))])
        var card = result
        card["teacher"] = .string(teacher)
        try writeCard(in: directory, architecture: plugin.name, teacher: teacherModel, corpus: text, fields: card)
        print(result)
    }

    /// The student's plugin: `--student-arch`, or the one `--student DIR`'s `config.json` names.
    private func studentPlugin(_ studentPath: String?) throws -> ArchitectureDescriptor {
        let registry = ArchitectureRegistry.shared
        guard let studentPath else {
            do { return try registry.descriptor(named: studentArch ?? "") } catch { throw UsageError(String(describing: error)) }
        }
        let configPath = Paths.join(studentPath, "config.json")
        guard let modelType = try JSONFile.read(path: configPath).objectValue?["model_type"]?.stringValue else {
            throw TrainingError.badCheckpoint(path: configPath, reason: "no model_type")
        }
        return try registry.descriptor(forModelType: modelType)
    }

    /// The options by long name, as the student's hook reads them.
    private var options: [String: String] {
        var options: [String: String] = [
            "temperature": String(temperature), "alpha": String(alpha), "steps": String(steps), "batch-size": String(batchSize),
            "context": String(context), "learning-rate": String(learningRate), "seed": String(seed), "states": String(states),
            "iterations": String(iterations), "samples": String(samples), "order": String(order), "top-k": String(topK),
            "top-p": String(topP), "cache-top-k": String(cacheTopK),
        ]
        options["embedding-size"] = embeddingSize.map(String.init)
        options["hidden-size"] = hiddenSize.map(String.init)
        options["layers"] = layers.map(String.init)
        options["heads"] = heads.map(String.init)
        options["teacher-cache"] = teacherCache
        options["command"] = CommandLine.arguments.joined(separator: " ")
        return options
    }

    /// The teacher's file or directory (a catalog name or folder resolved).
    func teacherPath() throws -> String {
        try ModelResolver.resolve(teacher, verify: false).path
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
