import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo distill --student-arch ngram` with the bundled fortunes-gpt2 teacher and `--teacher-cache`,
/// then `lmzoo score` on the written student, run as a user would.
@Suite struct DistillCLITests {
    func lmzoo(_ arguments: [String]) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    static let teacher = Fixtures.root + "/../../models/fortunes-gpt2"

    /// A few KB of English-like text (fixed), so the run stays short in a debug build.
    static let corpus: String = {
        var rng = SplitMix64(seed: 4)
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "slept", "while", "dog", "barked", "at", "moon"]
        var text = ""
        for line in 0..<160 {
            text += (0..<(6 + line % 5)).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ") + ".\n"
        }
        return text
    }()

    @Test func ngramStudentWithATeacherCacheThenScore() throws {
        let directory = try Fixtures.scratchDirectory("distill-cli")
        defer { Fixtures.removeScratch(directory) }
        try Self.corpus.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        func distill(_ out: String) throws -> JSONValue {
            let result = try lmzoo(["distill", "--teacher", Self.teacher, "--student-arch", "ngram", "--order", "3", "--context", "32",
                                    "--corpus", directory + "/corpus.txt", "--out", directory + "/" + out,
                                    "--teacher-cache", directory + "/cache", "--quiet", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONParser.parse(result.stdout)
        }
        let first = try distill("student1"), second = try distill("student2")
        #expect(first["kl_after"]!.doubleValue! < first["kl_before"]!.doubleValue!)
        #expect(first["teacher_forward_passes"]!.intValue! > 0 && first["cache_writes"]!.intValue! > 0)
        #expect(second["teacher_forward_passes"]?.intValue == 0 && second["cache_writes"]?.intValue == 0)
        #expect(second["kl_after"] == first["kl_after"])

        let score = try lmzoo(["score", directory + "/student1", "--text", "the cat sat on a mat", "--json"])
        #expect(score.status == 0, "\(score.stderr)")
        let scored = try JSONParser.parse(score.stdout)
        let tokenize = try lmzoo(["tokenize", Self.teacher, "--text", "the cat sat on a mat", "--json"])
        let teacherIDs = try JSONParser.parse(tokenize.stdout)["ids"]?.arrayValue
        #expect(scored["tokens"]?.intValue == teacherIDs?.count)  // the teacher's tokens, not whitespace words
        #expect(scored["logprob"]!.doubleValue! < 0)
        let generate = try lmzoo(["generate", directory + "/student1", "--prompt", "the cat", "--max-tokens", "5", "--seed", "1", "--json"])
        #expect(generate.status == 0, "\(generate.stderr)")
    }
}
