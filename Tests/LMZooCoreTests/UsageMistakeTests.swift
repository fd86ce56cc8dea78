import Foundation
import LMZooCore
import Testing

/// Errors name their file once, and usage mistakes are told from bad input (issue 23 item 6).
@Suite struct UsageMistakeTests {
    @Test func aLocatedErrorNamesItsPathOnce() {
        let missing = FileError.system(path: "/x.txt", action: "read", errno: ENOENT)
        #expect(LocatedError(path: "/x.txt", missing).description == missing.description)
        #expect(LocatedError(path: "/m", LocatedError(path: "/m/a", CorpusLikeError())).description == "/m/a: bad")
        #expect(LocatedError(path: "/m", PrefixedError(path: "/m")).description == "/m: bad")
        #expect(LocatedError(path: "/m", CorpusLikeError()).description == "/m: bad")
    }

    @Test func optionRangesAreUsageMistakes() throws {
        let request = TrainingRequest(corpus: "c", out: "o", options: ["order": "0"])
        #expect(throws: OptionValueError(name: "order", value: "0", requirement: "must be 1 to 16")) {
            try request.int("order", default: 3, in: 1...16)
        }
        #expect(throws: OptionValueError(name: "states", value: "-1", requirement: "must be at least 0")) {
            try TrainingRequest(corpus: "c", out: "o", options: ["states": "-1"]).int("states", default: 1, in: 0...Int.max)
        }
        #expect(try request.int("iterations", default: 5, in: 1...16) == 5)
        #expect(OptionValueError(name: "a", value: "b", requirement: "c").isUsageMistake)
        #expect(LocatedError(path: "/c", OptionValueError(name: "a", value: "b", requirement: "c")).isUsageMistake)
        #expect(TrainingRequestError.badOption("order", "x").isUsageMistake)
        #expect(!LocatedError(path: "/c", CorpusLikeError()).isUsageMistake)
        #expect(!FileError.system(path: "/x", action: "read", errno: ENOENT).isUsageMistake)
    }
}

private struct CorpusLikeError: Error, CustomStringConvertible {
    var description: String { "bad" }
}

private struct PrefixedError: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path): bad" }
}
