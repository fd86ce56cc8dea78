import Foundation
import LMZooCore
import LMZooFormats

/// The training loop: mini-batches of windows, an objective on the logits, backward, gradient
/// clipping, AdamW on the warm-up + cosine schedule, periodic checkpoints and exact resumption.
///
/// Everything a step does depends only on the weights, the optimizer state and the step number (the
/// batch is drawn from (seed, step)), so a run resumed from a checkpoint ends bitwise equal to an
/// uninterrupted one.
public final class Trainer {
    /// The loss of one batch: given the update number, the windows (B, T+1), and the logits (B*T, V),
    /// returns the loss and accumulates its gradient into `dlogits` (zeroed before the call).
    public typealias Objective = (_ step: Int, _ windows: [Int], _ logits: [Float], _ dlogits: inout [Float]) throws -> Double
    /// The model's inputs (B, T) for update `step` from its windows (B, T+1); the default takes each
    /// window's first T ids. Masked-LM training corrupts them here (a pure function of step and windows,
    /// so a resumed run sees the same inputs).
    public typealias Inputs = (_ step: Int, _ windows: [Int]) -> [Int]

    public let model: any TrainableLanguageModel
    public let options: TrainerOptions
    public let optimizer: AdamW
    /// Losses of every update this trainer ran.
    public private(set) var losses: [Double] = []

    public init(model: any TrainableLanguageModel, options: TrainerOptions) throws {
        try options.validate()
        self.model = model
        self.options = options
        optimizer = AdamW(parameters: model.parameters, weightDecay: options.weightDecay)
    }

    /// Updates done so far (after a resume, the checkpoint's).
    public var completedSteps: Int { optimizer.step }

    /// Runs updates from ``completedSteps`` until `options.steps` (or until `stopAfter` updates in this
    /// call, which tests use to interrupt a run), checkpointing on the way. Returns the last loss.
    @discardableResult
    public func run(windows: TokenWindows, objective: Objective? = nil, inputs makeInputs: Inputs? = nil,
                    progress: ProgressBar? = nil, stopAfter: Int? = nil) throws -> Double {
        let B = options.batchSize, T = windows.length, V = model.vocabularySize
        let objective = objective ?? Trainer.nextTokenObjective(vocabulary: V, steps: T)
        let schedule = options.schedule
        var last = Double.nan
        var ran = 0
        while optimizer.step < options.steps, ran < (stopAfter ?? Int.max) {
            let step = optimizer.step
            let batch = windows.batch(step: step, size: B, seed: options.seed)
            var inputs = [Int](repeating: 0, count: B * T)
            if let makeInputs {
                inputs = makeInputs(step, batch)
            } else {
                for b in 0..<B { for t in 0..<T { inputs[b * T + t] = batch[b * (T + 1) + t] } }
            }
            model.parameters.zeroGrads()
            let logits = model.forward(inputs: inputs, batch: B, steps: T)
            var dlogits = [Float](repeating: 0, count: logits.count)
            let loss = try objective(step, batch, logits, &dlogits)
            guard loss.isFinite else { throw TrainingError.diverged(step: step, loss: loss) }
            model.backward(dlogits: dlogits)
            AdamW.clipGradients(model.parameters, maxNorm: options.gradientClip)
            optimizer.update(model.parameters, lr: schedule.rate(at: step))
            losses.append(loss)
            last = loss
            ran += 1
            progress?.update(step: optimizer.step, loss: loss, tokens: B * T)
            if let path = options.checkpointPath, options.checkpointEvery > 0, optimizer.step % options.checkpointEvery == 0 {
                try saveCheckpoint(to: path)
            }
        }
        if let path = options.checkpointPath, optimizer.step == options.steps { try saveCheckpoint(to: path) }
        return last
    }

    /// Hard-label next-token cross-entropy: target of row b*T + t is windows[b*(T+1) + t + 1].
    public static func nextTokenObjective(vocabulary V: Int, steps T: Int) -> Objective {
        { _, windows, logits, dlogits in
            let B = windows.count / (T + 1)
            let targets = Trainer.targets(windows, batch: B, steps: T)
            return logits.withUnsafeBufferPointer { l in
                targets.withUnsafeBufferPointer { y in
                    dlogits.withUnsafeMutableBufferPointer { d in
                        CrossEntropyKernel.hard(logits: l.baseAddress!, targets: y.baseAddress!, rows: B * T, vocabulary: V, dlogits: d.baseAddress!).loss
                    }
                }
            }
        }
    }

    /// The next-token targets (B*T) of windows (B, T+1).
    public static func targets(_ windows: [Int], batch B: Int, steps T: Int) -> [Int] {
        var targets = [Int](repeating: 0, count: B * T)
        for b in 0..<B { for t in 0..<T { targets[b * T + t] = windows[b * (T + 1) + t + 1] } }
        return targets
    }

    // MARK: checkpoints

    /// Writes weights, AdamW moments and the step to `path` (safetensors, atomically).
    public func saveCheckpoint(to path: String) throws {
        let parameters = model.parameters
        var store = try parameters.tensorStore(prefix: "param.")
        for (prefix, buffer) in [("adam.m.", optimizer.m), ("adam.v.", optimizer.v)] {
            for (name, tensor) in try parameters.tensorStore(prefix: prefix, from: buffer).entries { try store.add(name, tensor) }
        }
        store.metadata = ["lmzoo.training.step": String(optimizer.step), "lmzoo.training.seed": String(options.seed),
                          "lmzoo.training.steps": String(options.steps)]
        _ = try SafetensorsWriter.write(store, to: path)
    }

    /// Restores weights, moments and step from a checkpoint written by ``saveCheckpoint(to:)``.
    public func resume(from path: String) throws {
        let store = try SafetensorsReader.read(path: path)
        guard let stepText = store.metadata["lmzoo.training.step"], let step = Int(stepText), step >= 0 else {
            throw TrainingError.badCheckpoint(path: path, reason: "no lmzoo.training.step metadata (not a training checkpoint)")
        }
        if let seed = store.metadata["lmzoo.training.seed"], seed != String(options.seed) {
            throw TrainingError.badCheckpoint(path: path, reason: "written with --seed \(seed), this run has \(options.seed)")
        }
        let parameters = model.parameters
        try parameters.load(store, prefix: "param.", path: path)
        try parameters.load(store, prefix: "adam.m.", into: optimizer.m, path: path)
        try parameters.load(store, prefix: "adam.v.", into: optimizer.v, path: path)
        optimizer.restore(step: step)
    }
}
