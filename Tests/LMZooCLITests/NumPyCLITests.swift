import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo convert` / `inspect` with NumPy's `.npz` and `.npy` files, run as a user would.
@Suite struct NumPyCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    @Test func convertSafetensorsToNPZThenInspect() throws {
        let scratch = try Fixtures.scratchDirectory("cli-npz")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("safetensors/python_mixed.safetensors")
        let out = scratch + "/out.npz"
        // The fixture holds a BF16 tensor, which NumPy cannot: a clear one-line error, and no file.
        let refused = try lmzoo("convert", source, out)
        #expect(refused.status == 1)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.contains(out) && refused.stderr.contains("'bf16.values' is BF16") && refused.stderr.contains("--dtype"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        let bf16 = try lmzoo("convert", source, out, "--dtype", "bf16")
        #expect(bf16.status == 2 && bf16.stderr.contains("npz cannot hold BF16"))

        let converted = try lmzoo("convert", source, out, "--dtype", "f32", "--json")
        #expect(converted.status == 0, "\(converted.stderr)")
        let summary = try #require(try? JSONParser.parse(converted.stdout))
        #expect(summary["format"]?.stringValue == "npz" && summary["tensors"]?.intValue == 15)

        let inspected = try lmzoo("inspect", out, "--json")
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let json = try #require(try? JSONParser.parse(inspected.stdout))
        #expect(json["format"]?.stringValue == "npz")
        #expect(json["metadata"]?.objectValue?.count == 0)
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == 15)
        func tensor(_ name: String) -> JSONValue? { tensors.first { $0["name"]?.stringValue == name } }
        #expect(tensor("bf16.values")?["dtype"]?.stringValue == "F32")
        #expect(tensor("f16.specials")?["dtype"]?.stringValue == "F32")
        #expect(tensor("i64.values")?["dtype"]?.stringValue == "I64")
        #expect(tensor("scalar")?["shape"] == [])
        #expect(tensor("empty")?["shape"] == [0, 4])
        // The values survive: integers exactly, floats as their f32 conversion.
        let original = try SafetensorsReader.read(path: source)
        let npz = try NumPyReader.readNPZ(path: out)
        #expect(try npz.tensor("u64.values").isBitwiseEqual(to: original.tensor("u64.values")))
        #expect(try npz.tensor("bf16.values").isBitwiseEqual(to: original.tensor("bf16.values").converted(to: .f32)))
    }

    @Test func npyConvertsAndNamesItsArrayAfterTheFile() throws {
        let scratch = try Fixtures.scratchDirectory("cli-npy")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/weights.safetensors"
        #expect(try lmzoo("convert", Fixtures.path("numpy/fortran.npy"), out).status == 0)
        let json = try #require(try? JSONParser.parse(try lmzoo("inspect", out, "--json").stdout))
        #expect(json["tensors"] == [["name": "fortran", "dtype": "F64", "shape": [3, 4]]])
        let npy = try lmzoo("inspect", Fixtures.path("numpy/f4.npy"), "--json")
        #expect(try #require(try? JSONParser.parse(npy.stdout))["format"]?.stringValue == "npy")
        // An .npz of several arrays does not fit in one .npy.
        let many = try lmzoo("convert", Fixtures.path("numpy/savez.npz"), scratch + "/all.npy")
        #expect(many.status == 1 && many.stderr.contains("exactly one array"))
    }

    @Test(arguments: ["object.npy", "truncated.npy", "structured.npy"])
    func refusedNPYExitsOneWithOneLineNamingTheFile(file: String) throws {
        let path = Fixtures.path("numpy/" + file)
        for result in [try lmzoo("inspect", path), try lmzoo("inspect", path, "--json"), try lmzoo("convert", path, "/tmp/lmzoo-never-written.npz")] {
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains(path) && result.stderr.contains("npy rule"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lmzoo-never-written.npz"))
        let object = try lmzoo("inspect", Fixtures.path("numpy/object.npy"))
        #expect(object.stderr.contains("'object dtype'"))
    }
}
