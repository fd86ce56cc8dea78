import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo convert IN OUT_DIR --layout torch|keras` on LSTM models: a model directory (config.json,
/// model.safetensors in the layout's names, vocab.json when the input has one) that loads and scores
/// like the input, and back.
@Suite struct LSTMDirectoryConversionTests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    /// Per-token log-probabilities of `model` on the fixture ids of `name`.
    func perToken(_ model: String, _ name: String) throws -> [Double] {
        let result = try lmzoo("score", model, "--ids", LSTMCLITests.idList(name), "--per-token", "--json")
        #expect(result.status == 0, "\(model): \(result.stderr)")
        return (try? JSONParser.parse(result.stdout))?["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
    }

    func expectSame(_ a: [Double], _ b: [Double], within tolerance: Double, _ label: String) {
        #expect(!a.isEmpty && a.count == b.count, "\(label): \(a.count) vs \(b.count) tokens")
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= tolerance, "\(label): max |diff| \(worst)")
    }

    func config(_ directory: String) throws -> JSONValue { try JSONFile.read(path: directory + "/config.json") }

    @Test(arguments: [("lstm/model.keras", "keras"), ("lstm/hard.keras", "keras_hard")])
    func kerasToTorchDirectoryAndBack(path: String, name: String) throws {
        let scratch = try Fixtures.scratchDirectory("lstm-dir")
        defer { Fixtures.removeScratch(scratch) }
        let keras = Fixtures.path(path), torchDir = scratch + "/torch", kerasDir = scratch + "/keras-dir", back = scratch + "/back.keras"

        let converted = try lmzoo("convert", keras, torchDir, "--layout", "torch", "--json")
        #expect(converted.status == 0, "\(converted.stderr)")
        let json = try JSONParser.parse(converted.stdout)
        #expect(json["files"] == ["model.safetensors", "config.json"])  // no vocabulary in these .keras files
        #expect(!Paths.exists(torchDir + "/vocab.json"))
        let names = try SafetensorsReader.read(path: torchDir + "/model.safetensors").names
        #expect(names.contains("encoder.weight") && names.contains("rnn.weight_hh_l1") && names.contains("rnn.bias_hh_l0")
                && names.contains("decoder.bias"), "\(names)")
        let config = try config(torchDir)
        #expect(config["model_type"] == "lstm" && config["num_layers"] == 2)
        for key in ["vocab_size", "embedding_size", "hidden_size"] { #expect(config[key]?.intValue ?? 0 > 0, "\(key)") }
        #expect(config["recurrent_activation"]?.stringValue == (name == "keras_hard" ? "hard_sigmoid" : nil))

        let original = try perToken(keras, name)
        let reference = LSTMCLITests.reference(name)
        expectSame(original, reference, within: 1e-5, "\(path) vs Keras")
        expectSame(try perToken(torchDir, name), original, within: 1e-6, "torch directory")

        // Back: to a .keras file and to a directory in Keras names.
        let toFile = try lmzoo("convert", torchDir, back, "--layout", "keras")
        #expect(toFile.status == 0, "\(toFile.stderr)")
        expectSame(try perToken(back, name), original, within: 1e-6, "back to .keras")
        let toDirectory = try lmzoo("convert", torchDir, kerasDir + "/", "--layout", "keras")
        #expect(toDirectory.status == 0, "\(toDirectory.stderr)")
        #expect(try SafetensorsReader.read(path: kerasDir + "/model.safetensors").names.allSatisfy { $0.hasPrefix("layers.") })
        expectSame(try perToken(kerasDir, name), original, within: 1e-6, "Keras-named directory")
    }

    @Test func vocabularyTravelsWithTheDirectory() throws {
        let scratch = try Fixtures.scratchDirectory("lstm-dir-vocab")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("lstm/untied"), kerasDir = scratch + "/keras", torchDir = scratch + "/torch"
        for (input, output, layout) in [(source, kerasDir, "keras"), (kerasDir, torchDir, "torch")] {
            let result = try lmzoo("convert", input, output, "--layout", layout)
            #expect(result.status == 0, "\(result.stderr)")
            let symbols = try JSONFile.read(path: output + "/vocab.json")
            #expect(symbols == (try JSONFile.read(path: source + "/vocab.json")))
            #expect(try config(output)["tokenization"] == "words")
            let tokens = try lmzoo("tokenize", output, "--text", "w0 w7 nope", "--json")
            #expect((try? JSONParser.parse(tokens.stdout))?["ids"] == [2, 9, 0], "\(tokens.stderr)")
            expectSame(try perToken(output, "untied"), LSTMCLITests.reference("untied"), within: 1e-5, output)
        }
    }

    @Test func refusesItsInputAndArchitecturesWithoutADirectoryWriter() throws {
        let scratch = try Fixtures.scratchDirectory("lstm-dir-bad")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/model"
        try FileManager.default.copyItem(atPath: Fixtures.path("lstm/untied"), toPath: copy)
        let before = try Data(contentsOf: URL(fileURLWithPath: copy + "/model.safetensors"))
        let onto = try lmzoo("convert", copy, copy, "--layout", "keras")
        #expect(onto.status != 0 && onto.stderr.contains(copy), "\(onto.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy + "/model.safetensors")) == before)

        let file = scratch + "/plain"
        try "x".write(toFile: file + ".txt", atomically: true, encoding: .utf8)
        try FileManager.default.moveItem(atPath: file + ".txt", toPath: file)
        let notADirectory = try lmzoo("convert", copy, file, "--layout", "torch")
        #expect(notADirectory.status == 1 && notADirectory.stderr.contains("not a directory"), "\(notADirectory.stderr)")

        let gpt2 = try lmzoo("convert", Fixtures.path("lstm/untied/model.safetensors"), scratch + "/as-gpt2", "--arch", "hmm")
        #expect(gpt2.status == 1 && gpt2.stderr.contains("cannot be written as a model directory"), "\(gpt2.stderr)")
        #expect(!Paths.exists(scratch + "/as-gpt2"))
    }
}
