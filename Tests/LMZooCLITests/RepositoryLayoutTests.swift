import Foundation
import LMZooTestSupport
import Testing

/// The repository checks out whole on a case-insensitive disk: no two paths differ only by case
/// (the CLI target's folder is Sources/CLI, beside the library's Sources/LMZoo).
@Suite struct RepositoryLayoutTests {
    @Test func noTwoPathsDifferOnlyByCase() throws {
        let root = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().deletingLastPathComponent().path
        var seen: [String: String] = [:], clashes: [String] = []
        for top in ["Sources", "Plugins", "Tests", "models", "scripts"] {
            for relative in FileManager.default.enumerator(atPath: root + "/" + top)?.allObjects as? [String] ?? [] {
                let path = top + "/" + relative
                if let other = seen.updateValue(path, forKey: path.lowercased()), other != path { clashes.append("\(other) ~ \(path)") }
            }
        }
        #expect(seen.keys.contains("sources/cli/main.swift"))
        #expect(clashes.isEmpty, "\(clashes)")
    }
}
