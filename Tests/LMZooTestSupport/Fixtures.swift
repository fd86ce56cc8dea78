import Foundation
import LMZooCore
import LMZooFormats

/// Paths of the committed fixtures (Tests/Fixtures, made by the scripts there) and scratch space.
public enum Fixtures {
    /// `Tests/Fixtures`.
    public static let root: String = {
        let here = URL(fileURLWithPath: #filePath)  // Tests/LMZooTestSupport/Fixtures.swift
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    /// `Tests/Fixtures/<relative>`.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// A fresh empty directory, removed by the caller with ``removeScratch(_:)``.
    public static func scratchDirectory(_ label: String = "test") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmzoo-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    public static func removeScratch(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The expected tensors a fixture script wrote beside its files:
    /// `{"metadata": {...}, "tensors": {name: {"dtype", "shape", "hex"}}}`.
    public static func expectedTensors(_ relative: String) throws -> (metadata: [String: String], tensors: [String: (dtype: String, shape: [Int], bytes: [UInt8])]) {
        let json = try JSONFile.read(path: path(relative))
        var metadata: [String: String] = [:]
        for (key, value) in json["metadata"]?.objectValue?.entries ?? [] { metadata[key] = value.stringValue }
        var tensors: [String: (String, [Int], [UInt8])] = [:]
        for (name, info) in json["tensors"]?.objectValue?.entries ?? [] {
            tensors[name] = (info["dtype"]!.stringValue!, info["shape"]!.arrayValue!.map { $0.intValue! },
                             hexBytes(info["hex"]!.stringValue!))
        }
        return (metadata, tensors)
    }

    /// Every difference between `store` and the expected tensors of a fixture JSON (names, dtypes,
    /// shapes, bytes; and metadata when `checkMetadata`): empty when they match.
    public static func differences(_ store: TensorStore, expected relative: String, checkMetadata: Bool = true) throws -> [String] {
        let expected = try expectedTensors(relative)
        var problems: [String] = []
        if checkMetadata, store.metadata != expected.metadata { problems.append("metadata \(store.metadata) != \(expected.metadata)") }
        if Set(store.names) != Set(expected.tensors.keys) {
            problems.append("names \(store.names.sorted()) != \(expected.tensors.keys.sorted())")
        }
        for (name, tensor) in store.entries {
            guard let want = expected.tensors[name] else { continue }
            if tensor.dtype.rawValue != want.dtype { problems.append("\(name): dtype \(tensor.dtype.rawValue) != \(want.dtype)") }
            if tensor.shape != want.shape { problems.append("\(name): shape \(tensor.shape) != \(want.shape)") }
            if tensor.withUnsafeBytes({ Array($0) }) != want.bytes { problems.append("\(name): bytes differ") }
        }
        return problems
    }

    /// Writes `bytes` to a scratch file called `fileName`, runs `read` on its path and returns the
    /// `LocatedError` it threw (nil when it accepted the file), with the path it was given.
    public static func locatedError(reading bytes: [UInt8], as fileName: String,
                                    _ read: (String) throws -> Void) throws -> (path: String, error: LocatedError?) {
        let scratch = try scratchDirectory("bad")
        defer { removeScratch(scratch) }
        let path = scratch + "/" + fileName
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            try read(path)
            return (path, nil)
        } catch let error as LocatedError {
            return (path, error)
        }
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    /// The Python interpreter with the reference libraries (`LMZOO_PYTHON`), if configured.
    public static var python: String? { ProcessInfo.processInfo.environment["LMZOO_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } }

    /// True in CI, where interop tests must run rather than be skipped.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}
