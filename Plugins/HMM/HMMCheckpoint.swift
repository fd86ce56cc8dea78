#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LMZooCore
import LMZooFormats

/// Reading and writing HMMs: hmmlearn's `.npz` (arrays `startprob`, `transmat`, `emissionprob`,
/// also accepted with hmmlearn's trailing underscore) and lmzoo's own directory form
/// (config.json + model.safetensors in float64 + vocab.json).
public enum HMMCheckpoint {
    /// Tensor names (hmmlearn's attribute names without the underscore).
    public static let startName = "startprob", transitionsName = "transmat", emissionsName = "emissionprob"
    public static let configFile = "config.json", weightsFile = "model.safetensors", vocabularyFile = "vocab.json"

    /// The model in `source` (from the registry: an `.npz`, a safetensors file or a directory).
    public static func load(_ source: ModelSource) throws -> HMMModel {
        let tensors = source.tensors
        let start = try array(tensors, startName), transitions = try array(tensors, transitionsName), emissions = try array(tensors, emissionsName)
        guard start.shape.count == 1 else { throw HMMError.wrongRank(array: startName, shape: start.shape, expected: 1) }
        guard transitions.shape.count == 2 else { throw HMMError.wrongRank(array: transitionsName, shape: transitions.shape, expected: 2) }
        guard emissions.shape.count == 2 else { throw HMMError.wrongRank(array: emissionsName, shape: emissions.shape, expected: 2) }
        let n = start.shape[0], v = emissions.shape[1]
        guard n > 0 else { throw HMMError.empty(array: startName) }
        guard v > 0 else { throw HMMError.empty(array: emissionsName) }
        guard transitions.shape == [n, n] else { throw HMMError.shapeMismatch(array: transitionsName, shape: transitions.shape, expected: [n, n]) }
        guard emissions.shape[0] == n else { throw HMMError.shapeMismatch(array: emissionsName, shape: emissions.shape, expected: [n, v]) }
        if let config = source.config { try check(config, numStates: n, vocabularySize: v) }
        let parameters = try HMMParameters(startProb: try doubles(start, startName), transitions: try doubles(transitions, transitionsName),
                                           emissions: try doubles(emissions, emissionsName), numStates: n, vocabularySize: v)
        if let bpe = try ByteLevelBPEFolder.tokenizer(directory: source.directory, config: source.config) {
            let model = try HMMModel(parameters: parameters)
            try model.useTokenizer(bpe)
            return model
        }
        var tokenizer: HMMTokenizer?
        if let path = vocabularyPath(for: source) {
            let read = try HMMTokenizer.read(path: path)
            guard read.vocabularySize == v else { throw HMMError.vocabularySizeMismatch(path: path, symbols: read.vocabularySize, vocabularySize: v) }
            tokenizer = read
        }
        return try HMMModel(parameters: parameters, tokenizer: tokenizer)
    }

    /// The tensor `name` (or `name_`, as an `.npz` saved from hmmlearn's attributes may call it).
    private static func array(_ tensors: TensorStore, _ name: String) throws -> Tensor {
        guard let tensor = tensors[name] ?? tensors[name + "_"] else { throw HMMError.missingArray(name) }
        return tensor
    }

    /// A floating-point tensor's values as float64 (exact for F64/F32/F16/BF16).
    static func doubles(_ tensor: Tensor, _ name: String) throws -> [Double] {
        guard [.f64, .f32, .f16, .bf16].contains(tensor.dtype) else { throw HMMError.unsupportedDType(array: name, dtype: tensor.dtype.rawValue) }
        var out = [Double](repeating: 0, count: tensor.elementCount)
        try out.withUnsafeMutableBytes { destination in
            try tensor.withUnsafeBytes { source in try DTypeConversion.convert(source, from: tensor.dtype, to: .f64, into: destination) }
        }
        return out
    }

