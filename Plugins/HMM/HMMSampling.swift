import Foundation
import LMZooCore

extension HMMModel {
    /// Continues `prompt` by up to `options.maxTokens` symbols. Each symbol is drawn (or, greedy,
    /// picked) from the exact next-symbol distribution given everything so far, kept as a forward
    /// belief that is updated incrementally, O(N^2 + NV) per symbol: with temperature 1 and no
    /// top-k/top-p this is a sample of the model's distribution over continuations.
    public func generate(prompt: [Int], options: GenerationOptions) throws -> [Int] {
        try checkIDs(prompt)
        let n = numStates, v = vocabularySize
        let belief = UnsafeMutablePointer<Double>.allocate(capacity: n), predicted = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let distribution = UnsafeMutablePointer<Double>.allocate(capacity: v)
        defer { belief.deallocate(); predicted.deallocate(); distribution.deallocate() }
        var sampler = Sampler(options: options)
        var ids = prompt
        try predictStates(after: prompt, scratch: belief, into: predicted)
        var logProbs = [Float](repeating: 0, count: v)
        for _ in 0..<max(options.maxTokens, 0) {
            // (N) x (N, V) -> (V)
            tables.symbolDistribution(predicted: predicted, into: distribution)
            for k in 0..<v { logProbs[k] = Float(log(distribution[k])) }
            let next = sampler.sample(logProbs: logProbs)
            ids.append(next)
            belief.update(from: predicted, count: n)
            guard tables.observe(next, state: belief) > 0 else { break }  // unreachable: sampled symbols have mass
            tables.predictStates(after: belief, into: predicted)
        }
        return ids
    }
}
