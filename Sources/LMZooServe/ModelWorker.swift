import Dispatch
import Foundation

/// Runs one model's calls one at a time on a serial queue of its own, with a bounded queue.
///
/// Models are not safe to share across threads (the GPT plugin keeps a KV cache and the last logits,
/// others reuse scratch buffers), so every call on a loaded model goes through its worker. A request
/// that would make more than `depth` calls waiting or running is refused (429); one whose deadline
/// passes while it waits is skipped.
final class ModelWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    private let lock = NSLock()
    private var pending = 0
    /// Calls allowed waiting or running at once.
    let depth: Int

    init(label: String, depth: Int) {
        queue = DispatchQueue(label: "lmzoo.serve.\(label)", qos: .userInitiated)
        self.depth = depth
        Self.registry.add(self)
    }

    /// Every worker made, weakly (one with calls queued is kept alive by them).
    private static let registry = Registry()

    /// Waits until every worker's calls are done: once the server takes no more requests, so that the
    /// process never exits under a running model call (one that outlived its request's timeout).
    static func drainAll() {
        for worker in registry.live() { worker.queue.sync {} }
    }

    private final class Registry: @unchecked Sendable {
        private struct Weak { weak var worker: ModelWorker? }
        private let lock = NSLock()
        private var workers: [Weak] = []

        func add(_ worker: ModelWorker) {
            lock.withLock {
                workers.removeAll { $0.worker == nil }
                workers.append(Weak(worker: worker))
            }
        }

        func live() -> [ModelWorker] { lock.withLock { workers.compactMap(\.worker) } }
    }

    /// Calls waiting or running now.
    var queued: Int { lock.withLock { pending } }

    /// Queues `job` (false when the queue is full). `expired` runs instead when `deadline` passed
    /// before the job's turn came.
    func submit(deadline: DispatchTime, _ job: @escaping @Sendable () -> Void, expired: @escaping @Sendable () -> Void) -> Bool {
        let accepted = lock.withLock {
            guard pending < depth else { return false }
            pending += 1
            return true
        }
        guard accepted else { return false }
        queue.async {
            defer { self.lock.withLock { self.pending -= 1 } }
            if DispatchTime.now() >= deadline { expired() } else { job() }
        }
        return true
    }

    /// Runs `job` on the worker and returns its result; throws `onFull` when the queue is full and
    /// `onTimeout` when `timeout` seconds pass first (a running job then finishes, its result unused:
    /// model calls cannot be interrupted).
    func run<T: Sendable>(timeout: Double, onFull: ServeError, onTimeout: ServeError,
                          _ job: @escaping @Sendable () throws -> T) async throws -> T {
        let deadline = DispatchTime.now() + timeout
        let answer = OneAnswer<T>()
        return try await withCheckedThrowingContinuation { continuation in
            answer.set(continuation)
            let accepted = submit(deadline: deadline, {
                answer.resume(with: Result { try job() })
            }, expired: { answer.resume(with: .failure(onTimeout)) })
            if !accepted {
                answer.resume(with: .failure(onFull))
                return
            }
            DispatchQueue.global().asyncAfter(deadline: deadline) { answer.resume(with: .failure(onTimeout)) }
        }
    }
}

/// A continuation resumed at most once (the job's result or the timeout, whichever comes first).
private final class OneAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) { lock.withLock { self.continuation = continuation } }

    func resume(with result: Result<T, any Error>) {
        let waiting: CheckedContinuation<T, any Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}
