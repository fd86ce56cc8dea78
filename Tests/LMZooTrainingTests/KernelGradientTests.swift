import Foundation
import LMZooCore
import LMZooLSTM
import LMZooTraining
import Testing

/// Every layer's backward against central finite differences (relative error < 1e-3 in f32).
@Suite struct KernelGradientTests {
    static let tolerance = 1e-3
    typealias G = GradientCheck

    @Test(arguments: [WeightLayout.outIn, .inOut])
    func linear(layout: WeightLayout) {
        let (N, C, OC) = (5, 7, 6)
        let v = Variables()
        v["x"] = G.random(N * C, seed: 1); v["w"] = G.random(OC * C, seed: 2, std: 0.5); v["b"] = G.random(OC, seed: 3)
        let r = G.random(N * OC, seed: 4)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: N * OC)) {
                LinearKernel.forward(out: $0, inp: v["x"], weight: v["w"], bias: v["b"], rows: N, inputs: C, outputs: OC, layout: layout)
            }
        }
        var dx = [Float](repeating: 0, count: N * C), dw = [Float](repeating: 0, count: OC * C), db = [Float](repeating: 0, count: OC)
        LinearKernel.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: r, inp: v["x"], weight: v["w"], rows: N, inputs: C, outputs: OC, layout: layout)
        for (name, grad) in [("x", dx), ("w", dw), ("b", db)] {
            #expect(G.relativeError(v, name, analytic: grad) { G.project(forward(), r) } < Self.tolerance, "\(name)")
        }
    }

    @Test func embedding() {
        let (N, C, rows) = (6, 4, 5)
        let ids = [0, 3, 3, 1, 4, 0]
        let v = Variables()
        v["w"] = G.random(rows * C, seed: 5)
        let r = G.random(N * C, seed: 6)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: N * C)) { EmbeddingKernel.forward(out: $0, ids: ids, count: N, weight: v["w"], width: C) }
        }
        var dw = [Float](repeating: 0, count: rows * C)
        EmbeddingKernel.backward(dweight: &dw, dout: r, ids: ids, count: N, width: C)
        #expect(G.relativeError(v, "w", analytic: dw) { G.project(forward(), r) } < Self.tolerance)
    }

    @Test func layerNorm() {
        let (N, C) = (4, 9)
        let v = Variables()
        v["x"] = G.random(N * C, seed: 7); v["w"] = G.random(C, seed: 8); v["b"] = G.random(C, seed: 9)
        let r = G.random(N * C, seed: 10)
        var mean = [Float](repeating: 0, count: N), rstd = [Float](repeating: 0, count: N)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: N * C)) {
                LayerNormKernel.forward(out: $0, mean: &mean, rstd: &rstd, inp: v["x"], weight: v["w"], bias: v["b"], rows: N, width: C)
            }
        }
        _ = forward()
        var dx = [Float](repeating: 0, count: N * C), dw = [Float](repeating: 0, count: C), db = [Float](repeating: 0, count: C)
        LayerNormKernel.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: r, inp: v["x"], weight: v["w"], mean: mean, rstd: rstd, rows: N, width: C)
        for (name, grad) in [("x", dx), ("w", dw), ("b", db)] {
            #expect(G.relativeError(v, name, analytic: grad, epsilon: 3e-3) { G.project(forward(), r) } < Self.tolerance, "\(name)")
        }
    }

    @Test(arguments: [GELUKernel.Form.tanh, .erf])
    func gelu(form: GELUKernel.Form) {
        let N = 40
        let v = Variables()
        v["x"] = G.random(N, seed: 11, std: 2)
        let r = G.random(N, seed: 12)
        func forward() -> [Float] { withMutable([Float](repeating: 0, count: N)) { GELUKernel.forward(out: $0, inp: v["x"], count: N, form: form) } }
        var dx = [Float](repeating: 0, count: N)
        GELUKernel.backward(dinp: &dx, inp: v["x"], dout: r, count: N, form: form)
        #expect(G.relativeError(v, "x", analytic: dx, epsilon: 3e-3) { G.project(forward(), r) } < Self.tolerance)
    }

    @Test func geluMatchesReferenceValues() {
        // torch.nn.functional.gelu(x) and gelu(x, approximate="tanh") at x = 1.5
        var out: Float = 0
        GELUKernel.forward(out: &out, inp: [1.5], count: 1, form: .erf)
        #expect(abs(out - 1.3997892) < 1e-6)
        GELUKernel.forward(out: &out, inp: [1.5], count: 1, form: .tanh)
        #expect(abs(out - 1.3995715) < 1e-6)
    }

    @Test(arguments: [true, false])
    func attention(causal: Bool) {
        let (B, T, C, NH) = (2, 5, 8, 2)
        let v = Variables()
        v["qkv"] = G.random(B * T * 3 * C, seed: 13)
        let r = G.random(B * T * C, seed: 14)
        var att = [Float](repeating: 0, count: B * NH * T * T)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: B * T * C)) {
                AttentionKernel.forward(out: $0, att: &att, qkv: v["qkv"], batch: B, steps: T, channels: C, heads: NH, causal: causal)
            }
        }
        _ = forward()
        if causal { #expect(att[1] == 0 && att[T - 1] == 0) } else { #expect(att[1] > 0) }
        var dqkv = [Float](repeating: 0, count: B * T * 3 * C)
        AttentionKernel.backward(dqkv: &dqkv, dout: r, qkv: v["qkv"], att: att, batch: B, steps: T, channels: C, heads: NH)
        #expect(G.relativeError(v, "qkv", analytic: dqkv, epsilon: 3e-3, samples: 400) { G.project(forward(), r) } < Self.tolerance)
    }

    @Test func hardCrossEntropy() {
        let (N, V) = (4, 7)
        let targets = [2, -1, 6, 0]  // -1: not counted (masked-LM's unmasked positions)
        let v = Variables()
        v["z"] = G.random(N * V, seed: 15, std: 2)
        var dz = [Float](repeating: 0, count: N * V)
        let result = CrossEntropyKernel.hard(logits: v["z"], targets: targets, rows: N, vocabulary: V, dlogits: &dz)
        #expect(result.count == 3)
        #expect(dz[V..<(2 * V)].allSatisfy { $0 == 0 })
        #expect(G.relativeError(v, "z", analytic: dz, epsilon: 3e-3) {
            CrossEntropyKernel.hard(logits: v["z"], targets: targets, rows: N, vocabulary: V, dlogits: nil).loss
        } < Self.tolerance)
    }

    @Test func softTargetKL() {
        let (N, V) = (3, 6)
        let T: Float = 2
        let teacher = G.random(N * V, seed: 16, std: 2)
        var teacherLog = [Float](repeating: 0, count: N * V)
        CrossEntropyKernel.logSoftmax(teacher, rows: N, vocabulary: V, temperature: T, into: &teacherLog)
        let v = Variables()
        v["z"] = G.random(N * V, seed: 17, std: 2)
        var dz = [Float](repeating: 0, count: N * V)
        let kl = CrossEntropyKernel.soft(logits: v["z"], teacherLogProbs: teacherLog, rows: N, vocabulary: V, temperature: T, dlogits: &dz)
        #expect(kl > 0)
        #expect(G.relativeError(v, "z", analytic: dz, epsilon: 3e-3) {
            CrossEntropyKernel.soft(logits: v["z"], teacherLogProbs: teacherLog, rows: N, vocabulary: V, temperature: T, dlogits: nil)
        } < Self.tolerance)
        // KL of a distribution with itself is 0.
        let same = CrossEntropyKernel.soft(logits: teacher, teacherLogProbs: teacherLog, rows: N, vocabulary: V, temperature: T, dlogits: nil)
        #expect(abs(same) < 1e-5)
    }

    @Test func lstmLayer() {
        let shape = LSTMCell.Shape(steps: 4, batch: 2, inputs: 3, hidden: 5)
        let (T, B, I, H) = (shape.steps, shape.batch, shape.inputs, shape.hidden)
        let v = Variables()
        v["x"] = G.random(T * B * I, seed: 18); v["wih"] = G.random(4 * H * I, seed: 19, std: 0.5)
        v["whh"] = G.random(4 * H * H, seed: 20, std: 0.5); v["bih"] = G.random(4 * H, seed: 21, std: 0.5)
        v["bhh"] = G.random(4 * H, seed: 22, std: 0.5)
        let r = G.random(T * B * H, seed: 23)
        func forward() -> LSTMCell.Activations {
            var acts = LSTMCell.Activations(steps: T, batch: B, hidden: H)
            LSTMCell.forward(&acts, inp: v["x"], weightIH: v["wih"], weightHH: v["whh"], biasIH: v["bih"], biasHH: v["bhh"], shape: shape)
            return acts
        }
        let acts = forward()
        var dx = [Float](repeating: 0, count: T * B * I), dwih = [Float](repeating: 0, count: 4 * H * I)
        var dwhh = [Float](repeating: 0, count: 4 * H * H), dbih = [Float](repeating: 0, count: 4 * H), dbhh = [Float](repeating: 0, count: 4 * H)
        LSTMCell.backward(dinp: &dx, dweightIH: &dwih, dweightHH: &dwhh, dbiasIH: &dbih, dbiasHH: &dbhh, dout: r, acts: acts,
                                 inp: v["x"], weightIH: v["wih"], weightHH: v["whh"], shape: shape)
        for (name, grad) in [("x", dx), ("wih", dwih), ("whh", dwhh), ("bih", dbih), ("bhh", dbhh)] {
            #expect(G.relativeError(v, name, analytic: grad, epsilon: 3e-3) { G.project(Array(forward().hidden[(B * H)...]), r) } < Self.tolerance, "\(name)")
        }
    }
}
