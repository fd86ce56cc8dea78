import Foundation
import LMZoo
import LMZooBERT
import LMZooTestSupport
import Testing

/// The BERT plugin against transformers' `BertForMaskedLM` on a random-initialised fixture model
/// (Tests/Fixtures/bert/fillmask, made by Tests/Fixtures/make_bert_fixtures.py): encoder states of a
/// padded batch, fill-mask top-5, pseudo-log-likelihoods; the checkpoint spellings the loader accepts.
@Suite struct BERTModelTests {
    static let directory = Fixtures.path("bert/fillmask")
    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("bert/fillmask/expected.json"))

    static func load(_ path: String = directory) throws -> BERTModel {
        LMZoo.registerBuiltins()
        return try #require(try ModelLoader.load(path) as? BERTModel)
    }

    static func ints(_ value: JSONValue?) -> [Int] { value?.arrayValue?.compactMap(\.intValue) ?? [] }
    static func doubles(_ value: JSONValue?) -> [Double] { value?.arrayValue?.compactMap(\.doubleValue) ?? [] }

    @Test func paddedBatchHiddenStatesMatchTransformers() throws {
        let model = try Self.load()
        let batch = try #require(Self.expected["batch"])
        let texts = batch["texts"]!.arrayValue!.map { $0.stringValue! }
        let ids = batch["ids"]!.arrayValue!.map(Self.ints), mask = batch["attention_mask"]!.arrayValue!.map(Self.ints)
        let reference = Self.doubles(batch["last_hidden_state"])
        let C = model.config.hiddenSize, L = ids[0].count
        let encodings = texts.map { model.wordPiece.encode($0, pair: nil, maxLength: nil) }
        #expect(encodings.map(\.ids) == zip(ids, mask).map { row, m in Array(row[..<m.reduce(0, +)]) })
        let states = try model.hiddenStates(encodings)
        var worst: Double = 0
        for (b, sequence) in states.enumerated() {
            for i in 0..<sequence.count { worst = max(worst, abs(Double(sequence[i]) - reference[b * L * C + i])) }
        }
        #expect(worst < 1e-4, "max |difference| \(worst)")
    }

    @Test func fillMaskTopFiveMatchesTransformers() throws {
        let model = try Self.load()
        for entry in Self.expected["masks"]?.arrayValue ?? [] {
            let text = entry["text"]!.stringValue!
            #expect(try model.tokenizer.encode(text) == Self.ints(entry["ids"]))
            let predictions = try model.fillMask(text, topK: 5)
            let masks = entry["masks"]!.arrayValue!
            #expect(predictions.map(\.position) == masks.map { $0["position"]!.intValue! })
            for (prediction, mask) in zip(predictions, masks) {
                #expect(prediction.candidates.map(\.id) == Self.ints(mask["ids"]), "\(text)")
                let worst = zip(prediction.candidates.map(\.logProb), Self.doubles(mask["logprobs"])).map { abs($0 - $1) }.max() ?? 1
                #expect(worst < 1e-4)
            }
        }
    }

    @Test func pseudoLogLikelihoodMatchesTransformers() throws {
        let model = try Self.load()
        let pll = try #require(Self.expected["pll"])
        let reference = Self.doubles(pll["per_token"])
        let result = try model.score(text: pll["text"]!.stringValue!, bos: false)
        #expect(result.perToken.count == reference.count)
        #expect(zip(result.perToken, reference).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(model.scoreKind == .pseudoLogLikelihood)
        // The same through ids with [CLS]/[SEP], and windows smaller than the text give finite scores.
        let viaIDs = try model.tokenLogProbs(Self.ints(pll["ids"]))
        #expect(zip(viaIDs, reference).allSatisfy { abs($0 - $1) < 1e-4 })
        model.scoreWindow = 3
        let windowed = try model.score(text: pll["text"]!.stringValue!, bos: false)
        #expect(windowed.perToken.count == reference.count && windowed.logProb.isFinite)
    }

    @Test func longTextsAreScoredInWindows() throws {
        let model = try Self.load()
        let text = Array(repeating: "The quick brown fox jumps over the lazy dog.", count: 2).joined(separator: " ")
        let pieces = model.wordPiece.pieces(text)
        #expect(pieces.count > model.maxLength)
        let result = try model.score(text: text, bos: false)
        #expect(result.perToken.count == pieces.count && result.logProb.isFinite && result.bitsPerByte != nil)
    }

    @Test func predictIsTheDistributionOfAnAppendedMask() throws {
        let model = try Self.load()
        let entry = try #require(Self.expected["masks"]?.arrayValue?.first { $0["text"]?.stringValue == "[MASK]" })
        // "[MASK]" alone is [CLS] [MASK] [SEP]: predicting after an empty context asks the same question.
        let predictions = try model.predict(context: [], topK: 5)
        #expect(predictions.map(\.id) == Self.ints(entry["masks"]?.arrayValue?.first?["ids"]))
    }

    /// A `BertModel`-style checkpoint (no `bert.` prefix) with TF-era `LayerNorm.gamma` / `beta` names,
    /// as a PyTorch `.bin`, predicts exactly as the original.
    @Test func oldNamesWithoutPrefixInATorchFile() throws {
        let scratch = try Fixtures.scratchDirectory("bert-old-names")
        defer { Fixtures.removeScratch(scratch) }
        let original = try Checkpoint.open(Self.directory)
        var renamed = TensorStore()
        for (name, tensor) in original.tensors.entries {
            var new = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
            if new.hasSuffix("LayerNorm.weight") { new = String(new.dropLast(6)) + "gamma" }
            if new.hasSuffix("LayerNorm.bias") { new = String(new.dropLast(4)) + "beta" }
            try renamed.add(new, tensor)
        }
        _ = try TorchWriter.write(renamed, to: scratch + "/pytorch_model.bin")
        for file in ["config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: Self.directory + "/" + file, toPath: scratch + "/" + file)
        }
        let a = try Self.load(), b = try Self.load(scratch)
        let text = "Hello, [MASK]! How are [MASK] doing today?"
        #expect(try a.fillMask(text, topK: 5) == b.fillMask(text, topK: 5))
    }

    @Test func badCheckpointsAreTypedErrors() throws {
        let scratch = try Fixtures.scratchDirectory("bert-bad")
        defer { Fixtures.removeScratch(scratch) }
        let original = try Checkpoint.open(Self.directory)
        var store = TensorStore()
        for (name, tensor) in original.tensors.entries where !name.contains("layer.1.output.dense.weight") { try store.add(name, tensor) }
        _ = try SafetensorsWriter.write(store, to: scratch + "/model.safetensors")
        for file in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: Self.directory + "/" + file, toPath: scratch + "/" + file)
        }
        LMZoo.registerBuiltins()
        #expect(throws: LocatedError.self) { try ModelLoader.load(scratch) }
        do { _ = try ModelLoader.load(scratch) } catch { #expect("\(error)".contains("encoder.layer.1.output.dense.weight")) }
    }

    @Test func poolingConfigIsRead() throws {
        let scratch = try Fixtures.scratchDirectory("bert-pooling")
        defer { Fixtures.removeScratch(scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/1_Pooling", withIntermediateDirectories: true)
        try #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#
            .write(toFile: scratch + "/modules.json", atomically: true, encoding: .utf8)
        try #"{"word_embedding_dimension":48,"pooling_mode_cls_token":true,"pooling_mode_max_tokens":true}"#
            .write(toFile: scratch + "/1_Pooling/config.json", atomically: true, encoding: .utf8)
        try #"{"max_seq_length":16}"#.write(toFile: scratch + "/sentence_bert_config.json", atomically: true, encoding: .utf8)
        let pooling = try SentencePooling.read(directory: scratch)
        #expect(pooling == SentencePooling(modes: [.cls, .max], normalize: false, maxSequenceLength: 16))
        #expect(try SentencePooling.read(directory: Self.directory) == SentencePooling(modes: [.mean], normalize: true))
    }

    @Test func embeddingsAreUnitLengthAndBatchIndependent() throws {
        let model = try Self.load()
        let texts = ["The quick brown fox.", "Hello, World! How are you doing today, my friend?", "a", "Café au lait."]
        let together = try model.embed(texts)
        let alone = try texts.map { try model.embed([$0])[0] }
        #expect(together.count == 4 && together.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5 })
        let worst = zip(together, alone).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 1
        #expect(worst < 1e-5)
    }
}
