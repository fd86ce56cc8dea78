import Foundation
import LMZooCore
import LMZooTransformer

/// Every trainable tensor of a model in one flat f32 buffer, with a gradient buffer of the same
/// layout (llm.c's `params_memory` / `grads_memory`): the optimizer, clipping and checkpoints work on
/// the whole buffer; layers address their slices by name.
public final class ParameterSet: @unchecked Sendable {
    /// One named tensor: `count` floats at `offset`.
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    /// Total floats.
    public let count: Int
    /// The parameters.
    public let values: UnsafeMutablePointer<Float>
    /// Their gradients (same layout).
    public let grads: UnsafeMutablePointer<Float>
    private let index: [String: Int]

    /// Zero-filled parameters of the given names and shapes, in that order.
    public init(_ specs: [(name: String, shape: [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for spec in specs {
            entries.append(Entry(name: spec.name, shape: spec.shape, offset: offset))
            offset += spec.shape.reduce(1, *)
        }
        self.entries = entries
        count = offset
        values = .allocate(capacity: max(offset, 1))
        values.initialize(repeating: 0, count: max(offset, 1))
        grads = .allocate(capacity: max(offset, 1))
        grads.initialize(repeating: 0, count: max(offset, 1))
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }

    /// The entry called `name` (a programming error when absent: names come from the model's own table).
    public func entry(_ name: String) -> Entry {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return entries[i]
    }

    /// The parameter `name`.
    public func value(_ name: String) -> UnsafeMutablePointer<Float> { values + entry(name).offset }
    /// The gradient of `name`.
    public func grad(_ name: String) -> UnsafeMutablePointer<Float> { grads + entry(name).offset }

    /// The parameter `name` and its gradient, as the transformer engine binds them.
    public func trainable(_ name: String) -> TrainableTensor { TrainableTensor(value: value(name), grad: grad(name)) }

    public func zeroGrads() { grads.update(repeating: 0, count: count) }

    /// Fills every parameter with N(0, std(entry)) from `seed` (Box-Muller over SplitMix64).
    public func initialize(seed: UInt64, std: (Entry) -> Float) {
        var rng = SplitMix64(seed: seed)
        for entry in entries {
            let sigma = std(entry)
            for i in 0..<entry.count {
                let u1 = max(rng.nextUnitDouble(), 1e-300), u2 = rng.nextUnitDouble()
                values[entry.offset + i] = sigma * Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
            }
        }
    }

    /// The values as f32 tensors under their names (`prefix` prepended), in order.
    public func tensorStore(prefix: String = "", from buffer: UnsafePointer<Float>? = nil) throws -> TensorStore {
        var store = TensorStore()
        let source = buffer ?? UnsafePointer(values)
        for entry in entries {
            let floats = Array(UnsafeBufferPointer(start: source + entry.offset, count: entry.count))
            try store.add(prefix + entry.name, try Tensor(shape: entry.shape, floats: floats))
        }
        return store
    }

    /// Copies every entry from `store` (names with `prefix`) into `buffer` (default: the values);
    /// a missing tensor or one of another shape is a ``TrainingError/badCheckpoint(path:reason:)``.
    public func load(_ store: TensorStore, prefix: String = "", into buffer: UnsafeMutablePointer<Float>? = nil, path: String) throws {
        let target = buffer ?? values
        for entry in entries {
            guard let tensor = store[prefix + entry.name] else {
                throw TrainingError.badCheckpoint(path: path, reason: "missing tensor \(prefix + entry.name)")
            }
            guard tensor.shape == entry.shape else {
                throw TrainingError.badCheckpoint(path: path, reason: "\(prefix + entry.name) has shape \(tensor.shape), expected \(entry.shape)")
            }
            let floats = try tensor.dtype == .f32 ? tensor.floats() : tensor.converted(to: .f32).floats()
            floats.withUnsafeBufferPointer { (target + entry.offset).update(from: $0.baseAddress!, count: entry.count) }
        }
    }
}
