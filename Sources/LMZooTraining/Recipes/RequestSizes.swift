import LMZooCore

extension TrainingRequest {
    /// The positive integer option `name` (`fallback` when absent).
    public func positive(_ name: String, default fallback: Int) throws -> Int {
        let value = try int(name, default: fallback)
        guard value > 0 else { throw TrainingError.badOption(name: name, value: String(value), reason: "must be positive") }
        return value
    }
}
