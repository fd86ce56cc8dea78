import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct KerasTests {
    /// keras.json beside the fixtures: expected tensors, layer classes, and whether Keras loaded
    /// the `.keras` lmzoo wrote when the fixtures were made.
    static func kerasJSON() throws -> JSONValue { try JSONFile.read(path: Fixtures.path("hdf5/keras.json")) }

    func expectMatches(_ store: TensorStore, _ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let differences = try Fixtures.differences(store, expected: relative, checkMetadata: false)
        #expect(differences.isEmpty, "\(differences)", sourceLocation: sourceLocation)
    }

    @Test func keras3WeightsFileReadsAsKerasWroteIt() throws {
        let store = try HDF5Reader.read(path: Fixtures.path("hdf5/model.weights.h5"))
        try expectMatches(store, "hdf5/keras.json")
        #expect(store.names.contains("layers.lstm.cell.vars.1"))
        #expect(store.metadata["/layers/lstm/cell/vars@name"] == "lstm_cell")
    }

    @Test func kerasArchiveReadsWeightsInPlaceAndKeepsTheConfig() throws {
        let store = try KerasArchive.read(path: Fixtures.path("hdf5/model.keras"))
        try expectMatches(store, "hdf5/keras.json")
        // model.weights.h5 is stored uncompressed: tensors are views of the .keras file's map.
        #expect(store.entries.allSatisfy { $0.tensor.isMapped })
        let config = try JSONParser.parse(try #require(store.metadata[KerasArchive.configKey]))
        #expect(config["class_name"]?.stringValue == "Sequential")
        #expect(try JSONParser.parse(try #require(store.metadata[KerasArchive.metadataKey]))["keras_version"]?.stringValue != nil)
        let layers = try JSONParser.parse(try #require(store.metadata[KerasArchive.layersKey]))
        for (name, className) in try KerasTests.kerasJSON()["layers"]?.objectValue?.entries ?? [] {
            #expect(layers[name] == className, "\(name)")
        }
        #expect(layers["lstm"]?.stringValue == "LSTM")
    }

    @Test func legacyKerasH5IsNamedFromWeightNames() throws {
        let store = try HDF5Reader.read(path: Fixtures.path("hdf5/legacy.h5"))
        try expectMatches(store, "hdf5/legacy.json")
        let expected = try Fixtures.expectedTensors("hdf5/legacy.json")
        for (key, value) in expected.metadata { #expect(store.metadata[key] == value, "\(key)") }
        #expect(store.metadata["keras.model_config"]?.contains("Sequential") == true)
        #expect(store.names.contains("lstm.lstm_cell.recurrent_kernel"))
        #expect(store["optimizer_weights.iterations"] == nil)
        #expect(KerasLayout.tensorName(layer: "dense", weight: "kernel:0") == "dense.kernel")
        #expect(KerasLayout.tensorName(layer: "lstm", weight: "lstm/lstm_cell/kernel:0") == "lstm.lstm_cell.kernel")
    }

    /// lmzoo_written.keras is what `lmzoo convert model.keras out.keras` wrote when the fixtures
    /// were made, and Keras 3 loaded it (keras.saving.load_model) with identical outputs. The writer
    /// must still produce the same archive contents (tensors, config, metadata, member names).
    @Test func writerStillProducesTheArchiveKerasAccepted() throws {
        let acceptance = try #require(try KerasTests.kerasJSON()["lmzoo_written_keras"])
        #expect(acceptance["checked"]?.boolValue == true && acceptance["loads"]?.boolValue == true, "\(acceptance)")
        #expect(acceptance["max_abs_difference"]?.doubleValue == 0)

        let scratch = try Fixtures.scratchDirectory("keras-golden")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/again.keras"
        let summary = try KerasArchive.write(try KerasArchive.read(path: Fixtures.path("hdf5/model.keras")), to: out)
        #expect(summary.tensorCount == 6)
        let golden = try ZipArchive(path: Fixtures.path("hdf5/lmzoo_written.keras"))
        let fresh = try ZipArchive(path: out)
        #expect(fresh.entries.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
        #expect(fresh.entries.map(\.name) == golden.entries.map(\.name))
        for member in ["metadata.json", "config.json"] {
            let mine = try #require(fresh.entry(named: member)), theirs = try #require(golden.entry(named: member))
            #expect(try fresh.bytes(of: mine) == golden.bytes(of: theirs), "\(member)")
        }
        let goldenStore = try KerasArchive.read(path: Fixtures.path("hdf5/lmzoo_written.keras"))
        let freshStore = try KerasArchive.read(path: out)
        #expect(freshStore.names == goldenStore.names)
        #expect(freshStore.metadata == goldenStore.metadata)
        for (name, tensor) in goldenStore.entries {
            #expect(try freshStore.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
        try expectMatches(freshStore, "hdf5/keras.json")
    }

    @Test func truncatedKerasArchiveGivesAClearError() throws {
        let scratch = try Fixtures.scratchDirectory("keras-truncated")
        defer { Fixtures.removeScratch(scratch) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hdf5/model.keras")))
        for keep in [whole.count - 10, whole.count / 2, 100] {
            let path = scratch + "/cut\(keep).keras"
            try whole.prefix(keep).write(to: URL(fileURLWithPath: path))
            do {
                _ = try KerasArchive.read(path: path)
                Issue.record("a .keras cut to \(keep) bytes was accepted")
            } catch let error as LocatedError {
                #expect(error.path == path)
                #expect(error.underlying is ZipError, "\(error)")
                #expect(String(describing: error).contains("truncated"), "\(error)")
            }
        }
    }

    @Test func archiveMembersAreRequiredAndChecked() throws {
        let scratch = try Fixtures.scratchDirectory("keras-members")
        defer { Fixtures.removeScratch(scratch) }
        let weights = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hdf5/model.weights.h5"))))
        func archive(_ members: [(String, [UInt8])]) throws -> (any Error)? {
            let path = scratch + "/a\(members.count)-\(members.first?.0 ?? "").keras"
            let zip = try ZipWriter(destination: path)
            for (name, bytes) in members { try zip.addEntry(name: name, bytes: bytes) }
            try zip.finish()
            do {
                _ = try KerasArchive.read(path: path)
                return nil
            } catch let error as LocatedError {
                return error.underlying
            }
        }
        #expect(try archive([("config.json", Array("{}".utf8))]) as? KerasError == .missingMember("model.weights.h5"))
        #expect(try archive([("model.weights.h5", weights)]) as? KerasError == .missingMember("config.json"))
        guard case .invalidJSON("config.json", _)? = try archive([("config.json", Array("{".utf8)), ("model.weights.h5", weights)]) as? KerasError else {
            Issue.record("broken config.json accepted")
            return
        }
        let garbage = [UInt8](repeating: 7, count: 600)
        guard case .cannotOpen? = try archive([("config.json", Array("{}".utf8)), ("model.weights.h5", garbage)]) as? HDF5Error else {
            Issue.record("a model.weights.h5 that is not HDF5 was accepted")
            return
        }
    }

    @Test func writingAKerasArchiveNeedsAConfigAndKerasNames() throws {
        let scratch = try Fixtures.scratchDirectory("keras-write")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore()
        try store.add("layers.dense.vars.0", try Tensor(shape: [1], floats: [1]))
        do {
            try KerasArchive.write(store, to: scratch + "/a.keras")
            Issue.record("a store without a Keras config was written as .keras")
        } catch let error as LocatedError {
            #expect(error.underlying as? KerasError == .noConfig)
        }
        store.metadata[KerasArchive.configKey] = "{}"
        try store.add("dense.weight", try Tensor(shape: [1], floats: [1]))
        do {
            try KerasArchive.write(store, to: scratch + "/b.keras")
            Issue.record("non-Keras names accepted")
        } catch let error as LocatedError {
            #expect(error.underlying as? KerasError == .notKerasLayout("dense.weight"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }
}
