import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Access to libhdf5, which Debian builds without thread safety: every HDF5 call lmzoo makes
/// goes through ``withLock(_:)``, one global recursive lock, and the library's automatic error
/// printing is turned off (errors come back as ``HDF5Error``; nothing is printed to stderr).
public enum HDF5 {
    private final class Lock: @unchecked Sendable {
        let mutex: UnsafeMutablePointer<pthread_mutex_t>

        init() {
            mutex = .allocate(capacity: 1)
            initialize()
        }

        /// (Re)initialises the mutex unlocked.
        func initialize() {
            var attributes = pthread_mutexattr_t()
            pthread_mutexattr_init(&attributes)
            pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
            pthread_mutex_init(mutex, &attributes)
            pthread_mutexattr_destroy(&attributes)
        }
    }

    private static let lock: Lock = {
        let lock = Lock()
        pthread_mutex_lock(lock.mutex)
        H5open()
        H5Eset_auto2(lmzoo_H5E_DEFAULT(), nil, nil)
        pthread_mutex_unlock(lock.mutex)
        return lock
    }()

    /// In a child forked while the parent held the lock (``HDF5CrashGuard``): the child's thread is not
    /// the owner its copy of the recursive lock records, so the lock is made anew, unlocked.
    static func resetLockInForkedChild() { lock.initialize() }

    /// Runs `body` holding the process-wide HDF5 lock (re-entrant).
    public static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        let mutex = lock.mutex
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        H5Eset_auto2(lmzoo_H5E_DEFAULT(), nil, nil)
        return try body()
    }

    /// The most specific message on HDF5's error stack (call right after a failing call).
    static func lastErrorMessage() -> String {
        var message = lmzoo_h5_last_error()
        let text = withUnsafeBytes(of: &message.text) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "unknown HDF5 error" : text
    }

    /// Object headers libhdf5 holds in memory right now (read from its free-list bookkeeping); nil
    /// where this libhdf5 does not export that list. Every read and write closes all it opened
    /// before it releases the lock, so under ``withLock(_:)`` this only grows when libhdf5 leaks a
    /// header (the leak that makes `H5close` print "infinite loop closing library"). For tests.
    static var liveObjectHeaders: Int? {
        withLock {
            let count = lmzoo_h5_live_object_headers()
            return count < 0 ? nil : count
        }
    }

    /// `hid_t(H5P_DEFAULT)`.
    static var defaultPlist: hid_t { hid_t(H5P_DEFAULT) }

    /// File access properties without libhdf5's `flock` file locking. lmzoo never shares a file
    /// with a concurrent writer (it writes to a temp file and renames), and a lock is tied to the
    /// descriptor: a child process started meanwhile inherits the descriptor and keeps the lock,
    /// so a later open of the same file fails with "unable to lock file" (EAGAIN).
    static func unlockedFileAccess() throws(HDF5Error) -> HDF5Handle {
        let fapl = try HDF5Handle.plist(H5Pcreate(lmzoo_H5P_FILE_ACCESS()), or: { .library("H5Pcreate", $0) })
        guard H5Pset_file_locking(fapl.id, false, true) >= 0 else { throw .library("H5Pset_file_locking", lastErrorMessage()) }
        return fapl
    }
}

/// An open HDF5 identifier (file, group, dataset, datatype, dataspace, attribute, property list)
/// closed exactly once when the last reference goes away.
final class HDF5Handle {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    /// Wraps `id`, or throws `failure` (with HDF5's own message) when `id` is negative.
    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t, or failure: (String) -> HDF5Error) throws(HDF5Error) {
        guard id >= 0 else { throw failure(HDF5.lastErrorMessage()) }
        self.id = id
        self.close = close
    }

    static func file(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Fclose, or: failure) }
    static func group(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Gclose, or: failure) }
    static func dataset(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Dclose, or: failure) }
    static func object(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Oclose, or: failure) }
    static func type(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Tclose, or: failure) }
    static func space(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Sclose, or: failure) }
    static func attribute(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Aclose, or: failure) }
    static func plist(_ id: hid_t, or failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5Handle { try HDF5Handle(id, close: H5Pclose, or: failure) }

    /// Closes the identifier now and reports a failure (a file's close flushes it: its failure matters).
    func closeChecked() throws(HDF5Error) {
        closed = true
        let status = HDF5.withLock { close(id) }
        guard status >= 0 else { throw .library("close", HDF5.lastErrorMessage()) }
    }

    private var closed = false

    deinit {
        if !closed { _ = HDF5.withLock { close(id) } }
    }
}
