import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// Runs the built `lmzoo` executable as a user would and checks output, exit codes and files.
@Suite struct CLITests {
    /// The `lmzoo` binary beside the test bundle (SwiftPM builds it: the test target depends on it).
    static let executable: String = {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("lmzoo").path
    }()

    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    @Test func listNamesEveryPluginAndFormat() throws {
        let result = try lmzoo("list", "--json")
        #expect(result.status == 0)
        let json = try #require(parseJSON(result))
        let names = json["architectures"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["ngram", "hmm", "lstm", "gpt2", "bert"])
        #expect(json["architectures"]?.arrayValue?.allSatisfy { $0["capabilities"]?.arrayValue != nil } == true)
        let safetensors = json["formats"]?.arrayValue?.first { $0["name"]?.stringValue == "safetensors" }
        #expect(safetensors?["read"]?.boolValue == true && safetensors?["write"]?.boolValue == true)
        #expect(json["libraries"]?["hdf5"]?.stringValue?.hasPrefix("1.") == true)
    }

    @Test func inspectReportsFormatArchitectureMetadataAndTensors() throws {
        let result = try lmzoo("inspect", Fixtures.path("safetensors/python_mixed.safetensors"), "--json")
        #expect(result.status == 0)
        let json = try #require(parseJSON(result))
        #expect(json["format"]?.stringValue == "safetensors")
        #expect(json["architecture"] == .null)
        #expect(json["metadata"]?["format"]?.stringValue == "pt")
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == 15)
        let bf16 = tensors.first { $0["name"]?.stringValue == "bf16.values" }
        #expect(bf16?["dtype"]?.stringValue == "BF16" && bf16?["shape"] == [5])
        let scalar = tensors.first { $0["name"]?.stringValue == "scalar" }
        #expect(scalar?["shape"] == [])

        let sharded = try lmzoo("inspect", Fixtures.path("safetensors/sharded"), "--json")
        #expect(parseJSON(sharded)?["architecture"]?.stringValue == "gpt2")
        #expect(parseJSON(sharded)?["tensors"]?.arrayValue?.count == 4)
    }

    @Test func convertChangesDTypeAndReportsWhatItWrote() throws {
        let scratch = try Fixtures.scratchDirectory("cli-convert")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/half.safetensors"
        let result = try lmzoo("convert", Fixtures.path("safetensors/sharded"), out, "--dtype", "f16", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        #expect(json["out"]?.stringValue == out && json["format"]?.stringValue == "safetensors")
        #expect(json["tensors"]?.intValue == 4)
        #expect(json["bytes"]?.intValue == (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int))
        #expect(json["seconds"]?.doubleValue != nil)
        #expect(result.stderr.contains("lossy conversion F32 -> F16"))
        let converted = try SafetensorsReader.read(path: out)
        #expect(converted.entries.allSatisfy { $0.tensor.dtype == .f16 })
        let original = try Checkpoint.open(Fixtures.path("safetensors/sharded")).tensors
        #expect(try converted.tensor("wte.weight").isBitwiseEqual(to: original.tensor("wte.weight").converted(to: .f16)))
    }

    @Test func convertRefusesToOverwriteItsInput() throws {
        let scratch = try Fixtures.scratchDirectory("cli-same")
        defer { Fixtures.removeScratch(scratch) }
        let input = scratch + "/in.safetensors"
        try FileManager.default.copyItem(atPath: Fixtures.path("safetensors/python_mixed.safetensors"), toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let same = try lmzoo("convert", input, input, "--dtype", "bf16")
        #expect(same.status == 1)
        #expect(same.stderr.contains("in.safetensors") && same.stderr.contains("same file as the input"))
        // A hard link is the same file under another name.
        let link = scratch + "/link.safetensors"
        try FileManager.default.linkItem(atPath: input, toPath: link)
        let linked = try lmzoo("convert", input, link, "--dtype", "bf16")
        #expect(linked.status == 1)
        // A shard of a sharded checkpoint is an input too.
        let shardDir = scratch + "/sharded"
        try FileManager.default.copyItem(atPath: Fixtures.path("safetensors/sharded"), toPath: shardDir)
        let shard = shardDir + "/model-00002-of-00002.safetensors"
        let shardBefore = try Data(contentsOf: URL(fileURLWithPath: shard))
        #expect(try lmzoo("convert", shardDir, shard).status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: shard)) == shardBefore)
    }

    @Test(arguments: MalformedSafetensors.all)
    func malformedFileExitsOneWithOneLineNamingFileAndRule(_ malformed: MalformedSafetensors) throws {
        let scratch = try Fixtures.scratchDirectory("cli-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/bad.safetensors"
        try Data(malformed.bytes).write(to: URL(fileURLWithPath: path))
        let out = scratch + "/out.safetensors"
        try Data("previous".utf8).write(to: URL(fileURLWithPath: out))
        for result in [try lmzoo("inspect", path), try lmzoo("inspect", path, "--json"), try lmzoo("convert", path, out)] {
            #expect(result.status == 1, "\(malformed.rule): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(result.stderr.contains(path) && result.stderr.contains("'\(malformed.rule)'"), "\(result.stderr)")
        }
        // The failed convert left the existing OUT as it was, and no temporary file behind.
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).sorted() == ["bad.safetensors", "out.safetensors"])
    }

    @Test func usageErrorsExitTwoAndMissingFilesExitOne() throws {
        #expect(try lmzoo("inspect").status == 2)
        #expect(try lmzoo("convert", "a.safetensors", "b.safetensors", "--dtype", "f8").status == 2)
        let q8 = try lmzoo("convert", Fixtures.path("safetensors/python_mixed.safetensors"), "/tmp/x.safetensors", "--dtype", "q8_0")
        #expect(q8.status == 2 && q8.stderr.contains("safetensors cannot hold Q8_0"))
        let missing = try lmzoo("inspect", "/nonexistent/model.safetensors")
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/model.safetensors"))
        let unknown = try lmzoo("convert", Fixtures.path("safetensors/python_mixed.safetensors"), "/tmp/out.unknownext")
        #expect(unknown.status == 2 && unknown.stderr.contains("--to"))  // OUT's format is the command line's to give
        let notCheckpoint = try lmzoo("inspect", Fixtures.path("check_safetensors_interop.py"))
        #expect(notCheckpoint.status == 1 && notCheckpoint.stderr.contains("not a checkpoint format"))
    }
}
