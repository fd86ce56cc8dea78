import Foundation
import LMZooCore

/// Runs seeded mutation cases of one fixture through a reader (see ``Mutator``) and collects the
/// cases that threw an error with an empty message or took longer than ``maxCaseSeconds``; a case
/// that traps is printed by ``CrashReporter`` as the process dies. Seed and case count come from
/// LMZOO_MUTATION_SEED / LMZOO_MUTATION_CASES when set, so a failure can be replayed.
public enum MutationHarness {
    public static let seed: UInt64 = ProcessInfo.processInfo.environment["LMZOO_MUTATION_SEED"].flatMap { UInt64($0) } ?? 0x1A2B_3C4D
    /// Overrides every target's case count (e.g. 100000 for a long local run).
    public static let caseOverride = ProcessInfo.processInfo.environment["LMZOO_MUTATION_CASES"].flatMap { Int($0) }
    public static let maxCaseSeconds = 1.0

    /// Writes each mutated copy of `fixture` (a path under Tests/Fixtures) as `fileName` in a scratch
    /// directory holding copies of `companions`, and calls `read` on it. `afterEach` runs after each
    /// case's read; a message it returns makes the case a failure.
    public static func run(name: String, fixture: String, fileName: String, cases: Int,
                           lengthFields: ([UInt8]) -> [LengthField] = { _ in [] }, companions: [String] = [], frontBytes: Int? = nil,
                           afterEach: () -> String? = { nil },
                           read: (String) throws -> Void) throws -> (failures: [String], accepted: Int) {
        CrashReporter.install()
        let scratch = try Fixtures.scratchDirectory("mutation")
        defer { Fixtures.removeScratch(scratch) }
        for companion in companions {
            try FileManager.default.copyItem(atPath: Fixtures.path(companion), toPath: scratch + "/" + Paths.fileName(of: companion))
        }
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture))))
        var mutator = Mutator(original, lengthFields: lengthFields(original))
        mutator.frontBytes = frontBytes
        let path = scratch + "/" + fileName
        var failures: [String] = []
        var accepted = 0
        let targetSeed = seed ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) })
        for index in 0..<(caseOverride ?? cases) {
            let (bytes, what) = mutator.mutate(seed: targetSeed, case: index)
            let label = "\(name) seed \(seed) case \(index): \(what)"
            CrashReporter.current(label)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let started = Date()
            do {
                try read(path)
                accepted += 1
            } catch {
                if String(describing: error).isEmpty { failures.append("\(label): empty error message") }
            }
            let seconds = Date().timeIntervalSince(started)
            if let problem = afterEach() { failures.append("\(label): \(problem)") }
            if seconds > maxCaseSeconds { failures.append("\(label): took \(String(format: "%.2f", seconds)) s") }
        }
        CrashReporter.current("(between mutation cases)")
        return (failures, accepted)
    }

    /// Reads every byte of every tensor, so that a view reaching past its buffer traps here.
    public static func touch(_ store: TensorStore) {
        var checksum: UInt8 = 0
        for (_, tensor) in store.entries {
            tensor.withUnsafeBytes { bytes in
                for byte in bytes { checksum ^= byte }
            }
        }
        blackHole(checksum)
    }

    @inline(never) static func blackHole(_ value: UInt8) { _ = value }
}
