import Foundation
import LMZooTestSupport
import Testing

/// Runs the fuzz harness's replay build (`lmzoo-fuzz READER FILE...`) on the inputs libFuzzer found
/// crashing (Tests/Fixtures/fuzz-regressions/READER/, one file each, fixed since): every one must now
/// be read or refused with an error, never crash. Also checks that the harness itself still reads
/// good fixtures, so a harness that silently refuses everything cannot pass.
@Suite struct FuzzRegressionTests {
    /// The `lmzoo-fuzz` binary beside the test bundle (SwiftPM builds it: the test target depends on it).
    static let executable: String = {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("lmzoo-fuzz").path
    }()

    static let regressions = Fixtures.path("fuzz-regressions")

    /// The reader directories under fuzz-regressions (each named after a harness reader).
    static var readers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: regressions)) ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: regressions + "/" + $0, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    /// Replays `files` through `reader`; returns one "PATH: ok" / "PATH: refused: ..." line per file.
    func replay(_ reader: String, _ files: [String]) throws -> [String] {
        let result = try runProcess(Self.executable, [reader] + files)
        #expect(result.status == 0, "lmzoo-fuzz \(reader) exited \(result.status): \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test(arguments: readers)
    func crashingInputsAreNowReadOrRefused(reader: String) throws {
        let directory = Self.regressions + "/" + reader
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { directory + "/" + $0 }
        #expect(!files.isEmpty)
        let lines = try replay(reader, files)
        #expect(lines.count == files.count, "one line per input expected: \(lines)")
        for line in lines { #expect(line.contains(": ok") || line.contains(": refused: "), "\(line)") }
    }

    @Test func harnessReadsGoodFixtures() throws {
        let cases: [(String, String)] = [
            ("safetensors", "safetensors/python_mixed.safetensors"),
            ("safetensors", "safetensors/sharded/model.safetensors.index.json"),
            ("gguf", "gguf/python_all_types.gguf"),
            ("torch", "torch/mixed.pt"),
            ("npy", "numpy/f4.npy"),
            ("npz", "numpy/savez_compressed.npz"),
            ("arpa", "ngram/small.arpa.gz"),
            ("hdf5", "hdf5/generic.h5"),
            ("hdf5", "hdf5/model.keras"),
        ]
        for (reader, file) in cases {
            #expect(try replay(reader, [Fixtures.path(file)]) == ["\(Fixtures.path(file)): ok"], "\(reader) \(file)")
        }
        let refused = try replay("npy", [Fixtures.path("numpy/truncated.npy")])
        #expect(refused.count == 1 && refused[0].contains("refused: "))
    }
}
