import Foundation
import LMZoo

/// Results of deterministic requests (greedy generation, score, predict, fill-mask, embeddings), kept
/// by model version + route + canonical request JSON: bounded by the bytes of the bodies it holds,
/// least recently used first out, each entry valid for `ttl` seconds. A model's reload drops its old
/// version's entries.
final class ResultCache: @unchecked Sendable {
    /// A cached response body and its ETag.
    struct Entry: Sendable {
        let body: [UInt8]
        let etag: String
        let version: String
        let stored: Date
    }

    private let capacity: Int
    private let ttl: Double
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Keys, least recently used first.
    private var order: [String] = []
    private var bytes = 0

    init(capacity: Int, ttl: Double) {
        self.capacity = capacity
        self.ttl = ttl
    }

    /// Bytes of the bodies held.
    var heldBytes: Int { lock.withLock { bytes } }

    /// The key of a request: `version`, `route` and the request with its object keys sorted.
    static func key(version: String, route: String, request: JSONValue) -> String {
        "\(version) \(route) \(canonical(request).compactText)"
    }

    /// The ETag of a body (quoted, as HTTP wants it).
    static func etag(of body: [UInt8]) -> String {
        "\"" + SHA256.hexDigest(of: body).prefix(32) + "\""
    }

    /// The entry for `key` if it is there and fresh (marks it recently used).
    func lookup(_ key: String) -> Entry? {
        lock.withLock {
            guard let entry = entries[key] else { return nil }
            guard Date().timeIntervalSince(entry.stored) < ttl else {
                remove(key)
                return nil
            }
            touch(key)
            return entry
        }
    }

    /// Stores `body` under `key` (not when larger than the whole cache), evicting the least recently used.
    @discardableResult
    func store(_ key: String, version: String, body: [UInt8]) -> Entry {
        let entry = Entry(body: body, etag: Self.etag(of: body), version: version, stored: Date())
        guard body.count <= capacity else { return entry }
        lock.withLock {
            if entries[key] != nil { remove(key) }
            entries[key] = entry
            order.append(key)
            bytes += body.count
            while bytes > capacity, let oldest = order.first { remove(oldest) }
        }
        return entry
    }

    /// Drops every entry of model version `version`.
    func drop(version: String) {
        lock.withLock {
            for (key, entry) in entries where entry.version == version { remove(key) }
        }
    }

    private func touch(_ key: String) {
        if let index = order.lastIndex(of: key) { order.remove(at: index) }
        order.append(key)
    }

    private func remove(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        bytes -= entry.body.count
        if let index = order.lastIndex(of: key) { order.remove(at: index) }
    }

    /// `value` with every object's keys sorted, so equal requests give equal keys.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .object(object):
            .object(JSONObject(object.entries.sorted { $0.key < $1.key }.map { ($0.key, canonical($0.value)) }))
        case let .array(items): .array(items.map(canonical))
        default: value
        }
    }
}
