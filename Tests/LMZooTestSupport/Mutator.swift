import Foundation
import LMZooCore

/// A little-endian integer field of a file (a length, count, size or offset) the mutator may set
/// to boundary values.
public struct LengthField: Sendable, Equatable {
    public let offset: Int
    public let width: Int

    public init(_ offset: Int, _ width: Int) {
        self.offset = offset
        self.width = width
    }
}

/// Deterministic, seeded mutations of a valid file: bit flips, truncations, length fields set to
/// 0 / max / -1 / off by one, duplicated, reordered and deleted sections, interesting bytes.
/// Every case is a pure function of `(seed, case number)` and describes itself, so a failure can
/// be replayed.
public struct Mutator {
    public let original: [UInt8]
    public let lengthFields: [LengthField]
    /// When set, only truncations and bit flips inside the first `frontBytes` bytes (for readers
    /// whose deeper structure a C library parses: lmzoo tests its own front checks, not libhdf5).
    public var frontBytes: Int?

    /// `lengthFields`: the format's known fields (header sizes, counts, zip sizes and offsets);
    /// string length prefixes found by ``stringLengthFields(in:)`` are added.
    public init(_ original: [UInt8], lengthFields: [LengthField] = []) {
        self.original = original
        self.lengthFields = lengthFields + Mutator.stringLengthFields(in: original)
    }

    /// The bytes of case `index` under `seed`, and a description of what was done.
    public func mutate(seed: UInt64, case index: Int) -> (bytes: [UInt8], description: String) {
        var rng = SplitMix64(seed: seed ^ (UInt64(index) &* 0x2545_F491_4F6C_DD1D))
        var bytes = original
        var steps: [String] = []
        // Mostly one mutation; sometimes a few stacked.
        let count = rng.next() % 4 == 0 ? Int.random(in: 2...4, using: &rng) : 1
        for _ in 0..<count { steps.append(applyOne(to: &bytes, using: &rng)) }
        return (bytes, steps.joined(separator: "; "))
    }

