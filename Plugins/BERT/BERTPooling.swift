import Foundation
import LMZooCore
import LMZooFormats

/// How token states become a sentence embedding, as a sentence-transformers pipeline says it
/// (`modules.json`, the Pooling module's `config.json`, a `Normalize` module, `sentence_bert_config.json`).
/// Without `modules.json`: mean pooling over the attention mask, L2-normalised (CLI.md).
public struct SentencePooling: Equatable, Sendable {
    public enum Mode: String, Sendable {
        /// The first token (`[CLS]`).
        case cls
        /// The average of the sequence's tokens.
        case mean
        /// The element-wise maximum over the sequence's tokens.
        case max
        /// The sum divided by sqrt(length).
        case meanSqrtLength = "mean_sqrt_len"
    }

    /// Concatenated in sentence-transformers' order (cls, mean, max, mean_sqrt_len) when several are on.
    public var modes: [Mode]
    /// Divide by the L2 norm.
    public var normalize: Bool
    /// Truncation length of the pipeline (`max_seq_length`), if it sets one.
    public var maxSequenceLength: Int?

    public init(modes: [Mode] = [.mean], normalize: Bool = true, maxSequenceLength: Int? = nil) {
        self.modes = modes
        self.normalize = normalize
        self.maxSequenceLength = maxSequenceLength
    }

    /// Reads the pipeline of `directory` (defaults when it has no `modules.json`).
    public static func read(directory: String?) throws -> SentencePooling {
        guard let directory else { return SentencePooling() }
        var pooling = SentencePooling()
        let settings = Paths.join(directory, "sentence_bert_config.json")
        if Paths.exists(settings) {
            pooling.maxSequenceLength = try JSONFile.read(path: settings)["max_seq_length"]?.intValue
        }
        let modulesPath = Paths.join(directory, "modules.json")
        guard Paths.exists(modulesPath) else { return pooling }
        guard let modules = try JSONFile.read(path: modulesPath).arrayValue else {
            throw LocatedError(path: modulesPath, BERTError.badPooling("expected a JSON list of modules"))
        }
        let types = modules.map { $0["type"]?.stringValue ?? "" }
        pooling.normalize = types.contains { $0.hasSuffix(".Normalize") }
        guard let poolingModule = modules.first(where: { ($0["type"]?.stringValue ?? "").hasSuffix(".Pooling") }) else {
            throw LocatedError(path: modulesPath, BERTError.badPooling("no sentence_transformers.models.Pooling module"))
        }
        let configPath = Paths.join(Paths.join(directory, poolingModule["path"]?.stringValue ?? ""), "config.json")
        let config = try JSONFile.read(path: configPath)
        if let mode = config["pooling_mode"]?.stringValue {
            guard let parsed = Mode(rawValue: mode == "mean_sqrt_len_tokens" ? "mean_sqrt_len" : mode) else {
                throw LocatedError(path: configPath, BERTError.badPooling("pooling_mode \(mode) is not cls, mean, max or mean_sqrt_len"))
            }
            pooling.modes = [parsed]
        } else {
            let flags: [(String, Mode)] = [("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean),
                                           ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength)]
            pooling.modes = flags.filter { config[$0.0]?.boolValue == true }.map(\.1)
        }
        for unsupported in ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"] where config[unsupported]?.boolValue == true {
            throw LocatedError(path: configPath, BERTError.badPooling("\(unsupported) is not supported"))
        }
        guard !pooling.modes.isEmpty else { throw LocatedError(path: configPath, BERTError.badPooling("no pooling mode is on")) }
        return pooling
    }

    /// The embedding of one sequence's `(T, C)` hidden states.
    func pool(_ states: UnsafePointer<Float>, length T: Int, width C: Int) -> [Float] {
        var out: [Float] = []
        for mode in modes {
            var part = [Float](repeating: mode == .max ? -.infinity : 0, count: C)
            switch mode {
            case .cls: part = Array(UnsafeBufferPointer(start: states, count: C))
            case .max:
                for t in 0..<T { for c in 0..<C { part[c] = Swift.max(part[c], states[t * C + c]) } }
            case .mean, .meanSqrtLength:
                part.withUnsafeMutableBufferPointer { p in for t in 0..<T { Kernels.add(states + t * C, into: p.baseAddress!, count: C) } }
                let divisor = mode == .mean ? Float(Swift.max(T, 1)) : Float(T).squareRoot()
                for c in 0..<C { part[c] /= divisor }
            }
            out += part
        }
        if normalize {
            // sentence-transformers' Normalize: x / max(||x||, 1e-12)
            let norm = Swift.max(Float(out.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()), 1e-12)
            for i in out.indices { out[i] /= norm }
        }
        return out
    }
}
