import LMZooCore

/// What `lmzoo train` checks before it trains: every architecture's trainer is its plugin's
/// ``ArchitectureDescriptor/train`` hook, which reads the options ``ArchitectureDescriptor/trainOptions`` lists.
public enum TrainingRecipes {
    /// Refuses an option of `options` (as `lmzoo train` passes them; `command` is not an option) that
    /// the trainer of `architecture` (its plugin's ``ArchitectureDescriptor/train``) does not read:
    /// ``TrainingRequestError/inapplicable(option:architecture:reads:)``. An architecture that
    /// cannot be trained passes (training it says so).
    public static func checkOptions(_ options: [String: String], architecture: String,
                                    registry: ArchitectureRegistry = .shared) throws {
        guard let plugin = try? registry.descriptor(named: architecture), plugin.train != nil else { return }
        let reads = plugin.trainOptions
        for name in options.keys.sorted() where name != "command" && !reads.contains(name) {
            throw TrainingRequestError.inapplicable(option: name, architecture: architecture, reads: reads)
        }
    }
}
