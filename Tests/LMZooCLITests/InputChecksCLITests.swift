import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// Issue 23, items 7 and 8: input checked the same way by every command, and the smaller rough edges
/// a new user meets (list, inspect, verify, embed, progress output, greedy n-gram generation).
@Suite struct InputChecksCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func json(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }
    static let models = URL(fileURLWithPath: Paths.directory(of: Fixtures.root) + "/../models").standardized.path
    static let arpa = Fixtures.path("ngram/small.arpa")
    static let corpus = Fixtures.path("ngram/tiny.txt")

    /// One line on stderr, exit `status`, containing every one of `parts`.
    func expectRefused(_ result: ProcessResult, status: Int32, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        for part in parts { #expect(result.stderr.contains(part), "no '\(part)' in \(result.stderr)", sourceLocation: sourceLocation) }
    }

    // MARK: - Item 7

    /// `train ngram` refused invalid UTF-8 nowhere: it wrote the raw bytes into the ARPA. Every reader
    /// of a text file now refuses it alike, naming the file and the first bad byte.
    @Test func invalidUTF8IsRefusedAlikeByTrainingScoreAndEmbed() throws {
        let scratch = try Fixtures.scratchDirectory("utf8-everywhere")
        defer { Fixtures.removeScratch(scratch) }
        let bad = scratch + "/bad.txt"
        try Data(Array("good line\nbad ".utf8) + [0xFF] + Array(" byte\n".utf8)).write(to: URL(fileURLWithPath: bad))
        let message = "bad.txt: not valid UTF-8 (byte offset 14)"
        expectRefused(try lmzoo("train", "ngram", "--corpus", bad, "--out", scratch + "/x.arpa", "--order", "2"), status: 1, message)
        #expect(!Paths.exists(scratch + "/x.arpa"))
        expectRefused(try lmzoo("train", "hmm", "--corpus", bad, "--out", scratch + "/h", "--states", "2"), status: 1, message)
        expectRefused(try lmzoo("train", "lstm", "--corpus", bad, "--out", scratch + "/l", "--steps", "1"), status: 1, message)
        expectRefused(try lmzoo("score", Self.arpa, "--file", bad), status: 1, message)
        expectRefused(try lmzoo("embed", Fixtures.path("bert/fillmask"), "--file", bad), status: 1, message)
        // An empty corpus is refused by the n-gram trainer as by the others.
        let empty = scratch + "/empty.txt"
        try Data().write(to: URL(fileURLWithPath: empty))
        expectRefused(try lmzoo("train", "ngram", "--corpus", empty, "--out", scratch + "/e.arpa"), status: 1, "empty.txt: empty")
    }

    @Test func idsWithAnEmptyItemAreAUsageError() throws {
        expectRefused(try lmzoo("score", Self.arpa, "--ids", "1,,2"), status: 2, "--ids", "empty")
        expectRefused(try lmzoo("predict", Self.arpa, "--ids", "1,2,"), status: 2, "--ids", "empty")
        #expect(try lmzoo("score", Self.arpa, "--ids", "1, 2,3").status == 0)
    }

    @Test func greedyWithSamplingOptionsIsAUsageError() throws {
        for option in [["--temperature", "0.8"], ["--top-k", "3"], ["--top-p", "0.5"]] {
            let result = try runProcess(CLITests.executable, ["generate", Self.arpa, "--prompt", "the", "--greedy"] + option)
            expectRefused(result, status: 2, "--greedy", option[0])
        }
        #expect(try lmzoo("generate", Self.arpa, "--prompt", "the", "--temperature", "0.8", "--max-tokens", "2").status == 0)
    }

    /// Options a trainer does not read are refused, naming the ones it does read, before anything is written.
    @Test func trainRefusesOptionsItsTrainerDoesNotRead() throws {
        let scratch = try Fixtures.scratchDirectory("train-options")
        defer { Fixtures.removeScratch(scratch) }
        let ngram = try lmzoo("train", "ngram", "--corpus", Self.corpus, "--out", scratch + "/x.arpa", "--states", "5")
        expectRefused(ngram, status: 2, "--states does not apply to ngram (it reads: --order, --discount-fallback, --prune)")
        #expect(!Paths.exists(scratch + "/x.arpa"))
        expectRefused(try lmzoo("train", "hmm", "--corpus", Self.corpus, "--out", scratch + "/h", "--order", "3"), status: 2,
                      "--order does not apply to hmm", "--states")
        expectRefused(try lmzoo("train", "lstm", "--corpus", Self.corpus, "--out", scratch + "/l", "--iterations", "3"), status: 2,
                      "--iterations does not apply to lstm", "--steps")
        expectRefused(try lmzoo("train", "gpt2", "--corpus", Self.corpus, "--out", scratch + "/g", "--hidden-size", "8"), status: 2,
                      "--hidden-size does not apply to gpt2", "--embedding-size")
    }

    /// `--prune` used to refuse every non-zero threshold; it now prunes as lmplz (the estimator's own
    /// test checks which n-grams go), and refuses thresholds lmplz refuses.
    @Test func pruneThresholdsPruneAndBadOnesAreRefused() throws {
        let scratch = try Fixtures.scratchDirectory("train-prune")
        defer { Fixtures.removeScratch(scratch) }
        let pruned = try lmzoo("train", "ngram", "--corpus", Self.corpus, "--out", scratch + "/p.arpa", "--order", "3",
                               "--discount-fallback", "--prune", "0,1", "--json")
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let counts = json(pruned)?["counts"]?.arrayValue?.compactMap(\.intValue) ?? []
        let before = json(pruned)?["counts_before_pruning"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(counts.count == 3 && before.count == 3 && counts[0] == before[0] && counts[1] < before[1] && counts[2] < before[2])
        #expect(try lmzoo("score", scratch + "/p.arpa", "--text", "the cat").status == 0)
        for (value, reason) in [("0,2,1", "must not decrease"), ("1", "unigrams cannot be pruned"), ("0,0,0,1", "order 3"), ("0,x", "'x'")] {
            let result = try lmzoo("train", "ngram", "--corpus", Self.corpus, "--out", scratch + "/q.arpa", "--order", "3", "--prune", value)
            #expect(result.status != 0 && result.stderr.contains("--prune \(value): ") && result.stderr.contains(reason), "\(result.stderr)")
        }
    }

    // MARK: - Item 8

    @Test func listShowsTrainForEveryTrainableArchitecture() throws {
        let result = try lmzoo("list", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let architectures = json(result)?["architectures"]?.arrayValue ?? []
        for name in ["ngram", "hmm", "lstm", "gpt2", "bert"] {
            let entry = architectures.first { $0["name"]?.stringValue == name }
            #expect(entry?["capabilities"]?.arrayValue?.contains(.string("train")) == true, "\(name)")
        }
    }

    @Test func inspectNamesGPT2FromTensorNamesAndCountsARPAParametersAsTheCatalog() throws {
        for file in ["hf/gpt2-tiny/model.safetensors", "torch/tiny_gpt2.bin", "gpt2/torch/pytorch_model.bin"] {
            let result = try lmzoo("inspect", Fixtures.path(file), "--json")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(json(result)?["architecture"]?.stringValue == "gpt2", "\(file)")
        }
        let catalog = try lmzoo("models", "--json")
        let entry = (json(catalog)?["models"]?.arrayValue ?? json(catalog)?.arrayValue ?? [])
            .first { $0["name"]?.stringValue == "fortunes-ngram3" }
        let listed = try #require(entry?["parameters"]?.intValue, "\(catalog.stdout.prefix(300))")
        let inspect = try lmzoo("inspect", Self.models + "/fortunes-ngram3/model.arpa.gz", "--json")
        #expect(json(inspect)?["parameters"]?.intValue == listed)
        // A probability per n-gram, a back-off per n-gram below the top order: 4 + 6 + ... for small.arpa.
        let small = try NGramCounts.of(Self.arpa)
        let inspectSmall = try lmzoo("inspect", Self.arpa, "--json")
        #expect(json(inspectSmall)?["parameters"]?.intValue == small.reduce(0, +) + small.dropLast().reduce(0, +))
    }

    @Test func verifyAcceptsAnUnmodifiedCopyInARenamedFolder() throws {
        let scratch = try Fixtures.scratchDirectory("verify-renamed")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/my-copy"
        try FileManager.default.copyItem(atPath: Self.models + "/fortunes-hmm", toPath: copy)
        let result = try lmzoo("verify", copy)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // A changed file still fails.
        let handle = try #require(FileHandle(forWritingAtPath: copy + "/vocab.json"))
        handle.seekToEndOfFile()
        handle.write(Data(" ".utf8))
        try handle.close()
        #expect(try lmzoo("verify", copy).status == 1)
    }

    @Test func embedRefusesAFileWithNothingToEmbed() throws {
        let scratch = try Fixtures.scratchDirectory("embed-empty")
        defer { Fixtures.removeScratch(scratch) }
        for (name, content) in [("empty.txt", ""), ("blank.txt", "\n  \n")] {
            try content.write(toFile: scratch + "/" + name, atomically: true, encoding: .utf8)
            expectRefused(try lmzoo("embed", Fixtures.path("bert/fillmask"), "--file", scratch + "/" + name), status: 1,
                          "\(name): empty, nothing to embed")
        }
    }

    /// stderr here is a pipe, not a terminal: no carriage-return redraws, only a final line.
    @Test func trainingProgressDoesNotRedrawWhenStderrIsNotATerminal() throws {
        let scratch = try Fixtures.scratchDirectory("progress-pipe")
        defer { Fixtures.removeScratch(scratch) }
        let result = try lmzoo("train", "lstm", "--corpus", Self.corpus, "--out", scratch + "/l", "--steps", "12",
                               "--context", "16", "--batch-size", "2", "--embedding-size", "8", "--hidden-size", "8")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("\r") && !result.stderr.contains("\u{1B}"), "\(result.stderr.debugDescription)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("12/12"), "\(result.stderr)")
    }

    /// Greedy n-gram generation stopped at once (`</s>` is the likeliest word after "the" in small.arpa);
    /// `--min-tokens N` holds the end token back for N new tokens.
    @Test func minTokensHoldsTheEndTokenBack() throws {
        let plain = try lmzoo("generate", Self.arpa, "--prompt", "the", "--greedy", "--max-tokens", "6", "--json")
        #expect(plain.status == 0, "\(plain.stderr)")
        let plainIDs = json(plain)?["ids"]?.arrayValue ?? []
        let held = try lmzoo("generate", Self.arpa, "--prompt", "the", "--greedy", "--max-tokens", "6", "--min-tokens", "4", "--json")
        #expect(held.status == 0, "\(held.stderr)")
        let ids = json(held)?["ids"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(plainIDs.count < 1 + 4 && ids.count >= 1 + 4, "plain \(plainIDs), held \(ids)")
        expectRefused(try lmzoo("generate", Self.arpa, "--prompt", "the", "--max-tokens", "2", "--min-tokens", "3"), status: 2, "--min-tokens")
    }
}

/// Entries per order from an ARPA file's `\data\` header.
enum NGramCounts {
    static func of(_ path: String) throws -> [Int] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(12)
            .filter { $0.hasPrefix("ngram ") }.compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }
    }
}
