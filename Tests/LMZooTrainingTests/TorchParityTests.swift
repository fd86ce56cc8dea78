import Foundation
import LMZooBERT
import LMZooCore
import LMZooFormats
import LMZooGPT
import LMZooTestSupport
import LMZooLSTM
import LMZooTraining
import Testing

/// One full training step's gradients against PyTorch / Hugging Face (Tests/Fixtures/train, made by
/// Tests/Fixtures/make_train_fixtures.py): same weights, same batch, every gradient within 1e-4.
@Suite struct TorchParityTests {
    static let tolerance: Float = 1e-4

    /// Loads the fixture's weights into `model`, runs forward + cross-entropy + backward on its batch,
    /// and returns the largest gradient difference per tensor and the loss difference.
    static func compare(_ model: any TrainableLanguageModel, fixture name: String) throws -> (worst: [(String, Float)], lossDifference: Double) {
        let weights = Fixtures.path("train/\(name)_weights.safetensors"), grads = Fixtures.path("train/\(name)_grads.safetensors")
        try model.parameters.load(try SafetensorsReader.read(path: weights), path: weights)
        let batch = try JSONFile.read(path: Fixtures.path("train/\(name)_batch.json"))
        let inputs = try #require(batch["inputs"]?.arrayValue).map { $0.arrayValue?.compactMap(\.intValue) ?? [] }
        let targets = try #require(batch["targets"]?.arrayValue?.flatMap { $0.arrayValue?.compactMap(\.intValue) ?? [] })
        let (B, T, V) = (inputs.count, inputs[0].count, model.vocabularySize)
        model.parameters.zeroGrads()
        let logits = model.forward(inputs: inputs.flatMap { $0 }, batch: B, steps: T)
        var dlogits = [Float](repeating: 0, count: logits.count)
        let loss = CrossEntropyKernel.hard(logits: logits, targets: targets, rows: B * T, vocabulary: V, dlogits: &dlogits).loss
        model.backward(dlogits: dlogits)
        let expected = try model.parameters.tensorStore()  // shape template
        let torchGrads = try SafetensorsReader.read(path: grads)
        var worst: [(String, Float)] = []
        for entry in model.parameters.entries {
            let reference = try #require(torchGrads[entry.name], "\(entry.name) missing from \(grads)").floats()
            #expect(reference.count == expected[entry.name]!.elementCount)
            let ours = UnsafeBufferPointer(start: model.parameters.grads + entry.offset, count: entry.count)
            worst.append((entry.name, zip(ours, reference).map { abs($0 - $1) }.max() ?? 0))
        }
        return (worst, abs(loss - (batch["loss"]?.doubleValue ?? .nan)))
    }

    @Test func lstmStepMatchesPyTorch() throws {
        let model = LSTMTrainable(sizes: .init(vocabulary: 11, embedding: 6, hidden: 8, layers: 2), seed: 0)
        let (worst, lossDifference) = try Self.compare(model, fixture: "lstm")
        #expect(lossDifference < 1e-5)
        for (name, difference) in worst { #expect(difference < Self.tolerance, "\(name): \(difference)") }
    }

    @Test func gpt2StepMatchesTransformers() throws {
        let model = GPTTrainable(sizes: .init(vocabulary: 13, positions: 8, channels: 8, layers: 2, heads: 2), seed: 0)
        let (worst, lossDifference) = try Self.compare(model, fixture: "gpt2")
        #expect(lossDifference < 1e-5)
        for (name, difference) in worst { #expect(difference < Self.tolerance, "\(name): \(difference)") }
    }

    /// BertForMaskedLM, masked-LM targets (-1 = not selected, ignored as transformers' -100).
    @Test func bertMaskedLMStepMatchesTransformers() throws {
        let model = BERTTrainable(sizes: .init(vocabulary: 13, positions: 8, hidden: 8, layers: 2, heads: 2, intermediate: 12), seed: 0)
        let (worst, lossDifference) = try Self.compare(model, fixture: "bert")
        #expect(lossDifference < 1e-5)
        for (name, difference) in worst { #expect(difference < Self.tolerance, "\(name): \(difference)") }
    }
}
