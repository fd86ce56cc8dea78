import Foundation
import Hummingbird
import LMZoo

/// `POST /v1/completions`, OpenAI's shape: `prompt` (a string, a list of one string, or token ids),
/// `max_tokens`, `temperature` (0: greedy), `top_p`, `seed`, `stream` (server-sent events).
/// The text is what `lmzoo generate` continues the prompt with for the same options.
struct CompletionRoutes {
    let state: ServeState

    /// A parsed completion request.
    struct Parameters: Sendable {
        let prompt: PromptInput
        let options: GenerationOptions
        let stream: Bool
        let includeUsage: Bool
        /// Greedy, or sampled with a given seed: the same request gives the same answer.
        let deterministic: Bool
    }

    enum PromptInput: Sendable {
        case text(String)
        case ids([Int])
    }

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/completions") { request, _ in try await complete(request) }
    }

    func parse(_ body: RequestJSON) throws -> Parameters {
        try body.refuse(["suffix", "logprobs", "best_of", "logit_bias"])
        if let echo = body.object["echo"], echo == .bool(true) { throw ServeError.badRequest("'echo' is not supported by lmzoo serve", code: "unsupported_parameter") }
        if try body.int("n", default: 1, range: 1...1) != 1 { throw ServeError.badRequest("'n' must be 1") }
        if body.has("stop") { throw ServeError.badRequest("'stop' is not supported by lmzoo serve (generation stops at EOS or max_tokens)", code: "unsupported_parameter") }
        let prompt: PromptInput
        if let ids = try? body.ids("prompt") { prompt = .ids(ids) } else {
            let texts = try body.strings("prompt")
            guard texts.count == 1 else { throw ServeError.badRequest("'prompt' must be one string (batches are not supported)") }
            prompt = .text(texts[0])
        }
        let cap = state.config.maxTokensCap
        guard let maxTokens = try body.int("max_tokens", default: 16, range: 0...Int.max), maxTokens <= cap else {
            throw ServeError.badRequest("'max_tokens' must be at most \(cap) (lmzoo serve --max-tokens-cap)", code: "max_tokens_too_large")
        }
        let temperature = try body.double("temperature", default: 1, range: 0...100)
        let topP = try body.double("top_p", default: 1, range: 0...1)
        guard topP > 0 else { throw ServeError.badRequest("'top_p' must be greater than 0") }
        let seed = try body.int("seed", range: 0...Int.max)
        let stream = try body.bool("stream")
        let includeUsage = try body.object["stream_options"].map { try RequestJSON(value: $0, object: $0.objectValue ?? JSONObject()).bool("include_usage") } ?? false
        let options = GenerationOptions(maxTokens: maxTokens, greedy: temperature == 0, temperature: temperature, topK: 0, topP: topP,
                                        seed: seed.map(UInt64.init) ?? UInt64.random(in: 0...UInt64.max))
        return Parameters(prompt: prompt, options: options, stream: stream, includeUsage: includeUsage,
                          deterministic: temperature == 0 || seed != nil)
    }

    func complete(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        let parameters = try parse(body)
        guard loaded.model is any Generating else { throw ServeError.unsupported(loaded.id, "generate text") }
        let completionID = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        if parameters.stream { return try stream(loaded, parameters, id: completionID, created: created) }
        let metrics = state.metrics
        return try await state.answer(request, route: "/v1/completions", loaded: loaded, body: body, cacheable: parameters.deterministic) {
            let generator = try Self.generator(loaded)
            let promptIDs = try Self.promptIDs(parameters.prompt, generator)
            let (ids, _) = try generator.generateReporting(prompt: promptIDs, options: parameters.options) { _ in }
            metrics.generatedTokens(model: loaded.id, count: ids.count - promptIDs.count)
            var detokenizer = IncrementalDetokenizer(tokenizer: generator.tokenizer, prompt: promptIDs)
            let text = detokenizer.finish(ids: ids)
            let choice: JSONValue = [
                "text": .string(text), "index": 0, "logprobs": .null,
                "finish_reason": .string(Self.finishReason(ids, promptCount: promptIDs.count, parameters, generator)),
                "token_ids": .array(ids.dropFirst(promptIDs.count).map { .int($0) }),
            ]
            return [
                "id": .string(completionID), "object": "text_completion", "created": .int(created), "model": .string(loaded.id),
                "system_fingerprint": .string(loaded.version), "choices": [choice],
                "usage": Self.usage(prompt: promptIDs.count, completion: ids.count - promptIDs.count),
            ]
        }
    }

    /// Server-sent events: one `text_completion` chunk per piece of text as tokens come, the last with
    /// `finish_reason` (and `usage` when `stream_options.include_usage`), then `data: [DONE]`.
    private func stream(_ loaded: LoadedModel, _ parameters: Parameters, id: String, created: Int) throws -> Response {
        let (events, continuation) = AsyncStream<JSONValue>.makeStream()
        let chunk = { @Sendable (text: String, finish: String?) -> JSONValue in
            [
                "id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(loaded.id),
                "system_fingerprint": .string(loaded.version),
                "choices": [["text": .string(text), "index": 0, "logprobs": .null, "finish_reason": finish.map(JSONValue.string) ?? .null]],
            ]
        }
        let metrics = state.metrics
        let timeout = state.config.requestTimeout
        let deadline = DispatchTime.now() + timeout
        let accepted = loaded.worker.submit(deadline: deadline, {
            do {
                let generator = try Self.generator(loaded)
                let promptIDs = try Self.promptIDs(parameters.prompt, generator)
                var detokenizer = IncrementalDetokenizer(tokenizer: generator.tokenizer, prompt: promptIDs)
                let (ids, _) = try generator.generateReporting(prompt: promptIDs, options: parameters.options) { token in
                    let piece = detokenizer.append(token)
                    if !piece.isEmpty { continuation.yield(chunk(piece, nil)) }
                }
                metrics.generatedTokens(model: loaded.id, count: ids.count - promptIDs.count)
                var last = chunk(detokenizer.finish(ids: ids), Self.finishReason(ids, promptCount: promptIDs.count, parameters, generator))
                if parameters.includeUsage, case var .object(object) = last {
                    object["usage"] = Self.usage(prompt: promptIDs.count, completion: ids.count - promptIDs.count)
                    last = .object(object)
                }
                continuation.yield(last)
            } catch {
                continuation.yield(ServeError.modelRejected(error).json)
            }
            continuation.finish()
        }, expired: {
            continuation.yield(ServeError.timedOut(timeout).json)
            continuation.finish()
        })
        guard accepted else {
            state.metrics.queueFull(model: loaded.id)
            throw ServeError.queueFull(loaded.id, depth: loaded.worker.depth)
        }
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        headers[ServeHeaders.model] = loaded.id
        headers[ServeHeaders.version] = loaded.version
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for await event in events {
                try await writer.write(ByteBuffer(string: "data: \(event.compactText)\n\n"))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }

    /// The model as a generator (checked before its worker runs this).
    private static func generator(_ loaded: LoadedModel) throws -> any Generating {
        guard let generator = loaded.model as? any Generating else { throw ServeError.unsupported(loaded.id, "generate text") }
        return generator
    }

    private static func promptIDs(_ prompt: PromptInput, _ model: any Generating) throws -> [Int] {
        switch prompt {
        case let .text(text): try model.tokenizer.encode(text)
        case let .ids(ids): ids
        }
    }

    /// `stop` when generation ended at the EOS token before `max_tokens`, else `length`.
    private static func finishReason(_ ids: [Int], promptCount: Int, _ parameters: Parameters, _ model: any Generating) -> String {
        ids.count - promptCount < parameters.options.maxTokens && ids.last == model.tokenizer.eosID ? "stop" : "length"
    }

    static func usage(prompt: Int, completion: Int) -> JSONValue {
        ["prompt_tokens": .int(prompt), "completion_tokens": .int(completion), "total_tokens": .int(prompt + completion)]
    }
}
