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

    /// The student comes from its plugin's distill hook: `--student DIR` continues the student DIR's
    /// `config.json` names (its weights loaded: the new run starts where the last one ended); a student
    /// whose plugin cannot continue, or an architecture with no distill hook, is a usage mistake (2).
    @Test func studentDirectoryIsContinuedByItsPlugin() throws {
        let directory = try Fixtures.scratchDirectory("distill-continue")
        defer { Fixtures.removeScratch(directory) }
        try Self.corpus.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let common = ["distill", "--teacher", Self.teacher, "--corpus", directory + "/corpus.txt", "--context", "16", "--steps", "2",
                      "--batch-size", "2", "--quiet", "--json"]
        let first = try lmzoo(common + ["--student-arch", "lstm", "--embedding-size", "8", "--hidden-size", "8", "--out", directory + "/s1"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try lmzoo(common + ["--student", directory + "/s1", "--out", directory + "/s2"])
        #expect(second.status == 0, "\(second.stderr)")
        let (before, after) = (try JSONParser.parse(second.stdout)["kl_before"], try JSONParser.parse(first.stdout)["kl_after"])
        #expect(before != nil && before == after)
        #expect(try JSONFile.read(path: directory + "/s2/config.json").objectValue?["model_type"] == .string("lstm"))

        let hmm = try lmzoo(common + ["--student", Fixtures.root + "/../../models/fortunes-hmm", "--out", directory + "/s3"])
        #expect(hmm.status == 2 && hmm.stderr.contains("cannot be continued"), "\(hmm.stderr)")
        let bert = try lmzoo(common + ["--student-arch", "bert", "--out", directory + "/s4"])
        #expect(bert.status == 2 && bert.stderr.contains("students can be"), "\(bert.stderr)")
        let unknown = try lmzoo(common + ["--student-arch", "nosuch", "--out", directory + "/s5"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown architecture"), "\(unknown.stderr)")
    }

    /// LSTM and HMM students of a byte-level BPE teacher keep its tokenizer (issue 23, item 4): they
    /// tokenize text exactly as the teacher, generate readable text (no `Ġ` pieces), score text with
    /// words the teacher never saw whole, and their model.json passes `lmzoo verify`.
    @Test(arguments: [["--student-arch", "lstm", "--steps", "2", "--embedding-size", "8", "--hidden-size", "8", "--batch-size", "2"],
                      ["--student-arch", "hmm", "--states", "2", "--iterations", "1", "--samples", "2"],
                      ["--student-arch", "ngram", "--order", "2"]])
    func studentKeepsTheTeachersTokenizer(student: [String]) throws {
        let directory = try Fixtures.scratchDirectory("distill-tokenizer")
        defer { Fixtures.removeScratch(directory) }
        try Self.corpus.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let out = directory + "/st"
        let distill = try lmzoo(["distill", "--teacher", Self.teacher, "--corpus", directory + "/corpus.txt", "--out", out,
                                 "--context", "16", "--quiet"] + student)
        #expect(distill.status == 0, "\(distill.stderr)")
        let text = "the cat Zxqvbnm"
        let studentIDs = try JSONParser.parse(try lmzoo(["tokenize", out, "--text", text, "--json"]).stdout)["ids"]
        let teacherIDs = try JSONParser.parse(try lmzoo(["tokenize", Self.teacher, "--text", text, "--json"]).stdout)["ids"]
        #expect(studentIDs != nil && studentIDs == teacherIDs)
        let score = try lmzoo(["score", out, "--text", "the cat", "--json"])
        #expect(score.status == 0, "\(score.stderr)")
        let generate = try lmzoo(["generate", out, "--prompt", "The", "--max-tokens", "8", "--seed", "1", "--json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let generated = try JSONParser.parse(generate.stdout)["text"]?.stringValue ?? "Ġ"
        #expect(generated.hasPrefix("The") && !generated.contains("Ġ"), "\(generated)")
        let verify = try lmzoo(["verify", out])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        if student.contains("lstm") {  // the tokenizer travels with a converted model directory too
            let converted = try lmzoo(["convert", out, directory + "/converted"])
            #expect(converted.status == 0, "\(converted.stderr)")
            let ids = try JSONParser.parse(try lmzoo(["tokenize", directory + "/converted", "--text", text, "--json"]).stdout)["ids"]
            #expect(ids == teacherIDs)
        }
    }

    /// An n-gram student cannot keep a character-level teacher's tokenizer (its folder splits text into
    /// words): refused before any estimation, instead of writing a student that reads text wrongly.
    @Test func ngramStudentOfACharacterTeacherIsRefused() throws {
        let directory = try Fixtures.scratchDirectory("distill-chars")
        defer { Fixtures.removeScratch(directory) }
        try Self.corpus.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let result = try lmzoo(["distill", "--teacher", Fixtures.root + "/../../models/fortunes-lstm", "--student-arch", "ngram",
                                "--corpus", directory + "/corpus.txt", "--out", directory + "/st", "--quiet"])
        #expect(result.status == 1 && result.stderr.contains("reads characters"), "\(result.stderr)")
        #expect(!Paths.exists(directory + "/st"))
    }
}
