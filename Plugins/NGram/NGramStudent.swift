import Foundation
import LMZooCore
import LMZooTraining
import LMZooFormats

/// A non-gradient student: an n-gram model over the teacher's tokens estimated from expected (soft)
/// counts under the teacher (``SoftCountEstimator``: expected interpolated modified Kneser-Ney,
/// Zhang & Chiang 2014). The training part of the corpus is walked in consecutive windows; at each
/// position the teacher's next-token distribution, truncated to its `topK` most likely tokens or
/// fewer once they hold `topP` of the mass (the observed next token always kept), adds each kept
/// token's probability to the count of (last N-1 tokens, token). The truncated tail is left to the
/// smoothing (counts are not renormalised).
public enum NGramStudent {
    public struct Settings: Sendable {
        /// The n-gram order N.
        public var order = 3
        /// At most this many tokens per position...
        public var topK = 64
        /// ...and no more than hold this much of the teacher's mass.
        public var topP = 0.99
        /// Teacher window length (positions per teacher pass).
        public var window = 64
        /// Fraction of the ids (at the end) kept for evaluation.
        public var heldOutFraction = 0.1
        /// At most this many held-out windows are evaluated.
        public var evaluationWindows = 16
        public init() {}

        func validate() throws {
            guard order >= 1, order <= 6 else { throw TrainingError.badOption(name: "order", value: String(order), reason: "must be in 1...6") }
            guard topK >= 1 else { throw TrainingError.badOption(name: "top-k", value: String(topK), reason: "must be positive") }
            guard topP > 0, topP <= 1 else { throw TrainingError.badOption(name: "top-p", value: String(topP), reason: "must be in (0, 1]") }
            guard window > 0 else { throw TrainingError.badOption(name: "context", value: String(window), reason: "must be positive") }
            guard heldOutFraction > 0, heldOutFraction < 1 else {
                throw TrainingError.badOption(name: "held-out", value: String(heldOutFraction), reason: "must be in (0, 1)")
            }
        }
    }

    /// What a run measured (KL and perplexities in nats per token on held-out windows).
    public struct Report: Sendable {
        /// KL(teacher || uniform student).
        public var klBefore: Double
        public var klAfter: Double
        /// KL(teacher || the same estimator on hard counts: the observed tokens only).
        public var klHardCounts: Double
        public var teacherPerplexity: Double
        public var studentPerplexity: Double
        public var hardCountsPerplexity: Double
        public var trainingTokens: Int
        public var heldOutTokens: Int
        /// Soft-count trials added (positions times kept tokens).
        public var trials: Int
        public var counts: [Int]
        public var discounts: [[Double]]
        public var teacherSeconds: Double
        public var estimationSeconds: Double
        public var teacherTokensPerSecond: Double
        public var studentTokensPerSecond: Double
        public var teacherForwardPasses: Int
    }

