import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on GGUF files, run as a user would run it.
@Suite struct GGUFCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    @Test func listShowsGGUFReadAndWrite() throws {
        let json = try #require(parseJSON(try lmzoo("list", "--json")))
        let gguf = json["formats"]?.arrayValue?.first { $0["name"]?.stringValue == "gguf" }
        #expect(gguf?["read"]?.boolValue == true && gguf?["write"]?.boolValue == true)
    }

    @Test func inspectShowsBlockDTypesReversedShapesAndMetadata() throws {
        let result = try lmzoo("inspect", Fixtures.path("gguf/python_all_types.gguf"), "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        #expect(json["format"]?.stringValue == "gguf")
        #expect(json["metadata"]?["general.architecture"]?.stringValue == "lmzootest")
        #expect(json["metadata"]?["test.u32"]?.stringValue == "4294967295")
        #expect(json["metadata"]?["tokenizer.ggml.tokens"]?.stringValue?.hasPrefix("array[STRING; 300]") == true)
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == 13)
        func tensor(_ name: String) -> JSONValue? { tensors.first { $0["name"]?.stringValue == name } }
        #expect(tensor("q8_0.weight")?["dtype"]?.stringValue == "Q8_0" && tensor("q8_0.weight")?["shape"] == [4, 64])
        #expect(tensor("q4_0.weight")?["dtype"]?.stringValue == "Q4_0")
        #expect(tensor("bf16.values")?["dtype"]?.stringValue == "BF16" && tensor("bf16.values")?["shape"] == [2, 8])
        #expect(tensor("f32.matrix")?["shape"] == [3, 64])

        let table = try lmzoo("inspect", Fixtures.path("gguf/python_all_types.gguf"))
        #expect(table.status == 0 && table.stdout.contains("Q8_0") && table.stdout.contains("general.architecture = lmzootest"))
    }

    @Test func convertQuantizesToQ8_0AndBackToSafetensors() throws {
        let scratch = try Fixtures.scratchDirectory("cli-gguf")
        defer { Fixtures.removeScratch(scratch) }
        // A checkpoint of no known architecture: names and shapes go to GGUF as they are.
        var source = TensorStore(metadata: ["note": "plain"])
        try source.add("w", try Tensor(shape: [4, 64], floats: (0..<256).map { Float($0) / 100 }))
        try source.add("b", try Tensor(shape: [5], floats: [1, 2, 3, 4, 5]))
        try source.add("odd", try Tensor(shape: [3, 10], floats: Array(repeating: 0.5, count: 30)))
        try source.add("ids", try Tensor(zeros: .i32, shape: [3]))
        let input = scratch + "/in.safetensors"
        try SafetensorsWriter.write(source, to: input)

        let out = scratch + "/model.gguf"
        let result = try lmzoo("convert", input, out, "--dtype", "q8_0", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        #expect(json["format"]?.stringValue == "gguf" && json["tensors"]?.intValue == 4)
        let store = try GGUFReader.read(path: out)
        #expect(Set(store.names) == Set(source.names))
        #expect(["w", "b", "odd", "ids"].map { store[$0]?.dtype } == [.q8_0, .f32, .f16, .i32])
        #expect(try store.tensor("w").isBitwiseEqual(to: source.tensor("w").converted(to: .q8_0)))
        #expect(store.metadata["note"] == "plain")

        let inspect = try lmzoo("inspect", out, "--json")
        let w = parseJSON(inspect)?["tensors"]?.arrayValue?.first { $0["name"]?.stringValue == "w" }
        #expect(w?["dtype"]?.stringValue == "Q8_0" && w?["shape"] == [4, 64])

        let back = scratch + "/back.safetensors"
        let reverse = try lmzoo("convert", out, back, "--dtype", "f32")
        #expect(reverse.status == 0, "\(reverse.stderr)")
        let reread = try SafetensorsReader.read(path: back)
        #expect(try ["w", "b", "odd"].allSatisfy { try reread.tensor($0).dtype == .f32 } && reread["ids"]?.dtype == .i32)
        #expect(try reread.tensor("w").isBitwiseEqual(to: store.tensor("w").converted(to: .f32)))
    }

    @Test func aFileClaimingTwoToTheSixtyTwoTensorsExitsOneWithOneLine() throws {
        let scratch = try Fixtures.scratchDirectory("cli-gguf-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/huge.gguf"
        try Data(MalformedGGUF.hugeTensorCount).write(to: URL(fileURLWithPath: path))
        for result in [try lmzoo("inspect", path), try lmzoo("inspect", path, "--json"), try lmzoo("convert", path, scratch + "/out.gguf")] {
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains(path) && result.stderr.contains("'counts fit in the file'"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch + "/out.gguf"))
    }
}