    /// `config.json` must say what the arrays say (when it says anything).
    static func check(_ config: JSONObject, numStates: Int, vocabularySize: Int) throws {
        if let type = config["model_type"], type.stringValue != "hmm" {
            throw HMMError.badConfig("model_type is \(type.compactText), expected \"hmm\"")
        }
        for (key, actual) in [("num_states", numStates), ("vocab_size", vocabularySize)] {
            guard let value = config[key] else { continue }
            guard let declared = value.intValue else { throw HMMError.badConfig("\(key) is \(value.compactText), expected an integer") }
            guard declared == actual else { throw HMMError.badConfig("\(key) is \(declared) but the arrays have \(actual)") }
        }
    }

    /// `vocab.json` in a model directory; beside a single file, `<stem>.vocab.json` or `vocab.json`.
    static func vocabularyPath(for source: ModelSource) -> String? {
        if let directory = source.directory {
            let path = Paths.join(directory, vocabularyFile)
            return Paths.exists(path) ? path : nil
        }
        let directory = Paths.directory(of: source.path), name = Paths.fileName(of: source.path)
        let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
        return [Paths.join(directory, stem + ".vocab.json"), Paths.join(directory, vocabularyFile)].first(where: Paths.exists)
    }

    /// The three arrays as float64 tensors, with `model_type` metadata (safetensors keeps it).
    public static func tensors(_ parameters: HMMParameters) throws -> TensorStore {
        var store = TensorStore(metadata: ["model_type": "hmm"])
        let n = parameters.numStates, v = parameters.vocabularySize
        for (name, values, shape) in [(startName, parameters.startProb, [n]), (transitionsName, parameters.transitions, [n, n]),
                                      (emissionsName, parameters.emissions, [n, v])] {
            try store.add(name, try values.withUnsafeBytes { try Tensor(dtype: .f64, shape: shape, copying: $0) })
        }
        return store
    }

    /// Writes lmzoo's form: `directory/{config.json, model.safetensors, vocab.json}` (each file
    /// atomically; the directory is created if needed; vocab.json only for a model with symbols).
    public static func save(_ model: HMMModel, directory: String) throws {
        if Paths.exists(directory), !Paths.isDirectory(directory) { throw FileError.notARegularFile(path: directory) }
        try createDirectory(directory)
        var config = JSONObject([("model_type", .string("hmm")), ("num_states", .int(model.numStates)), ("vocab_size", .int(model.vocabularySize))])
        if let bpe = model.tokenizer as? ByteLevelBPETokenizer {
            config["tokenizer"] = .string(ByteLevelBPEFolder.configValue)
            try ByteLevelBPEFolder.write(bpe, to: directory)
        } else if let vocabulary = model.symbols.json {
            try writeText(vocabulary + "\n", to: Paths.join(directory, vocabularyFile))
        }
        try writeText(JSONValue.object(config).prettyText + "\n", to: Paths.join(directory, configFile))
        try SafetensorsWriter.write(try tensors(model.parameters), to: Paths.join(directory, weightsFile))
    }

    /// Writes hmmlearn's form: an `.npz` with `startprob`, `transmat`, `emissionprob` (float64),
    /// plus `<stem>.vocab.json` beside it for a model with symbols.
    public static func exportNPZ(_ model: HMMModel, to path: String) throws {
        try NumPyWriter.writeNPZ(try tensors(model.parameters), to: path)
        if let vocabulary = model.symbols.json {
            let name = Paths.fileName(of: path)
            let stem = name.lowercased().hasSuffix(".npz") ? String(name.dropLast(4)) : name
            try writeText(vocabulary + "\n", to: Paths.join(Paths.directory(of: path), stem + ".vocab.json"))
        }
    }

    static func writeText(_ text: String, to path: String) throws {
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(Array(text.utf8))
        try writer.commit()
    }

    static func createDirectory(_ path: String) throws {
        guard !Paths.isDirectory(path) else { return }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw FileError.system(path: path, action: "create directory", errno: errno) }
    }
}
