import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output a command writes as a whole (a model directory or a single file): everything is written
/// under a hidden staging folder beside OUT (`.<name>.lmzoo-partial/<name>`) and renamed into place by
/// ``commit()``, so OUT is either the complete new result or untouched, never old and new files merged.
///
/// Before anything is written, ``init(destination:inputs:replace:keepPartial:)`` refuses (``OutputRefusal``)
/// - an OUT that is one of the command's inputs or holds one (compared by device and inode, so
///   through symlinks and hard links too, and through any directory above an input);
/// - an existing OUT unless `replace` (`--force`), and even then a directory that does not look like a
///   model (neither `config.json` nor `model.json` in it, and not empty): lmzoo replaces only what it writes;
/// - an OUT that another lmzoo is writing at the moment (the staging folder is locked).
///
/// The staging folder's name is fixed so that training killed half-way can be continued: checkpoints
/// written there survive a kill, and the next run of the same command finds them (`keepPartial`).
/// A run that fails with an error removes it (unless asked to keep it, see ``discard(keepingPartial:)``).
public final class StagedOutput {
    /// What the user named (OUT).
    public let destination: String
    /// The hidden sibling folder that holds the result until ``commit()``.
    public let stagingFolder: String
    /// Where to write: `stagingFolder/<OUT's name>` (same file name and extension as OUT).
    public let path: String
    private var lockDescriptor: Int32 = -1
    private var finished = false

    /// Checks OUT against `inputs` and `replace`, then creates (and locks) the staging folder.
    /// `keepPartial`: leave an interrupted run's staging folder as it is (`--resume` reads from it).
    public init(destination: String, inputs: [String], replace: Bool, keepPartial: Bool = false) throws {
        let trimmed = destination.count > 1 && destination.hasSuffix("/") ? String(destination.dropLast()) : destination
        self.destination = trimmed
        let name = Paths.fileName(of: trimmed)
        guard !name.isEmpty, name != ".", name != ".." else { throw OutputRefusal.badName(path: destination) }
        try Self.check(trimmed, inputs: inputs, replace: replace)
        let parent = Paths.directory(of: trimmed)
        try Paths.createDirectories(parent)
        stagingFolder = Paths.join(parent, ".\(name).lmzoo-partial")
        path = Paths.join(stagingFolder, name)
        try Paths.createDirectories(stagingFolder)
        lockDescriptor = open(stagingFolder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard lockDescriptor >= 0 else { throw FileError.system(path: stagingFolder, action: "open", errno: errno) }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            lockDescriptor = -1
            throw OutputRefusal.busy(path: trimmed)
        }
        if !keepPartial, Paths.exists(path) { try Self.remove(path) }
    }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    /// Runs `write` on ``path`` and ``commit()``s what it wrote; after an error the staged result is
    /// discarded (``discard(keepingPartial:)`` with what `keepingPartialOnFailure` answers) and the
    /// error rethrown.
    public func write<Result>(keepingPartialOnFailure keep: () -> Bool = { false },
                              _ write: (_ path: String) throws -> Result) throws -> Result {
        do {
            let result = try write(path)
            try commit()
            return result
        } catch {
            discard(keepingPartial: keep())
            throw error
        }
    }

    /// Renames the staged result into place (replacing an old OUT, which is removed afterwards) and
    /// removes the staging folder. Between the two renames OUT briefly does not exist; a kill there
    /// leaves the old OUT in the staging folder, never a mix.
    public func commit() throws {
        guard !finished else { return }
        guard Paths.exists(path) else {
            throw FileError.system(path: destination, action: "write (nothing was produced)", errno: ENOENT)
        }
        if FileIdentity(path: destination) != nil || isSymlink(destination) {
            let old = Paths.join(stagingFolder, ".replaced")
            if Paths.exists(old) { try Self.remove(old) }
            guard rename(destination, old) == 0 else { throw FileError.system(path: destination, action: "move aside", errno: errno) }
        }
        guard rename(path, destination) == 0 else { throw FileError.system(path: destination, action: "rename into place", errno: errno) }
        finished = true
        try? Self.remove(stagingFolder)
    }

