/// An error that is a mistake in how a command was called (an option value no run can use, an
/// unknown architecture or format name) rather than in the files it read: the CLI exits 2 for it and
/// 1 for other errors (CLI.md), also when it comes wrapped in a ``LocatedError``.
public protocol UsageMistake: Error {
    /// Whether this value is a usage mistake (default true; an error type of mixed cases says per case).
    var countsAsUsageMistake: Bool { get }
}

extension UsageMistake {
    public var countsAsUsageMistake: Bool { true }
}

/// An option whose value no run can use (`--order 0`, `--arch bogus`): a ``UsageMistake``.
public struct OptionValueError: UsageMistake, Equatable, CustomStringConvertible {
    /// The option's long name without dashes (`order`).
    public let name: String
    /// The value as given.
    public let value: String
    /// What the value must be (`must be at least 1`).
    public let requirement: String

    public init(name: String, value: String, requirement: String) {
        self.name = name
        self.value = value
        self.requirement = requirement
    }

    public var description: String { "--\(name) \(value): \(requirement)" }
}

extension Error {
    /// Whether this error, or the one a ``LocatedError`` wraps, is a ``UsageMistake`` (exit code 2).
    public var isUsageMistake: Bool {
        if let mistake = self as? any UsageMistake { return mistake.countsAsUsageMistake }
        return (self as? LocatedError)?.underlying.isUsageMistake ?? false
    }
}
