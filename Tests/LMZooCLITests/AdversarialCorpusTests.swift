import Foundation
import LMZoo
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// Runs `lmzoo` on every file of the adversarial corpus (Tests/Fixtures/adversarial, made by
/// make_adversarial.py): each must be refused with exit 1 and one line on stderr naming the file
/// and the rule (the manifest's substring), within 2 s and 200 MB of peak resident memory.
@Suite struct AdversarialCorpusTests {
    static let root = Fixtures.path("adversarial")
    static let maxSeconds = 2.0
    static let maxPeakRSS = 200 << 20

    /// `expected.json`: corpus file (relative to adversarial/) -> substring of its error.
    static func manifest() throws -> [(file: String, expected: String)] {
        let json = try JSONFile.read(path: root + "/expected.json")
        return try #require(json.objectValue).entries.map { ($0.key, $0.value.stringValue ?? "") }
    }

    @Test func manifestCoversEveryCorpusFile() throws {
        let listed = Set(try Self.manifest().map(\.file))
        let enumerator = FileManager.default.enumerator(atPath: Self.root)
        var unlisted: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            guard !Paths.isDirectory(Self.root + "/" + relative), relative != "expected.json", !listed.contains(relative) else { continue }
            unlisted.append(relative)
        }
        // Companion files that are valid on purpose (a shard the indexes share, an external-link target).
        #expect(Set(unlisted) == ["sharded/shard.safetensors", "hdf5/external_target.h5"])
        #expect(listed.count > 150)
    }

    @Test func everyCorpusFileIsRefusedWithItsRuleQuicklyAndInLittleMemory() throws {
        let scratch = try Fixtures.scratchDirectory("adversarial")
        defer { Fixtures.removeScratch(scratch) }
        var failures: [String] = []
        for (file, expected) in try Self.manifest() {
            let (arguments, named) = try command(for: file, scratch: scratch)
            let result = try runProcessMeasured(CLITests.executable, arguments) { ProcessMemory.peakResidentBytes(process: $0) }
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            var problems: [String] = []
            if result.status != 1 { problems.append("exit \(result.status)") }
            if lines.count != 1 { problems.append("\(lines.count) stderr lines") }
            if !result.stderr.contains(expected) { problems.append("no '\(expected)'") }
            if !result.stderr.contains(named) { problems.append("does not name \(named)") }
            if result.seconds > Self.maxSeconds { problems.append(String(format: "took %.2f s", result.seconds)) }
            if result.peakRSSBytes > Self.maxPeakRSS || result.peakRSSBytes == 0 { problems.append("peak RSS \(result.peakRSSBytes >> 20) MB") }
            if !problems.isEmpty {
                failures.append("\(file): \(problems.joined(separator: ", ")): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) corpus files misbehaved:\n\(failures.joined(separator: "\n"))")
    }

    /// The command that reaches the reader of `file`, and the name its error must mention.
    /// Tokenizer and config files (`tokenizer/<name>.<rule>`) are installed as `<name>` into a copy
    /// of the tiny GPT-2 model directory and read by `tokenize`; everything else by `inspect`.
    func command(for file: String, scratch: String) throws -> (arguments: [String], named: String) {
        let path = Self.root + "/" + file
        let folder = file.split(separator: "/").first.map(String.init) ?? ""
        guard folder == "tokenizer" || folder == "config" else { return (["inspect", path], Paths.fileName(of: file)) }
        let installedName = Paths.fileName(of: file).split(separator: ".").prefix(2).joined(separator: ".")
        let model = scratch + "/model"
        let manager = FileManager.default
        try? manager.removeItem(atPath: model)
        try manager.copyItem(atPath: Fixtures.path("hf/gpt2-tiny"), toPath: model)
        // vocab.json / merges.txt are read only without tokenizer.json, vocab.txt only without both.
        if installedName != "tokenizer.json" && installedName != "config.json" { try manager.removeItem(atPath: model + "/tokenizer.json") }
        if installedName == "vocab.txt" { try manager.removeItem(atPath: model + "/vocab.json") }
        try? manager.removeItem(atPath: model + "/" + installedName)
        try manager.copyItem(atPath: path, toPath: model + "/" + installedName)
        return (["tokenize", model, "--text", "hello"], installedName)
    }
}
