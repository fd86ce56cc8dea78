import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

/// A malformed `.npy` image and the rule it must break.
struct MalformedNumPy: Sendable, CustomStringConvertible {
    let label: String
    let bytes: [UInt8]
    let expected: NumPyError
    /// For `malformedHeader`, the message is checked by substring rather than equality.
    var messageContains: String?

    var description: String { label }

    /// Magic, version, header length (`declared` or the header's size) and header text, then `data`.
    static func npy(_ header: String, data: [UInt8] = [], version: UInt8 = 1, declared: Int? = nil) -> [UInt8] {
        let text = Array(header.utf8)
        let length = declared ?? text.count
        let lengthBytes = version == 1 ? withUnsafeBytes(of: UInt16(length).littleEndian, Array.init)
                                       : withUnsafeBytes(of: UInt32(length).littleEndian, Array.init)
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + lengthBytes + text + data
    }

    static func dict(descr: String = "'<f4'", fortran: String = "False", shape: String = "(2,)") -> String {
        "{'descr': \(descr), 'fortran_order': \(fortran), 'shape': \(shape), }\n"
    }

    static func malformed(_ label: String, _ header: String, contains: String) -> MalformedNumPy {
        MalformedNumPy(label: label, bytes: npy(header, data: [UInt8](repeating: 0, count: 8)), expected: .malformedHeader(""),
                       messageContains: contains)
    }

