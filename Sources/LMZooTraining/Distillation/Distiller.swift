import Foundation
import LMZooCore

/// Knowledge distillation (Hinton et al. 2015) of any ``LanguageModel`` teacher into a trainable
/// student that shares its tokenizer: loss = alpha T^2 KL(teacher_T || student_T) + (1 - alpha) CE,
/// the teacher's distributions computed on the fly for each window and cached in memory (up to
/// `cacheBytes`) for windows seen again, and on disk for later runs when ``teacherCache`` is set
/// (then the student learns from the cache's top-k rows, in the first run as in later ones). The last `heldOutFraction` of the corpus is never trained
/// on; KL(teacher || student) at temperature 1 and both perplexities are measured there.
///
/// A Swift program runs the same distillation as `lmzoo distill`:
/// ```swift
/// let distiller = try Distiller(teacher: teacher, student: LSTMTrainable(sizes: sizes, seed: 0), settings: settings)
/// let report = try distiller.run(ids: try teacher.tokenizer.encode(text))
/// ```
public final class Distiller {
    /// Temperature, alpha, the trainer's options, and the held-out split.
    public struct Settings: Sendable {
        public var temperature: Float = 2
        public var alpha: Float = 0.5
        public var training = TrainerOptions()
        /// Fraction of the ids (at the end) kept for evaluation.
        public var heldOutFraction = 0.1
        /// At most this many held-out windows are evaluated.
        public var evaluationWindows = 16
        /// Memory for cached teacher distributions.
        public var cacheBytes = 512 << 20
        public init() {}

        func validate() throws {
            guard temperature > 0, temperature.isFinite else {
                throw TrainingError.badOption(name: "temperature", value: String(temperature), reason: "must be a positive number")
            }
            guard (0...1).contains(alpha) else { throw TrainingError.badOption(name: "alpha", value: String(alpha), reason: "must be in [0, 1]") }
            guard heldOutFraction > 0, heldOutFraction < 1 else {
                throw TrainingError.badOption(name: "held-out", value: String(heldOutFraction), reason: "must be in (0, 1)")
            }
            try training.validate()
        }
    }

    /// What a run measured (nats per token on held-out text).
    public struct Report: Sendable {
        public var klBefore: Double
        public var klAfter: Double
        public var teacherPerplexity: Double
        public var studentPerplexityBefore: Double
        public var studentPerplexity: Double
        public var losses: [Double]
        public var trainingTokens: Int
        public var heldOutTokens: Int
        public var teacherSeconds: Double
        public var studentSeconds: Double
        /// Tokens a second of the teacher's and student's forward passes during evaluation (the
        /// teacher's: NaN when every evaluation window came from the teacher cache).
        public var teacherTokensPerSecond: Double
        public var studentTokensPerSecond: Double
        /// Windows the teacher ran on (training and evaluation); 0 when all came from ``Distiller/teacherCache``.
        public var teacherForwardPasses: Int
    }

    public let teacher: any LanguageModel
    public let student: any TrainableLanguageModel
    public let settings: Settings
    /// Teacher distributions on disk, read instead of running the teacher when present (nil: none).
    public var teacherCache: TeacherCache? {
        get { teacherRows.cache }
        set { teacherRows.cache = newValue }
    }
    /// Windows the teacher has run on.
    public var teacherForwardPasses: Int { teacherRows.forwardPasses }
    private let teacherRows: TeacherRows
    private var cache: [Int: [Float]] = [:]  // window start -> teacher log-probs at T, (T, V)

    public init(teacher: any LanguageModel, student: any TrainableLanguageModel, settings: Settings) throws {
        try settings.validate()
        guard teacher.tokenizer.vocabularySize == student.vocabularySize else {
            throw TrainingError.incompatibleTeacher("the teacher's vocabulary has \(teacher.tokenizer.vocabularySize) ids, the student's \(student.vocabularySize)")
        }
        self.teacher = teacher
        teacherRows = TeacherRows(teacher: teacher)
        self.student = student
        self.settings = settings
    }

    /// The teacher's log-probabilities at temperature `temperature` after each prefix of `inputs`: (T, V).
    func teacherLogProbs(start: Int, _ inputs: [Int], temperature: Float) throws -> [Float] {
        let V = student.vocabularySize
        let flat = try teacherRows.rows(start: start, inputs)
        guard temperature != 1 else { return flat }
        var out = [Float](repeating: 0, count: flat.count)
        CrossEntropyKernel.logSoftmax(flat, rows: inputs.count, vocabulary: V, temperature: temperature, into: &out)
        return out
    }

