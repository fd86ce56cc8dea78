import CHDF5
import LMZooCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How lmzoo protects its process from libhdf5 crashing on an untrusted file (``HDF5CrashGuard``).
public enum HDF5CrashGuardMode: Sendable, Equatable {
    /// libhdf5 reads in this process only: a file that crashes libhdf5 crashes the process.
    case off
    /// The file is read first in a `fork()`ed child. Only for single-threaded programs (the fuzzer):
    /// a child forked from a multi-threaded process can deadlock on a lock (Swift runtime, allocator)
    /// that another thread held at the moment of the fork.
    case fork(timeoutSeconds: UInt32)
    /// The file is read first by a fresh process, `executable HDF5CrashGuard.probeArgument ...`,
    /// whose `main` hands those arguments to ``HDF5CrashGuard/runProbe(_:)``. Safe in any process
    /// (`lmzoo` itself, `lmzoo serve`); costs a process start and a second read of the file.
    case spawn(executable: String, timeoutSeconds: UInt32)
}

/// Reads an untrusted HDF5 file once in another process before lmzoo reads it in its own.
///
/// libhdf5 1.10 trusts a file's internal structures: fuzzing found corrupt object headers and
/// variable-length string attributes that crash it (segfaults, reads from address zero, endless
/// loops) — failures no check in front of the library can foresee. So, with ``mode`` set, the whole
/// read runs first in a child process: if the child dies from a signal or runs past its time limit,
/// the file is refused with ``HDF5Error/libraryCrashed(signal:)`` or
/// ``HDF5Error/libraryTimedOut(seconds:)``; otherwise the parent reads it (libhdf5 is
/// deterministic: what the child survived, the parent survives). The `lmzoo` executable sets
/// ``HDF5CrashGuardMode/spawn(executable:timeoutSeconds:)`` for itself; a library user opts in.
public enum HDF5CrashGuard {
    /// The first argument that makes a program run ``runProbe(_:)`` (the `lmzoo` executable checks it).
    public static let probeArgument = "__lmzoo-hdf5-probe"

    /// Exit status of a probe started with arguments it does not understand (an lmzoo of another version).
    static let probeUsageStatus: Int32 = 64

    /// Time limit a reasonable default guard gives the child: generous for multi-GB chunked files.
    public static let defaultTimeoutSeconds: UInt32 = 120

    private static let modeStorage = Mutex<HDF5CrashGuardMode>(.off)

    /// The process-wide guard; ``HDF5CrashGuardMode/off`` until a program sets it.
    public static var mode: HDF5CrashGuardMode {
        get { modeStorage.withLock { $0 } }
        set { modeStorage.withLock { $0 = newValue } }
    }

    /// What the child reads: the file at a path, or an in-memory image.
    enum Source {
        case path(String)
        case image(TensorBuffer, offset: Int, size: Int)
    }

    /// Reads `source` in a child process per ``mode``; throws if the child does not come back alive.
    /// Errors the child's read meets are ignored here: the parent's own read throws them again.
    /// The caller holds the HDF5 lock (a forked child must not inherit another thread inside libhdf5).
    static func survive(_ source: Source, limits: HDF5Limits, read: () throws -> Void) throws(HDF5Error) {
        switch mode {
        case .off: return
        case let .fork(timeout): try forkAndRead(timeout: timeout, read: read)
        case let .spawn(executable, timeout): try spawnProbe(executable: executable, source: source, limits: limits, timeout: timeout)
        }
    }

    /// Turns a child's wait status into the refusal it means: nothing when it exited with 0 (the
    /// read finished, accepted or refused); a signal is a crash (SIGALRM: the time limit); any
    /// other exit status means something in the child ended it early (libhdf5 calling `exit`, or,
    /// under the fuzzer, AddressSanitizer's report), so the parent does not read the file either.
    static func verdict(status: Int32, timeout: UInt32) throws(HDF5Error) {
        let signal = status & 0x7f
        if signal == 0 {
            let exitStatus = (status >> 8) & 0xff
            guard exitStatus == 0 else { throw .libraryExited(status: exitStatus) }
            return
        }
        throw signal == SIGALRM ? .libraryTimedOut(seconds: timeout) : .libraryCrashed(signal: signal)
    }

