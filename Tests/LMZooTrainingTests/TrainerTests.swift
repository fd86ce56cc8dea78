import Foundation
import LMZooCore
import LMZooFormats
import LMZooGPT
import LMZooLSTM
import LMZooTestSupport
import LMZooTraining
import Testing

/// The LSTM model's full gradient, the optimizer and schedule, and exact resumption.
@Suite struct TrainerTests {
    typealias G = GradientCheck
    static let text = String(repeating: "the cat sat on the mat. the dog sat on the log. a cat and a dog. ", count: 20)
    static let vocabulary = Array(Set(text)).sorted()
    static let ids = text.map { vocabulary.firstIndex(of: $0)! }

    static func options(steps: Int, seed: UInt64 = 7) -> TrainerOptions {
        var options = TrainerOptions()
        options.steps = steps
        options.batchSize = 4
        options.context = 16
        options.learningRate = 1e-2
        options.seed = seed
        return options
    }

    /// Every parameter tensor's gradient of the mean next-token cross-entropy of `windows` (B, T+1)
    /// against central differences along the gradient direction.
    static func checkModelGradient(_ model: any TrainableLanguageModel, windows: [Int], batch B: Int, steps T: Int) {
        var inputs: [Int] = []
        for b in 0..<B { inputs += windows[(b * (T + 1))..<(b * (T + 1) + T)] }
        let targets = Trainer.targets(windows, batch: B, steps: T)
        let V = model.vocabularySize
        func loss() -> Double {
            CrossEntropyKernel.hard(logits: model.forward(inputs: inputs, batch: B, steps: T), targets: targets, rows: B * T, vocabulary: V, dlogits: nil).loss
        }
        model.parameters.zeroGrads()
        let logits = model.forward(inputs: inputs, batch: B, steps: T)
        var dlogits = [Float](repeating: 0, count: logits.count)
        CrossEntropyKernel.hard(logits: logits, targets: targets, rows: B * T, vocabulary: V, dlogits: &dlogits)
        model.backward(dlogits: dlogits)
        let p = model.parameters
        for entry in p.entries {
            let analytic = Array(UnsafeBufferPointer(start: p.grads + entry.offset, count: entry.count))
            let error = G.directionalError(p.values + entry.offset, count: entry.count, analytic: analytic,
                                           epsilon: 1e-2, seed: UInt64(entry.offset), loss: loss)
            #expect(error < 1e-3, "\(entry.name): \(error)")
        }
    }

    @Test func lstmModelGradientMatchesFiniteDifferences() {
        let model = LSTMTrainable(sizes: .init(vocabulary: 6, embedding: 4, hidden: 5, layers: 2), seed: 3)
        model.parameters.initialize(seed: 3) { _ in 0.5 }  // larger than training's init: gradients well above f32 noise
        Self.checkModelGradient(model, windows: [0, 1, 2, 3, 4, 5, 1, 3, 5, 0], batch: 2, steps: 4)
    }

    @Test func gptModelGradientMatchesFiniteDifferences() {
        let model = GPTTrainable(sizes: .init(vocabulary: 7, positions: 6, channels: 8, layers: 2, heads: 2), seed: 4)
        // Larger weights than GPT-2's 0.02 and nonzero biases / norms: every gradient well above f32 noise.
        model.parameters.initialize(seed: 4) { $0.shape.count == 2 ? 0.3 : 0.5 }
        Self.checkModelGradient(model, windows: [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1], batch: 2, steps: 5)
    }

    @Test func scheduleWarmsUpThenDecays() {
        let schedule = LearningRateSchedule(peak: 1, warmup: 10, total: 110, minimumFraction: 0.1)
        #expect(abs(schedule.rate(at: 0) - 0.1) < 1e-6)
        #expect(abs(schedule.rate(at: 9) - 1) < 1e-6)
        #expect(abs(schedule.rate(at: 60) - 0.55) < 1e-6)
        #expect(abs(schedule.rate(at: 110) - 0.1) < 1e-6)
    }

    @Test func adamFirstStepMovesBySignTimesRate() {
        let p = ParameterSet([("w", [2, 2]), ("b", [2])])
        for i in 0..<6 { p.values[i] = 1; p.grads[i] = i % 2 == 0 ? 0.5 : -3 }
        let adam = AdamW(parameters: p, weightDecay: 0.1)
        adam.update(p, lr: 0.01)
        // matrices decay: 1 - 0.01*0.1 = 0.999, then -/+ 0.01; vectors do not decay.
        #expect(abs(p.values[0] - (0.999 - 0.01)) < 1e-6)
        #expect(abs(p.values[1] - (0.999 + 0.01)) < 1e-6)
        #expect(abs(p.values[4] - 0.99) < 1e-6)
        #expect(abs(p.values[5] - 1.01) < 1e-6)
    }

