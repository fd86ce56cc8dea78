import Foundation

/// AdamW (decoupled weight decay, `torch.optim.AdamW`), gradient clipping by global norm, and the
/// learning-rate schedule: linear warm-up then cosine decay to `minimumFraction` of the peak.
public final class AdamW {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    /// First and second moments, in the parameter buffer's layout.
    public let m: UnsafeMutablePointer<Float>
    public let v: UnsafeMutablePointer<Float>
    public let count: Int
    /// Updates applied so far.
    public private(set) var step: Int = 0
    /// Which floats decay: matrices decay, vectors (biases, norms) do not (as llm.c and nanoGPT).
    let decays: [Bool]

    public init(parameters: ParameterSet, weightDecay: Float = 0.01) {
        count = parameters.count
        self.weightDecay = weightDecay
        m = .allocate(capacity: max(count, 1))
        m.initialize(repeating: 0, count: max(count, 1))
        v = .allocate(capacity: max(count, 1))
        v.initialize(repeating: 0, count: max(count, 1))
        var decays = [Bool](repeating: false, count: count)
        for entry in parameters.entries where entry.shape.count >= 2 {
            for i in entry.offset..<(entry.offset + entry.count) { decays[i] = true }
        }
        self.decays = decays
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// One update of `parameters` from their gradients at learning rate `lr`.
    public func update(_ parameters: ParameterSet, lr: Float) {
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        let p = parameters.values, g = parameters.grads
        for i in 0..<count {
            if decays[i] { p[i] -= lr * weightDecay * p[i] }
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            let mHat = m[i] / correction1, vHat = v[i] / correction2
            p[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
        }
    }

    /// Restores the state of a checkpoint.
    public func restore(step: Int) { self.step = step }

    /// Scales the gradients so their global L2 norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public static func clipGradients(_ parameters: ParameterSet, maxNorm: Float) -> Float {
        var sum = 0.0
        for i in 0..<parameters.count { sum += Double(parameters.grads[i]) * Double(parameters.grads[i]) }
        let norm = Float(sum.squareRoot())
        if maxNorm > 0, norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            for i in 0..<parameters.count { parameters.grads[i] *= scale }
        }
        return norm
    }
}

/// Linear warm-up over `warmup` steps to `peak`, then cosine decay to `peak * minimumFraction` at `total`.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var warmup: Int
    public var total: Int
    public var minimumFraction: Float

    public init(peak: Float, warmup: Int, total: Int, minimumFraction: Float = 0.1) {
        (self.peak, self.warmup, self.total, self.minimumFraction) = (peak, warmup, total, minimumFraction)
    }

    /// The rate of update number `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmup { return peak * Float(step + 1) / Float(warmup) }
        let span = max(total - warmup, 1)
        let progress = min(Double(step - warmup) / Double(span), 1)
        let minimum = peak * minimumFraction
        return minimum + Float(0.5 * (1 + cos(Double.pi * progress))) * (peak - minimum)
    }
}
