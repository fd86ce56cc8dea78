import Foundation
import Hummingbird
import LMZoo

/// `POST /v1/embeddings`, OpenAI's shape: `input` a string or a list of strings; `encoding_format`
/// `float` (default) or `base64` (little-endian float32, what the `openai` Python client asks for).
/// The vectors are `lmzoo embed`'s.
struct EmbeddingRoutes {
    let state: ServeState

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/embeddings") { request, _ in try await embed(request) }
    }

    func embed(_ request: Request) async throws -> Response {
        let body = try await RequestJSON.read(request, maxBytes: state.config.maxBodyBytes)
        let loaded = try state.model(body)
        try body.refuse(["dimensions"])
        let inputs = try body.strings("input")
        let format = try body.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else {
            throw ServeError.badRequest("'encoding_format' must be float or base64, got \(format)")
        }
        guard loaded.model is any Embedding else { throw ServeError.unsupported(loaded.id, "embed sentences") }
        return try await state.answer(request, route: "/v1/embeddings", loaded: loaded, body: body, cacheable: true) {
            guard let model = loaded.model as? any Embedding else { throw ServeError.unsupported(loaded.id, "embed sentences") }
            let vectors = try model.embed(inputs)
            let tokens = try inputs.reduce(0) { $0 + (try model.tokenizer.encode($1).count) }
            let data: [JSONValue] = vectors.enumerated().map { index, vector in
                ["object": "embedding", "index": .int(index),
                 "embedding": format == "base64" ? .string(Self.base64(vector)) : ResultJSON.embeddings([vector]).arrayValue![0]]
            }
            return ["object": "list", "data": .array(data), "model": .string(loaded.id),
                    "usage": ["prompt_tokens": .int(tokens), "total_tokens": .int(tokens)]]
        }
    }

    /// The vector's float32 values, little-endian, in base64.
    static func base64(_ vector: [Float]) -> String {
        let bytes = vector.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        return Data(bytes).base64EncodedString()
    }
}
