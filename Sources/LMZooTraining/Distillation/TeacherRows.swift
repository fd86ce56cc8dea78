import Foundation
import LMZooCore

/// A teacher's next-token distributions for windows of a corpus: from its ``TeacherCache`` when it
/// has one that holds them, else from one pass of the teacher (counted and timed here).
public final class TeacherRows {
    public let teacher: any LanguageModel
    /// Distributions on disk (nil: always run the teacher).
    public var cache: TeacherCache?
    /// Windows the teacher has run on.
    public private(set) var forwardPasses = 0
    /// Time in the teacher's passes, and the positions they covered.
    public private(set) var seconds = 0.0
    public private(set) var tokens = 0

    public init(teacher: any LanguageModel, cache: TeacherCache? = nil) {
        self.teacher = teacher
        self.cache = cache
    }

    /// Log-probabilities at temperature 1 after each prefix of `inputs`, the window at `start` of the
    /// training (or held-out) ids: (T, V) flat, V the teacher's vocabulary size.
    public func rows(start: Int, heldOut: Bool = false, _ inputs: [Int]) throws -> [Float] {
        let V = teacher.tokenizer.vocabularySize
        func forward() throws -> [Float] {
            let started = Date()
            defer {
                seconds += Date().timeIntervalSince(started)
                tokens += inputs.count
                forwardPasses += 1
            }
            let rows = try teacher.nextTokenLogProbRows(inputs)
            guard rows.count == inputs.count, rows.allSatisfy({ $0.count == V }) else {
                throw TrainingError.incompatibleTeacher("returned \(rows.count) rows for \(inputs.count) positions (expected \(V) entries each)")
            }
            return rows.flatMap { $0 }
        }
        guard let cache else { return try forward() }
        return try cache.logProbs(start: start, heldOut: heldOut, inputs: inputs, compute: forward)
    }

    /// Tokens a second of the passes since `since` (seconds, tokens), NaN when there were none.
    public func tokensPerSecond(since: (seconds: Double, tokens: Int)) -> Double {
        let ran = tokens - since.tokens
        return ran > 0 ? Double(ran) / max(seconds - since.seconds, 1e-9) : .nan
    }
}
