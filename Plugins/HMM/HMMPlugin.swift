import LMZooCore

/// The `hmm` architecture plugin. Registered so that `lmzoo list` shows it; loading a model
/// says "not implemented yet" until the plugin's own issue lands.
public enum HMMPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor.notImplemented(
        name: "hmm", summary: "discrete hidden Markov language model (hmmlearn-exact)")
}
