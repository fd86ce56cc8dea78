import Foundation
import Hummingbird
import LMZoo

/// `GET /v1/models` (and `/v1/models/{id}`), `POST /v1/models/{id}/reload`, `GET /health`, `GET /metrics`.
struct AdminRoutes {
    let state: ServeState

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/models") { request, _ in
            json(request, ["object": "list", "data": .array(state.pool.slots.map(describe))])
        }
        router.get("/v1/models/:id") { request, context in
            json(request, describe(try state.pool.slot(try context.parameters.require("id"))))
        }
        router.post("/v1/models/:id/reload") { request, context in
            let slot = try state.pool.slot(try context.parameters.require("id"))
            let previous = slot.current.version
            let outcome = try await state.reload(slot, force: true)
            let reloaded = if case .replaced = outcome { true } else { false }
            return json(request, ["id": .string(slot.id), "reloaded": .bool(reloaded), "version": .string(slot.current.version),
                                  "previous_version": .string(previous)])
        }
        router.get("/health") { request, _ in
            json(request, ["status": "ok", "models": .array(state.pool.slots.map { slot in
                let loaded = slot.current
                return ["id": .string(slot.id), "version": .string(loaded.version), "queued": .int(loaded.worker.queued),
                        "last_reload_error": slot.lastError.map(JSONValue.string) ?? .null]
            })])
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: state.metrics.text())))
        }
    }

    /// A model as OpenAI lists one, with lmzoo's fields.
    private func describe(_ slot: ModelSlot) -> JSONValue {
        let loaded = slot.current
        return ["id": .string(slot.id), "object": "model", "created": .int(Int(loaded.loadedAt.timeIntervalSince1970)),
                "owned_by": "lmzoo", "architecture": .string(loaded.model.architecture), "version": .string(loaded.version),
                "parameters": .int(loaded.model.parameterCount), "source": .string(slot.source)]
    }

    private func json(_ request: Request, _ value: JSONValue) -> Response {
        state.respond(request, body: Array(value.compactText.utf8), etag: nil, loaded: nil, cache: nil)
    }
}
