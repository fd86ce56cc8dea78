import Foundation
import LMZooCore
import LMZooFormats
import LMZooGPT
import LMZooHMM
import LMZooLSTM
import LMZooTestSupport
import LMZooTraining
import Testing

/// Distillation into an LSTM student on a fixed seed: from a small GPT-2 teacher trained here (through
/// ``TrainedTeacher``), and the LSTM plugin's one-pass teacher distributions.
@Suite(.serialized) struct DistillerTests {
    /// A small random-grammar text: varied enough that held-out text is not a copy of training text.
    static let text: String = {
        var rng = SplitMix64(seed: 11)
        let subjects = ["the cat", "a dog", "my friend", "the old man", "she", "we"]
        let verbs = ["sees", "likes", "finds", "eats", "wants", "reads"]
        let objects = ["the fish", "a book", "some bread", "the red ball", "an apple", "the map"]
        var out = ""
        for _ in 0..<400 {
            func pick(_ list: [String]) -> String { list[Int(rng.next() % UInt64(list.count))] }
            out += "\(pick(subjects)) \(pick(verbs)) \(pick(objects)). "
        }
        return out
    }()

    static let teacherDirectory: String = {
        let directory = try! Fixtures.scratchDirectory("distill-teacher")
        try! text.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        _ = try! LSTMRecipe.train(TrainingRequest(corpus: directory + "/corpus.txt", out: directory + "/teacher", options: [
            "embedding-size": "16", "hidden-size": "48", "steps": "150", "batch-size": "16", "context": "32",
            "learning-rate": "0.01", "seed": "1",
        ]))
        return directory
    }()

    static func teacher() throws -> LSTMModel { try LSTMRecipeTests.loadPlugin(teacherDirectory + "/teacher") }

    /// A small GPT-2 teacher on a BPE vocabulary learnt from the text (as `lmzoo train gpt2` makes one).
    nonisolated(unsafe) static let gptTeacher: TrainedTeacher = {
        let (tokens, merges) = try! ByteLevelBPETrainer.train(text: text, vocabularySize: 320)
        let tokenizer = try! ByteLevelBPETokenizer(tokens: tokens, merges: merges)
        let model = GPTTrainable(sizes: .init(vocabulary: tokens.count, positions: 32, channels: 32, layers: 1, heads: 2), seed: 1)
        var options = TrainerOptions()
        (options.steps, options.batchSize, options.context, options.learningRate) = (150, 8, 32, 1e-2)
        try! Trainer(model: model, options: options).run(windows: try! TokenWindows(ids: try! tokenizer.encode(text), length: 32, source: "text"))
        return try! TrainedTeacher(model, tokenizer: tokenizer, architecture: "gpt2", maximumLength: 32)
    }()

    static func distill(alpha: Float, temperature: Float = 2, steps: Int) throws -> Distiller.Report {
        let teacher = gptTeacher
        let student = LSTMTrainable(sizes: .init(vocabulary: teacher.tokenizer.vocabularySize, embedding: 16, hidden: 32, layers: 1), seed: 2)
        var settings = Distiller.Settings()
        settings.alpha = alpha
        settings.temperature = temperature
        settings.training.steps = steps
        settings.training.batchSize = 8
        settings.training.context = 32
        settings.training.learningRate = 1e-2
        settings.training.seed = 3
        return try Distiller(teacher: teacher, student: student, settings: settings).run(ids: try teacher.tokenizer.encode(text))
    }

    @Test func distillationHalvesTheKL() throws {
        let report = try Self.distill(alpha: 0.5, steps: 100)
        #expect(report.klAfter < 0.5 * report.klBefore, "KL \(report.klBefore) -> \(report.klAfter)")
        #expect(report.studentPerplexity < report.studentPerplexityBefore)
        #expect(report.teacherPerplexity < report.studentPerplexity)
    }

    /// alpha = 1 at T = 1 minimises exactly the reported KL(teacher || student). (At T = 2 the student
    /// matches the softened distributions, which on this tiny setup does not beat hard labels at equal
    /// steps; on 100 KB of Shakespeare with a GPT-2 teacher it does: see the issue-9 report.)
    @Test func pureDistillationMatchesTheTeacherBetterThanHardLabels() throws {
        let soft = try Self.distill(alpha: 1, temperature: 1, steps: 60), hard = try Self.distill(alpha: 0, steps: 60)
        #expect(soft.klAfter < hard.klAfter, "KL after alpha=1 (T=1): \(soft.klAfter), alpha=0: \(hard.klAfter)")
    }

    @Test func sequenceRowsEqualPrefixByPrefixDistributions() throws {
        let teacher = try Self.teacher()
        let ids = try teacher.tokenizer.encode("the cat sees")
        let rows = try teacher.nextTokenLogProbRows(ids)
        let slow = try (0..<ids.count).map { try teacher.nextTokenLogProbs(context: Array(ids[...$0])) }
        #expect(zip(rows.flatMap { $0 }, slow.flatMap { $0 }).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func hmmStudentByBaumWelchOnTeacherSamplesLowersTheKL() throws {
        let teacher = try Self.teacher()
        let ids = try teacher.tokenizer.encode(Self.text)
        let split = ids.count * 9 / 10
        let (model, report) = try HMMStudent.distill(teacher: teacher, ids: Array(ids[..<split]), heldOut: Array(ids[split...]),
                                                     states: 20, samples: 24, length: 120, iterations: 15, window: 24, seed: 5)
        #expect(report.klAfter < 0.7 * report.klBefore, "KL \(report.klBefore) -> \(report.klAfter)")
        #expect(model.tokenizer.vocabularySize == teacher.tokenizer.vocabularySize)
        #expect(model.tokenizer.decode(try model.tokenizer.encode("the cat")) == "the cat")  // the teacher's vocabulary
    }

    @Test func refusesAStudentWithAnotherVocabulary() throws {
        let teacher = try Self.teacher()
        let student = LSTMTrainable(sizes: .init(vocabulary: teacher.tokenizer.vocabularySize + 1, embedding: 4, hidden: 4, layers: 1), seed: 0)
        #expect(throws: TrainingError.self) { try Distiller(teacher: teacher, student: student, settings: .init()) }
        var settings = Distiller.Settings()
        settings.alpha = 1.5
        let same = LSTMTrainable(sizes: .init(vocabulary: teacher.tokenizer.vocabularySize, embedding: 4, hidden: 4, layers: 1), seed: 0)
        #expect(throws: TrainingError.badOption(name: "alpha", value: "1.5", reason: "must be in [0, 1]")) {
            try Distiller(teacher: teacher, student: same, settings: settings)
        }
    }
}
