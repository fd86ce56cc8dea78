import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on PyTorch checkpoints, run as a user would.
@Suite struct TorchCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    @Test(arguments: [["inspect"], ["inspect", "--json"], ["convert", "OUT.safetensors"], ["convert", "OUT.bin"]])
    func maliciousCheckpointIsRefusedAndNothingRuns(_ command: [String]) throws {
        let scratch = try Fixtures.scratchDirectory("cli-torch-evil")
        defer { Fixtures.removeScratch(scratch) }
        try? FileManager.default.removeItem(atPath: "/tmp/lmzoo-pwned")
        let input = Fixtures.path("torch/malicious.pt")
        let output = command.count > 1 && command[1].hasPrefix("OUT") ? scratch + "/" + command[1] : nil
        var arguments = [command[0], input]
        if let output { arguments.append(output) } else { arguments += command.dropFirst() }
        let result = try runProcess(CLITests.executable, arguments)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("malicious.pt") && result.stderr.contains("posix.system"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lmzoo-pwned"))
        if let output { #expect(!FileManager.default.fileExists(atPath: output)) }
    }

    @Test func legacyCheckpointIsRefusedWithAHint() throws {
        let result = try lmzoo("inspect", Fixtures.path("torch/legacy.pt"))
        #expect(result.status == 1)
        #expect(result.stderr.contains("legacy.pt") && result.stderr.contains("re-save with torch>=1.6"))
    }

    @Test func inspectAndConvertBetweenTorchAndSafetensors() throws {
        let scratch = try Fixtures.scratchDirectory("cli-torch")
        defer { Fixtures.removeScratch(scratch) }
        let listed = try lmzoo("list", "--json")
        let torch = try JSONParser.parse(listed.stdout)["formats"]?.arrayValue?.first { $0["name"]?.stringValue == "torch" }
        #expect(torch?["read"]?.boolValue == true && torch?["write"]?.boolValue == true)

        let inspected = try lmzoo("inspect", Fixtures.path("torch/tiny_gpt2.bin"), "--json")
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let json = try JSONParser.parse(inspected.stdout)
        #expect(json["format"]?.stringValue == "torch")
        #expect(json["tensors"]?.arrayValue?.count == 17)

        // torch -> safetensors (tied weights written once) -> torch: the tie survives both ways.
        let safetensors = scratch + "/model.safetensors", back = scratch + "/pytorch_model.bin"
        let there = try lmzoo("convert", Fixtures.path("torch/tiny_gpt2.bin"), safetensors, "--shared", "once")
        #expect(there.status == 0, "\(there.stderr)")
        let again = try lmzoo("convert", safetensors, back, "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try JSONParser.parse(again.stdout)["format"]?.stringValue == "torch")
        let original = try TorchReader.read(path: Fixtures.path("torch/tiny_gpt2.bin"))
        let roundTripped = try TorchReader.read(path: back)
        #expect(roundTripped.aliases().map(\.alias) == ["lm_head.weight"])
        for (name, tensor) in original.entries { #expect(try roundTripped.tensor(name).isBitwiseEqual(to: tensor), "\(name)") }
    }
}