    /// Estimates the student from `ids` (the teacher's tokens of the corpus; the last
    /// `heldOutFraction` held out) and evaluates it against the soft-count-free (hard) estimate.
    public static func distill(teacher: any LanguageModel, ids: [Int], settings: Settings, cache: TeacherCache? = nil)
        throws -> (model: TokenizedNGramModel, report: Report)
    {
        try settings.validate()
        // The student's folder keeps a BPE teacher's tokenizer, or splits text into words as a word-level
        // teacher does; a character-level teacher's tokens cannot be read back from whitespace words.
        if case .symbols(_, characters: true) = try KeptTokenizer(teacher.tokenizer) {
            throw TrainingError.incompatibleTeacher("an n-gram student keeps a byte-level BPE or word-level tokenizer; this teacher reads characters (use --student-arch hmm or lstm)")
        }
        let T = settings.window, V = teacher.tokenizer.vocabularySize
        let split = Int(Double(ids.count) * (1 - settings.heldOutFraction))
        let training = Array(ids[..<split]), heldOut = Array(ids[split...])
        guard training.count > 1 else { throw TrainingError.badCorpus(path: "the corpus's training part", reason: "\(training.count) tokens") }
        guard heldOut.count > T else {
            throw TrainingError.badCorpus(path: "the corpus's held-out part", reason: "\(heldOut.count) tokens, fewer than one window of \(T + 1)")
        }
        let words = NGramWordForms.words(for: (0..<V).map { teacher.tokenizer.token(for: $0) })
        let soft = try SoftCountEstimator(order: settings.order, words: words)
        let hard = try SoftCountEstimator(order: settings.order, words: words)
        let rows = TeacherRows(teacher: teacher, cache: cache)
        try soft.add(next: [(training[0], 1)], observed: training[0])
        try hard.add(next: [(training[0], 1)], observed: training[0])
        var start = 0
        while start < training.count - 1 {
            let inputs = Array(training[start..<min(start + T, training.count - 1)])
            let logProbs = try rows.rows(start: start, inputs)
            for t in 0..<inputs.count {
                let observed = training[start + t + 1]
                let row = Array(logProbs[(t * V)..<((t + 1) * V)])
                try soft.add(next: truncate(row, observed: observed, settings: settings), observed: observed)
                try hard.add(next: [(observed, 1)], observed: observed)
            }
            start += inputs.count
        }
        let estimationStarted = Date()
        let estimated = try soft.estimate()
        let student = try TokenizedNGramModel(estimated.model, tokenizer: teacher.tokenizer)
        let estimationSeconds = Date().timeIntervalSince(estimationStarted)
        let hardStudent = try TokenizedNGramModel(try hard.estimate().model, tokenizer: teacher.tokenizer)

        // Held-out windows, each scored from its own start (the teacher's context and the n-gram's `<s>`).
        let teacherBefore = (rows.seconds, rows.tokens)
        var (klUniform, klSoft, klHard, teacherNLL, softNLL, hardNLL, studentSeconds) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        let windows = min(settings.evaluationWindows, (heldOut.count - 1) / T)
        for w in 0..<windows {
            let inputs = Array(heldOut[(w * T)..<(w * T + T)])
            let teacherRows = try rows.rows(start: w * T, heldOut: true, inputs)
            for t in 0..<T {
                let target = heldOut[w * T + t + 1]
                let p = Array(teacherRows[(t * V)..<((t + 1) * V)])
                let clock = Date()
                let q = try student.nextTokenLogProbs(context: Array(inputs[...t]))
                studentSeconds += Date().timeIntervalSince(clock)
                let qHard = try hardStudent.nextTokenLogProbs(context: Array(inputs[...t]))
                klUniform += kl(p, uniform: V)
                klSoft += kl(p, q)
                klHard += kl(p, qHard)
                teacherNLL -= Double(p[target])
                softNLL -= Double(q[target])
                hardNLL -= Double(qHard[target])
            }
        }
        let n = Double(max(windows * T, 1))
        let model = student.model
        return (student, Report(
            klBefore: klUniform / n, klAfter: klSoft / n, klHardCounts: klHard / n, teacherPerplexity: exp(teacherNLL / n),
            studentPerplexity: exp(softNLL / n), hardCountsPerplexity: exp(hardNLL / n), trainingTokens: training.count,
            heldOutTokens: heldOut.count, trials: soft.trials, counts: model.counts, discounts: estimated.discounts,
            teacherSeconds: rows.seconds, estimationSeconds: estimationSeconds,
            teacherTokensPerSecond: rows.tokensPerSecond(since: teacherBefore), studentTokensPerSecond: n / max(studentSeconds, 1e-9),
            teacherForwardPasses: rows.forwardPasses))
    }

    /// The tokens of a teacher row (log-probabilities) kept as soft counts: most likely first, at most
    /// `topK`, stopping once `topP` of the mass is kept; the observed token is added when missing.
    static func truncate(_ row: [Float], observed: Int, settings: Settings) -> [(id: Int, probability: Double)] {
        var kept: [(id: Int, probability: Double)] = []
        var mass = 0.0
        for id in TopK.indices(of: row, k: settings.topK) {
            let p = min(Double(exp(row[id])), 1)
            kept.append((id, p))
            mass += p
            if mass >= settings.topP { break }
        }
        if !kept.contains(where: { $0.id == observed }) { kept.append((observed, min(Double(exp(row[observed])), 1))) }
        return kept
    }