    /// One file per rule the reader checks, in order (the dtype rules are also covered by
    /// NumPy-written fixtures).
    static let all: [MalformedNumPy] = [
        .init(label: "file too small", bytes: [0x93, 0x4E, 0x55], expected: .tooSmall(fileSize: 3)),
        .init(label: "magic string", bytes: Array("PK\u{3}\u{4}not a numpy file".utf8), expected: .badMagic),
        .init(label: "format version", bytes: npy(dict(), version: 4), expected: .unsupportedVersion(major: 4, minor: 0)),
        .init(label: "header too large", bytes: npy("{}", version: 2, declared: 0x7FFF_FFFF), expected: .headerTooLarge(declared: 0x7FFF_FFFF)),
        .init(label: "header inside the file", bytes: npy(dict(), declared: 1000), expected: .headerOutsideFile(declared: 1000, available: 58)),
        .init(label: "header not UTF-8", bytes: npy(dict(), version: 3).enumerated().map { $0.offset == 14 ? 0xFF : $0.element },
              expected: .headerNotUTF8),
        malformed("syntax error", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", contains: "expected ',' or '}'"),
        malformed("not a dict", "('<f4', False, (2,))", contains: "not a dict"),
        malformed("missing key", "{'descr': '<f4', 'shape': (2,)}", contains: "keys are"),
        malformed("extra key", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", contains: "keys are"),
        malformed("duplicate key", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", contains: "duplicate key"),
        malformed("shape is a list", dict(shape: "[2]"), contains: "not a tuple"),
        malformed("shape is an int", dict(shape: "(2)"), contains: "not a tuple"),
        malformed("negative dimension", dict(shape: "(-2,)"), contains: "negative"),
        malformed("float dimension", dict(shape: "(2.0,)"), contains: "decimal integers"),
        malformed("fortran_order not bool", dict(fortran: "0"), contains: "fortran_order"),
        malformed("descr not a string", dict(descr: "4"), contains: "not a dtype descriptor"),
        malformed("code instead of a literal", dict(descr: "__import__('os').system('true')"), contains: "unexpected character"),
        malformed("nested too deep", dict(shape: String(repeating: "(", count: 40) + String(repeating: ")", count: 40)), contains: "nested"),
        .init(label: "object dtype", bytes: npy(dict(descr: "'|O'")), expected: .objectDType),
        .init(label: "structured dtype", bytes: npy(dict(descr: "[('a', '<f4')]")), expected: .structuredDType("[('a', '<f4')]")),
        .init(label: "string dtype", bytes: npy(dict(descr: "'<U3'")), expected: .stringDType("<U3")),
        .init(label: "complex dtype", bytes: npy(dict(descr: "'<c16'")), expected: .complexDType("<c16")),
        .init(label: "unknown dtype (long double)", bytes: npy(dict(descr: "'<f16'")), expected: .unknownDType("<f16")),
        .init(label: "unknown dtype (datetime)", bytes: npy(dict(descr: "'<M8[ns]'")), expected: .unknownDType("<M8[ns]")),
        .init(label: "unknown dtype (no byte order)", bytes: npy(dict(descr: "'f4'")), expected: .unknownDType("f4")),
        .init(label: "shape overflow", bytes: npy(dict(shape: "(4611686018427387904, 4)")), expected: .shapeOverflow(shape: "(4611686018427387904, 4)")),
        .init(label: "shape beyond Int", bytes: npy(dict(shape: "(99999999999999999999999,)")), expected: .shapeOverflow(shape: "(99999999999999999999999,)")),
        .init(label: "data inside the file", bytes: npy(dict(), data: [1, 2, 3]), expected: .truncatedData(needed: 8, available: 3)),
        .init(label: "nothing after the data", bytes: npy(dict(), data: [UInt8](repeating: 0, count: 11)), expected: .trailingData(count: 3)),
    ]
}

@Suite struct NumPyTests {
    /// `expected.json` / `npz.json` of the fixture script.
    static let expectedNPY = try! Fixtures.expectedTensors("numpy/expected.json").tensors
    static let expectedNPZ = try! Fixtures.expectedTensors("numpy/npz.json").tensors

    static func bytes(_ tensor: Tensor) -> [UInt8] { tensor.withUnsafeBytes { Array($0) } }

    /// The `NumPyError` behind a reader's `LocatedError`, checking that the error names `path`.
    static func readError(_ path: String, npz: Bool = false) -> NumPyError? {
        do {
            _ = npz ? try NumPyReader.readNPZ(path: path) : try NumPyReader.readNPY(path: path)
            return nil
        } catch let error as LocatedError {
            #expect(error.path == path)
            return error.underlying as? NumPyError
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: reading what NumPy wrote

    @Test(arguments: NumPyTests.expectedNPY.keys.sorted())
    func numpyWrittenNPYReadsIdentically(file: String) throws {
        let store = try NumPyReader.readNPY(path: Fixtures.path("numpy/" + file))
        let want = try #require(NumPyTests.expectedNPY[file])
        #expect(store.names == [String(file.dropLast(4))])
        let tensor = try store.tensor(store.names[0])
        #expect(tensor.dtype.rawValue == want.dtype)
        #expect(tensor.shape == want.shape)
        #expect(NumPyTests.bytes(tensor) == want.bytes)
        // C-order little-endian data is a view into the map; Fortran-order and big-endian data are converted copies.
        let converted = file.contains("fortran") || file.contains("big_endian")
        #expect(tensor.isMapped == !converted)
        #expect(store.metadata.isEmpty)
    }

    @Test(arguments: ["savez.npz", "savez_compressed.npz", "with_text_member.npz"])
    func numpyWrittenNPZReadsIdentically(file: String) throws {
        let store = try NumPyReader.readNPZ(path: Fixtures.path("numpy/" + file))
        #expect(Set(store.names) == Set(NumPyTests.expectedNPZ.keys))
        for (name, tensor) in store.entries {
            let want = try #require(NumPyTests.expectedNPZ[name])
            #expect(tensor.dtype.rawValue == want.dtype, "\(name)")
            #expect(tensor.shape == want.shape, "\(name)")
            #expect(NumPyTests.bytes(tensor) == want.bytes, "\(name)")
            // Stored members are zero-copy views (except the one saved in Fortran order); deflated ones are inflated.
            #expect(tensor.isMapped == (file != "savez_compressed.npz" && name != "fortran"), "\(name)")
        }
    }

    @Test func headerSpellingsNumPyAcceptsAreRead() throws {
        let scratch = try Fixtures.scratchDirectory("npy-spellings")
        defer { Fixtures.removeScratch(scratch) }
        let data: [UInt8] = [1, 0, 2, 0]
        let headers: [(String, DType, [UInt8])] = [
            (#"{"shape": (2,), "fortran_order": False, "descr": "<i2"}"#, .i16, [1, 0, 2, 0]),  // other quotes and key order
            ("{'descr': '=u2', 'fortran_order': False, 'shape': (2L,), }  \n", .u16, [1, 0, 2, 0]),  // native order, Python 2 long
            ("{'descr': '>i2', 'fortran_order': True, 'shape': (1, 2, 1), }", .i16, [0, 1, 0, 2]),  // big-endian, trivial Fortran
            ("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", .u8, [1, 0, 2, 0]),
            ("{'descr': '>b1', 'fortran_order': False, 'shape': (4,), }", .bool, [1, 0, 2, 0]),
        ]
        for (i, (header, dtype, expected)) in headers.enumerated() {
            let path = scratch + "/a\(i).npy"
            try Data(MalformedNumPy.npy(header, data: data)).write(to: URL(fileURLWithPath: path))
            let tensor = try NumPyReader.readNPY(path: path).tensor("a\(i)")
            #expect(tensor.dtype == dtype, "\(header)")
            #expect(NumPyTests.bytes(tensor) == expected, "\(header)")
        }
    }

    @Test(arguments: [[2, 3], [3, 1, 4], [2, 3, 4, 5], [1, 5], [4, 2, 1, 3]])
    func fortranOrderBecomesCOrder(shape: [Int]) throws {
        let scratch = try Fixtures.scratchDirectory("npy-fortran")
        defer { Fixtures.removeScratch(scratch) }
        let count = shape.reduce(1, *)
        // Element with C index (i0, ..., in-1) holds its C offset; in Fortran order it sits at sum(ik * prod(d<k)).
        var fortran = [UInt32](repeating: 0, count: count)
        for cOffset in 0..<count {
            var rest = cOffset, fortranOffset = 0
            var indices = [Int](repeating: 0, count: shape.count)
            for k in shape.indices.reversed() {
                indices[k] = rest % shape[k]
                rest /= shape[k]
            }
            var stride = 1
            for k in shape.indices {
                fortranOffset += indices[k] * stride
                stride *= shape[k]
            }
            fortran[fortranOffset] = UInt32(cOffset)
        }
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let path = scratch + "/f.npy"
        let data = fortran.withUnsafeBytes { Array($0) }
        try Data(MalformedNumPy.npy("{'descr': '<u4', 'fortran_order': True, 'shape': \(shapeText), }", data: data))
            .write(to: URL(fileURLWithPath: path))
        let tensor = try NumPyReader.readNPY(path: path).tensor("f")
        #expect(tensor.shape == shape)
        #expect(NumPyTests.bytes(tensor) == (0..<UInt32(count)).flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }

    // MARK: writing

    /// Tensors of every dtype NumPy can hold, in awkward shapes, with deterministic pseudo-random bytes.
    static func sampleStore() throws -> TensorStore {
        var store = TensorStore(metadata: ["dropped": "npz has no metadata"])
        var random = SplitMix64(seed: 7)
        let shapes: [[Int]] = [[3, 5], [7], [], [0], [2, 0, 3], [1, 1, 1, 4], [130]]
        for (i, dtype) in DType.elementTypes.filter({ NumPyFormat(.npz).canHold($0) }).enumerated() {
            let tensor = try Tensor(zeros: dtype, shape: shapes[i % shapes.count])
            if let bytes = tensor.buffer.mutableBytes {
                for j in 0..<tensor.byteCount { bytes[j] = UInt8(truncatingIfNeeded: random.next()) }
                if dtype == .bool { for j in 0..<tensor.byteCount { bytes[j] &= 1 } }
            }
            try store.add("layer.\(i).\(dtype.rawValue.lowercased())", tensor)
        }
        try store.add("dir/scalar", try Tensor(zeros: .f64, shape: []))
        return store
    }

    @Test func npzRoundTripIsBitExactForEveryDTypeAndAligned() throws {
        let scratch = try Fixtures.scratchDirectory("npz-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        let original = try NumPyTests.sampleStore()
        #expect(original.count == 13)
        let path = scratch + "/model.npz"
        let summary = try NumPyWriter.writeNPZ(original, to: path)
        #expect(summary.tensorCount == original.count)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == summary.byteCount)
        let reread = try NumPyReader.readNPZ(path: path)
        #expect(reread.names == original.names)
        #expect(reread.metadata.isEmpty)
        for (name, tensor) in original.entries {
            let back = try reread.tensor(name)
            #expect(back.isBitwiseEqual(to: tensor), "\(name)")
            #expect(back.isMapped, "\(name)")
        }
        // Members are stored `NAME.npy` with the data of every array on a 64-byte boundary of the file.
        let archive = try ZipArchive(path: path)
        #expect(archive.entries.map(\.name) == original.names.map { $0 + ".npy" })
        for entry in archive.entries {
            #expect(entry.method == 0)
            let header = try NumPyHeader.parse(UnsafeRawBufferPointer(rebasing: archive.file.bytes[entry.dataOffset..<(entry.dataOffset + entry.size)]))
            #expect(header.version.major == 1 && header.version.minor == 0)
            #expect((entry.dataOffset + header.dataOffset) % 64 == 0, "\(entry.name)")
        }
    }

    @Test func npyRoundTripIsBitExactForEveryDType() throws {
        let scratch = try Fixtures.scratchDirectory("npy-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        for (name, tensor) in try NumPyTests.sampleStore().entries {
            var single = TensorStore()
            try single.add(name, tensor)
            let path = scratch + "/t.npy"
            try NumPyWriter.writeNPY(single, to: path)
            let back = try NumPyReader.readNPY(path: path).tensor("t")
            #expect(back.isBitwiseEqual(to: tensor), "\(name)")
        }
    }

    /// lmzoo's `.npy` bytes are NumPy's bytes: same header dict, growth padding and 64-byte alignment.
    @Test(arguments: NumPyTests.expectedNPY.keys.sorted().filter { !$0.contains("fortran") && !$0.contains("big_endian") && !$0.hasPrefix("version") })
    func rewritingNumPysNPYIsByteIdentical(file: String) throws {
        let scratch = try Fixtures.scratchDirectory("npy-rewrite")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("numpy/" + file)
        let out = scratch + "/" + file
        try NumPyWriter.writeNPY(try NumPyReader.readNPY(path: source), to: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: source)))
    }

    @Test func headerPaddingFollowsNumPysRule() throws {
        // magic (6) + version (2) + u16 length + dict + growth spaces + newline, padded with
        // 64 - (that % 64) spaces: a full 64 when already aligned (aligned_header.npy is NumPy's such case).
        for shape in [[], [3], [2, 3], [0, 4], [1_000_000, 7], [Int](repeating: 0, count: 13) + [100], [Int](repeating: 1, count: 64)] {
            let header = NumPyWriter.header(descr: "<f4", shape: shape)
            let text = String(decoding: header[10...], as: UTF8.self)
            let dictEnd = text.firstIndex(of: "}")!
            let growth = shape.isEmpty ? 0 : 21 - String(shape[0]).count
            let unpadded = 10 + text[...dictEnd].utf8.count + growth + 1
            #expect(header.count == unpadded + 64 - unpadded % 64, "\(shape)")
            #expect(header.count % 64 == 0 && header.last == UInt8(ascii: "\n"))
            #expect(header[6] == 1 && Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        }
        let aligned = NumPyWriter.header(descr: "<f4", shape: [Int](repeating: 0, count: 13) + [100])
        #expect(aligned.count == 192 && aligned.suffix(65).dropLast().allSatisfy { $0 == UInt8(ascii: " ") })
    }

    @Test func writersRefuseWhatNumPyCannotHold() throws {
        let scratch = try Fixtures.scratchDirectory("npz-hold")
        defer { Fixtures.removeScratch(scratch) }
        let format = NumPyFormat(.npz)
        #expect(DType.allCases.filter { !format.canHold($0) } == [.bf16, .q8_0, .q4_0])
        #expect(!NumPyFormat(.npy).canHold(.bf16))
        var store = TensorStore()
        try store.add("ids", try Tensor(zeros: .i64, shape: [3]))
        try store.add("w", try Tensor(shape: [32], floats: (0..<32).map { Float($0) / 3 }).converted(to: .bf16))
        let path = scratch + "/out.npz"
        #expect(throws: NumPyError.cannotHold(tensor: "w", dtype: .bf16)) {
            do { try NumPyWriter.writeNPZ(store, to: path) } catch let error as LocatedError { throw error.underlying }
        }
        #expect(throws: NumPyError.cannotHold(tensor: "w", dtype: .q8_0)) {
            do { try NumPyWriter.writeNPZ(store, to: path, options: WriteOptions(dtype: .q8_0)) } catch let error as LocatedError { throw error.underlying }
        }
        var quantized = TensorStore()
        try quantized.add("q", try Tensor(shape: [32], floats: [Float](repeating: 1, count: 32)).converted(to: .q8_0))
        #expect(throws: NumPyError.cannotHold(tensor: "q", dtype: .q8_0)) {
            do { try NumPyWriter.writeNPZ(quantized, to: path) } catch let error as LocatedError { throw error.underlying }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "no temporary file left behind")
        // With a dtype NumPy has, floats are converted and integers kept.
        try NumPyWriter.writeNPZ(store, to: path, options: WriteOptions(dtype: .f32))
        let reread = try NumPyReader.readNPZ(path: path)
        #expect(try reread.tensor("ids").dtype == .i64)
        #expect(try reread.tensor("w").isBitwiseEqual(to: store.tensor("w").converted(to: .f32)))
    }

    @Test func npyWriterNeedsExactlyOneTensor() throws {
        let scratch = try Fixtures.scratchDirectory("npy-one")
        defer { Fixtures.removeScratch(scratch) }
        let two = try NumPyReader.readNPZ(path: Fixtures.path("numpy/savez.npz"))
        for store in [TensorStore(), two] {
            #expect(throws: NumPyError.npyNeedsOneTensor(count: store.count)) {
                do { try NumPyWriter.writeNPY(store, to: scratch + "/out.npy") } catch let error as LocatedError { throw error.underlying }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    // MARK: refusing malformed files

    @Test(arguments: MalformedNumPy.all)
    func malformedNPYGivesTypedError(_ malformed: MalformedNumPy) throws {
        let scratch = try Fixtures.scratchDirectory("npy-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/bad.npy"
        try Data(malformed.bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(NumPyTests.readError(path), "\(malformed.label): accepted")
        #expect(error.rule == malformed.expected.rule)
        if let fragment = malformed.messageContains {
            #expect(error.description.contains(fragment), "\(error)")
        } else {
            #expect(error == malformed.expected)
        }
    }

    @Test(arguments: [
        ("object.npy", NumPyError.objectDType),
        ("structured.npy", .structuredDType("[('a', '<f4'), ('b', '<i8')]")),
        ("complex.npy", .complexDType("<c8")),
        ("unicode.npy", .stringDType("<U3")),
        ("bytes.npy", .stringDType("|S3")),
        ("truncated.npy", .truncatedData(needed: 24, available: 20)),
    ])
    func numpyWrittenFilesLMZooRefuses(file: String, expected: NumPyError) {
        #expect(NumPyTests.readError(Fixtures.path("numpy/" + file)) == expected)
    }

    /// Every header byte of a few fixtures overwritten, and every truncation of an `.npy` and an
    /// `.npz`: each read either succeeds or throws, never traps.
    @Test func mutatedAndTruncatedFilesNeverTrap() throws {
        let scratch = try Fixtures.scratchDirectory("npy-mutate")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/m.npy"
        for file in ["f4.npy", "fortran.npy", "big_endian.npy", "scalar.npy"] {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("numpy/" + file))))
            for position in 0..<min(original.count, 128) {
                for value: UInt8 in [0x00, 0xFF, UInt8(ascii: "("), UInt8(ascii: "9"), UInt8(ascii: "'")] {
                    var bent = original
                    bent[position] = value
                    try Data(bent).write(to: URL(fileURLWithPath: path))
                    _ = try? NumPyReader.readNPY(path: path)
                }
            }
        }
        for file in ["f4.npy", "savez.npz", "savez_compressed.npz"] {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("numpy/" + file))))
            let cut = scratch + "/cut." + Paths.fileExtension(of: file)
            for length in 0..<original.count {
                try Data(original.prefix(length)).write(to: URL(fileURLWithPath: cut))
                #expect((try? file.hasSuffix("npz") ? NumPyReader.readNPZ(path: cut) : NumPyReader.readNPY(path: cut)) == nil, "\(file) cut to \(length)")
            }
        }
    }

    @Test func npzMemberErrorsNameTheMember() throws {
        let scratch = try Fixtures.scratchDirectory("npz-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/bad.npz"
        let zip = try ZipWriter(destination: path)
        try zip.addEntry(name: "good.npy", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("numpy/f4.npy")))))
        try zip.addEntry(name: "nested/pickled.npy", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("numpy/object.npy")))))
        try zip.finish()
        #expect(NumPyTests.readError(path, npz: true) == .inMember("nested/pickled.npy", .objectDType))
        #expect(NumPyTests.readError(path, npz: true)?.description.contains("member 'nested/pickled.npy'") == true)
        // Unsafe entry names are the zip reader's to refuse.
        #expect(throws: ZipError.unsafeName("../evil.txt")) {
            do { _ = try NumPyReader.readNPZ(path: Fixtures.path("zip/slip.zip")) } catch let error as LocatedError { throw error.underlying }
        }
    }

    // MARK: format selection

    static func prefix(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(64)) }

    @Test func sniffingClaimsNPYAndNPZButNotOtherZips() throws {
        let npy = NumPyFormat(.npy), npz = NumPyFormat(.npz)
        let f4 = try NumPyTests.prefix(Fixtures.path("numpy/f4.npy"))
        let savez = try NumPyTests.prefix(Fixtures.path("numpy/savez.npz"))
        let plainZip = try NumPyTests.prefix(Fixtures.path("zip/deflated.zip"))
        let safetensors = try NumPyTests.prefix(Fixtures.path("safetensors/python_mixed.safetensors"))
        #expect(f4.withUnsafeBytes { npy.recognizes(prefix: $0) && !npz.recognizes(prefix: $0) })
        #expect(savez.withUnsafeBytes { npz.recognizes(prefix: $0) && !npy.recognizes(prefix: $0) })
        #expect(plainZip.withUnsafeBytes { !npz.recognizes(prefix: $0) && !npy.recognizes(prefix: $0) })
        #expect(safetensors.withUnsafeBytes { !npz.recognizes(prefix: $0) && !npy.recognizes(prefix: $0) })
        #expect(try CheckpointFormats.forReading(path: Fixtures.path("numpy/savez_compressed.npz")).name == "npz")
        #expect(try CheckpointFormats.forReading(path: Fixtures.path("numpy/f4.npy")).name == "npy")
        #expect((try? CheckpointFormats.forReading(path: Fixtures.path("zip/deflated.zip")))?.name != "npz")
        #expect(try CheckpointFormats.forWriting(path: "out.npz", explicit: nil).name == "npz")
        #expect(try CheckpointFormats.forWriting(path: "out.npy", explicit: nil).name == "npy")
    }

    @Test func npzWhoseFirstMemberNameIsLongIsFoundByExtension() throws {
        let scratch = try Fixtures.scratchDirectory("npz-long")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore()
        try store.add("transformer.h.11.attn.c_attn.weight.long.name", try Tensor(shape: [2], floats: [1, 2]))
        let path = scratch + "/long.npz"
        try NumPyWriter.writeNPZ(store, to: path)
        #expect(try NumPyTests.prefix(path).withUnsafeBytes { !NumPyFormat(.npz).recognizes(prefix: $0) })
        let checkpoint = try Checkpoint.open(path)
        #expect(checkpoint.format == "npz")
        #expect(checkpoint.tensors.names == store.names)
    }

    // MARK: interop

    /// NumPy's `np.load` reads what lmzoo wrote. Needs LMZOO_PYTHON (a Python with numpy); in CI this never skips.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with numpy"))
    func numpyReadsWhatLMZooWrites() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("npz-interop")
        defer { Fixtures.removeScratch(scratch) }
        // Every NumPy-written fixture (mapped views, byte-swapped and reordered copies, 0-d, empty) into one npz.
        var store = TensorStore()
        var expected = JSONObject()
        for file in NumPyTests.expectedNPY.keys.sorted() {
            let name = String(file.dropLast(4))
            try store.add(name, try NumPyReader.readNPY(path: Fixtures.path("numpy/" + file)).tensor(name))
            let want = NumPyTests.expectedNPY[file]!
            expected[name] = ["dtype": .string(want.dtype), "shape": .array(want.shape.map { .int($0) }),
                              "hex": .string(want.bytes.map { String(format: "%02x", $0) }.joined())]
        }
        let expectedPath = scratch + "/expected.json"
        try JSONValue.object(JSONObject([("tensors", .object(expected))])).compactText.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        let npz = scratch + "/lmzoo.npz"
        try NumPyWriter.writeNPZ(store, to: npz)
        let result = try runProcess(python, [Fixtures.path("check_numpy_interop.py"), npz, expectedPath])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "ok \(store.count) arrays\n")

        // A single .npy of a converted (Fortran-order) array.
        var single = TensorStore()
        try single.add("fortran3d", try store.tensor("fortran3d"))
        let npy = scratch + "/fortran3d.npy"
        try NumPyWriter.writeNPY(single, to: npy)
        let one = JSONObject([("fortran3d", expected["fortran3d"]!)])
        try JSONValue.object(JSONObject([("tensors", .object(one))])).compactText.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        let npyResult = try runProcess(python, [Fixtures.path("check_numpy_interop.py"), npy, expectedPath])
        #expect(npyResult.status == 0, "\(npyResult.stdout)\(npyResult.stderr)")
    }
}
