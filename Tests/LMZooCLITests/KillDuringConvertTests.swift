import Foundation
import LMZooCore
import LMZooTestSupport
import Testing

/// `kill -9` at seeded random moments of a ~500 MB conversion never leaves a file at OUT: the
/// writer fills a temporary file beside OUT and renames it only when complete. On Linux that
/// temporary file is unnamed (O_TMPFILE) until the commit, so a kill leaves no hidden
/// `.OUT.lmzoo-XXXXXX` behind either (elsewhere it would; the test counts and removes them).
@Suite(.serialized) struct KillDuringConvertTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["LMZOO_KILL_SEED"].flatMap { UInt64($0) } ?? 9
    static let iterations = 10

    /// A safetensors file of `tensors` f32 tensors of `elements` each, all zeros (sparse on disk:
    /// the header is written and the file extended, so making it costs no I/O).
    static func makeZeroCheckpoint(at path: String, tensors: Int, elements: Int) throws {
        let entries = (0..<tensors).map { i in
            "\"t\(i)\":{\"dtype\":\"F32\",\"shape\":[\(elements)],\"data_offsets\":[\(i * elements * 4),\((i + 1) * elements * 4)]}"
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        let total = bytes.count + tensors * elements * 4
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        bytes.removeAll()
        #expect(truncate(path, off_t(total)) == 0)
    }

    @Test func killedConversionsNeverLeaveAnOutputFile() throws {
        let scratch = try Fixtures.scratchDirectory("kill")
        defer { Fixtures.removeScratch(scratch) }
        let input = scratch + "/big.safetensors", out = scratch + "/out.gguf"
        try Self.makeZeroCheckpoint(at: input, tensors: 8, elements: 16 << 20)  // 8 x 64 MiB = 512 MiB
        let arguments = ["convert", input, out]  // safetensors -> GGUF, streamed tensor by tensor

        // Two whole runs tell how long a conversion takes here (the second with a warm page cache).
        var duration = Double.infinity
        for _ in 0..<2 {
            let started = Date()
            let whole = waitForProcess(try spawnProcess(CLITests.executable, arguments))
            duration = min(duration, Date().timeIntervalSince(started))
            #expect(whole.status == 0)
            #expect(FileManager.default.fileExists(atPath: out))
            try FileManager.default.removeItem(atPath: out)
        }

        var rng = SplitMix64(seed: Self.seed)
        var killed = 0, leftovers = 0
        for iteration in 0..<Self.iterations {
            let delay = duration * Double.random(in: 0.02...0.8, using: &rng)
            let pid = try spawnProcess(CLITests.executable, arguments)
            usleep(useconds_t(delay * 1_000_000))
            kill(pid, SIGKILL)
            let (status, _) = waitForProcess(pid)
            if status == 128 + SIGKILL {
                killed += 1
                #expect(!FileManager.default.fileExists(atPath: out), "seed \(Self.seed) iteration \(iteration): OUT exists after kill -9 at \(delay) s")
            } else {
                // Finished before the signal: OUT must then be whole.
                #expect(status == 0 && FileManager.default.fileExists(atPath: out), "iteration \(iteration): status \(status)")
            }
            try? FileManager.default.removeItem(atPath: out)
            let temporaries = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { $0.hasPrefix(".out.gguf.lmzoo-") }
            leftovers += temporaries.count
            for name in temporaries { try FileManager.default.removeItem(atPath: scratch + "/" + name) }
        }
        #expect(killed >= Self.iterations / 2, "only \(killed) of \(Self.iterations) runs were killed mid-way (a run took \(duration) s)")
        #if os(Linux)
        #expect(leftovers == 0, "\(leftovers) temporary files left by \(killed) kills")
        #else
        #expect(leftovers <= killed)
        #endif
    }
}
