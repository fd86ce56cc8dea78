import Foundation

/// Softmax cross-entropy over logits, with hard labels and with soft (teacher) targets at a
/// temperature: the losses of training and of distillation (llm.c `crossentropy_softmax_backward`
/// fused with the loss). Both accumulate `weight * dloss/dlogits` into `dlogits`.
public enum CrossEntropyKernel {
    /// Mean over the rows with a target of `-log softmax(logits)[target]`; targets < 0 are ignored
    /// (unmasked positions of masked-LM). logits (N, V), targets (N) -> loss; dlogits (N, V) +=
    /// weight * (softmax - onehot) / counted. Returns (loss, counted rows).
    @discardableResult
    public static func hard(logits: UnsafePointer<Float>, targets: UnsafePointer<Int>, rows N: Int, vocabulary V: Int,
                            dlogits: UnsafeMutablePointer<Float>?, weight: Float = 1) -> (loss: Double, count: Int) {
        var counted = 0
        for n in 0..<N where targets[n] >= 0 { counted += 1 }
        guard counted > 0 else { return (0, 0) }
        var loss = 0.0
        let scale = weight / Float(counted)
        for n in 0..<N where targets[n] >= 0 {
            let row = logits + n * V
            let logZ = logSumExp(row, count: V, temperature: 1)
            loss += Double(logZ - row[targets[n]])
            if let dlogits {
                let d = dlogits + n * V
                for v in 0..<V { d[v] += scale * Foundation.exp(row[v] - logZ) }
                d[targets[n]] -= scale
            }
        }
        return (loss / Double(counted), counted)
    }

    /// Mean over rows of `KL(p || softmax(logits / T))`, where `teacherLogProbs` (N, V) are the
    /// teacher's log-probabilities already at temperature T. dlogits += weight * (q - p) / (T N), so
    /// with weight `alpha T^2` the gradient is Hinton's `alpha T (q - p) / N`.
    @discardableResult
    public static func soft(logits: UnsafePointer<Float>, teacherLogProbs: UnsafePointer<Float>, rows N: Int,
                            vocabulary V: Int, temperature T: Float, dlogits: UnsafeMutablePointer<Float>?,
                            weight: Float = 1) -> Double {
        guard N > 0 else { return 0 }
        var loss = 0.0
        let scale = weight / (T * Float(N))
        for n in 0..<N {
            let row = logits + n * V, p = teacherLogProbs + n * V
            let logZ = logSumExp(row, count: V, temperature: T)
            var kl = 0.0
            for v in 0..<V {
                let logQ = row[v] / T - logZ
                let probability = Foundation.exp(p[v])
                if probability > 0 { kl += Double(probability) * Double(p[v] - logQ) }
                if let dlogits { dlogits[n * V + v] += scale * (Foundation.exp(logQ) - probability) }
            }
            loss += kl
        }
        return loss / Double(N)
    }

    /// `log sum_v exp(x_v / T)` (``Kernels/logSumExp(_:count:)``).
    @inline(__always)
    static func logSumExp(_ x: UnsafePointer<Float>, count V: Int, temperature T: Float) -> Float {
        if T == 1 { return Kernels.logSumExp(x, count: V) }
        let scaled = [Float](unsafeUninitializedCapacity: V) { buffer, initialized in
            for v in 0..<V { buffer[v] = x[v] / T }
            initialized = V
        }
        return Kernels.logSumExp(scaled, count: V)
    }

    /// Log-softmax of each row of logits (N, V) at temperature T, into out (N, V) (``Kernels/logSoftmax(_:count:)``).
    public static func logSoftmax(_ logits: UnsafePointer<Float>, rows N: Int, vocabulary V: Int, temperature T: Float = 1,
                                  into out: UnsafeMutablePointer<Float>) {
        for n in 0..<N {
            let row = logits + n * V, o = out + n * V
            for v in 0..<V { o[v] = row[v] / T }
            Kernels.logSoftmax(o, count: V)
        }
    }
}
