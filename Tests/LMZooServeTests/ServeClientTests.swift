import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// Real clients against `lmzoo serve`: the `openai` Python package (skipped without a Python that has
/// it; CI installs it) and a bounded load (scripts/serve_load.py: 8 connections, 30 s) while the
/// served model's file is replaced: no request fails and every answer is the old or the new version's.
@Suite(.serialized) struct ServeClientTests {
    static let repository = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().deletingLastPathComponent().path

    /// The embedding model: the bundled small BERT (the same plugin and route as MiniLM, whose 90 MB
    /// take a debug build most of a minute to verify and load; scripts/bench_serve.py serves MiniLM).
    static let embeddingModel = "fortunes-bert"

    @Test func openAIClientGetsTheCLIsAnswers() throws {
        guard let python = Fixtures.python else { return }
        let embedder = Self.embeddingModel
        let server = try ServedLmzoo(["--models", "fortunes-gpt2", embedder])
        defer { #expect(server.stop() == 0) }
        let prompt = "Never put off till tomorrow"
        let texts = ["a fool and his money", "are soon parted"]
        let result = try runProcess(python, [Fixtures.path("serve/openai_client.py"), server.base, "fortunes-gpt2", prompt, "12", embedder] + texts)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        if json["skip"] != nil {
            #expect(!Fixtures.isCI, "CI installs the openai package (scripts/test.sh)")
            return
        }
        let cli = try lmzooJSON(["generate", "fortunes-gpt2", "--prompt", prompt, "--max-tokens", "12", "--greedy"])
        #expect(prompt + (json["text"]?.stringValue ?? "?") == cli["text"]?.stringValue)
        #expect(json["stream_text"] == json["text"] && (json["stream_chunks"]?.intValue ?? 0) > 1)
        #expect(json["models"] == ["fortunes-gpt2", .string(embedder)])
        let expected = try #require(try lmzooJSON(["embed", embedder] + texts.flatMap { ["--text", $0] })["embeddings"]?.arrayValue)
        for key in ["embeddings", "float_embeddings"] {
            let got = try #require(json[key]?.arrayValue)
            #expect(got.count == expected.count)
            for (vector, reference) in zip(got, expected) {
                let a = vector.arrayValue?.compactMap(\.doubleValue) ?? [], b = reference.arrayValue?.compactMap(\.doubleValue) ?? []
                // base64 carries the float32 values exactly; JSON numbers as the CLI prints them.
                #expect(a.count == b.count && !a.isEmpty && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "\(key)")
            }
        }
    }

    @Test func reloadUnderLoadLosesNoRequest() throws {
        guard let python = Fixtures.python else { return }
        let directory = try Fixtures.scratchDirectory("serve-load")
        defer { Fixtures.removeScratch(directory) }
        let path = directory + "/tiny.gguf"
        let versions = [Fixtures.path("gpt2/tiny-f32.gguf"), Fixtures.path("gpt2/tiny-q8_0.gguf")]
        try FileManager.default.copyItem(atPath: versions[0], toPath: path)
        let server = try ServedLmzoo(["--models", path, "--watch", "0.5", "--cache-bytes", "0"])
        defer { #expect(server.stop() == 0) }
        // What each version answers, from the CLI.
        let expected = try versions.map { file in
            try lmzooJSON(["predict", file, "--ids", "1,2,3,4", "--top-k", "3"])
        }
        #expect(expected[0] != expected[1])
        let request = body(["model": "tiny", "ids": [1, 2, 3, 4], "top_k": 3])
        // Swap the file every 3 s while the load runs.
        let stop = DispatchSemaphore(value: 0)
        let swapper = Thread {
            var next = 1
            while stop.wait(timeout: .now() + 3) == .timedOut {
                try? replace(path, with: versions[next])
                next = 1 - next
            }
        }
        swapper.start()
        let load = try runProcess(python, [Self.repository + "/scripts/serve_load.py", "--port", String(server.port), "--path", "/v1/predict",
                                           "--connections", "8", "--seconds", "30", "--body", request])
        stop.signal()
        #expect(load.status == 0, "\(load.stderr)")
        let report = try JSONParser.parse(load.stdout)
        #expect(report["failures"] == .object(JSONObject()), "\(load.stdout)")
        #expect((report["ok"]?.intValue ?? 0) > 100, "\(load.stdout)")
        // Every answer is one version's, and each version gave one answer: the CLI's for its file.
        let answers = try #require(report["versions"]?.objectValue)
        #expect(answers.count >= 2, "\(load.stdout)")
        for (version, texts) in answers.entries {
            let distinct = texts.objectValue?.keys ?? []
            #expect(distinct.count == 1, "version \(version): \(distinct)")
            let answer = try distinct.first.map { try JSONParser.parse($0) }
            #expect(samePrediction(answer, expected[0]) || samePrediction(answer, expected[1]), "version \(version): \(distinct)")
        }
        #expect(server.log.contains("reloaded tiny"))
    }
}

/// Two `predict` answers with the same ids and tokens and log-probabilities equal to 1e-9 (one went
/// through Python's JSON, which may spell a number differently).
func samePrediction(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
    guard let x = a?["next"]?.arrayValue, let y = b?["next"]?.arrayValue, x.count == y.count, a?["ids"] == b?["ids"] else { return false }
    return zip(x, y).allSatisfy { p, q in
        p["id"] == q["id"] && p["token"] == q["token"]
            && abs((p["logprob"]?.doubleValue ?? .nan) - (q["logprob"]?.doubleValue ?? .nan)) <= 1e-9
    }
}
