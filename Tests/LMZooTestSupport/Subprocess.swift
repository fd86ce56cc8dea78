import Foundation

/// What a finished child process printed and returned.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `executable` with `arguments`, capturing stdout and stderr separately; `environment` adds to
/// (or overrides) this process's environment. A child still running after `timeoutSeconds` is
/// killed (SIGKILL: status 9 as a signal), so a hung child fails its test instead of hanging the run.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       timeoutSeconds: Double = 900) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let pid = process.processIdentifier
    let finished = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        if finished.wait(timeout: .now() + timeoutSeconds) == .timedOut { kill(pid, SIGKILL) }
    }
    defer { finished.signal() }
    // Drain stderr on another thread so that neither pipe can fill up and block the child.
    nonisolated(unsafe) var stderrData = Data()
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        stderrData = err.fileHandleForReading.readDataToEndOfFile()
        drained.signal()
    }
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self))
}

/// A finished child's exit status, stderr, wall time and peak resident memory.
public struct MeasuredProcessResult: Sendable {
    /// Exit status, or 128 + signal when the child was killed by a signal.
    public let status: Int32
    public let stderr: String
    public let seconds: Double
    /// Peak resident set size of the child's own memory (`VmHWM`, sampled every millisecond while
    /// it runs), in bytes. (`wait4`'s `ru_maxrss` cannot serve: exec records the spawning
    /// process's peak in it, and a test runner is far bigger than the child.)
    public let peakRSSBytes: Int
}

/// Starts `executable` with stdout discarded and stderr written to `stderrPath` (or discarded);
/// returns its pid, for a caller that waits with `wait4` (and may signal it first).
public func spawnProcess(_ executable: String, _ arguments: [String], stderrPath: String? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    return pid
}

/// Waits for `pid`; returns its exit status (128 + signal when a signal ended it) and its own `rusage`.
public func waitForProcess(_ pid: pid_t) -> (status: Int32, usage: rusage) {
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let exited = status & 0x7F == 0
    return (exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), usage)
}

/// Runs `executable` with stdout discarded and stderr captured to a file; measures its wall time
/// and the peak of its own resident memory, sampled every millisecond until it exits with
/// `peakResidentBytes` (LMZoo's `ProcessMemory.peakResidentBytes(process:)`: `VmHWM`, a high-water mark).
/// A child still running after `timeoutSeconds` is killed (status 128 + 9).
public func runProcessMeasured(_ executable: String, _ arguments: [String], timeoutSeconds: Double = 900,
                               peakResidentBytes: (pid_t) -> Int?) throws -> MeasuredProcessResult {
    let stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("lmzoo-stderr-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: stderrPath) }
    let started = Date()
    let pid = try spawnProcess(executable, arguments, stderrPath: stderrPath)
    var peak = 0
    var raw: Int32 = 0
    while true {
        let done = waitpid(pid, &raw, WNOHANG)
        if done == pid || (done < 0 && errno != EINTR) { break }
        if let bytes = peakResidentBytes(pid) { peak = max(peak, bytes) }
        if Date().timeIntervalSince(started) > timeoutSeconds { kill(pid, SIGKILL) }
        usleep(1000)
    }
    let seconds = Date().timeIntervalSince(started)
    let status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
    let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    return MeasuredProcessResult(status: status, stderr: stderr, seconds: seconds, peakRSSBytes: peak)
}
