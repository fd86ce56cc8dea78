import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `train` and `distill` never lose a user's data (issue 23, item 1): OUT that is or holds an input is
/// refused even with --force; an existing OUT is replaced only with --force, and then as a whole (never
/// the old folder's files merged with the new); a failed run leaves neither OUT nor its staging folder.
@Suite struct TrainOutputSafetyTests {
    func lmzoo(_ arguments: [String]) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    static let models = Fixtures.root + "/../../models"
    static let corpus = String(repeating: "the cat sat on the mat. a dog barked at the moon.\n", count: 40)

    /// Every file under `folder` (relative path -> bytes).
    func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [] where !Paths.isDirectory(folder + "/" + name) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    /// A scratch folder holding `corpus.txt` and a copy of the catalog model `model` called `name`.
    func scratch(_ label: String, copying model: String, as name: String) throws -> (scratch: String, copy: String) {
        let scratch = try Fixtures.scratchDirectory(label)
        try Self.corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.models + "/" + model, toPath: scratch + "/" + name)
        return (scratch, scratch + "/" + name)
    }

    func names(_ folder: String) -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []) }

    @Test func trainNgramRefusesToWriteOverItsCorpus() throws {
        let scratch = try Fixtures.scratchDirectory("victim")
        defer { Fixtures.removeScratch(scratch) }
        let victim = scratch + "/victim.txt"
        try Self.corpus.write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: scratch + "/link.txt", withDestinationPath: victim)
        try FileManager.default.linkItem(atPath: victim, toPath: scratch + "/hard.txt")
        for out in [victim, scratch + "/link.txt", scratch + "/hard.txt"] {
            for force in [[], ["--force"]] {
                let result = try lmzoo(["train", "ngram", "--corpus", victim, "--out", out, "--order", "2", "--discount-fallback"] + force)
                #expect(result.status == 1, "\(out) \(force)")
                #expect(result.stderr.contains("output is the same file as the input"), "\(result.stderr)")
            }
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == Self.corpus)
        #expect(names(scratch) == ["victim.txt", "link.txt", "hard.txt"])  // no staging folder left behind
    }

    @Test func trainHMMReplacesAnExistingModelFolderOnlyWithForceAndThenWhole() throws {
        let (scratch, copy) = try scratch("replace", copying: "fortunes-gpt2", as: "copy-of-gpt2")
        defer { Fixtures.removeScratch(scratch) }
        let before = try snapshot(copy)
        let arguments = ["train", "hmm", "--corpus", scratch + "/corpus.txt", "--out", copy + "/", "--states", "2", "--iterations", "1"]
        let refused = try lmzoo(arguments)
        #expect(refused.status == 1 && refused.stderr.contains("already exists; use --force"), "\(refused.stderr)")
        #expect(try snapshot(copy) == before)

        let forced = try lmzoo(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(names(copy) == ["config.json", "model.safetensors", "vocab.json"])  // no merges.txt, model.json of the old model
        #expect(try String(contentsOfFile: copy + "/config.json", encoding: .utf8).contains("\"hmm\""))
        #expect(names(scratch) == ["corpus.txt", "copy-of-gpt2"])
        #expect(try lmzoo(["score", copy, "--text", "the cat"]).status == 0)
    }

    @Test func refusesAnOutputFolderThatHoldsAnInput() throws {
        let scratch = try Fixtures.scratchDirectory("holds")
        defer { Fixtures.removeScratch(scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/data/deeper", withIntermediateDirectories: true)
        let corpus = scratch + "/data/deeper/corpus.txt"
        try Self.corpus.write(toFile: corpus, atomically: true, encoding: .utf8)
        try "{}".write(toFile: scratch + "/data/config.json", atomically: true, encoding: .utf8)  // looks like a model folder
        for out in [scratch + "/data", scratch] {
            let result = try lmzoo(["train", "ngram", "--corpus", corpus, "--out", out, "--order", "2", "--force"])
            #expect(result.status == 1, "\(out)")
            #expect(result.stderr.contains("holds the input"), "\(result.stderr)")
        }
        #expect(try String(contentsOfFile: corpus, encoding: .utf8) == Self.corpus)
    }

    @Test func forceNeverReplacesAFolderThatIsNotAModel() throws {
        let scratch = try Fixtures.scratchDirectory("not-a-model")
        defer { Fixtures.removeScratch(scratch) }
        try Self.corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: scratch + "/photos", withIntermediateDirectories: true)
        try "precious".write(toFile: scratch + "/photos/a.jpg", atomically: true, encoding: .utf8)
        let result = try lmzoo(["train", "hmm", "--corpus", scratch + "/corpus.txt", "--out", scratch + "/photos", "--states", "2", "--force"])
        #expect(result.status == 1 && result.stderr.contains("not a model folder"), "\(result.stderr)")
        #expect(names(scratch + "/photos") == ["a.jpg"])
    }

    @Test func aFailedRunLeavesNeitherOutputNorStaging() throws {
        let scratch = try Fixtures.scratchDirectory("failed")
        defer { Fixtures.removeScratch(scratch) }
        try Self.corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        // --steps 0 is refused by the recipe, after the staging folder was made.
        let result = try lmzoo(["train", "lstm", "--corpus", scratch + "/corpus.txt", "--out", scratch + "/model", "--steps", "0", "--quiet"])
        #expect(result.status != 0)
        #expect(names(scratch) == ["corpus.txt"], "\(names(scratch))")
    }

    @Test func anOutputBeingWrittenByAnotherLmzooIsRefused() throws {
        let scratch = try Fixtures.scratchDirectory("busy")
        defer { Fixtures.removeScratch(scratch) }
        try Self.corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        let staging = scratch + "/.model.lmzoo-partial"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let descriptor = open(staging, O_RDONLY | O_DIRECTORY)
        #expect(flock(descriptor, LOCK_EX) == 0)
        let result = try lmzoo(["train", "ngram", "--corpus", scratch + "/corpus.txt", "--out", scratch + "/model", "--order", "2"])
        close(descriptor)
        #expect(result.status == 1 && result.stderr.contains("another lmzoo is writing it"), "\(result.stderr)")
        #expect(!Paths.exists(scratch + "/model"))
    }

    @Test func resumeContinuesAFinishedRunInPlace() throws {
        let scratch = try Fixtures.scratchDirectory("resume")
        defer { Fixtures.removeScratch(scratch) }
        try Self.corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        let common = ["train", "lstm", "--corpus", scratch + "/corpus.txt", "--out", scratch + "/model", "--embedding-size", "4",
                      "--hidden-size", "8", "--context", "16", "--batch-size", "2", "--checkpoint-every", "2", "--quiet", "--json"]
        #expect(try lmzoo(common + ["--steps", "4"]).status == 0)
        let resumed = try lmzoo(common + ["--steps", "6", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try JSONParser.parse(resumed.stdout)["steps"]?.intValue == 6)
        #expect(names(scratch) == ["corpus.txt", "model"])
        #expect(try lmzoo(["verify", scratch + "/model"]).status == 0)
    }

    @Test func distillRefusesToWriteOverItsTeacher() throws {
        let (scratch, teacher) = try scratch("teacher", copying: "fortunes-gpt2", as: "teacher")
        defer { Fixtures.removeScratch(scratch) }
        let before = try snapshot(teacher)
        for (out, message) in [(teacher, "output is the same file as the input"), (scratch, "holds the input")] {
            let result = try lmzoo(["distill", "--teacher", teacher, "--student-arch", "ngram", "--corpus", scratch + "/corpus.txt",
                                    "--out", out, "--force", "--quiet"])
            #expect(result.status == 1 && result.stderr.contains(message), "\(out): \(result.stderr)")
        }
        let existing = try lmzoo(["distill", "--teacher", teacher, "--student-arch", "ngram", "--corpus", scratch + "/corpus.txt",
                                  "--out", scratch + "/corpus.txt", "--quiet"])
        #expect(existing.status == 1 && existing.stderr.contains("output is the same file as the input"), "\(existing.stderr)")
        #expect(try snapshot(teacher) == before)
    }
}
