import LMZooCore

/// Errors of training and distillation.
public enum TrainingError: UsageMistake, Equatable, CustomStringConvertible {
    case badCorpus(path: String, reason: String)
    case badOption(name: String, value: String, reason: String)
    case badCheckpoint(path: String, reason: String)
    case incompatibleTeacher(String)
    case diverged(step: Int, loss: Double)

    public var description: String {
        switch self {
        case let .badCorpus(path, reason): "\(path): \(reason)"
        case let .badOption(name, value, reason): "--\(name) \(value): \(reason)"
        case let .badCheckpoint(path, reason): "\(path): \(reason)"
        case let .incompatibleTeacher(reason): "teacher: \(reason)"
        case let .diverged(step, loss): "training diverged at step \(step) (loss \(loss))"
        }
    }

    /// An option value no run can use is a usage mistake (exit 2); the rest are about the inputs (1).
    public var countsAsUsageMistake: Bool {
        if case .badOption = self { return true }
        return false
    }
}
