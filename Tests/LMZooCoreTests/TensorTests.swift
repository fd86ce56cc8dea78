import Foundation
import Testing
@testable import LMZooCore

@Suite struct TensorTests {
    @Test func scalarsAndEmptyTensorsHaveTheRightSizes() throws {
        let scalar = try Tensor(zeros: .f32, shape: [])
        #expect(scalar.elementCount == 1 && scalar.byteCount == 4)
        let empty = try Tensor(zeros: .bf16, shape: [0, 7])
        #expect(empty.elementCount == 0 && empty.byteCount == 0)
        #expect(empty.floats() == [])
    }

    @Test func overflowingShapesAreRefused() {
        #expect(throws: TensorError.shapeOverflow(shape: [1 << 40, 1 << 40], dtype: .f32)) {
            try Tensor(zeros: .f32, shape: [1 << 40, 1 << 40])
        }
        #expect(DType.f64.byteCount(forShape: [Int.max / 4]) == nil)
        #expect(DType.f32.byteCount(forShape: [0, Int.max, Int.max]) == 0)
    }

    @Test func viewsOutsideTheirBufferAreRefused() {
        let buffer = TensorBuffer(zeroedByteCount: 16)
        #expect(throws: TensorError.outOfBounds(offset: 8, byteCount: 12, bufferSize: 16)) {
            try Tensor(dtype: .f32, shape: [3], buffer: buffer, byteOffset: 8)
        }
    }

    @Test func conversionsBetweenFloatTypes() throws {
        let values: [Float] = [1, -2.5, 65504, 1e-8, .infinity, 3.14159]
        let tensor = try Tensor(shape: [2, 3], floats: values)
        let half = try tensor.converted(to: .f16)
        #expect(half.dtype == .f16 && half.shape == [2, 3])
        #expect(half.floats() == values.map { Float(Float16($0)) })
        let brain = try tensor.converted(to: .bf16)
        #expect(brain.floats() == values.map { HalfPrecision.float(fromBF16: HalfPrecision.bf16Bits(from: $0)) })
        let wide = try tensor.converted(to: .f64)
        #expect(try wide.converted(to: .f32).isBitwiseEqual(to: tensor))
        #expect(throws: TensorError.unsupportedConversion(from: .f32, to: .i32)) { try tensor.converted(to: .i32) }
    }

    @Test func sharedViewsAreDetected() throws {
        let buffer = TensorBuffer(zeroedByteCount: 64)
        let a = try Tensor(dtype: .f32, shape: [4], buffer: buffer, byteOffset: 0)
        let b = try Tensor(dtype: .f32, shape: [4], buffer: buffer, byteOffset: 0)
        let c = try Tensor(dtype: .f32, shape: [2], buffer: buffer, byteOffset: 8)
        #expect(a.isSameView(as: b) && a.sharesStorage(with: c) && !a.isSameView(as: c))
        var store = TensorStore()
        try store.add("wte", a)
        try store.add("lm_head", b)
        try store.add("part", c)
        #expect(store.aliases().map(\.alias) == ["lm_head"])
        #expect(store.aliases().map(\.original) == ["wte"])
        #expect(throws: TensorStoreError.duplicateName("wte")) { try store.add("wte", a) }
    }

    @Test func atomicWriterLeavesNoTraceUntilCommit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lmzoo-atomic-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let destination = directory + "/out.bin"
        try Data("old".utf8).write(to: URL(fileURLWithPath: destination))
        do {
            let writer = try AtomicFileWriter(destination: destination)
            try writer.write(Array("new contents".utf8))
            // Dropped without commit: the old file stays, the temporary file goes.
        }
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.bin"])
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write(Array("new contents".utf8))
        try writer.commit()
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "new contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.bin"])
    }
}
