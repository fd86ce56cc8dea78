/// A lookup table `out[n] = W[ids[n]]` (llm.c `encoder_forward` without the positions).
public enum EmbeddingKernel {
    /// ids (N) in 0..<rows of weight (rows, C) -> out (N, C). Ids are checked by the caller.
    public static func forward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int>, count N: Int,
                               weight: UnsafePointer<Float>, width C: Int) {
        for n in 0..<N { (out + n * C).update(from: weight + ids[n] * C, count: C) }
    }

    /// dweight[ids[n]] += dout[n] for n in 0..<N.
    public static func backward(dweight: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                ids: UnsafePointer<Int>, count N: Int, width C: Int) {
        for n in 0..<N {
            let row = dweight + ids[n] * C, d = dout + n * C
            for c in 0..<C { row[c] += d[c] }
        }
    }
}
