#if canImport(Glibc)
import Glibc
#endif
import LMZooCore
import LMZooFormats

/// A reader and the scratch directory its inputs are written to (one per process, reused: every
/// run replaces the files it writes).
final class FuzzSession {
    let reader: FuzzReader
    let scratch: FuzzScratch

    /// Seconds a forked HDF5 read may take: below scripts/fuzz.sh's libFuzzer `-timeout` (10 s), so
    /// a file on which libhdf5 loops forever is a refusal, as it is for `lmzoo`, not a fuzzer timeout.
    static let hdf5TimeoutSeconds: UInt32 = 5

    init(reader: FuzzReader) {
        // Single-threaded (the fuzzer, the replay tool): the cheap fork guard is safe here.
        HDF5CrashGuard.mode = .fork(timeoutSeconds: Self.hdf5TimeoutSeconds)
        self.reader = reader
        scratch = FuzzScratch()
        reader.prepare(scratch)
    }

    /// Runs the reader on `bytes`: "ok" or the error it threw (both fine; only a crash is a bug).
    @discardableResult
    func run(_ bytes: UnsafeRawBufferPointer) -> String {
        do {
            try reader.run(bytes, scratch)
            return "ok"
        } catch {
            return "refused: \(error)"
        }
    }
}

/// A private directory under $TMPDIR (or /tmp) where inputs become files.
struct FuzzScratch {
    let directory: String

    init() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/lmzoo-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            fuzzFail("cannot make a scratch directory under \(base)")
        }
        directory = String(cString: made)
    }

    /// The path of `name` in the scratch directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `bytes` to a fresh file `name` (unlinked first: an old memory map never sees new bytes).
    @discardableResult
    func write(_ name: String, _ bytes: UnsafeRawBufferPointer) -> String {
        let target = path(name)
        unlink(target)
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fuzzFail("cannot write \(target)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fuzzFail("cannot write \(target)") }
            done += n
        }
        return target
    }

    /// Removes the scratch directory and the files in it.
    func removeAll() {
        if let listing = opendir(directory) {
            while let entry = readdir(listing) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != ".", name != ".." { unlink(path(name)) }
            }
            closedir(listing)
        }
        rmdir(directory)
    }

    /// Removes `names` from the scratch directory (those absent are ignored).
    func remove(_ names: [String]) {
        for name in names { unlink(path(name)) }
    }
}

/// Prints `lmzoo-fuzz: message` to stderr and exits 2 (a harness problem, not a finding).
func fuzzFail(_ message: String) -> Never {
    let line = "lmzoo-fuzz: \(message)\n"
    _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    exit(2)
}