    @Test func clippingScalesToTheNorm() {
        let p = ParameterSet([("w", [2])])
        p.grads[0] = 3; p.grads[1] = 4
        let norm = AdamW.clipGradients(p, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs(p.grads[0] - 0.6) < 1e-5 && abs(p.grads[1] - 0.8) < 1e-5)
    }

    @Test func trainingLowersTheLoss() throws {
        let windows = try TokenWindows(ids: Self.ids, length: 16, source: "text")
        let model = LSTMTrainable(sizes: .init(vocabulary: Self.vocabulary.count, embedding: 16, hidden: 32, layers: 1), seed: 1)
        let trainer = try Trainer(model: model, options: Self.options(steps: 60))
        try trainer.run(windows: windows)
        let first = trainer.losses.prefix(5).reduce(0, +) / 5, last = trainer.losses.suffix(5).reduce(0, +) / 5
        #expect(last < first * 0.6, "loss \(first) -> \(last)")
    }

    @Test func batchesDependOnSeedAndStepOnly() throws {
        let windows = try TokenWindows(ids: Self.ids, length: 8, source: "text")
        #expect(windows.batch(step: 3, size: 4, seed: 1) == windows.batch(step: 3, size: 4, seed: 1))
        #expect(windows.batch(step: 3, size: 4, seed: 1) != windows.batch(step: 4, size: 4, seed: 1))
        #expect(windows.batch(step: 3, size: 4, seed: 1) != windows.batch(step: 3, size: 4, seed: 2))
        #expect(throws: TrainingError.self) { try TokenWindows(ids: [1, 2], length: 8, source: "tiny.txt") }
    }

    @Test func interruptedAndResumedRunEqualsUninterrupted() throws {
        let directory = try Fixtures.scratchDirectory("resume")
        defer { Fixtures.removeScratch(directory) }
        let windows = try TokenWindows(ids: Self.ids, length: 16, source: "text")
        let sizes = LSTMTrainable.Sizes(vocabulary: Self.vocabulary.count, embedding: 8, hidden: 12, layers: 2)

        let whole = LSTMTrainable(sizes: sizes, seed: 5)
        try Trainer(model: whole, options: Self.options(steps: 12)).run(windows: windows)

        var options = Self.options(steps: 12)
        options.checkpointEvery = 5
        options.checkpointPath = directory + "/checkpoint.safetensors"
        let interrupted = LSTMTrainable(sizes: sizes, seed: 5)
        try Trainer(model: interrupted, options: options).run(windows: windows, stopAfter: 7)  // "killed" after 7, checkpoint at 5
        let resumed = LSTMTrainable(sizes: sizes, seed: 99)  // other initial weights: all must come from the checkpoint
        let trainer = try Trainer(model: resumed, options: options)
        try trainer.resume(from: options.checkpointPath!)
        #expect(trainer.completedSteps == 5)
        try trainer.run(windows: windows)
        #expect(trainer.completedSteps == 12)
        let a = Array(UnsafeBufferPointer(start: whole.parameters.values, count: whole.parameters.count))
        let b = Array(UnsafeBufferPointer(start: resumed.parameters.values, count: resumed.parameters.count))
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    @Test func resumeRefusesAnotherSeedAndNonCheckpoints() throws {
        let directory = try Fixtures.scratchDirectory("resume-bad")
        defer { Fixtures.removeScratch(directory) }
        let windows = try TokenWindows(ids: Self.ids, length: 8, source: "text")
        let sizes = LSTMTrainable.Sizes(vocabulary: Self.vocabulary.count, embedding: 4, hidden: 4, layers: 1)
        var options = Self.options(steps: 2)
        options.checkpointPath = directory + "/c.safetensors"
        try Trainer(model: LSTMTrainable(sizes: sizes, seed: 1), options: options).run(windows: windows)
        options.seed = 8
        #expect(throws: TrainingError.self) { try Trainer(model: LSTMTrainable(sizes: sizes, seed: 1), options: options).resume(from: directory + "/c.safetensors") }
        let plain = directory + "/plain.safetensors"
        _ = try SafetensorsWriter.write(try LSTMTrainable(sizes: sizes, seed: 1).parameters.tensorStore(), to: plain)
        #expect(throws: TrainingError.self) { try Trainer(model: LSTMTrainable(sizes: sizes, seed: 1), options: options).resume(from: plain) }
    }
}