    private func applyOne(to bytes: inout [UInt8], using rng: inout SplitMix64) -> String {
        guard !bytes.isEmpty else {
            bytes = [UInt8.random(in: 0...255, using: &rng)]
            return "one random byte"
        }
        if let frontBytes {
            if rng.next() % 2 == 0 {
                let length = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.removeSubrange(length...)
                return "truncate to \(length)"
            }
            let at = Int.random(in: 0..<min(frontBytes, bytes.count), using: &rng), bit = Int.random(in: 0..<8, using: &rng)
            bytes[at] ^= UInt8(1 << bit)
            return "flip bit \(at).\(bit)"
        }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0, 1:
            let flips = Int.random(in: 1...8, using: &rng)
            var positions: [String] = []
            for _ in 0..<flips {
                let at = Int.random(in: 0..<bytes.count, using: &rng), bit = Int.random(in: 0..<8, using: &rng)
                bytes[at] ^= UInt8(1 << bit)
                positions.append("\(at).\(bit)")
            }
            return "flip bits \(positions.joined(separator: ","))"
        case 2:
            let length = Int.random(in: 0..<bytes.count, using: &rng)
            bytes.removeSubrange(length...)
            return "truncate to \(length)"
        case 3, 4:
            guard let field = lengthFields.randomElement(using: &rng), field.offset + field.width <= bytes.count else {
                return applyOne(to: &bytes, using: &rng)
            }
            let old = read(bytes, field)
            let max = field.width == 8 ? UInt64.max : (UInt64(1) << (8 * UInt64(field.width))) - 1
            let choices: [UInt64] = [0, max, max >> 1, (max >> 1) &+ 1, old &+ 1, old &- 1, old &* 2, old &* 1000,
                                     UInt64(bytes.count), UInt64(bytes.count) &+ 1, UInt64.random(in: 0...max, using: &rng)]
            let value = choices.randomElement(using: &rng)! & max
            write(&bytes, field, value)
            return "set \(field.width)-byte field at \(field.offset) from \(old) to \(value)"
        case 5:
            let (start, length) = randomRange(bytes.count, using: &rng)
            let at = Int.random(in: 0...bytes.count, using: &rng)
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: at)
            return "duplicate \(start)..<\(start + length) at \(at)"
        case 6:
            guard bytes.count >= 2 else { return applyOne(to: &bytes, using: &rng) }
            let (start, length) = randomRange(bytes.count / 2, using: &rng)
            let other = Int.random(in: (start + length)...(bytes.count - length), using: &rng)
            let first = Array(bytes[start..<(start + length)])
            bytes.replaceSubrange(start..<(start + length), with: bytes[other..<(other + length)])
            bytes.replaceSubrange(other..<(other + length), with: first)
            return "swap \(start)..<\(start + length) with \(other)..<\(other + length)"
        case 7:
            let (start, length) = randomRange(bytes.count, using: &rng)
            bytes.removeSubrange(start..<(start + length))
            return "delete \(start)..<\(start + length)"
        case 8:
            let interesting: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x22, 0x5C, 0x7B, 0x5B, 0x0A]
            let at = Int.random(in: 0..<bytes.count, using: &rng), run = Int.random(in: 1...8, using: &rng)
            let byte = interesting.randomElement(using: &rng)!
            for i in at..<min(bytes.count, at + run) { bytes[i] = byte }
            return "set \(run) bytes at \(at) to \(byte)"
        default:
            let at = Int.random(in: 0...bytes.count, using: &rng), run = Int.random(in: 1...64, using: &rng)
            bytes.insert(contentsOf: (0..<run).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            return "insert \(run) random bytes at \(at)"
        }
    }

    /// A non-empty range inside `count` bytes (start, length), biased towards short ones.
    private func randomRange(_ count: Int, using rng: inout SplitMix64) -> (Int, Int) {
        let total = max(count, 1)
        let length = min(total, rng.next() % 2 == 0 ? Int.random(in: 1...16, using: &rng) : Int.random(in: 1...total, using: &rng))
        return (Int.random(in: 0...(total - length), using: &rng), length)
    }

    private func read(_ bytes: [UInt8], _ field: LengthField) -> UInt64 {
        (0..<field.width).reduce(UInt64(0)) { $0 | UInt64(bytes[field.offset + $1]) << (8 * UInt64($1)) }
    }

    private func write(_ bytes: inout [UInt8], _ field: LengthField, _ value: UInt64) {
        for i in 0..<field.width { bytes[field.offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// Little-endian 1-, 2-, 4- or 8-byte integers followed by exactly that many printable bytes:
    /// the length prefixes of GGUF strings, pickle strings and zip names (false positives only add cases).
    public static func stringLengthFields(in bytes: [UInt8]) -> [LengthField] {
        var fields: [LengthField] = []
        for width in [1, 2, 4, 8] {
            var offset = 0
            while offset + width < bytes.count {
                let value = (0..<width).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
                let start = offset + width
                if value >= 3, value <= 256, start + value <= bytes.count,
                   bytes[start..<(start + value)].allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                    fields.append(LengthField(offset, width))
                }
                offset += 1
            }
        }
        return fields
    }

    /// The fixed fields of every zip record in `bytes`: local headers (sizes, name and extra
    /// lengths), central directory entries (sizes, lengths, local offset) and the end record.
    public static func zipFields(in bytes: [UInt8]) -> [LengthField] {
        var fields: [LengthField] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            if bytes[offset] == 0x50, bytes[offset + 1] == 0x4B {
                switch (bytes[offset + 2], bytes[offset + 3]) {
                case (3, 4): fields += [.init(offset + 18, 4), .init(offset + 22, 4), .init(offset + 26, 2), .init(offset + 28, 2)]
                case (1, 2): fields += [.init(offset + 20, 4), .init(offset + 24, 4), .init(offset + 28, 2), .init(offset + 30, 2),
                                        .init(offset + 32, 2), .init(offset + 42, 4)]
                case (5, 6): fields += [.init(offset + 8, 2), .init(offset + 10, 2), .init(offset + 12, 4), .init(offset + 16, 4),
                                        .init(offset + 20, 2)]
                default: break
                }
            }
            offset += 1
        }
        return fields.filter { $0.offset + $0.width <= bytes.count }
    }
}

/// Prints the case being run if the process dies of a signal (a trap, a segfault): the one thing a
/// test cannot report after the fact. Install once; set ``current`` before each case.
public enum CrashReporter {
    nonisolated(unsafe) private static var message = [CChar](repeating: 0, count: 4096)
    nonisolated(unsafe) private static var installed = false

    /// Installs handlers for SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE and SIGABRT (idempotent).
    public static func install() {
        guard !installed else { return }
        installed = true
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            Foundation.signal(signal) { number in
                CrashReporter.message.withUnsafeBufferPointer { buffer in
                    _ = Foundation.write(2, buffer.baseAddress!, strlen(buffer.baseAddress!))
                }
                Foundation.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    /// Records the case about to run (truncated to 4 KB).
    public static func current(_ text: String) {
        let bytes = Array("\nCRASH in mutation case: \(text)\n".utf8.prefix(4094))
        message.withUnsafeMutableBufferPointer { buffer in
            for (i, byte) in bytes.enumerated() { buffer[i] = CChar(bitPattern: byte) }
            buffer[bytes.count] = 0
        }
    }
}
