import Foundation
import LMZoo

/// The files a served model was loaded from, with each one's size, modification time and inode: a
/// cheap check of whether they changed (``ModelSlot`` re-hashes and reloads only then).
struct ModelFiles: Equatable, Sendable {
    struct Stamp: Equatable, Sendable {
        let path: String
        let size: Int
        let modified: Double
        let inode: Int
    }

    /// The regular files under the model's path (the file itself, or a directory's files, sorted).
    let stamps: [Stamp]

    /// Reads the files' stamps under `root` (a file or a directory, hidden entries skipped).
    static func scan(_ root: String) throws -> ModelFiles {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw FileError.system(path: root, action: "read", errno: ENOENT)
        }
        var paths = [root]
        if isDirectory.boolValue {
            let names = (manager.enumerator(atPath: root)?.allObjects as? [String]) ?? []
            paths = names.filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted().map { Paths.join(root, $0) }
        }
        var stamps: [Stamp] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else { throw FileError.system(path: path, action: "stat", errno: errno) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            stamps.append(Stamp(path: path, size: Int(info.st_size), modified: modified, inode: Int(info.st_ino)))
        }
        return ModelFiles(stamps: stamps)
    }

    /// One sha256 over the files' paths and contents: the model's version.
    func sha256() throws -> String {
        var digest = SHA256()
        for stamp in stamps {
            let line = Paths.fileName(of: stamp.path) + "\0" + (try SHA256.hexDigest(ofFile: stamp.path)) + "\n"
            Array(line.utf8).withUnsafeBytes { digest.update($0) }
        }
        return digest.finalizeHex()
    }
}