    /// Removes what was staged (after an error). `keepingPartial`: leave it for `--resume` and say where.
    public func discard(keepingPartial: Bool = false) {
        guard !finished else { return }
        finished = true
        if !keepingPartial { try? Self.remove(stagingFolder) }
    }

    // MARK: - Checks

    /// The refusals of ``init(destination:inputs:replace:keepPartial:)`` without staging anything (a
    /// single-file writer with its own atomic temporary file uses this).
    public static func check(_ destination: String, inputs: [String], replace: Bool) throws {
        try refuseInputs(destination, inputs: inputs)
        guard FileIdentity(path: destination) != nil else { return }
        guard replace else { throw OutputRefusal.exists(path: destination) }
        if Paths.isDirectory(destination), !isReplaceableDirectory(destination) { throw OutputRefusal.notAModelDirectory(path: destination) }
    }

    /// Refuses `destination` when it is, or holds, any of `inputs`: the identity of OUT equals an input's
    /// or one of the folders above it (after resolving symlinks), or OUT is a folder holding a hard link
    /// to an input.
    public static func refuseInputs(_ destination: String, inputs: [String]) throws {
        guard let out = FileIdentity(path: destination) else { return }
        let existing = inputs.filter { FileIdentity(path: $0) != nil }
        if let input = existing.first(where: { FileIdentity(path: $0) == out }) { throw OutputRefusal.isInput(path: destination, input: input) }
        for input in existing {
            var folder = Paths.directory(of: URL(fileURLWithPath: input).resolvingSymlinksInPath().path)
            while !folder.isEmpty {
                if FileIdentity(path: folder) == out { throw OutputRefusal.holdsInput(path: destination, input: input) }
                let parent = Paths.directory(of: folder)
                if parent == folder { break }
                folder = parent
            }
        }
        guard Paths.isDirectory(destination) else { return }
        let identities = existing.compactMap { path in FileIdentity(path: path).map { (path, $0) } }
        var visited = 0
        let enumerator = FileManager.default.enumerator(atPath: destination)
        while let relative = enumerator?.nextObject() as? String, visited < 100_000 {
            visited += 1
            let inside = FileIdentity(path: Paths.join(destination, relative))
            if let match = identities.first(where: { $0.1 == inside }) {
                throw OutputRefusal.holdsInput(path: destination, input: match.0)
            }
        }
    }

    /// An existing folder lmzoo may replace: empty, or a model folder (`config.json` or `model.json`).
    static func isReplaceableDirectory(_ path: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.isEmpty || names.contains("config.json") || names.contains("model.json")
    }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    static func remove(_ path: String) throws {
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw FileError.system(path: path, action: "remove", errno: EIO)
        }
    }
}

/// Why a command will not write its OUT (the CLI exits 1, as for bad input, and nothing is written).
public enum OutputRefusal: Error, Equatable, CustomStringConvertible {
    /// OUT is one of the inputs (the same file, also through a symlink or hard link).
    case isInput(path: String, input: String)
    /// OUT is a folder that holds an input (or a folder above one).
    case holdsInput(path: String, input: String)
    /// OUT exists and `--force` was not given.
    case exists(path: String)
    /// `--force`, but OUT is a folder that is not a model folder.
    case notAModelDirectory(path: String)
    /// Another lmzoo is writing OUT.
    case busy(path: String)
    /// OUT has no usable name (`.`, `..`, empty).
    case badName(path: String)

    public var description: String {
        switch self {
        case let .isInput(path, input):
            return "\(path): output is the same file as the input \(input); refusing to overwrite the input"
        case let .holdsInput(path, input):
            return "\(path): output would replace a folder that holds the input \(input); refusing to overwrite the input"
        case let .exists(path):
            return "\(path): already exists; use --force to replace it"
        case let .notAModelDirectory(path):
            return "\(path): is a folder that is not a model folder (no config.json or model.json); refusing to replace it, even with --force"
        case let .busy(path):
            return "\(path): another lmzoo is writing it now"
        case let .badName(path):
            return "\(path): not a usable output name"
        }
    }
}