    /// Waits for `pid`, retrying on EINTR; nil when it cannot be waited for.
    private static func waitStatus(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return nil }
        }
        return status
    }

    private static func forkAndRead(timeout: UInt32, read: () throws -> Void) throws(HDF5Error) {
        let pid = fork()
        guard pid >= 0 else { return }  // no child (process limit): read in process as before
        if pid == 0 {
            prepareChild(timeout: timeout)
            HDF5.resetLockInForkedChild()
            _ = try? read()
            H5close()  // what the parent's exit would do: some corrupt files crash libhdf5 only here
            _exit(0)
        }
        guard let status = waitStatus(pid) else { return }
        try verdict(status: status, timeout: timeout)
    }

    /// In the child: crash signals and SIGALRM act by default (no Swift backtrace report, and
    /// unblocked: the forking thread may be a worker that blocks them), the alarm is set, and
    /// stdout/stderr go to /dev/null (the parent reports a refusal in one line).
    private static func prepareChild(timeout: UInt32) {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        restoreDefaultSignals()
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, 1); dup2(null, 2) }
        alarm(timeout)
    }

    /// Crash signals and SIGALRM back to their default action in a child: it dies of them at once,
    /// without the Swift runtime's backtrace report, and the parent reads the signal.
    private static func restoreDefaultSignals() {
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGALRM] { _ = signal(number, SIG_DFL) }
    }

    private static func spawnProbe(executable: String, source: Source, limits: HDF5Limits, timeout: UInt32) throws(HDF5Error) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var arguments = [executable, probeArgument, String(timeout)] + ProbeLimits.arguments(limits)
        var imageDescriptor: Int32 = -1
        defer { if imageDescriptor >= 0 { close(imageDescriptor) } }
        switch source {
        case let .path(path):
            arguments += ["path", path]
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case let .image(buffer, offset, size):
            // An out-of-bounds image is refused by the parent's own read; one that cannot be staged is read in process.
            guard size > 0, offset >= 0, offset <= buffer.bytes.count - size,
                  let descriptor = anonymousFile(holding: UnsafeRawBufferPointer(rebasing: buffer.bytes[offset ..< offset + size])) else { return }
            imageDescriptor = descriptor
            arguments += ["image"]
            posix_spawn_file_actions_adddup2(&actions, descriptor, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else of this process (a server's sockets, open models) reaches the child.
        _ = lmzoo_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGALRM, SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // The child's crash is the expected outcome here: no Swift backtrace report for it.
        let environment = ["SWIFT_BACKTRACE=enable=no"] + currentEnvironment().filter { !$0.hasPrefix("SWIFT_BACKTRACE=") }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, &attributes, argv, envp) == 0 else { return }  // no child: read in process
        guard let status = waitStatus(pid) else { return }
        try verdict(status: status, timeout: timeout)
    }

    /// This process's environment as `NAME=value` strings.
    private static func currentEnvironment() -> [String] {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return entries
    }

    /// An unnamed file (memfd) holding `bytes`, positioned at its start; nil when one cannot be made.
    private static func anonymousFile(holding bytes: UnsafeRawBufferPointer) -> Int32? {
        #if os(Linux)
        let descriptor = lmzoo_memfd_create("lmzoo-hdf5-image")
        guard descriptor >= 0 else { return nil }
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(descriptor)
                return nil
            }
            written += count
        }
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
        #else
        return nil
        #endif
    }

    /// The child's side of ``HDF5CrashGuardMode/spawn(executable:timeoutSeconds:)``:
    /// `arguments` are what follows ``probeArgument``. Reads the file (or the image on stdin) with
    /// the parent's limits and exits 0 whether libhdf5 accepts or refuses it; a crash is the signal.
    public static func runProbe(_ arguments: [String]) -> Never {
        restoreDefaultSignals()
        guard arguments.count >= 1 + ProbeLimits.count + 1, let timeout = UInt32(arguments[0]),
              let limits = ProbeLimits.parse(Array(arguments[1 ... ProbeLimits.count])) else { _exit(probeUsageStatus) }
        alarm(timeout)
        mode = .off
        switch Array(arguments[(1 + ProbeLimits.count)...]) {
        case let rest where rest.count == 2 && rest[0] == "path":
            _ = try? HDF5Reader.read(path: rest[1], limits: limits)
        case ["image"]:
            if let mapped = try? MappedFile(path: "/dev/stdin"), mapped.count > 0 {
                _ = try? HDF5Reader.read(image: TensorBuffer(mapping: mapped), offset: 0, size: mapped.count, limits: limits)
            }
        default:
            _exit(probeUsageStatus)
        }
        H5close()
        _exit(0)
    }
}

/// ``HDF5Limits`` as command-line arguments for the probe child, and back.
private enum ProbeLimits {
    static let count = 5

    static func arguments(_ limits: HDF5Limits) -> [String] {
        [limits.maxDatasetBytes, limits.maxObjects, limits.maxAttributeBytes, limits.bombFloorBytes, limits.maxExpansion].map { String($0) }
    }

    static func parse(_ arguments: [String]) -> HDF5Limits? {
        let values = arguments.compactMap { Int($0) }
        guard values.count == count else { return nil }
        var limits = HDF5Limits()
        limits.maxDatasetBytes = values[0]
        limits.maxObjects = values[1]
        limits.maxAttributeBytes = values[2]
        limits.bombFloorBytes = values[3]
        limits.maxExpansion = values[4]
        return limits
    }
}
