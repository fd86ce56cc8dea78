import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// Issue 23 item 5: a MODEL argument means the same in every command (``ModelResolver``): a path, a
/// catalog name, or a catalog model's folder (whose card may name a file inside it, as the n-gram
/// models' `model.arpa.gz`), the catalog's files verified by sha256.
@Suite struct ModelArgumentTests {
    func lmzoo(_ arguments: [String]) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    static let models = URL(fileURLWithPath: Fixtures.root + "/../../models").standardized.path
    static func folder(_ name: String) -> String { models + "/" + name }

    @Test func inspectTakesACatalogName() throws {
        let result = try lmzoo(["inspect", "fortunes-gpt2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        #expect(json["format"]?.stringValue == "safetensors" && json["architecture"]?.stringValue == "gpt2")
    }

    @Test func convertTakesACatalogName() throws {
        let scratch = try Fixtures.scratchDirectory("convert-catalog-name")
        defer { Fixtures.removeScratch(scratch) }
        let result = try lmzoo(["convert", "fortunes-gpt2", scratch + "/x.gguf"])
        #expect(result.status == 0, "\(result.stderr)")
        let inspected = try lmzoo(["inspect", scratch + "/x.gguf", "--json"])
        #expect(try JSONParser.parse(inspected.stdout)["architecture"]?.stringValue == "gpt2", "\(inspected.stderr)")
    }

    /// A catalog folder scores as its name does: a file-style model (the card names `model.arpa.gz`)
    /// and a directory-style one (the card's path is the folder).
    @Test(arguments: ["fortunes-ngram3", "fortunes-gpt2"])
    func scoreTakesACatalogFolder(_ name: String) throws {
        let byFolder = try lmzoo(["score", Self.folder(name), "--text", "the cat sat on the mat", "--json"])
        #expect(byFolder.status == 0, "\(byFolder.stderr)")
        let byName = try lmzoo(["score", name, "--text", "the cat sat on the mat", "--json"])
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(try JSONParser.parse(byFolder.stdout)["logprob"] == JSONParser.parse(byName.stdout)["logprob"])
    }

    /// Every command that takes a MODEL takes a catalog folder (the n-gram's used to fail: no weights found).
    @Test func everyCommandTakesACatalogFolder() throws {
        let scratch = try Fixtures.scratchDirectory("catalog-folders")
        defer { Fixtures.removeScratch(scratch) }
        let ngram = Self.folder("fortunes-ngram3")
        let commands: [[String]] = [
            ["inspect", ngram],
            ["convert", ngram, scratch + "/copy.arpa"],
            ["tokenize", ngram, "--text", "the cat"],
            ["predict", ngram, "--text", "the"],
            ["score", ngram, "--text", "the cat"],
            ["generate", ngram, "--prompt", "the", "--max-tokens", "3", "--seed", "1"],
            ["bench", ngram, "--corpus", Fixtures.path("ngram/tiny.txt")],
            ["generate", Self.folder("fortunes-lstm"), "--prompt", "The", "--max-tokens", "3"],
            ["embed", Self.folder("fortunes-bert"), "--text", "the cat"],
            ["fill-mask", Self.folder("fortunes-bert"), "--text", "the [MASK] sat"],
            ["decode", Self.folder("fortunes-hmm"), "--ids", "1,2,3"],
        ]
        for command in commands {
            let result = try lmzoo(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
    }

    /// A copy of a catalog folder loads (its card travels with it) and is verified against the card.
    @Test func aCatalogFolderIsVerifiedAgainstItsCard() throws {
        let scratch = try Fixtures.scratchDirectory("catalog-folder-copy")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/fortunes-hmm"  // a card's name must equal its folder's
        try FileManager.default.copyItem(atPath: Self.folder("fortunes-hmm"), toPath: copy)
        #expect(try lmzoo(["decode", copy, "--ids", "1,2,3"]).status == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy + "/config.json"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        let changed = try lmzoo(["decode", copy, "--ids", "1,2,3"])
        #expect(changed.status == 1 && changed.stderr.contains("sha256 mismatch"), "\(changed.stderr)")
        #expect(changed.stderr.split(separator: "\n").count == 1)
    }

    @Test func theResolverMapsNamesFoldersAndPaths() throws {
        LMZoo.registerBuiltins()
        let byName = try ModelResolver.resolve("fortunes-ngram3", verify: false)
        let byFolder = try ModelResolver.resolve(Self.folder("fortunes-ngram3"), verify: false)
        #expect(byName.path == byFolder.path && byName.path.hasSuffix("/fortunes-ngram3/model.arpa.gz"))
        #expect(byName.architecture == "ngram" && byFolder.entry?.name == "fortunes-ngram3")
        #expect(try ModelResolver.resolve(Self.folder("fortunes-gpt2"), verify: false).path == Self.folder("fortunes-gpt2"))
        #expect(try ModelResolver.resolve("fortunes-ngram3", architecture: "hmm", verify: false).architecture == "hmm")

        // A plain path is itself, also a directory whose model.json is not a catalog card (train's notes).
        let plain = Fixtures.path("ngram/small.arpa")
        let resolved = try ModelResolver.resolve(plain)
        #expect(resolved.path == plain && resolved.entry == nil && resolved.architecture == nil)
        let scratch = try Fixtures.scratchDirectory("resolver-notes")
        defer { Fixtures.removeScratch(scratch) }
        try #"{"command": "lmzoo train lstm", "corpus": "x.txt"}"#.write(toFile: scratch + "/model.json", atomically: true, encoding: .utf8)
        #expect(try ModelResolver.resolve(scratch).path == scratch)

        #expect(throws: FileError.self) { try ModelResolver.resolve("no-such-model") }
        do {
            _ = try ModelResolver.resolve(plain, architecture: "bogus")
            Issue.record("--arch bogus was accepted")
        } catch {
            #expect(error.isUsageMistake && "\(error)".contains("unknown architecture 'bogus'"))
        }
    }
}
