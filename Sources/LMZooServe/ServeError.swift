import Hummingbird
import LMZoo
import NIOCore

/// An error answered as OpenAI does: `{"error":{"message","type","code"}}` with a 4xx/5xx status.
public struct ServeError: Error, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    /// OpenAI's error type (`invalid_request_error`, `rate_limit_error`, `server_error`, ...).
    public let type: String
    /// A short machine-readable code (`model_not_found`, `queue_full`, ...).
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, type: String = "invalid_request_error", code: String, _ message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The JSON body.
    public var json: JSONValue {
        ["error": ["message": .string(message), "type": .string(type), "code": .string(code)]]
    }

    static func badRequest(_ message: String, code: String = "invalid_value") -> ServeError {
        ServeError(.badRequest, code: code, message)
    }

    static func modelNotFound(_ name: String) -> ServeError {
        ServeError(.notFound, code: "model_not_found", "the model '\(name)' is not served (GET /v1/models lists them)")
    }

    static func unsupported(_ model: String, _ capability: String) -> ServeError {
        ServeError(.badRequest, code: "unsupported_capability", "the model '\(model)' cannot \(capability)")
    }

    static func queueFull(_ model: String, depth: Int) -> ServeError {
        ServeError(.tooManyRequests, type: "rate_limit_error", code: "queue_full",
                   "the model '\(model)' has \(depth) requests queued; retry later")
    }

    static func timedOut(_ seconds: Double) -> ServeError {
        ServeError(.gatewayTimeout, type: "timeout_error", code: "timeout", "the request took longer than \(seconds) s")
    }

    /// An error from the model or its input (bad ids, a text the tokenizer rejects): the request's fault.
    static func modelRejected(_ error: any Error) -> ServeError {
        ServeError(.badRequest, code: "invalid_input", String(describing: error))
    }

    /// Any error as the answer to send: ``ServeError`` as is, Hummingbird's HTTP errors with their
    /// status, anything else a 500.
    static func from(_ error: any Error) -> ServeError {
        if let serve = error as? ServeError { return serve }
        if error is NIOTooManyBytesError {
            return ServeError(.contentTooLarge, code: "body_too_large", "the request body is larger than the server accepts (lmzoo serve --max-body-bytes)")
        }
        if let http = error as? HTTPError {
            let code = switch http.status {
            case .notFound: "not_found"
            case .contentTooLarge: "body_too_large"
            case .methodNotAllowed: "method_not_allowed"
            default: "http_\(http.status.code)"
            }
            let message = http.body ?? (http.status == .contentTooLarge ? "the request body is too large" : http.status.reasonPhrase)
            return ServeError(http.status, type: http.status.code >= 500 ? "server_error" : "invalid_request_error", code: code, message)
        }
        return ServeError(.internalServerError, type: "server_error", code: "internal_error", String(describing: error))
    }
}
