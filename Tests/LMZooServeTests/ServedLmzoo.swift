import Foundation
import LMZooCore
import LMZooTestSupport

/// An `lmzoo serve` child process on loopback (a free port), stopped with SIGTERM; and curl against it.
final class ServedLmzoo: @unchecked Sendable {
    /// The `lmzoo` binary beside the test bundle.
    static let executable: String = {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("lmzoo").path
    }()

    let process = Process()
    let port: Int
    let scratch: String
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `lmzoo serve --port 0 ARGS` and waits (up to 120 s) for the line naming its port.
    init(_ arguments: [String]) throws {
        scratch = try Fixtures.scratchDirectory("serve")
        let log = scratch + "/stderr.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let start = Date()
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                self.port = port
                return
            }
            if !process.isRunning || Date().timeIntervalSince(start) > 120 {
                if process.isRunning { process.terminate() }
                throw ServeTestError("lmzoo serve did not start: \(text)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// What the server wrote on stderr so far.
    var log: String { (try? String(contentsOfFile: scratch + "/stderr.log", encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            // A server that does not drain within a minute is killed, so the test fails instead of hanging.
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        Fixtures.removeScratch(scratch)
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }

    /// An HTTP answer as curl saw it.
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
        var json: JSONValue? { try? JSONParser.parse(body) }
    }

    /// `curl` GET or POST (with a JSON body) of `path`, with extra `headers`.
    func curl(_ path: String, json: String? = nil, headers: [String] = [], extra: [String] = []) throws -> Answer {
        var arguments = ["-s", "-S", "-i", "--max-time", "120"] + extra
        for header in headers { arguments += ["-H", header] }
        if let json { arguments += ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json] }
        let result = try runProcess("/usr/bin/curl", arguments + [base + path])
        guard result.status == 0 else { throw ServeTestError("curl \(path) failed: \(result.stderr)") }
        return try Self.parse(result.stdout)
    }

    /// Splits curl -i output into status, headers (lowercased names) and body.
    static func parse(_ output: String) throws -> Answer {
        guard let split = output.range(of: "\r\n\r\n") else { throw ServeTestError("no HTTP header in: \(output)") }
        let head = output[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw ServeTestError("bad status line in: \(output)")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: String(output[split.upperBound...]))
    }

    /// The value of the Prometheus sample `name{labels}` (labels as written, e.g. `model="x",route="/v1/score"`), 0 when absent.
    func metric(_ name: String, containing labels: [String]) throws -> Double {
        let text = try curl("/metrics").body
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && labels.allSatisfy({ line.contains($0) }) {
            total += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return total
    }
}

struct ServeTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `lmzoo ARGS --json` parsed, with one BLAS thread as `lmzoo serve` runs models (sums in another
/// order with more threads would differ in the last bits).
func lmzooJSON(_ arguments: [String]) throws -> JSONValue {
    let result = try runProcess(ServedLmzoo.executable, arguments + ["--json"], environment: ["OPENBLAS_NUM_THREADS": "1"])
    guard result.status == 0 else { throw ServeTestError("lmzoo \(arguments) failed: \(result.stderr)") }
    return try JSONParser.parse(result.stdout)
}

/// `value` without the named top-level fields (timings differ between runs).
func dropping(_ keys: [String], from value: JSONValue?) -> JSONValue? {
    guard let object = value?.objectValue else { return value }
    return .object(JSONObject(object.entries.filter { !keys.contains($0.key) }.map { ($0.key, $0.value) }))
}

/// JSON text of a request body.
func body(_ value: JSONValue) -> String { value.compactText }

/// A list that threads append to.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Element] = []
    var items: [Element] { lock.withLock { stored } }
    func append(_ item: Element) { lock.withLock { stored.append(item) } }
}