    /// KL(p || q) in nats for log-probability rows (q's zero-probability entries clamped at e^-80).
    static func kl(_ p: [Float], _ q: [Float]) -> Double {
        var total = 0.0
        for v in 0..<p.count where p[v] > -80 { total += Double(exp(p[v])) * Double(p[v] - max(q[v], -80)) }
        return total
    }

    /// KL(p || uniform over `V`).
    static func kl(_ p: [Float], uniform V: Int) -> Double {
        var total = log(Double(V))
        for v in 0..<p.count where p[v] > -80 { total += Double(exp(p[v])) * Double(p[v]) }
        return total
    }

    /// Writes the student as an n-gram model directory (``NGramDirectory``): `config.json`,
    /// `model.arpa.gz`, and a byte-level BPE teacher's tokenizer files (``ByteLevelBPEFolder``: then
    /// `lmzoo score DIR --text` tokenizes as the teacher); otherwise the ARPA's words are the teacher's
    /// tokens as ``NGramWordForms`` spells them, and text is split on white space.
    public static func write(_ student: TokenizedNGramModel, to directory: String) throws {
        try TrainedModelDirectory.create(directory)
        try student.model.writeARPA(to: Paths.join(directory, "model.arpa.gz"), gzipLevel: 1)  // level 9 took half the run
        let bpe = student.tokenizer as? ByteLevelBPETokenizer
        if let bpe { try ByteLevelBPEFolder.write(bpe, to: directory) }
        let config = JSONObject([
            ("model_type", .string(NGramBinary.modelType)), ("order", .int(student.model.order)),
            ("tokenizer", .string(bpe != nil ? ByteLevelBPEFolder.configValue : "words")),
        ])
        try TrainedModelDirectory.writeJSON(.object(config), to: Paths.join(directory, "config.json"))
    }
}

extension NGramStudent {
    /// The plugin's ``ArchitectureDescriptor/distill`` hook: `lmzoo distill --student-arch ngram`, expected
    /// Kneser-Ney on the teacher's soft counts. Options: `order` (3), `top-k` (64), `top-p` (0.99),
    /// `context` (64), and `teacher-cache` / `cache-top-k`.
    public static func run(_ request: DistillationRequest) throws -> JSONObject {
        guard request.student == nil else {
            throw TrainingError.badOption(name: "student", value: request.student ?? "", reason: "an n-gram student cannot be continued; use --student-arch ngram")
        }
        let options = request.trainingRequest, teacher = request.teacher
        let cache = try TeacherCache.open(for: request)
        var settings = Settings()
        settings.order = try options.int("order", default: 3)
        settings.topK = try options.int("top-k", default: 64)
        settings.topP = try options.double("top-p", default: 0.99)
        settings.window = try options.int("context", default: 64)
        let (model, report) = try distill(teacher: teacher, ids: request.ids, settings: settings, cache: cache)
        try write(model, to: request.out)
        return JSONObject([
            ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("kl_hard_counts", .double(report.klHardCounts)),
            ("teacher_perplexity", .double(report.teacherPerplexity)), ("student_perplexity", .double(report.studentPerplexity)),
            ("hard_counts_perplexity", .double(report.hardCountsPerplexity)),
            ("teacher_parameters", .int(teacher.parameterCount)), ("student_parameters", .int(model.parameterCount)),
            ("teacher_tokens_per_s", .double(report.teacherTokensPerSecond)), ("student_tokens_per_s", .double(report.studentTokensPerSecond)),
            ("order", .int(settings.order)), ("counts", .array(report.counts.map { .int($0) })), ("soft_count_trials", .int(report.trials)),
            ("training_tokens", .int(report.trainingTokens)), ("held_out_tokens", .int(report.heldOutTokens)),
            ("teacher_seconds", .double(report.teacherSeconds)), ("estimation_seconds", .double(report.estimationSeconds)),
            ("teacher_forward_passes", .int(report.teacherForwardPasses)),
        ] + TeacherCache.fields(cache))
    }
}
