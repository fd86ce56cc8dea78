import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

/// A non-gradient student: a discrete HMM fitted by Baum-Welch to sequences sampled from the teacher
/// (sequence-level distillation), sharing the teacher's vocabulary.
public enum HMMStudent {
    /// What a fit measured: KL(teacher || student) on held-out windows before and after, in nats/token.
    public struct Report: Sendable {
        public var klBefore: Double
        public var klAfter: Double
        public var sampledTokens: Int
    }

    /// Samples `samples` sequences of `length` tokens from `teacher` (each started from a token of
    /// `ids` drawn by `seed`), fits an HMM of `states` states for `iterations` Baum-Welch iterations,
    /// and evaluates it on `heldOut` (up to 8 windows of `window` tokens).
    public static func distill(teacher: any LanguageModel, ids: [Int], heldOut: [Int], states: Int, samples: Int, length: Int,
                               iterations: Int, window: Int, seed: UInt64) throws -> (model: HMMModel, report: Report) {
        guard states > 0, samples > 0, length > 1, !ids.isEmpty else {
            throw TrainingError.badOption(name: "states", value: String(states), reason: "states, samples and sample length must be positive")
        }
        var rng = SplitMix64(seed: seed)
        var sequences: [[Int]] = []
        for _ in 0..<samples {
            var sequence = [ids[Int(rng.next() % UInt64(ids.count))]]
            while sequence.count < length {
                let logProbs = try teacher.nextTokenLogProbs(context: sequence)
                var threshold = rng.nextUnitDouble(), chosen = logProbs.count - 1
                for (id, logProb) in logProbs.enumerated() {
                    threshold -= Double(exp(logProb))
                    if threshold < 0 { chosen = id; break }
                }
                sequence.append(chosen)
            }
            sequences.append(sequence)
        }
        let V = teacher.tokenizer.vocabularySize
        // One sequence of every id once: each symbol keeps a nonzero emission somewhere, so held-out text
        // with a symbol the samples missed still has a probability (add-one-style smoothing).
        sequences.append(Array(0..<V))
        // The student tokenizes text as the teacher does: the teacher's BPE, or its symbols as a vocab.json list.
        let kept = try KeptTokenizer(teacher.tokenizer)
        var symbols: HMMTokenizer?
        if case let .symbols(list, _) = kept { symbols = try? HMMTokenizer(symbols: list) }
        let model = try HMMModel(parameters: .random(numStates: states, vocabularySize: V, seed: seed), tokenizer: symbols)
        if case let .byteLevelBPE(bpe) = kept { try model.useTokenizer(bpe) }
        let before = try kl(teacher: teacher, student: model, heldOut: heldOut, window: window)
        try model.fit(sequences, iterations: iterations, tolerance: 0)
        let after = try kl(teacher: teacher, student: model, heldOut: heldOut, window: window)
        return (model, Report(klBefore: before, klAfter: after, sampledTokens: samples * length))
    }

    /// Writes the student in the HMM plugin's directory form (config.json, model.safetensors, vocab.json).
    public static func write(_ model: HMMModel, to directory: String) throws { try HMMCheckpoint.save(model, directory: directory) }

    /// Mean KL(teacher || student) over the next-token distributions of held-out windows (positions
    /// after the first token of each window, where both models have context).
    public static func kl(teacher: any LanguageModel, student: any LanguageModel, heldOut: [Int], window: Int) throws -> Double {
        var total = 0.0, count = 0
        for w in 0..<min(8, heldOut.count / window) {
            let inputs = Array(heldOut[(w * window)..<((w + 1) * window)])
            let rows = try teacher.nextTokenLogProbRows(inputs)
            for t in 0..<inputs.count {
                let q = try student.nextTokenLogProbs(context: Array(inputs[...t]))
                for (v, logP) in rows[t].enumerated() where logP > -80 {
                    total += Double(exp(logP)) * Double(logP - max(q[v], -80))
                }
                count += 1
            }
        }
        return total / Double(max(count, 1))
    }
}

extension HMMStudent {
    /// The plugin's ``ArchitectureDescriptor/distill`` hook: `lmzoo distill --student-arch hmm`, sequence-level
    /// distillation on the first 90% of the ids, evaluated on the rest. Options: `states` (32), `iterations` (10),
    /// `samples` (64, each `context` x 4 tokens), `context` (64), `seed` (0).
    public static func run(_ request: DistillationRequest) throws -> JSONObject {
        guard request.student == nil else {
            throw TrainingError.badOption(name: "student", value: request.student ?? "", reason: "an HMM student cannot be continued; use --student-arch hmm")
        }
        let options = request.trainingRequest, teacher = request.teacher, ids = request.ids
        let context = try options.int("context", default: 64)
        let split = Int(Double(ids.count) * 0.9)
        let heldOut = Array(ids[split...])
        let (model, report) = try distill(teacher: teacher, ids: Array(ids[..<split]), heldOut: heldOut,
                                          states: try options.int("states", default: 32), samples: try options.int("samples", default: 64),
                                          length: context * 4, iterations: try options.int("iterations", default: 10), window: context,
                                          seed: try options.seed())
        try write(model, to: request.out)
        let evaluated = Array(heldOut.prefix(8 * context))
        return JSONObject([
            ("kl_before", .double(report.klBefore)), ("kl_after", .double(report.klAfter)),
            ("teacher_perplexity", .double(try teacher.score(ids: evaluated, bos: false).perplexity ?? .nan)),
            ("student_perplexity", .double(try model.score(ids: evaluated, bos: false).perplexity ?? .nan)),
            ("teacher_parameters", .int(teacher.parameterCount)), ("student_parameters", .int(model.parameterCount)),
            ("sampled_tokens", .int(report.sampledTokens)),
        ])
    }
}
