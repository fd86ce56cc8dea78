import Foundation
import LMZoo
@testable import LMZooServe
import Testing

/// The result cache on its own: byte bound with least-recently-used eviction, TTL, keys that ignore
/// the order of a request's fields, and dropping a model version's entries.
@Suite struct ResultCacheTests {
    func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 7, count: count) }

    @Test func evictsTheLeastRecentlyUsedPastItsBytes() {
        let cache = ResultCache(capacity: 100, ttl: 60)
        cache.store("a", version: "m@1", body: bytes(40))
        cache.store("b", version: "m@1", body: bytes(40))
        #expect(cache.lookup("a") != nil)  // a is now more recent than b
        cache.store("c", version: "m@1", body: bytes(40))
        #expect(cache.lookup("b") == nil && cache.lookup("a") != nil && cache.lookup("c") != nil)
        #expect(cache.heldBytes == 80)
        cache.store("huge", version: "m@1", body: bytes(101))
        #expect(cache.lookup("huge") == nil && cache.heldBytes == 80)
    }

    @Test func expiresAndDropsVersions() throws {
        let cache = ResultCache(capacity: 1000, ttl: 0.05)
        cache.store("a", version: "m@1", body: bytes(10))
        cache.store("b", version: "m@2", body: bytes(10))
        cache.drop(version: "m@1")
        #expect(cache.lookup("a") == nil && cache.lookup("b") != nil && cache.heldBytes == 10)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(cache.lookup("b") == nil && cache.heldBytes == 0)
    }

    @Test func keysIgnoreFieldOrderAndETagsFollowTheBody() throws {
        let a = try JSONParser.parse(#"{"model":"m","text":"x","opts":{"b":1,"a":2}}"#)
        let b = try JSONParser.parse(#"{"opts":{"a":2,"b":1},"text":"x","model":"m"}"#)
        #expect(ResultCache.key(version: "m@1", route: "/v1/score", request: a) == ResultCache.key(version: "m@1", route: "/v1/score", request: b))
        #expect(ResultCache.key(version: "m@1", route: "/v1/score", request: a) != ResultCache.key(version: "m@2", route: "/v1/score", request: a))
        #expect(ResultCache.etag(of: bytes(3)) == ResultCache.etag(of: bytes(3)) && ResultCache.etag(of: bytes(3)) != ResultCache.etag(of: bytes(4)))
    }
}
