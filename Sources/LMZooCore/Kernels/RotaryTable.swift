import Foundation

/// Rotary position embedding with the Hugging Face `rotate_half` convention (`apply_rotary_pos_emb`):
/// within each head the pairs are `(x[i], x[i + hs/2])`, rotated by `position * theta^(-2i/hs)`:
/// `x1' = x1 cos - x2 sin`, `x2' = x2 cos + x1 sin`.
public final class RotaryTable: @unchecked Sendable {
    /// Head size (even).
    public let headDim: Int
    /// Positions tabulated.
    public let positions: Int
    private let cosines: UnsafeMutablePointer<Float>
    private let sines: UnsafeMutablePointer<Float>

    /// `cos` / `sin` of `p * inverseFrequencies[i]` for p < positions; `inverseFrequencies` (hs/2)
    /// default to plain RoPE's `theta^(-2i/hs)` (scaling variants pass their own).
    public init(headDim: Int, positions: Int, theta: Double, inverseFrequencies: [Double]? = nil) {
        precondition(headDim % 2 == 0, "rotary head size must be even")
        self.headDim = headDim
        self.positions = positions
        let half = headDim / 2
        let frequencies = inverseFrequencies ?? (0..<half).map { Foundation.pow(theta, -2 * Double($0) / Double(headDim)) }
        cosines = .allocate(capacity: max(1, positions * half))
        sines = .allocate(capacity: max(1, positions * half))
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(p) * frequencies[i]
                cosines[p * half + i] = Float(Foundation.cos(angle))
                sines[p * half + i] = Float(Foundation.sin(angle))
            }
        }
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
    }

    /// In place over `rows` rows of stride `stride`, row `r` at position `position(r)`: rotates `heads`
    /// consecutive heads starting at the row's first column (q, or k). `inverse` applies the transpose
    /// rotation (the backward pass).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int, inverse: Bool = false,
                      position: (Int) -> Int) {
        let half = headDim / 2, sign: Float = inverse ? -1 : 1
        for r in 0..<rows {
            let p = position(r)
            precondition(p >= 0 && p < positions, "rotary position \(p) beyond the table")
            let c = cosines + p * half, s = sines + p * half
            for h in 0..<heads {
                let x1 = x + r * stride + h * headDim, x2 = x1 + half
                for i in 0..<half {
                    let (a, b) = (x1[i], x2[i])
                    x1[i] = a * c[i] - sign * b * s[i]
                    x2[i] = b * c[i] + sign * a * s[i]
                }
            }
        }
    }
}
