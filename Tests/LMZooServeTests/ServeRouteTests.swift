import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// `lmzoo serve` on loopback, driven with curl: every route, answers equal to the CLI's, errors as
/// OpenAI's JSON, the result cache with ETag/304, reloads, the queue bound and a graceful SIGTERM.
@Suite(.serialized) struct ServeRouteTests {
    static let prompt = "The fool doth think"

    @Test func completionsEqualTheCLIAndStream() throws {
        let server = try ServedLmzoo(["--models", "fortunes-gpt2"])
        defer { #expect(server.stop() == 0) }
        let cli = try lmzooJSON(["generate", "fortunes-gpt2", "--prompt", Self.prompt, "--max-tokens", "12", "--greedy"])
        let request = body(["model": "fortunes-gpt2", "prompt": .string(Self.prompt), "max_tokens": 12, "temperature": 0])
        let answer = try server.curl("/v1/completions", json: request)
        #expect(answer.status == 200, "\(answer.body)")
        let json = try #require(answer.json)
        #expect(json["object"] == "text_completion" && json["model"] == "fortunes-gpt2")
        let choice = try #require(json["choices"]?.arrayValue?.first)
        let text = try #require(choice["text"]?.stringValue)
        #expect(Self.prompt + text == cli["text"]?.stringValue)
        let promptIDs = try #require(lmzooJSON(["tokenize", "fortunes-gpt2", "--text", Self.prompt])["ids"]?.arrayValue)
        #expect(cli["ids"]?.arrayValue == promptIDs + (choice["token_ids"]?.arrayValue ?? []))
        let usage = try #require(json["usage"])
        #expect(usage["prompt_tokens"]?.intValue == promptIDs.count)
        #expect(usage["completion_tokens"]?.intValue == (cli["ids"]?.arrayValue?.count ?? 0) - promptIDs.count)

        // Streamed: text_completion chunks whose texts join to the same text, then [DONE].
        let streamRequest = body(["model": "fortunes-gpt2", "prompt": .string(Self.prompt), "max_tokens": 12, "temperature": 0,
                                  "stream": true, "stream_options": ["include_usage": true]])
        let streamed = try server.curl("/v1/completions", json: streamRequest, extra: ["-N"])
        #expect(streamed.status == 200 && streamed.headers["content-type"] == "text/event-stream")
        let events = streamed.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") } && events.last == "data: [DONE]", "\(events)")
        let chunks = events.dropLast().compactMap { try? JSONParser.parse(String($0.dropFirst(6))) }
        #expect(chunks.count == events.count - 1 && chunks.count > 1)
        #expect(chunks.allSatisfy { $0["object"] == "text_completion" })
        #expect(chunks.compactMap { $0["choices"]?.arrayValue?.first?["text"]?.stringValue }.joined() == text)
        #expect(chunks.last?["choices"]?.arrayValue?.first?["finish_reason"] == choice["finish_reason"])
        #expect(chunks.last?["usage"] == json["usage"])

        // Seeded sampling is reproducible and equals the CLI's with the same seed.
        let sampledCLI = try lmzooJSON(["generate", "fortunes-gpt2", "--prompt", Self.prompt, "--max-tokens", "10",
                                        "--temperature", "0.8", "--top-p", "0.9", "--seed", "5"])
        let sampled = try server.curl("/v1/completions", json: body([
            "model": "fortunes-gpt2", "prompt": .string(Self.prompt), "max_tokens": 10, "temperature": 0.8, "top_p": 0.9, "seed": 5,
        ]))
        #expect(Self.prompt + (sampled.json?["choices"]?.arrayValue?.first?["text"]?.stringValue ?? "") == sampledCLI["text"]?.stringValue)
    }

    @Test func lmzooRoutesEqualTheCLI() throws {
        let server = try ServedLmzoo(["--models", "fortunes-gpt2", "fortunes-bert", "fortunes-hmm"])
        defer { #expect(server.stop() == 0) }
        let text = "A fool and his money are soon parted."
        let cases: [(path: String, request: JSONValue, cli: [String])] = [
            ("/v1/tokenize", ["model": "fortunes-gpt2", "text": .string(text)], ["tokenize", "fortunes-gpt2", "--text", text]),
            ("/v1/predict", ["model": "fortunes-gpt2", "text": .string(text), "top_k": 3], ["predict", "fortunes-gpt2", "--text", text, "--top-k", "3"]),
            ("/v1/predict", ["model": "fortunes-gpt2", "ids": [1, 2, 3]], ["predict", "fortunes-gpt2", "--ids", "1,2,3"]),
            ("/v1/score", ["model": "fortunes-hmm", "text": .string(text), "per_token": true],
             ["score", "fortunes-hmm", "--text", text, "--per-token"]),
            ("/v1/score", ["model": "fortunes-gpt2", "ids": [5, 6, 7, 8], "bos": true], ["score", "fortunes-gpt2", "--ids", "5,6,7,8", "--bos"]),
            ("/v1/fill-mask", ["model": "fortunes-bert", "text": "A fool and his [MASK] are soon parted.", "top_k": 4],
             ["fill-mask", "fortunes-bert", "--text", "A fool and his [MASK] are soon parted.", "--top-k", "4"]),
        ]
        for (path, request, cli) in cases {
            let answer = try server.curl(path, json: body(request))
            #expect(answer.status == 200, "\(path): \(answer.body)")
            let expected = try lmzooJSON(cli)
            #expect(dropping(["timings"], from: answer.json) == dropping(["timings"], from: expected), "\(path) \(request.compactText)")
        }
        // Embeddings: OpenAI's shape, the vectors of `lmzoo embed`.
        let embedded = try server.curl("/v1/embeddings", json: body(["model": "fortunes-bert", "input": ["a fool", "his money"]]))
        let cli = try lmzooJSON(["embed", "fortunes-bert", "--text", "a fool", "--text", "his money"])
        let data = try #require(embedded.json?["data"]?.arrayValue)
        #expect(embedded.json?["object"] == "list" && data.count == 2 && data[1]["index"] == 1)
        #expect(data.map { $0["embedding"] } == cli["embeddings"]?.arrayValue)
        #expect((embedded.json?["usage"]?["prompt_tokens"]?.intValue ?? 0) > 0)

        // /v1/models, /v1/models/{id}, /health, /metrics.
        let models = try #require(try server.curl("/v1/models").json?["data"]?.arrayValue)
        #expect(models.compactMap { $0["id"]?.stringValue } == ["fortunes-gpt2", "fortunes-bert", "fortunes-hmm"])
        #expect(models.allSatisfy { $0["object"] == "model" && $0["version"]?.stringValue?.count == 16 })
        #expect(try server.curl("/v1/models/fortunes-bert").json?["architecture"] == "bert")
        let health = try server.curl("/health")
        #expect(health.status == 200 && health.json?["status"] == "ok" && health.json?["models"]?.arrayValue?.count == 3)
        let metrics = try server.curl("/metrics")
        #expect(metrics.status == 200 && metrics.body.contains("lmzoo_model_load_seconds{model=\"fortunes-bert\"}"))
        #expect(try server.metric("lmzoo_requests_total", containing: ["route=\"/v1/score\"", "model=\"fortunes-gpt2\"", "status=\"200\""]) == 1)
        #expect(try server.metric("lmzoo_request_duration_seconds_count", containing: ["route=\"/v1/predict\"", "model=\"fortunes-gpt2\""]) == 2)
    }

    @Test func badRequestsGetOpenAIErrors() throws {
        let server = try ServedLmzoo(["--models", "fortunes-gpt2", "fortunes-bert", "--max-tokens-cap", "20", "--max-body-bytes", "2000"])
        defer { #expect(server.stop() == 0) }
        let cases: [(path: String, body: String?, status: Int, code: String)] = [
            ("/v1/completions", body(["model": "nope", "prompt": "x"]), 404, "model_not_found"),
            ("/v1/completions", "{not json", 400, "invalid_json"),
            ("/v1/completions", "[1,2]", 400, "invalid_json"),
            ("/v1/completions", body(["model": "fortunes-gpt2"]), 400, "missing_field"),
            ("/v1/completions", body(["model": "fortunes-gpt2", "prompt": "x", "max_tokens": 21]), 400, "max_tokens_too_large"),
            ("/v1/completions", body(["model": "fortunes-gpt2", "prompt": "x", "temperature": "hot"]), 400, "invalid_value"),
            ("/v1/completions", body(["model": "fortunes-gpt2", "prompt": "x", "top_p": 0]), 400, "invalid_value"),
            ("/v1/completions", body(["model": "fortunes-gpt2", "prompt": [1, 99999]]), 400, "invalid_input"),
            ("/v1/completions", body(["model": "fortunes-bert", "prompt": "x"]), 400, "unsupported_capability"),
            ("/v1/fill-mask", body(["model": "fortunes-gpt2", "text": "x"]), 400, "unsupported_capability"),
            ("/v1/embeddings", body(["model": "fortunes-gpt2", "input": "x"]), 400, "unsupported_capability"),
            ("/v1/predict", body(["model": "fortunes-gpt2", "text": "a", "ids": [1]]), 400, "missing_field"),
            ("/v1/score", body(["model": "fortunes-gpt2", "text": .string(String(repeating: "x", count: 3000))]), 413, "body_too_large"),
            ("/v1/nothing-here", nil, 404, "not_found"),
            ("/v1/models/nope/reload", "{}", 404, "model_not_found"),
        ]
        for (path, request, status, code) in cases {
            let answer = try server.curl(path, json: request)
            #expect(answer.status == status, "\(path) \(request ?? ""): \(answer.body)")
            let error = answer.json?["error"]
            #expect(error?["code"]?.stringValue == code && !(error?["message"]?.stringValue ?? "").isEmpty, "\(path): \(answer.body)")
            #expect(error?["type"]?.stringValue != nil)
        }
        // The server still answers after all that.
        #expect(try server.curl("/health").status == 200)
    }

    @Test func secondIdenticalRequestIsACacheHitWithETag() throws {
        let server = try ServedLmzoo(["--models", "fortunes-gpt2"])
        defer { #expect(server.stop() == 0) }
        let request = body(["model": "fortunes-gpt2", "text": "Too many cooks", "per_token": true])
        let first = try server.curl("/v1/score", json: request)
        // The same request with its keys in another order is the same request.
        let second = try server.curl("/v1/score", json: #"{"per_token":true,"text":"Too many cooks","model":"fortunes-gpt2"}"#)
        #expect(first.headers["x-lmzoo-cache"] == "miss" && second.headers["x-lmzoo-cache"] == "hit")
        #expect(first.body == second.body)
        let etag = try #require(first.headers["etag"])
        #expect(second.headers["etag"] == etag)
        #expect(try server.metric("lmzoo_cache_hits_total", containing: ["route=\"/v1/score\"", "model=\"fortunes-gpt2\""]) == 1)
        #expect(try server.metric("lmzoo_cache_misses_total", containing: ["route=\"/v1/score\"", "model=\"fortunes-gpt2\""]) == 1)
        let revalidated = try server.curl("/v1/score", json: request, headers: ["If-None-Match: \(etag)"])
        #expect(revalidated.status == 304 && revalidated.body.isEmpty)
        #expect(try server.curl("/v1/score", json: request, headers: ["If-None-Match: \"other\""]).status == 200)
        // Greedy completions are cached; sampling without a seed is not.
        let greedy = body(["model": "fortunes-gpt2", "prompt": "Hello", "max_tokens": 4, "temperature": 0])
        _ = try server.curl("/v1/completions", json: greedy)
        #expect(try server.curl("/v1/completions", json: greedy).headers["x-lmzoo-cache"] == "hit")
        let sampled = try server.curl("/v1/completions", json: body(["model": "fortunes-gpt2", "prompt": "Hello", "max_tokens": 4]))
        #expect(sampled.status == 200 && sampled.headers["etag"] == nil && sampled.headers["x-lmzoo-cache"] == nil)
    }

    @Test func reloadSwapsTheVersionDropsItsCacheAndSurvivesABadFile() throws {
        let directory = try Fixtures.scratchDirectory("serve-reload")
        defer { Fixtures.removeScratch(directory) }
        let path = directory + "/tiny.gguf"
        try FileManager.default.copyItem(atPath: Fixtures.path("gpt2/tiny-f32.gguf"), toPath: path)
        let server = try ServedLmzoo(["--models", path])
        defer { #expect(server.stop() == 0) }
        let request = body(["model": "tiny", "ids": [1, 2, 3], "top_k": 2])
        let before = try server.curl("/v1/predict", json: request)
        let expectedBefore = try lmzooJSON(["predict", Fixtures.path("gpt2/tiny-f32.gguf"), "--ids", "1,2,3", "--top-k", "2"])
        #expect(before.status == 200 && before.json == expectedBefore)
        let oldVersion = try #require(before.headers["x-lmzoo-model-version"])

        // Nothing changed: no new version.
        let same = try server.curl("/v1/models/tiny/reload", json: "{}")
        #expect(same.status == 200 && same.json?["reloaded"] == false && same.json?["version"]?.stringValue == oldVersion)

        try replace(path, with: Fixtures.path("gpt2/tiny-q8_0.gguf"))
        let reload = try server.curl("/v1/models/tiny/reload", json: "{}")
        #expect(reload.status == 200 && reload.json?["reloaded"] == true, "\(reload.body)")
        let newVersion = try #require(reload.json?["version"]?.stringValue)
        #expect(newVersion != oldVersion && reload.json?["previous_version"]?.stringValue == oldVersion)
        let after = try server.curl("/v1/predict", json: request)
        #expect(after.headers["x-lmzoo-model-version"] == newVersion && after.headers["x-lmzoo-cache"] == "miss")
        let expectedAfter = try lmzooJSON(["predict", Fixtures.path("gpt2/tiny-q8_0.gguf"), "--ids", "1,2,3", "--top-k", "2"])
        #expect(after.json == expectedAfter)
        #expect(try server.metric("lmzoo_model_reloads_total", containing: ["model=\"tiny\"", "result=\"replaced\""]) == 1)

        // A broken file: the reload fails with an error, the new version keeps serving.
        try replace(path, with: Fixtures.path("gpt2/tokenizer_text.txt"))
        let failed = try server.curl("/v1/models/tiny/reload", json: "{}")
        #expect(failed.status == 500 && failed.json?["error"]?["code"] == "reload_failed", "\(failed.body)")
        let still = try server.curl("/v1/predict", json: request)
        #expect(still.status == 200 && still.headers["x-lmzoo-model-version"] == newVersion && still.headers["x-lmzoo-cache"] == "hit")
        let health = try server.curl("/health").json?["models"]?.arrayValue?.first
        #expect(health?["version"]?.stringValue == newVersion && health?["last_reload_error"]?.stringValue?.isEmpty == false)
    }

    @Test func watchReloadsChangedFiles() throws {
        let directory = try Fixtures.scratchDirectory("serve-watch")
        defer { Fixtures.removeScratch(directory) }
        let path = directory + "/tiny.gguf"
        try FileManager.default.copyItem(atPath: Fixtures.path("gpt2/tiny-f32.gguf"), toPath: path)
        let server = try ServedLmzoo(["--models", path, "--watch", "0.2"])
        defer { #expect(server.stop() == 0) }
        let oldVersion = try server.curl("/v1/models/tiny").json?["version"]?.stringValue
        try replace(path, with: Fixtures.path("gpt2/tiny-q8_0.gguf"))
        var newVersion = oldVersion
        for _ in 0..<100 where newVersion == oldVersion {
            Thread.sleep(forTimeInterval: 0.1)
            newVersion = try server.curl("/v1/models/tiny").json?["version"]?.stringValue
        }
        #expect(newVersion != nil && newVersion != oldVersion)
        #expect(server.log.contains("reloaded tiny"))
    }

    @Test func fullQueueAnswers429() throws {
        let server = try ServedLmzoo(["--models", "fortunes-bert", "--queue-depth", "1", "--cache-bytes", "0"])
        defer { #expect(server.stop() == 0) }
        // Pseudo-log-likelihood of a long text: one BERT pass per token, long enough to queue behind.
        let text = String(repeating: "a fool and his money are soon parted ", count: 4)
        let request = body(["model": "fortunes-bert", "text": .string(text)])
        let statuses = LockedList<Int>()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            statuses.append((try? server.curl("/v1/score", json: request).status) ?? -1)
        }
        let seen = statuses.items
        #expect(seen.contains(200) && seen.contains(429), "\(seen)")
        #expect(try server.metric("lmzoo_queue_full_total", containing: ["model=\"fortunes-bert\""]) >= 1)
    }

    @Test func requestTimeoutAnswers504() throws {
        let server = try ServedLmzoo(["--models", "fortunes-bert", "--request-timeout", "0.01", "--cache-bytes", "0"])
        defer { #expect(server.stop() == 0) }
        let text = String(repeating: "a fool and his money are soon parted ", count: 4)
        let answer = try server.curl("/v1/score", json: body(["model": "fortunes-bert", "text": .string(text)]))
        #expect(answer.status == 504 && answer.json?["error"]?["code"] == "timeout", "\(answer.body)")
    }

    @Test func sigtermLetsTheRequestInFlightFinish() throws {
        let server = try ServedLmzoo(["--models", "fortunes-bert", "--cache-bytes", "0"])
        let text = String(repeating: "a fool and his money are soon parted ", count: 2)
        let request = body(["model": "fortunes-bert", "text": .string(text)])
        let statuses = LockedList<Int>()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            statuses.append((try? server.curl("/v1/score", json: request).status) ?? -1)
            finished.signal()
        }.start()
        // Wait until the request is with the model, then ask the server to stop.
        for _ in 0..<200 where (try? server.curl("/health").json?["models"]?.arrayValue?.first?["queued"]?.intValue) != 1 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(server.stop() == 0)
        finished.wait()
        #expect(statuses.items == [200])
    }

    @Test func badStartsFailWithOneLine() throws {
        let missing = try runProcess(ServedLmzoo.executable, ["serve", "--port", "0", "--models", "/nonexistent/model.gguf"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/model.gguf"))
        let none = try runProcess(ServedLmzoo.executable, ["serve", "--port", "0"])
        #expect(none.status == 2)
    }
}

/// Replaces `path` with a copy of `source` in one rename (a reader sees the old file or the new one).
func replace(_ path: String, with source: String) throws {
    let temporary = path + ".new"
    try? FileManager.default.removeItem(atPath: temporary)
    try FileManager.default.copyItem(atPath: source, toPath: temporary)
    guard rename(temporary, path) == 0 else { throw ServeTestError("rename \(temporary) failed") }
}