    /// Trains the student on all but the held-out tail of `ids` and reports KL and perplexities there.
    public func run(ids: [Int], progress: ProgressBar? = nil, resumeFrom checkpoint: String? = nil) throws -> Report {
        let T = settings.training.context
        let split = Int(Double(ids.count) * (1 - settings.heldOutFraction))
        let training = try TokenWindows(ids: Array(ids[..<split]), length: T, source: "the corpus's training part")
        let heldOut = Array(ids[split...])
        guard heldOut.count > T else {
            throw TrainingError.badCorpus(path: "the corpus's held-out part", reason: "\(heldOut.count) tokens, fewer than one window of \(T + 1)")
        }
        let before = try evaluate(heldOut)
        let trainer = try Trainer(model: student, options: settings.training)
        if let checkpoint { try trainer.resume(from: checkpoint) }
        let (alpha, temperature, B, V) = (settings.alpha, settings.temperature, settings.training.batchSize, student.vocabularySize)
        let maxCached = settings.cacheBytes / max(T * V * 4, 1)
        let teacherBefore = teacherRows.seconds
        let started = Date()
        try trainer.run(windows: training, objective: { [self] step, windows, logits, dlogits in
            let starts = training.starts(step: step, size: B, seed: settings.training.seed)
            var soft = [Float](repeating: 0, count: B * T * V)
            for b in 0..<B {
                let rows: [Float]
                if let hit = cache[starts[b]] { rows = hit } else {
                    rows = try teacherLogProbs(start: starts[b], Array(windows[(b * (T + 1))..<(b * (T + 1) + T)]), temperature: temperature)
                    if cache.count < maxCached { cache[starts[b]] = rows }
                }
                soft.replaceSubrange((b * T * V)..<((b + 1) * T * V), with: rows)
            }
            var loss = 0.0
            if alpha > 0 {
                loss += Double(alpha * temperature * temperature) * CrossEntropyKernel.soft(
                    logits: logits, teacherLogProbs: soft, rows: B * T, vocabulary: V, temperature: temperature,
                    dlogits: &dlogits, weight: alpha * temperature * temperature)
            }
            if alpha < 1 {
                let targets = Trainer.targets(windows, batch: B, steps: T)
                loss += Double(1 - alpha) * CrossEntropyKernel.hard(logits: logits, targets: targets, rows: B * T, vocabulary: V,
                                                                    dlogits: &dlogits, weight: 1 - alpha).loss
            }
            return loss
        }, progress: progress)
        let trainingTeacherSeconds = teacherRows.seconds - teacherBefore
        let studentSeconds = Date().timeIntervalSince(started) - trainingTeacherSeconds
        let after = try evaluate(heldOut)
        return Report(klBefore: before.kl, klAfter: after.kl, teacherPerplexity: exp(before.teacherNLL),
                      studentPerplexityBefore: exp(before.studentNLL), studentPerplexity: exp(after.studentNLL),
                      losses: trainer.losses, trainingTokens: split, heldOutTokens: heldOut.count,
                      teacherSeconds: trainingTeacherSeconds, studentSeconds: studentSeconds,
                      teacherTokensPerSecond: after.teacherTokensPerSecond.isNaN ? before.teacherTokensPerSecond : after.teacherTokensPerSecond,
                      studentTokensPerSecond: after.studentTokensPerSecond, teacherForwardPasses: teacherForwardPasses)
    }

    /// Mean KL(teacher || student) at temperature 1 and both models' mean negative log-likelihood over
    /// consecutive held-out windows (the first `evaluationWindows` of length T + 1).
    public func evaluate(_ heldOut: [Int]) throws -> (kl: Double, teacherNLL: Double, studentNLL: Double,
                                                      teacherTokensPerSecond: Double, studentTokensPerSecond: Double) {
        let T = settings.training.context, V = student.vocabularySize
        let windows = min(settings.evaluationWindows, (heldOut.count - 1) / T)
        var (kl, teacherNLL, studentNLL, studentTime) = (0.0, 0.0, 0.0, 0.0)
        let teacherBefore = (teacherRows.seconds, teacherRows.tokens)
        for w in 0..<windows {
            let inputs = Array(heldOut[(w * T)..<(w * T + T)])
            let targets = Array(heldOut[(w * T + 1)...(w * T + T)])
            let teacherRows = try self.teacherRows.rows(start: w * T, heldOut: true, inputs)
            let clock = Date()
            let logits = student.forward(inputs: inputs, batch: 1, steps: T)
            studentTime += Date().timeIntervalSince(clock)
            kl += CrossEntropyKernel.soft(logits: logits, teacherLogProbs: teacherRows, rows: T, vocabulary: V, temperature: 1, dlogits: nil) * Double(T)
            studentNLL += CrossEntropyKernel.hard(logits: logits, targets: targets, rows: T, vocabulary: V, dlogits: nil).loss * Double(T)
            for t in 0..<T { teacherNLL -= Double(teacherRows[t * V + targets[t]]) }
        }
        let n = Double(max(windows * T, 1))
        return (kl / n, teacherNLL / n, studentNLL / n, self.teacherRows.tokensPerSecond(since: teacherBefore), n / max(studentTime, 1e-9))
    }
}
