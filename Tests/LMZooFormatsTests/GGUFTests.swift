import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct GGUFTests {
    // MARK: expected values written by make_gguf_fixtures.py

    struct Expected {
        var keyValues: [GGUFKeyValue]
        var tensors: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]
    }

    /// `{"kv": [...], "tensors": {...}}` as make_gguf_fixtures.py writes it.
    static func expected(_ relative: String) throws -> Expected {
        let json = try JSONFile.read(path: Fixtures.path(relative))
        let keyValues = try #require(json["kv"]?.arrayValue).map { entry in
            GGUFKeyValue(entry["key"]!.stringValue!, try typedValue(entry))
        }
        let tensors = try #require(json["tensors"]?.objectValue).entries.map { name, info in
            (name, info["dtype"]!.stringValue!, info["shape"]!.arrayValue!.map { $0.intValue! }, hexBytes(info["hex"]!.stringValue!))
        }
        return Expected(keyValues: keyValues, tensors: tensors)
    }

    static func typedValue(_ json: JSONValue) throws -> GGUFValue {
        let type = try #require(json["type"]?.stringValue)
        let value = try #require(json["value"])
        switch type {
        case "ARRAY": return .array(try typedArray(json))
        case "STRING": return .string(value.stringValue!)
        case "BOOL": return .bool(value.boolValue!)
        case "FLOAT32": return .float32(Float(value.doubleValue!))
        case "FLOAT64": return .float64(value.doubleValue!)
        case "UINT8": return .uint8(UInt8(value.stringValue!)!)
        case "INT8": return .int8(Int8(value.stringValue!)!)
        case "UINT16": return .uint16(UInt16(value.stringValue!)!)
        case "INT16": return .int16(Int16(value.stringValue!)!)
        case "UINT32": return .uint32(UInt32(value.stringValue!)!)
        case "INT32": return .int32(Int32(value.stringValue!)!)
        case "UINT64": return .uint64(UInt64(value.stringValue!)!)
        case "INT64": return .int64(Int64(value.stringValue!)!)
        default: throw GGUFTestError("unknown type \(type)")
        }
    }

    static func typedArray(_ json: JSONValue) throws -> GGUFArray {
        let values = try #require(json["value"]?.arrayValue)
        let ints = { values.map { $0.stringValue! } }
        switch try #require(json["element_type"]?.stringValue) {
        case "ARRAY": return .array(try values.map(typedArray))
        case "STRING": return .string(values.map { $0.stringValue! })
        case "BOOL": return .bool(values.map { $0.boolValue! })
        case "FLOAT32": return .float32(values.map { Float($0.doubleValue!) })
        case "FLOAT64": return .float64(values.map { $0.doubleValue! })
        case "UINT8": return .uint8(ints().map { UInt8($0)! })
        case "INT8": return .int8(ints().map { Int8($0)! })
        case "UINT16": return .uint16(ints().map { UInt16($0)! })
        case "INT16": return .int16(ints().map { Int16($0)! })
        case "UINT32": return .uint32(ints().map { UInt32($0)! })
        case "INT32": return .int32(ints().map { Int32($0)! })
        case "UINT64": return .uint64(ints().map { UInt64($0)! })
        case "INT64": return .int64(ints().map { Int64($0)! })
        case let other: throw GGUFTestError("unknown element type \(other)")
        }
    }

    /// The inverse of ``typedValue(_:)``, for expected files handed to the Python checker.
    static func json(_ value: GGUFValue) -> JSONValue {
        if case let .array(array) = value { return json(array) }
        let text: JSONValue = switch value {
        case let .string(v): .string(v)
        case let .bool(v): .bool(v)
        case let .float32(v): .double(Double(v))
        case let .float64(v): .double(v)
        default: .string(String(value.intValue!))
        }
        return ["type": .string(value.type.description), "value": text]
    }

    static func json(_ array: GGUFArray) -> JSONValue {
        let values: [JSONValue] = (0..<array.count).map { index in
            let element = array[index]!
            if case let .array(inner) = element { return json(inner) }
            return json(element)["value"]!
        }
        return ["type": "ARRAY", "element_type": .string(array.elementType.description), "value": .array(values)]
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Encoded bytes of key/values: equality that is bit-exact (NaN included) and checks types.
    static func encoded(_ keyValues: [GGUFKeyValue]) -> [UInt8] {
        var encoder = GGUFEncoder()
        keyValues.forEach { encoder.append($0) }
        return encoder.bytes
    }

    static func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    // MARK: reading gguf-py's files

    @Test(arguments: ["python_all_types", "python_aligned"])
    func pythonWrittenFileReadsIdentically(_ name: String) throws {
        let store = try GGUFReader.read(path: Fixtures.path("gguf/\(name).gguf"))
        let expected = try GGUFTests.expected("gguf/\(name).json")
        let keyValues = try #require(GGUFReader.keyValues(of: store))
        #expect(keyValues.map(\.key) == expected.keyValues.map(\.key))
        for (got, want) in zip(keyValues, expected.keyValues) {
            #expect(got == want, "\(got.key)")
            #expect(GGUFTests.encoded([got]) == GGUFTests.encoded([want]), "\(got.key) (bits and types)")
        }
        #expect(store.names == expected.tensors.map(\.name))
        for want in expected.tensors {
            let tensor = try store.tensor(want.name)
            #expect(tensor.dtype.rawValue == want.dtype, "\(want.name)")
            #expect(tensor.shape == want.shape, "\(want.name)")
            #expect(tensor.withUnsafeBytes { Array($0) } == want.bytes, "\(want.name)")
            #expect(tensor.isMapped, "\(want.name) should be a zero-copy view")
        }
    }

    @Test func dimensionsAreReversedFromGGUFOrder() throws {
        // gguf-py wrote a (3, 64) NumPy array: ne = [64, 3] in the file, shape [3, 64] in lmzoo.
        let path = Fixtures.path("gguf/python_all_types.gguf")
        let header = try GGUFReader.readHeader(path: path)
        let matrix = try #require(header.tensors.first { $0.name == "f32.matrix" })
        #expect(matrix.shape == [3, 64])
        let bytes = try GGUFTests.fileBytes(path)
        let needle = Array("f32.matrix".utf8)
        let at = try #require(bytes.indices.first { bytes[$0..<min($0 + needle.count, bytes.count)].elementsEqual(needle) })
        let ne = bytes[(at + needle.count + 4)..<(at + needle.count + 20)]
        #expect(Array(ne) == GGUFBytes.u64(64) + GGUFBytes.u64(3))
        #expect(header.tensors.first { $0.name == "f32.4d" }?.shape == [2, 1, 3, 2])
        #expect(header.tensors.first { $0.name == "f32.scalar" }?.shape == [])
    }

    @Test func metadataHoldsReadableTextWithLongArraysSummarised() throws {
        let store = try GGUFReader.read(path: Fixtures.path("gguf/python_all_types.gguf"))
        #expect(store.metadata["general.architecture"] == "lmzootest")
        #expect(store.metadata["test.u64"] == "18446744073709551615")
        #expect(store.metadata["test.i8"] == "-128")
        #expect(store.metadata["test.bool_true"] == "true")
        #expect(store.metadata["test.f32"] == "0.1")
        #expect(store.metadata["test.string"] == "héllo, \"GGUF\" ✓")
        #expect(store.metadata["test.array.string"] == #"["a", "", "ünï"]"#)
        #expect(store.metadata["test.array.nested_int"] == "[[1, 2], [3], [4, 5, 6]]")
        let tokens = try #require(store.metadata["tokenizer.ggml.tokens"])
        #expect(tokens.hasPrefix(#"array[STRING; 300]: ["tok0", "tok1""#))
        #expect(tokens.count < 200 && !tokens.contains("tok299"))
        // A 50k vocabulary stays short too.
        let vocabulary = GGUFValue.array(.string((0..<50_257).map { "token\($0)" }))
        #expect(GGUFValueText.text(vocabulary).hasPrefix("array[STRING; 50257]: "))
        #expect(GGUFValueText.text(vocabulary).count < 200)
        // Deep nesting is bounded by the text budget.
        var deep = GGUFArray.int32(Array(0..<16))
        for _ in 0..<10 { deep = .array(Array(repeating: deep, count: 16)) }
        #expect(GGUFValueText.text(.array(deep)).count < 1000)
    }

    @Test func nonDefaultAlignmentIsHonoured() throws {
        let header = try GGUFReader.readHeader(path: Fixtures.path("gguf/python_aligned.gguf"))
        #expect(header.alignment == 64)
        #expect(header.dataStart % 64 == 0)
        #expect(header.tensors.allSatisfy { $0.offset % 64 == 0 })
        #expect(header.version == 3)
    }

    @Test func formatIsSniffedFromTheMagic() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-sniff")
        defer { Fixtures.removeScratch(scratch) }
        let renamed = scratch + "/model.bin"
        try FileManager.default.copyItem(atPath: Fixtures.path("gguf/python_aligned.gguf"), toPath: renamed)
        #expect(try CheckpointFormats.forReading(path: renamed).name == "gguf")
        let checkpoint = try Checkpoint.open(renamed)
        #expect(checkpoint.format == "gguf")
        #expect(checkpoint.tensors.names == ["odd.f16", "odd.i8", "odd.f32"])
        #expect(try CheckpointFormats.forWriting(path: scratch + "/x.gguf", explicit: nil).name == "gguf")
        let gguf = GGUFFormat()
        #expect([DType.f32, .f16, .bf16, .q8_0, .q4_0, .i8, .i16, .i32, .i64, .f64].allSatisfy(gguf.canHold))
        #expect(![DType.bool, .u8, .u16, .u32, .u64].contains(where: gguf.canHold))
    }

    // MARK: writing

    @Test(arguments: ["python_all_types", "python_aligned"])
    func rewritingPythonsFileIsByteIdentical(_ name: String) throws {
        let scratch = try Fixtures.scratchDirectory("gguf-rewrite")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("gguf/\(name).gguf")
        let out = scratch + "/rewritten.gguf"
        let summary = try GGUFWriter.write(try GGUFReader.read(path: source), to: out)
        #expect(try GGUFTests.fileBytes(out) == GGUFTests.fileBytes(source))
        #expect(summary.byteCount == (try GGUFTests.fileBytes(out).count))
        // Through the CheckpointFormat too.
        let viaFormat = scratch + "/format.gguf"
        _ = try GGUFFormat().write(try GGUFFormat().read(path: source), to: viaFormat, options: WriteOptions())
        #expect(try GGUFTests.fileBytes(viaFormat) == GGUFTests.fileBytes(source))
    }

    /// Every dtype GGUF holds, awkward shapes, and key/values of every type incl. an empty array,
    /// NaN and deeply nested arrays.
    static func sampleStore() throws -> (TensorStore, [GGUFKeyValue]) {
        var store = TensorStore()
        var random = SplitMix64(seed: 7)
        let cases: [(DType, [Int])] = [(.f32, [3, 5]), (.f16, [7]), (.bf16, []), (.f64, [2, 0, 3]), (.i8, [1, 1, 1, 4]),
                                       (.i16, [2, 2]), (.i32, [3]), (.i64, [2]), (.q8_0, [2, 64]), (.q4_0, [1, 32])]
        for (i, (dtype, shape)) in cases.enumerated() {
            let tensor = try Tensor(zeros: dtype, shape: shape)
            if let bytes = tensor.buffer.mutableBytes {
                for j in 0..<tensor.byteCount { bytes[j] = UInt8(truncatingIfNeeded: random.next()) }
            }
            try store.add("blk.\(i).\(dtype.rawValue.lowercased())", tensor)
        }
        var deep = GGUFArray.string(["leaf"])
        for _ in 1..<GGUFHeader.maxArrayDepth { deep = .array([deep, .uint8([])]) }
        let keyValues: [GGUFKeyValue] = [
            GGUFKeyValue("general.architecture", .string("gpt2")),
            GGUFKeyValue("general.alignment", .uint32(16)),
            GGUFKeyValue("a.nan", .float32(.nan)),
            GGUFKeyValue("a.neg_zero", .float64(-0.0)),
            GGUFKeyValue("a.empty", .array(.int64([]))),
            GGUFKeyValue("a.empty_string", .string("")),
            GGUFKeyValue("a.deep", .array(deep)),
            GGUFKeyValue("a.bools", .array(.bool([true, false]))),
            GGUFKeyValue("a.i16", .int16(-7)),
        ]
        return (store, keyValues)
    }

    @Test func roundTripKeepsEveryKeyValueAndTensorBitExact() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        let (original, keyValues) = try GGUFTests.sampleStore()
        let path = scratch + "/model.gguf"
        let summary = try GGUFWriter.write(original, metadata: keyValues, to: path)
        #expect(summary.tensorCount == original.count)
        let reread = try GGUFReader.read(path: path)
        #expect(GGUFTests.encoded(try #require(GGUFReader.keyValues(of: reread))) == GGUFTests.encoded(keyValues))
        #expect(reread.names == original.names)
        for (name, tensor) in original.entries {
            #expect(try reread.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
        let header = try GGUFReader.readHeader(path: path)
        #expect(header.alignment == 16 && header.dataStart % 16 == 0)
        // And once more through the store's own extras: identical bytes.
        let again = scratch + "/again.gguf"
        try GGUFWriter.write(reread, to: again)
        #expect(try GGUFTests.fileBytes(again) == GGUFTests.fileBytes(path))
    }

    @Test func storeMetadataBecomesStringKeyValuesWhenNoTypedOnesExist() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-strings")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore(metadata: ["format": "pt", "b.note": "ünïcode"])
        try store.add("w", try Tensor(shape: [2, 2], floats: [1, 2, 3, 4]))
        let path = scratch + "/model.gguf"
        try GGUFWriter.write(store, to: path)
        let reread = try GGUFReader.read(path: path)
        #expect(GGUFReader.keyValues(of: reread) == [GGUFKeyValue("b.note", .string("ünïcode")), GGUFKeyValue("format", .string("pt"))])
        #expect(reread.metadata == store.metadata)
        // general.alignment as text (a GGUF's metadata after a trip through safetensors) is a UINT32 again.
        let aligned = TensorStore(metadata: ["general.alignment": "64"])
        #expect(GGUFWriter.keyValues(for: aligned) == [GGUFKeyValue("general.alignment", .uint32(64))])
        // safetensors -> gguf through the formats.
        let safetensors = try SafetensorsReader.read(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        var holdable = TensorStore(metadata: safetensors.metadata)
        for (name, tensor) in safetensors.entries where GGUFWriter.canHold(tensor.dtype) { try holdable.add(name, tensor) }
        try GGUFWriter.write(holdable, to: scratch + "/mixed.gguf")
        let mixed = try GGUFReader.read(path: scratch + "/mixed.gguf")
        for (name, tensor) in holdable.entries { #expect(try mixed.tensor(name).isBitwiseEqual(to: tensor), "\(name)") }
    }

    @Test func writerRefusesWhatGGUFCannotExpressBeforeCreatingAFile() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-refuse")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/out.gguf"
        func failure(_ store: TensorStore, _ metadata: [GGUFKeyValue] = [], _ options: WriteOptions = WriteOptions()) -> (any Error)? {
            do {
                try GGUFWriter.write(store, metadata: metadata, to: path, options: options)
                return nil
            } catch let error as LocatedError {
                #expect(error.path == path)
                return error.underlying
            } catch {
                return error
            }
        }
        var plain = TensorStore()
        try plain.add("w", try Tensor(shape: [32], floats: Array(repeating: 1, count: 32)))
        #expect(failure(plain, [GGUFKeyValue("k", .uint8(1)), GGUFKeyValue("k", .uint8(2))]) as? GGUFError == .duplicateKey("k"))
        #expect(failure(plain, [GGUFKeyValue("general.alignment", .uint32(24))]) as? GGUFError
            == .invalidAlignment("24 is not a non-zero power of two"))
        #expect(failure(plain, [GGUFKeyValue("general.alignment", .uint64(32))]) as? GGUFError
            == .invalidAlignment("has type UINT64, not UINT32"))
        var deep = GGUFArray.bool([true])
        for _ in 0..<GGUFHeader.maxArrayDepth { deep = .array([deep]) }
        #expect(failure(plain, [GGUFKeyValue("deep", .array(deep))]) as? GGUFError == .arrayTooDeep(key: "deep"))

        var fiveD = TensorStore()
        try fiveD.add("x", try Tensor(zeros: .f32, shape: [1, 1, 1, 1, 2]))
        #expect(failure(fiveD) as? GGUFError == .tooManyDimensions(tensor: "x", count: 5))
        var mask = TensorStore()
        try mask.add("mask", try Tensor(zeros: .bool, shape: [3]))
        #expect(failure(mask) as? FormatCapabilityError == .cannotHold(format: "gguf", dtype: .bool))
        var quantized = TensorStore()
        try quantized.add("q", try Tensor(zeros: .q8_0, shape: [2, 16]))
        #expect(failure(quantized) as? GGUFError == .rowNotWholeBlocks(tensor: "q", rowLength: 16, blockSize: 32))
        var tied = TensorStore()
        let embedding = try Tensor(shape: [2, 2], floats: [1, 2, 3, 4])
        try tied.add("token_embd.weight", embedding)
        try tied.add("output.weight", embedding)
        #expect(failure(tied, [], WriteOptions(sharedTensors: .writeOnce)) as? GGUFError == .aliasesUnsupported(["output.weight"]))
        #expect(failure(tied) == nil, "duplicating tied tensors is fine")
        try FileManager.default.removeItem(atPath: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "no file or temporary left behind")
    }

    @Test func writerStepsMustComeInOrder() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-states")
        defer { Fixtures.removeScratch(scratch) }
        let writer = try GGUFFileWriter(destination: scratch + "/x.gguf", alignment: 32)
        #expect(throws: GGUFError.writerOutOfOrder(step: "write key/values", state: "nothing")) { try writer.writeKeyValues([]) }
        try writer.writeHeader(tensorCount: 0, keyValueCount: 0)
        #expect(throws: GGUFError.writerOutOfOrder(step: "write the header", state: "the header")) {
            try writer.writeHeader(tensorCount: 0, keyValueCount: 0)
        }
        #expect(throws: GGUFError.writerOutOfOrder(step: "commit", state: "the header")) { try writer.commit() }
        try writer.writeKeyValues([])
        try writer.writeTensorInfos([])
        try writer.commit()
        let header = try GGUFReader.readHeader(path: scratch + "/x.gguf")
        #expect(header.tensors.isEmpty && header.keyValues.isEmpty)
    }

    // MARK: Q8_0

    @Test func q8_0IsByteIdenticalToGGUFPyQuantize() throws {
        let scratch = try Fixtures.scratchDirectory("gguf-q8")
        defer { Fixtures.removeScratch(scratch) }
        let json = try JSONFile.read(path: Fixtures.path("gguf/q8_source.json"))
        let shape = try #require(json["shape"]?.arrayValue).map { $0.intValue! }
        let source = GGUFTests.hexBytes(try #require(json["f32_hex"]?.stringValue))
        let reference = GGUFTests.hexBytes(try #require(json["q8_0_hex"]?.stringValue))
        var store = TensorStore()
        try store.add("q8.weight", try source.withUnsafeBytes { try Tensor(dtype: .f32, shape: shape, copying: $0) })
        let path = scratch + "/q8.gguf"
        try GGUFWriter.write(store, to: path, options: WriteOptions(dtype: .q8_0))
        let written = try GGUFReader.read(path: path).tensor("q8.weight")
        #expect(written.dtype == .q8_0 && written.shape == shape)
        #expect(written.withUnsafeBytes { Array($0) } == reference)
    }

    /// llama.cpp's tests/test-quantize-fns.cpp: data 0.1 + 2 cos(i), total error sqrt(sum d^2) / n
    /// below MAX_QUANTIZATION_TOTAL_ERROR = 0.002; each value within 0.57 of its block's scale
    /// (half a step plus the f16 rounding of the scale).
    @Test func q8_0DequantizesWithinLlamaCppsError() throws {
        let n = 32 * 128
        let values = (0..<n).map { Float(0.1 + 2 * cos(Double($0))) }
        let quantized = try Tensor(shape: [128, 32], floats: values).converted(to: .q8_0)
        let restored = quantized.floats()
        let squared = zip(values, restored).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        #expect(Float(squared.squareRoot()) / Float(n) < 0.002)
        for block in 0..<(n / 32) {
            let slice = values[(block * 32)..<(block * 32 + 32)]
            let scale = slice.map(abs).max()! / 127
            for i in slice.indices { #expect(abs(values[i] - restored[i]) <= scale * 0.57, "value \(i)") }
        }
    }

    @Test func q8_0TargetRuleFollowsLlamaCppsConverter() throws {
        let options = WriteOptions(dtype: .q8_0)
        func target(_ dtype: DType, _ shape: [Int]) throws -> DType {
            GGUFWriter.targetDType(for: try Tensor(zeros: dtype, shape: shape), options: options)
        }
        #expect(try target(.f32, [4, 64]) == .q8_0)
        #expect(try target(.bf16, [2, 3, 32]) == .q8_0)
        #expect(try target(.f32, [64]) == .f32, "1-D (biases, norms) stay F32")
        #expect(try target(.f16, [64]) == .f32)
        #expect(try target(.f32, []) == .f32)
        #expect(try target(.f32, [64, 10]) == .f16, "rows that are not whole blocks fall back to F16")
        #expect(try target(.i32, [4, 64]) == .i32)
        #expect(try target(.q8_0, [32]) == .q8_0)
        #expect(GGUFWriter.targetDType(for: try Tensor(zeros: .f32, shape: [4, 64]), options: WriteOptions(dtype: .f16)) == .f16)
        #expect(GGUFWriter.targetDType(for: try Tensor(zeros: .q8_0, shape: [4, 64]), options: WriteOptions()) == .q8_0)
    }

    // MARK: malformed files

    @Test(arguments: MalformedGGUF.all)
    func malformedFileGivesTypedError(_ malformed: MalformedGGUF) throws {
        let (path, error) = try Fixtures.locatedError(reading: malformed.bytes, as: "bad.gguf") { _ = try GGUFReader.read(path: $0) }
        let located = try #require(error, "\(malformed.rule): accepted")
        #expect(located.path == path)
        #expect(located.underlying as? GGUFError == malformed.expected)
        #expect((located.underlying as? GGUFError)?.rule == malformed.rule)
        #expect(located.description.hasPrefix(path + ": gguf rule '\(malformed.rule)'"))
    }

    @Test func everyRuleHasAMalformedCase() {
        let readerRules = Set(MalformedGGUF.all.map(\.rule))
        #expect(readerRules.count == MalformedGGUF.all.count)
        #expect(readerRules.count == 23)
    }

    static func parse(_ bytes: [UInt8]) throws -> GGUFHeader {
        try bytes.withUnsafeBytes { try GGUFHeader.parse(fileBytes: $0) }
    }

    @Test func hugeCountsFailBeforeAnyAllocation() throws {
        // 2^62 tensors: refused from the counts alone (a 24-byte-per-info bound), instantly.
        let hugeTensors = MalformedGGUF.hugeTensorCount
        #expect(throws: GGUFError.countsExceedFile(tensors: 1 << 62, keyValues: 1, available: hugeTensors.count - 24)) {
            try GGUFTests.parse(hugeTensors)
        }
        // Huge key/value counts, string lengths and array lengths the same way.
        #expect(throws: GGUFError.countsExceedFile(tensors: 0, keyValues: .max, available: 8)) {
            try GGUFTests.parse(GGUFBytes.file(keyValueCount: UInt64.max))
        }
        let hugeArray = GGUFBytes.file(keyValues: [GGUFBytes.keyValue("v", type: 9, GGUFBytes.u32(8) + GGUFBytes.u64(1 << 60))])
        #expect(throws: GGUFError.arrayPastEnd(key: "v", declared: 1 << 60, available: 15)) { try GGUFTests.parse(hugeArray) }
        let hugeString = GGUFBytes.file(keyValues: [GGUFBytes.keyValue("s", type: 8, GGUFBytes.u64(.max))])
        #expect(throws: GGUFError.stringPastEnd(reading: "string value of 's'", declared: .max, available: 19)) {
            try GGUFTests.parse(hugeString)
        }
    }

    /// Truncations at many lengths and 1,500 random byte corruptions of a real file: each one either
    /// parses into tensors that lie inside the file or throws a ``GGUFError``; nothing traps.
    @Test func truncatedOrCorruptedFilesNeverCrash() throws {
        let original = Array(try GGUFTests.fileBytes(Fixtures.path("gguf/python_all_types.gguf")))
        func check(_ bytes: [UInt8]) {
            do {
                let header = try GGUFTests.parse(bytes)
                for tensor in header.tensors { #expect(header.dataStart + tensor.offset + tensor.byteCount <= bytes.count) }
            } catch {
                #expect(error is GGUFError)
            }
        }
        let lengths = Array(0..<512) + Array(stride(from: 512, to: original.count, by: 11))
        for length in lengths { check(Array(original.prefix(length))) }
        var random = SplitMix64(seed: 2024)
        for _ in 0..<1500 {
            var mutated = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                // Most of the interesting bytes are in the header (the first 6 KiB).
                let index = Int(random.next() % UInt64(min(mutated.count, 6200)))
                mutated[index] = UInt8(truncatingIfNeeded: random.next())
            }
            check(mutated)
        }
    }

    @Test func acceptedEdgeCases() throws {
        // Version 2, nesting exactly at the limit, an empty data section, a 0-byte tensor at the end.
        var value = GGUFBytes.u32(5) + GGUFBytes.u64(0)
        for _ in 1..<GGUFHeader.maxArrayDepth { value = GGUFBytes.u32(9) + GGUFBytes.u64(1) + value }
        let file = GGUFBytes.file(version: 2, keyValues: [GGUFBytes.keyValue("deep", type: 9, value)],
                                  tensorInfos: [GGUFBytes.tensorInfo("empty", ne: [0, 4])])
        let header = try GGUFTests.parse(file)
        #expect(header.version == 2)
        #expect(header.keyValues.first?.value.arrayValue?.depth == GGUFHeader.maxArrayDepth)
        #expect(header.tensors.first?.shape == [4, 0])
    }

    // MARK: interop

    /// gguf-py's GGUFReader reads what lmzoo writes. Needs LMZOO_PYTHON (a Python with `gguf` and
    /// `numpy`); CI provides it, so there this never skips.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with gguf+numpy"))
    func pythonReadsWhatLMZooWrites() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("gguf-interop")
        defer { Fixtures.removeScratch(scratch) }
        let checker = Fixtures.path("gguf/check_gguf_interop.py")

        // 1. The fixture's key/values and tensors, every tensor copied (through F64 for floats)
        //    so that lmzoo really writes the bytes.
        let store = try GGUFReader.read(path: Fixtures.path("gguf/python_all_types.gguf"))
        var rebuilt = TensorStore()
        rebuilt.formatExtras = store.formatExtras
        for (name, tensor) in store.entries {
            let copy = [.f32, .f16, .bf16, .f64].contains(tensor.dtype)
                ? try tensor.converted(to: .f64).converted(to: tensor.dtype)
                : try tensor.withUnsafeBytes { try Tensor(dtype: tensor.dtype, shape: tensor.shape, copying: $0) }
            try rebuilt.add(name, copy)
        }
        let out = scratch + "/lmzoo.gguf"
        try GGUFWriter.write(rebuilt, to: out)
        let first = try runProcess(python, [checker, out, Fixtures.path("gguf/python_all_types.json")])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        // 2. What a converter writes: explicit typed metadata, Q8_0 quantized by lmzoo, 1-D kept F32.
        let q8 = try JSONFile.read(path: Fixtures.path("gguf/q8_source.json"))
        let source = GGUFTests.hexBytes(q8["f32_hex"]!.stringValue!)
        var model = TensorStore()
        try model.add("token_embd.weight", try source.withUnsafeBytes { try Tensor(dtype: .f32, shape: [4, 64], copying: $0) })
        let bias = try Tensor(shape: [3], floats: [0.5, -1, 2])
        try model.add("output_norm.bias", bias)
        let metadata = [
            GGUFKeyValue("general.architecture", .string("gpt2")),
            GGUFKeyValue("general.alignment", .uint32(64)),
            GGUFKeyValue("gpt2.context_length", .uint32(1024)),
            GGUFKeyValue("gpt2.attention.layer_norm_epsilon", .float32(0.5)),
            GGUFKeyValue("tokenizer.ggml.model", .string("gpt2")),
            GGUFKeyValue("tokenizer.ggml.tokens", .array(.string(["!", "\"", "hello", "Ġworld"]))),
            GGUFKeyValue("tokenizer.ggml.token_type", .array(.int32([1, 1, 1, 1]))),
            GGUFKeyValue("tokenizer.ggml.bos_token_id", .uint32(3)),
            GGUFKeyValue("test.nested", .array(.array([.uint16([1, 2]), .uint16([3])]))),
        ]
        let converted = scratch + "/converted.gguf"
        try GGUFWriter.write(model, metadata: metadata, to: converted, options: WriteOptions(dtype: .q8_0))
        let expected: JSONValue = [
            "kv": .array(metadata.map { entry in
                var object = GGUFTests.json(entry.value).objectValue!
                object = JSONObject([("key", .string(entry.key))] + object.entries.map { ($0.key, $0.value) })
                return .object(object)
            }),
            "tensors": [
                "token_embd.weight": ["dtype": "Q8_0", "shape": [4, 64], "hex": .string(q8["q8_0_hex"]!.stringValue!)],
                "output_norm.bias": ["dtype": "F32", "shape": [3], "hex": .string(GGUFTests.hex(bias.withUnsafeBytes { Array($0) }))],
            ],
        ]
        let expectedPath = scratch + "/expected.json"
        try expected.prettyText.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        let second = try runProcess(python, [checker, converted, expectedPath])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
    }
}

struct GGUFTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
