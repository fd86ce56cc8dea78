@_exported import LMZooCore
@_exported import LMZooFormats
@_exported import LMZooTraining
@_exported import LMZooTransformer
import LMZooBERT
import LMZooGPT
import LMZooHMM
import LMZooLSTM
import LMZooNGram

/// The umbrella module: everything in LMZooCore and LMZooFormats, plus the built-in plugins.
public enum LMZoo {
    /// lmzoo's version (`lmzoo --version`).
    public static let version = "0.9.0"

    /// The built-in architecture plugins, in `lmzoo list` order (each brings its own hooks: layouts,
    /// GGUF metadata, training, distillation; see ``ArchitectureDescriptor``).
    public static let builtinArchitectures: [ArchitectureDescriptor] = [
        NGramPlugin.descriptor, HMMPlugin.descriptor, LSTMPlugin.descriptor, GPTPlugin.descriptor, BERTPlugin.descriptor,
    ]

    /// Checkpoint formats that plugins bring (e.g. the n-gram plugin's ARPA).
    public static let pluginFormats: [any CheckpointFormat] = NGramPlugin.formats

    /// Registers the built-in plugins in `registry`, and their formats (idempotent).
    public static func registerBuiltins(in registry: ArchitectureRegistry = .shared) {
        for descriptor in builtinArchitectures { registry.register(descriptor) }
        for format in pluginFormats { CheckpointFormats.register(format) }
    }
}
