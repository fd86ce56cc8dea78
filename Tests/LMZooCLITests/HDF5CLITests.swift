import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on HDF5 and Keras files, run as a user would run it.
@Suite struct HDF5CLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    @Test func listShowsH5AndKerasReadAndWrite() throws {
        let json = try #require(parseJSON(try lmzoo("list", "--json")))
        for name in ["h5", "keras"] {
            let format = json["formats"]?.arrayValue?.first { $0["name"]?.stringValue == name }
            #expect(format?["read"]?.boolValue == true && format?["write"]?.boolValue == true, "\(name)")
        }
    }

    /// Files on which libhdf5 itself segfaults (found by fuzzing): the read runs in a child lmzoo
    /// first (HDF5CrashGuard), so lmzoo refuses them with one line instead of crashing.
    @Test(arguments: ["libhdf5-segfaults-reading-attributes.h5", "libhdf5-segfaults-at-close.keras",
                      "libhdf5-segfaults-found-by-guarded-fuzzing.h5"])
    func filesThatCrashLibhdf5AreRefused(_ name: String) throws {
        let scratch = try Fixtures.scratchDirectory("cli-h5-crash")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/" + name
        try FileManager.default.copyItem(atPath: Fixtures.path("fuzz-regressions/hdf5/" + name), toPath: copy)
        let result = try lmzoo("inspect", copy)
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 && lines[0].contains(copy) && lines[0].contains("libhdf5 reads it without crashing"), "\(result.stderr)")
    }

    @Test func inspectShowsAKerasArchive() throws {
        let result = try lmzoo("inspect", Fixtures.path("hdf5/model.keras"), "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        #expect(json["format"]?.stringValue == "keras")
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == 6)
        let kernel = tensors.first { $0["name"]?.stringValue == "layers.lstm.cell.vars.0" }
        #expect(kernel?["dtype"]?.stringValue == "F32" && kernel?["shape"] == [8, 64])
        let layers = try JSONParser.parse(try #require(json["metadata"]?[KerasArchive.layersKey]?.stringValue))
        #expect(layers["lstm"]?.stringValue == "LSTM" && layers["dense"]?.stringValue == "Dense")
        #expect(json["metadata"]?[KerasArchive.configKey]?.stringValue?.contains("\"Sequential\"") == true)
    }

    @Test func safetensorsToH5AndBackIsBitExact() throws {
        let scratch = try Fixtures.scratchDirectory("cli-h5")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("safetensors/python_mixed.safetensors")
        let h5 = scratch + "/mixed.h5", back = scratch + "/back.safetensors"
        let there = try lmzoo("convert", source, h5, "--json")
        #expect(there.status == 0, "\(there.stderr)")
        #expect(parseJSON(there)?["format"]?.stringValue == "h5")
        #expect(parseJSON(there)?["tensors"]?.intValue == 15)
        let again = try lmzoo("convert", h5, back)
        #expect(again.status == 0, "\(again.stderr)")
        let original = try SafetensorsReader.read(path: source)
        let roundTripped = try SafetensorsReader.read(path: back)
        #expect(roundTripped.metadata == original.metadata)
        #expect(Set(roundTripped.names) == Set(original.names))
        for (name, tensor) in original.entries {
            #expect(try roundTripped.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
    }

    @Test func kerasToKerasAndToWeightsH5() throws {
        let scratch = try Fixtures.scratchDirectory("cli-keras")
        defer { Fixtures.removeScratch(scratch) }
        let keras = try lmzoo("convert", Fixtures.path("hdf5/model.keras"), scratch + "/out.keras")
        #expect(keras.status == 0, "\(keras.stderr)")
        let weights = try lmzoo("convert", Fixtures.path("hdf5/model.keras"), scratch + "/out.weights.h5")
        #expect(weights.status == 0, "\(weights.stderr)")
        let reread = try HDF5Reader.read(path: scratch + "/out.weights.h5")
        #expect(reread.names.contains("layers.lstm.cell.vars.2") && reread.metadata[KerasArchive.configKey] != nil)
        // Without a Keras config there is no .keras to write: exit 1 with the reason.
        let refused = try lmzoo("convert", Fixtures.path("safetensors/python_mixed.safetensors"), scratch + "/x.keras")
        #expect(refused.status == 1 && refused.stderr.contains("keras.config"), "\(refused.stderr)")
    }

    @Test func refusedFileExitsOneWithOneLineNamingIt() throws {
        let scratch = try Fixtures.scratchDirectory("cli-h5-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = Fixtures.path("hdf5/external_link.h5")
        let out = scratch + "/out.safetensors"
        for result in [try lmzoo("inspect", path), try lmzoo("inspect", path, "--json"), try lmzoo("convert", path, out)] {
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(path) && result.stderr.contains("'no external links'"), "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        // A file libhdf5 cannot open: one line, and nothing from libhdf5 itself on stderr.
        let garbage = scratch + "/garbage.h5"
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: garbage))
        let unreadable = try lmzoo("inspect", garbage)
        #expect(unreadable.status == 1 && unreadable.stderr.split(separator: "\n").count == 1, "\(unreadable.stderr)")
        #expect(unreadable.stderr.contains(garbage) && unreadable.stderr.contains("readable by libhdf5"), "\(unreadable.stderr)")
    }
}
