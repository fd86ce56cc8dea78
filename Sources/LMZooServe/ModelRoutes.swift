import Foundation
import Hummingbird
import LMZoo

/// lmzoo's own routes, mirroring CLI.md's commands and JSON: `POST /v1/tokenize`, `/v1/predict`,
/// `/v1/score`, `/v1/fill-mask` (body: `model` plus the command's options as fields: `text` or `ids`,
/// `top_k`, `per_token`, `bos`).
struct ModelRoutes {
    let state: ServeState

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/tokenize") { request, _ in try await tokenize(request) }
        router.post("/v1/predict") { request, _ in try await predict(request) }
        router.post("/v1/score") { request, _ in try await score(request) }
        router.post("/v1/fill-mask") { request, _ in try await fillMask(request) }
    }

    func tokenize(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        let text = try body.requiredString("text")
        return try await state.answer(request, route: "/v1/tokenize", loaded: loaded, body: body, cacheable: false) {
            try ResultJSON.tokenize(text, with: loaded.model.tokenizer)
        }
    }

    func predict(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        let input = try Self.textOrIDs(body)
        let topK = try body.int("top_k", default: 10, range: 1...100_000)!
        return try await state.answer(request, route: "/v1/predict", loaded: loaded, body: body, cacheable: true) {
            let context = try input.ids(loaded.model.tokenizer)
            return ResultJSON.predict(context: context, next: try loaded.model.predict(context: context, topK: topK))
        }
    }

    func score(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        let input = try Self.textOrIDs(body)
        let perToken = try body.bool("per_token")
        let bos = body.has("bos") ? try body.bool("bos") : nil
        return try await state.answer(request, route: "/v1/score", loaded: loaded, body: body, cacheable: true) {
            let start = Date()
            let result = switch input {
            case let .text(text): try TextScoring.score(loaded.model, text: text, bos: bos)
            case let .ids(ids): try loaded.model.score(ids: ids, bos: bos ?? false)
            }
            let compute = Date().timeIntervalSince(start)
            var json = ResultJSON.score(result, perToken: perToken)
            json["timings"] = ["load_s": .double(loaded.loadSeconds), "compute_s": .double(compute),
                               "tokens_per_s": .double(compute > 0 ? Double(result.tokenCount) / compute : 0)]
            return .object(json)
        }
    }

    func fillMask(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        let text = try body.requiredString("text")
        let topK = try body.int("top_k", default: 5, range: 1...100_000)!
        guard loaded.model is any MaskedLM else { throw ServeError.unsupported(loaded.id, "fill masks") }
        return try await state.answer(request, route: "/v1/fill-mask", loaded: loaded, body: body, cacheable: true) {
            guard let model = loaded.model as? any MaskedLM else { throw ServeError.unsupported(loaded.id, "fill masks") }
            return ResultJSON.fillMask(try model.fillMask(text, topK: topK))
        }
    }

    /// A context given as `text` or as `ids` (exactly one).
    enum TextOrIDs: Sendable {
        case text(String)
        case ids([Int])

        func ids(_ tokenizer: any Tokenizer) throws -> [Int] {
            switch self {
            case let .text(text): try tokenizer.encode(text)
            case let .ids(ids): ids
            }
        }
    }

    static func textOrIDs(_ body: RequestJSON) throws -> TextOrIDs {
        let text = try body.string("text"), ids = try body.ids("ids")
        guard (text == nil) != (ids == nil) else { throw ServeError.badRequest("give exactly one of 'text' and 'ids'", code: "missing_field") }
        return text.map(TextOrIDs.text) ?? .ids(ids!)
    }
}
