import CHDF5
import LMZooCore

/// Keras's two HDF5 weight layouts.
///
/// - Keras 3 `.weights.h5` (also `model.weights.h5` inside a `.keras`): `layers/<name>/vars/<i>`,
///   RNN cells under `layers/<name>/cell/vars/<i>`, nested models under their own `layers/...`;
///   older files `_layer_checkpoint_dependencies/...`. These are plain HDF5 paths: the generic
///   naming (`layers.lstm.cell.vars.0`) keeps them, and ``HDF5Writer`` writes them back.
/// - Legacy Keras 2 h5 (`save_weights` / `save` to `.h5`): the root, or the `model_weights` group of
///   a whole-model file, has a `layer_names` attribute; each layer group has `weight_names`
///   (`lstm/lstm_cell/kernel:0`) and the datasets at those paths. Tensors are named from
///   `weight_names` with `/` -> `.` and the `:0` suffix dropped, prefixed by the layer name when
///   the weight name does not start with it (`lstm.lstm_cell.kernel`, `dense.kernel`). Root
///   attributes (`keras_version`, `backend`, `model_config`, `layer_names` as a JSON array) become
///   metadata under `keras.<name>`, and `keras.format` is `legacy-h5`. Groups not named in
///   `layer_names` (`optimizer_weights`) are not read.
public enum KerasLayout {
    /// Metadata key telling which Keras layout a store was read from (`legacy-h5`).
    public static let formatKey = "keras.format"

    /// The group holding `layer_names` (the root or `model_weights`), or nil when the file is not legacy Keras.
    static func legacyWeightsGroup(in file: HDF5File, root: HDF5Handle) throws(HDF5Error) -> HDF5Handle? {
        if try hasAttribute("layer_names", of: root) { return root }
        guard H5Lexists(root.id, "model_weights", file.linkAccess.id) > 0,
              case let .group(group) = try file.open("model_weights", in: root, path: "/model_weights"),
              try hasAttribute("layer_names", of: group)
        else { return nil }
        return group
    }

    /// True when `name` (or Keras's split form `name0`, `name1`, ...) is an attribute of `object`.
    private static func hasAttribute(_ name: String, of object: HDF5Handle) throws(HDF5Error) -> Bool {
        H5Aexists(object.id, name) > 0 || H5Aexists(object.id, name + "0") > 0
    }

    /// A string-array attribute as Keras writes it: one attribute, or `name0`, `name1`, ... when it
    /// exceeded HDF5's 64 KiB object-header limit.
    static func stringList(_ name: String, of object: HDF5Handle, in file: HDF5File, path: String) throws(HDF5Error) -> [String] {
        if let values = try file.stringAttribute(name, of: object, path: path) { return values.strings }
        var result: [String] = []
        var part = 0
        while let values = try file.stringAttribute("\(name)\(part)", of: object, path: path) {
            result += values.strings
            part += 1
        }
        guard part > 0 else { throw .badAttribute(object: path, name: name, reason: "missing or not strings") }
        return result
    }

    static func readLegacy(_ file: HDF5File, root: HDF5Handle, weights: HDF5Handle) throws -> TensorStore {
        var store = TensorStore()
        let weightsPath = weights === root ? "/" : "/model_weights"
        for (name, value) in try file.stringAttributes(of: root, path: "/") { store.metadata["keras." + name] = value }
        if weights !== root {
            for (name, value) in try file.stringAttributes(of: weights, path: weightsPath) { store.metadata["keras." + name] = value }
        }
        store.metadata[formatKey] = "legacy-h5"
        for layer in try stringList("layer_names", of: weights, in: file, path: weightsPath) {
            let layerPath = (weights === root ? "" : weightsPath) + "/" + layer
            guard !layer.isEmpty, !layer.contains("/"), H5Lexists(weights.id, layer, file.linkAccess.id) > 0,
                  case let .group(group) = try file.open(layer, in: weights, path: layerPath)
            else { throw HDF5Error.badAttribute(object: weightsPath, name: "layer_names", reason: "'\(layer)' is not a layer group") }
            for weight in try stringList("weight_names", of: group, in: file, path: layerPath) {
                let dataset = try openDataset(weight, in: group, file: file, layerPath: layerPath, layer: layer)
                switch try file.tensor(of: dataset, path: layerPath + "/" + weight) {
                case let .success(tensor): try store.add(tensorName(layer: layer, weight: weight), tensor)
                case .failure: throw HDF5Error.missingWeight(layer: layer, weight: weight)
                }
            }
        }
        return store
    }

    /// `lstm/lstm_cell/kernel:0` in layer `lstm` -> `lstm.lstm_cell.kernel`; `kernel:0` in `dense` -> `dense.kernel`.
    static func tensorName(layer: String, weight: String) -> String {
        var name = Substring(weight)
        if let colon = name.lastIndex(of: ":"), !name[name.index(after: colon)...].isEmpty,
           name[name.index(after: colon)...].allSatisfy(\.isNumber) {
            name = name[..<colon]
        }
        let dotted = name.replacingOccurrences(of: "/", with: ".")
        return dotted.hasPrefix(layer + ".") ? dotted : layer + "." + dotted
    }

    /// Follows `weight` (a relative path) component by component, refusing non-hard links as the walk does.
    private static func openDataset(_ weight: String, in group: HDF5Handle, file: HDF5File, layerPath: String, layer: String) throws(HDF5Error) -> HDF5Handle {
        var current = group
        var path = layerPath
        let components = weight.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else { throw .missingWeight(layer: layer, weight: weight) }
        for (index, component) in components.enumerated() {
            path += "/" + component
            guard H5Lexists(current.id, component, file.linkAccess.id) > 0 else { throw .missingWeight(layer: layer, weight: weight) }
            switch try file.open(component, in: current, path: path) {
            case let .group(next) where index < components.count - 1: current = next
            case let .dataset(dataset) where index == components.count - 1: return dataset
            default: throw .missingWeight(layer: layer, weight: weight)
            }
        }
        throw .missingWeight(layer: layer, weight: weight)
    }

    /// `{layer name: class name}` for the layers of a Keras 3 `config.json` (Sequential or Functional).
    static func layerClasses(config: JSONValue) -> JSONObject {
        var classes = JSONObject()
        for layer in config["config"]?["layers"]?.arrayValue ?? [] {
            if let name = layer["config"]?["name"]?.stringValue ?? layer["name"]?.stringValue,
               let className = layer["class_name"]?.stringValue {
                classes[name] = .string(className)
            }
        }
        return classes
    }
}

private extension Substring {
    func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
