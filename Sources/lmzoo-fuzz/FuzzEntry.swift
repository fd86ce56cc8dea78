#if canImport(Glibc)
import Glibc
#endif

// Two builds of one target (see scripts/fuzz.sh and README "Fuzzing"):
// - normal `swift build`: a replay tool, `lmzoo-fuzz READER FILE...` runs a reader on each file and
//   exits 0 whether the file parses or is refused (a crash is the bug);
// - `-sanitize=fuzzer,address -DLMZOO_FUZZ`: a libFuzzer target driving the reader named by
//   LMZOO_FUZZ_READER. SwiftPM links an executable's `main` to `<module>_main` on Linux, so that
//   symbol hands the command line to libFuzzer's driver (what libFuzzer's own `main` would do).

#if LMZOO_FUZZ
/// libFuzzer's entry for programs with their own `main` (compiler-rt FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("lmzoo_fuzz_main")
public func lmzooFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, lmzooFuzzTestOneInput)
}

/// The reader this fuzzing process drives, chosen once from LMZOO_FUZZ_READER.
nonisolated(unsafe) private var fuzzSession: FuzzSession?

@_cdecl("LLVMFuzzerTestOneInput")
public func lmzooFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if fuzzSession == nil {
        let name = getenv("LMZOO_FUZZ_READER").map { String(cString: $0) } ?? ""
        guard let reader = FuzzReaders.named(name) else {
            fuzzFail("set LMZOO_FUZZ_READER to one of: \(FuzzReaders.all.map(\.name).joined(separator: ", "))")
        }
        fuzzSession = FuzzSession(reader: reader)
    }
    fuzzSession!.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let reader = FuzzReaders.named(name), arguments.count >= 2 else {
            print("usage: lmzoo-fuzz READER FILE...   (runs lmzoo's reader on each file; a crash is a bug)")
            for reader in FuzzReaders.all { print("  \(reader.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(reader.summary)") }
            exit(arguments.isEmpty ? 0 : 2)
        }
        let session = FuzzSession(reader: reader)
        for path in arguments.dropFirst() {
            guard let bytes = readWholeFile(path) else {
                session.scratch.removeAll()
                fuzzFail("cannot read \(path)")
            }
            let outcome = bytes.withUnsafeBytes { session.run($0) }
            print("\(path): \(outcome)")
        }
        session.scratch.removeAll()
    }

    private static func readWholeFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
#endif
