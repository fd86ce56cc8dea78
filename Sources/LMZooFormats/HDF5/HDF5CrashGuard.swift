import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an untrusted HDF5 file once in a forked child before lmzoo reads it in its own process.
///
/// libhdf5 1.10 trusts a file's internal structures: fuzzing found corrupt object headers and
/// variable-length string attributes that crash it (segfaults, reads from address zero, runaway
/// allocations) — failures no check in front of the library can foresee. So the whole read runs
/// first in a child process: if the child dies from a signal or runs past ``timeoutSeconds``, the
/// file is refused with ``HDF5Error/libraryCrashed(signal:)``; otherwise the parent reads it (libhdf5
/// is deterministic: what the child survived, the parent survives). The caller holds the HDF5 lock,
/// so no other thread is inside libhdf5 while the process forks. The child reads a copy-on-write
/// image of the parent and leaves with `_exit`, so no buffered output or exit handler runs twice.
enum HDF5CrashGuard {
    /// Longest a child may read before the file is refused.
    static let timeoutSeconds: UInt32 = 120

    /// Runs `read` in a child process; throws if the child does not come back alive. Errors that
    /// `read` throws in the child are ignored here: the parent's own read throws them again.
    static func survive(_ read: () throws -> Void) throws(HDF5Error) {
        let pid = fork()
        guard pid >= 0 else { return }  // no child (process limit): read in process as before
        if pid == 0 {
            quietChild()
            alarm(timeoutSeconds)
            HDF5.resetLockInForkedChild()
            _ = try? read()
            H5close()  // what the parent's exit would do: some corrupt files crash libhdf5 only here
            _exit(0)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return }
        }
        let signal = status & 0x7f
        guard signal != 0 else { return }
        throw .libraryCrashed(signal: signal)
    }

    /// The child dies quietly: crash signals get their default action (no Swift backtrace report)
    /// and its stdout/stderr go to /dev/null (the parent reports the refusal in one line).
    private static func quietChild() {
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { _ = signal(number, SIG_DFL) }
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, 1); dup2(null, 2) }
    }
}
