import LMZooCore

/// Brings any LSTM checkpoint to the canonical names of pytorch/examples `word_language_model`
/// (`encoder.weight`, `rnn.{weight,bias}_{ih,hh}_l{k}`, `decoder.{weight,bias}`; see ``LSTMLayout``).
///
/// - Keras 3 names (`layers.<name>.vars.<i>`, `layers.<lstm>.cell.vars.{0,1,2}`) go through
///   ``LSTMLayout/fromKeras(_:)`` (kernel^T, recurrent_kernel^T, bias -> b_ih with b_hh = 0).
/// - PyTorch state dicts are recognised by structure, whatever their prefix: the recurrent module is
///   where `*weight_ih_l0` lives; the embedding is a 2-D `*.weight` `[V, E]` without a bias whose width
///   is the first layer's input; the decoder is a 2-D `*.weight` `[V, H]` with a `*.bias` `[V]`.
enum LSTMNames {
    static let gateTensorStems = ["weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"]

    /// `store` with canonical names (tensors are shared, not copied).
    static func canonicalize(_ store: TensorStore) throws -> TensorStore {
        if store.names.contains(where: { $0.hasPrefix("layers.") }) {
            return try LSTMLayout.fromKeras(store)
        }
        if store["encoder.weight"] != nil, store["rnn.weight_ih_l0"] != nil { return store }
        guard let first = store.names.first(where: { $0.hasSuffix("weight_ih_l0") }) else {
            throw LSTMError.missingTensor("rnn.weight_ih_l0", expected: "[4H, E]")
        }
        let rnnPrefix = String(first.dropLast("weight_ih_l0".count))
        var out = TensorStore(metadata: store.metadata)
        var rest: [(name: String, tensor: Tensor)] = []
        for (name, tensor) in store.entries {
            let local = name.hasPrefix(rnnPrefix) ? String(name.dropFirst(rnnPrefix.count)) : nil
            if let local, gateTensorStems.contains(where: { local.hasPrefix($0) && Int(local.dropFirst($0.count)) != nil }) {
                try out.add("rnn." + local, tensor)
            } else {
                rest.append((name, tensor))
            }
        }
        let names = Set(rest.map(\.name))
        func sibling(_ name: String, _ suffix: String) -> String? {
            name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) + suffix : nil
        }
        let inputWidth = store[first]?.shape.last
        // The embedding: a 2-D weight without a bias, as wide as the first layer's input.
        let embeddings = rest.filter { entry in
            entry.tensor.shape.count == 2 && entry.tensor.shape[1] == inputWidth
                && sibling(entry.name, ".bias").map { !names.contains($0) } == true
        }
        guard let embedding = embeddings.first(where: { $0.name.contains("encoder") || $0.name.contains("embed") }) ?? embeddings.first,
              embeddings.count == 1 || embeddings.contains(where: { $0.name.contains("encoder") || $0.name.contains("embed") })
        else {
            throw embeddings.isEmpty ? LSTMError.missingTensor("encoder.weight", expected: "[V, E]")
                : LSTMError.notAnLSTM("several candidate embeddings: \(embeddings.map(\.name).joined(separator: ", "))")
        }
        try out.add("encoder.weight", embedding.tensor)
        // The decoder: a weight with a bias of as many rows; or, tied and stored once, only the bias.
        let decoders = rest.filter { entry in
            entry.name != embedding.name && entry.tensor.shape.count == 2
                && sibling(entry.name, ".bias").map(names.contains) == true
        }
        if decoders.count > 1 {
            throw LSTMError.notAnLSTM("several candidate decoders: \(decoders.map(\.name).joined(separator: ", "))")
        }
        if let decoder = decoders.first, let biasName = sibling(decoder.name, ".bias"), let bias = store[biasName] {
            try out.add("decoder.weight", decoder.tensor)
            try out.add("decoder.bias", bias)
        } else if let bias = rest.first(where: { $0.name.hasSuffix(".bias") && $0.tensor.shape == [embedding.tensor.shape[0]] }) {
            try out.add("decoder.bias", bias.tensor)
        }
        return out
    }
}
