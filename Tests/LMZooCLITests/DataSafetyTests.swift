import Foundation
import LMZooCore
import LMZooTestSupport
import Testing

/// `convert` never loses a user's file: OUT naming an input (directly, through a symlink or a hard
/// link, or inside an output directory) is refused even with --force; an existing OUT is replaced
/// only with --force. `verify` checks a model's files against the sha256 on its card.
@Suite struct DataSafetyTests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func convertRefusesToReplaceAnExistingOutputWithoutForce() throws {
        let scratch = try Fixtures.scratchDirectory("force")
        defer { Fixtures.removeScratch(scratch) }
        let input = Fixtures.path("safetensors/python_mixed.safetensors"), out = scratch + "/out.safetensors"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        let refused = try lmzoo("convert", input, out)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(out): already exists; use --force"))
        #expect(try bytes(out) == Data("keep me".utf8))
        let forced = try lmzoo("convert", input, out, "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try bytes(out) == bytes(input))
    }

    @Test func convertRefusesOutputThatIsTheInputThroughSymlinksAndHardLinks() throws {
        let scratch = try Fixtures.scratchDirectory("same-file")
        defer { Fixtures.removeScratch(scratch) }
        let input = scratch + "/in.safetensors"
        try FileManager.default.copyItem(atPath: Fixtures.path("safetensors/python_mixed.safetensors"), toPath: input)
        let original = try bytes(input)
        try FileManager.default.createSymbolicLink(atPath: scratch + "/symlink.safetensors", withDestinationPath: input)
        try FileManager.default.linkItem(atPath: input, toPath: scratch + "/hardlink.safetensors")
        for out in [input, scratch + "/symlink.safetensors", scratch + "/hardlink.safetensors"] {
            let result = try lmzoo("convert", input, out, "--force", "--dtype", "f16")
            #expect(result.status == 1, "\(out)")
            #expect(result.stderr.contains("output is the same file as the input"), "\(out): \(result.stderr)")
        }
        #expect(try bytes(input) == original)
    }

    @Test func directoryOutputRefusesExistingFilesAndInputFilesInside() throws {
        let scratch = try Fixtures.scratchDirectory("dir-out")
        defer { Fixtures.removeScratch(scratch) }
        let input = scratch + "/in"
        try FileManager.default.copyItem(atPath: Fixtures.path("lstm/untied"), toPath: input)
        let out = scratch + "/out"
        #expect(try lmzoo("convert", input, out).status == 0)
        let again = try lmzoo("convert", input, out)
        #expect(again.status == 1 && again.stderr.contains("already exists; use --force"), "\(again.stderr)")
        try "old".write(toFile: out + "/stale.txt", atomically: true, encoding: .utf8)
        #expect(try lmzoo("convert", input, out, "--force").status == 0)
        #expect(!Paths.exists(out + "/stale.txt"))  // replaced whole, never merged with the old folder
        // OUT holding a hard link to the input's weights: refused even with --force.
        let linked = scratch + "/linked"
        try FileManager.default.createDirectory(atPath: linked, withIntermediateDirectories: true)
        try FileManager.default.linkItem(atPath: input + "/model.safetensors", toPath: linked + "/model.safetensors")
        let original = try bytes(input + "/model.safetensors")
        let refused = try lmzoo("convert", input, linked, "--force", "--dtype", "f16")
        #expect(refused.status == 1 && refused.stderr.contains("holds the input"), "\(refused.stderr)")
        #expect(try bytes(input + "/model.safetensors") == original)
        // OUT that is the input directory itself.
        #expect(try lmzoo("convert", input, input, "--force").stderr.contains("output is the same file as the input"))
    }

    @Test func verifyChecksEveryFileAgainstItsCard() throws {
        let good = try lmzoo("verify", "fortunes-ngram3")
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("OK") && good.stdout.contains("model.arpa.gz"))

        let scratch = try Fixtures.scratchDirectory("verify")
        defer { Fixtures.removeScratch(scratch) }
        let model = scratch + "/fortunes-hmm"  // a card's name must equal its folder's
        try FileManager.default.copyItem(atPath: Fixtures.path("../../models/fortunes-hmm"), toPath: model)
        #expect(try lmzoo("verify", model).status == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: model + "/config.json"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: model + "/vocab.json")
        let bad = try lmzoo("verify", model, "--json")
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("2 of 3 files do not match"), "\(bad.stderr)")
        let json = try JSONParser.parse(bad.stdout)
        #expect(json["ok"]?.boolValue == false)
        let statuses = json["files"]?.arrayValue?.map { "\($0["path"]?.stringValue ?? ""):\($0["status"]?.stringValue ?? "")" }
        #expect(statuses == ["config.json:mismatch", "model.safetensors:ok", "vocab.json:missing"])
        let lines = try lmzoo("verify", model).stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("MISMATCH config.json") && lines[2].hasPrefix("MISSING  vocab.json"))
        #expect(try lmzoo("verify", scratch).stderr.contains("no model.json card"))
    }
}
