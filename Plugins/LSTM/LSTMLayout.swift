import LMZooCore

/// LSTM language-model names. Canonical = pytorch/examples `word_language_model` (`encoder.weight`
/// `[V, E]`, `rnn.weight_ih_l{k}` `[4H, in]`, `rnn.weight_hh_l{k}` `[4H, H]`, `rnn.bias_ih_l{k}`,
/// `rnn.bias_hh_l{k}`, `decoder.weight` `[V, H]`, `decoder.bias`). Keras 3 keeps one bias and
/// `[in, out]` kernels: `kernel = W_ih^T`, `recurrent_kernel = W_hh^T`, `bias = b_ih + b_hh`; the gate
/// order (i, f, g/c, o) is the same in both, so no reordering is needed.
public enum LSTMLayout {
    /// The plugin's ``ArchitectureDescriptor/layouts``: PyTorch names are canonical (Hugging Face has
    /// no LSTM convention of its own, so `hf` means the same names); Keras 3 is mapped by structure.
    public static let layouts = ArchitectureLayouts(
        canonical: .torch,
        conventions: [.hf: .canonical,
                      .keras: LayoutConvention(toCanonical: { store, _ in try fromKeras(store) }, fromCanonical: { store, _, _ in try toKeras(store) })],
        recognises: { names in names.contains { $0.contains("weight_ih_l0") || $0.contains(".cell.vars.") } })

    /// Keras layer names for the canonical layout (Keras's defaults for `Embedding`, `LSTM` x N, `Dense`).
    static func kerasLSTMLayer(_ k: Int) -> String { k == 0 ? "lstm" : "lstm_\(k)" }

    /// Canonical -> Keras 3.
    public static func toKeras(_ store: TensorStore) throws -> TensorStore {
        var out = TensorStore(metadata: store.metadata)
        try out.add("layers.embedding.vars.0", try store.tensor("encoder.weight"))
        var k = 0
        while let weightIH = store["rnn.weight_ih_l\(k)"] {
            let layer = "layers.\(kerasLSTMLayer(k)).cell.vars."
            try out.add(layer + "0", try weightIH.transposed2D())
            try out.add(layer + "1", try store.tensor("rnn.weight_hh_l\(k)").transposed2D())
            try out.add(layer + "2", try store.tensor("rnn.bias_ih_l\(k)").adding(try store.tensor("rnn.bias_hh_l\(k)")))
            k += 1
        }
        guard k > 0 else { throw LayoutError.inconsistent("no rnn.weight_ih_l0: not an LSTM checkpoint") }
        try out.add("layers.dense.vars.0", try store.tensor("decoder.weight").transposed2D())
        try out.add("layers.dense.vars.1", try store.tensor("decoder.bias"))
        return out
    }

    /// Keras 3 -> canonical. Layers are recognised by structure, not by their (user-chosen) names:
    /// the LSTM layers are those with `cell.vars.{0,1,2}`, chained by their shapes; the embedding is
    /// the other layer with a single 2-D variable; the dense layer has a 2-D kernel and a bias.
    public static func fromKeras(_ store: TensorStore) throws -> TensorStore {
        var layers: [String: [Int: Tensor]] = [:]
        var cells = Set<String>()
        for (name, tensor) in store.entries {
            let parts = name.split(separator: ".").map(String.init)
            guard parts.count >= 4, parts[0] == "layers", let index = Int(parts[parts.count - 1]), parts[parts.count - 2] == "vars" else {
                throw LayoutError.unmappedTensor(name)
            }
            let layer = parts[1..<(parts.count - 2)].joined(separator: ".")
            layers[layer, default: [:]][index] = tensor
            if parts.count == 5, parts[2] == "cell" { cells.insert(layer) }
        }
        let lstmLayers = try chainLSTMLayers(cells.map { ($0, layers[$0]!) })
        guard let first = lstmLayers.first?.vars[0], let last = lstmLayers.last?.vars[1] else {
            throw LayoutError.inconsistent("no LSTM layer (layers.<name>.cell.vars.0..2) found")
        }
        let others = layers.filter { !cells.contains($0.key) }
        guard let embedding = others.first(where: { $0.value.count == 1 && $0.value[0]?.shape == [$0.value[0]!.shape[0], first.shape[0]] })?.value[0],
              let dense = others.first(where: { $0.value.count == 2 && $0.value[0]?.shape.count == 2 && $0.value[0]?.shape[0] == last.shape[0] })?.value
        else { throw LayoutError.inconsistent("cannot find the embedding and dense layers around the LSTM layers") }

        var out = TensorStore(metadata: store.metadata)
        try out.add("encoder.weight", embedding)
        for (k, layer) in lstmLayers.enumerated() {
            let bias = try layer.tensor(2)
            try out.add("rnn.weight_ih_l\(k)", try layer.tensor(0).transposed2D())
            try out.add("rnn.weight_hh_l\(k)", try layer.tensor(1).transposed2D())
            try out.add("rnn.bias_ih_l\(k)", bias)
            try out.add("rnn.bias_hh_l\(k)", try Tensor(zeros: bias.dtype, shape: bias.shape))
        }
        try out.add("decoder.weight", try dense[0]!.transposed2D())
        guard let decoderBias = dense[1] else { throw LayoutError.inconsistent("dense layer has no bias") }
        try out.add("decoder.bias", decoderBias)
        return out
    }

    struct KerasLSTM {
        let name: String
        let vars: [Int: Tensor]
        func tensor(_ i: Int) throws -> Tensor {
            guard let t = vars[i] else { throw LayoutError.inconsistent("LSTM layer \(name) lacks vars.\(i)") }
            return t
        }
    }

    /// Orders LSTM layers so that each one's input width is the previous one's output width,
    /// breaking ties by Keras's naming (`lstm`, `lstm_1`, `lstm_2`, ...).
    static func chainLSTMLayers(_ layers: [(String, [Int: Tensor])]) throws -> [KerasLSTM] {
        func suffix(_ name: String) -> Int { name.split(separator: "_").last.flatMap { Int($0) } ?? 0 }
        let sorted = layers.map { KerasLSTM(name: $0.0, vars: $0.1) }.sorted { (suffix($0.name), $0.name) < (suffix($1.name), $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) {
            let hidden = try previous.tensor(1).shape[0]
            guard try next.tensor(0).shape[0] == hidden else {
                throw LayoutError.inconsistent("LSTM layers \(previous.name) -> \(next.name) do not chain (\(hidden) outputs)")
            }
        }
        return sorted
    }
}
