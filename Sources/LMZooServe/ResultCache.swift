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

    /// A cached entry in the recency list (most recent at `newest`).
    private final class Node {
        let key: String
        let entry: Entry
        var older: Node?
        var newer: Node?
        init(key: String, entry: Entry) {
            self.key = key
            self.entry = entry
        }
    }

    private let capacity: Int
    private let ttl: Double
    private let lock = NSLock()
    private var nodes: [String: Node] = [:]
    private var oldest: Node?
    private var newest: Node?
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
            guard let node = nodes[key] else { return nil }
            guard Date().timeIntervalSince(node.entry.stored) < ttl else {
                remove(node)
                return nil
            }
            unlink(node)
            append(node)
            return node.entry
        }
    }

    /// Stores `body` under `key` (not when larger than the whole cache), evicting the least recently used.
    @discardableResult
    func store(_ key: String, version: String, body: [UInt8]) -> Entry {
        let entry = Entry(body: body, etag: Self.etag(of: body), version: version, stored: Date())
        guard body.count <= capacity else { return entry }
        lock.withLock {
            if let existing = nodes[key] { remove(existing) }
            let node = Node(key: key, entry: entry)
            nodes[key] = node
            append(node)
            bytes += body.count
            while bytes > capacity, let oldest { remove(oldest) }
        }
        return entry
    }

    /// Drops every entry of model version `version`.
    func drop(version: String) {
        lock.withLock {
            for node in nodes.values where node.entry.version == version { remove(node) }
        }
    }

    /// Puts `node` at the most recent end.
    private func append(_ node: Node) {
        node.older = newest
        node.newer = nil
        newest?.newer = node
        newest = node
        if oldest == nil { oldest = node }
    }

    /// Takes `node` out of the recency list.
    private func unlink(_ node: Node) {
        if let older = node.older { older.newer = node.newer } else { oldest = node.newer }
        if let newer = node.newer { newer.older = node.older } else { newest = node.older }
        node.older = nil
        node.newer = nil
    }

    private func remove(_ node: Node) {
        unlink(node)
        nodes[node.key] = nil
        bytes -= node.entry.body.count
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
