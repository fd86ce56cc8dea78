import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct ZipTests {
    @Test func readsDeflatedAndStoredMembersWrittenByPython() throws {
        let archive = try ZipArchive(path: Fixtures.path("zip/deflated.zip"))
        #expect(archive.entries.map(\.name) == ["a.txt", "dir/b.bin", "stored.txt"])
        #expect(try archive.bytes(of: archive.entry(named: "a.txt")!) == Array(String(repeating: "hello ", count: 200).utf8))
        #expect(try archive.bytes(of: archive.entry(named: "dir/b.bin")!) == Array((0..<4).flatMap { _ in (0...255).map(UInt8.init) }))
        let stored = archive.entry(named: "stored.txt")!
        #expect(stored.method == 0)
        let (buffer, offset) = try archive.contents(of: stored)
        #expect(buffer.mappedFile != nil && Array(buffer.bytes[offset..<offset + stored.size]) == Array("stored bytes".utf8))
    }

    @Test(arguments: [("zip/slip.zip", "../evil.txt"), ("zip/absolute.zip", "/etc/evil.txt")])
    func refusesUnsafeNames(file: String, name: String) {
        #expect(throws: ZipError.unsafeName(name)) {
            do { _ = try ZipArchive(path: Fixtures.path(file)) } catch let error as LocatedError { throw error.underlying }
        }
    }

    @Test func refusesDeflatedEntriesOverTheRatioAndTotalLimits() throws {
        var ratio = ZipLimits()
        ratio.maxCompressionRatio = 2
        ratio.ratioGraceBytes = 100
        #expect(throws: ZipError.self) {
            do { _ = try ZipArchive(path: Fixtures.path("zip/deflated.zip"), limits: ratio) } catch let error as LocatedError { throw error.underlying }
        }
        var total = ZipLimits()
        total.maxInflatedTotal = 2000  // a.txt (1200 bytes) + dir/b.bin (1024 bytes) = 2224
        #expect(throws: ZipError.inflatedTotalTooLarge(total: 2224, limit: 2000)) {
            do { _ = try ZipArchive(path: Fixtures.path("zip/deflated.zip"), limits: total) } catch let error as LocatedError { throw error.underlying }
        }
        total.maxInflatedTotal = 2224
        #expect(try ZipArchive(path: Fixtures.path("zip/deflated.zip"), limits: total).entries.count == 3)
    }

    @Test func refusesTruncatedAndNonZipFiles() throws {
        let scratch = try Fixtures.scratchDirectory("zip-bad")
        defer { Fixtures.removeScratch(scratch) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("zip/deflated.zip")))
        let cut = scratch + "/cut.zip"
        try whole.prefix(whole.count - 30).write(to: URL(fileURLWithPath: cut))
        #expect(throws: ZipError.noEndOfCentralDirectory) {
            do { _ = try ZipArchive(path: cut) } catch let error as LocatedError { throw error.underlying }
        }
        // Central directory claiming an offset past the end of the file.
        var bent = [UInt8](whole)
        let end = bent.count - 22
        bent.replaceSubrange((end + 16)..<(end + 20), with: [0xFF, 0xFF, 0xFF, 0x7F])
        let badOffset = scratch + "/offset.zip"
        try Data(bent).write(to: URL(fileURLWithPath: badOffset))
        #expect(throws: ZipError.truncated("the central directory")) {
            do { _ = try ZipArchive(path: badOffset) } catch let error as LocatedError { throw error.underlying }
        }
    }

    @Test func writerRoundTripsAlignedEntriesAndPythonAgrees() throws {
        let scratch = try Fixtures.scratchDirectory("zip-write")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/out.zip"
        let zip = try ZipWriter(destination: path)
        try zip.addEntry(name: "archive/data.pkl", bytes: Array("pickle".utf8))
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try zip.addEntry(name: "archive/data/0", size: big.count, alignment: 64) { sink in
            try big.withUnsafeBytes { all in
                for start in stride(from: 0, to: all.count, by: 30_000) {
                    try sink(UnsafeRawBufferPointer(rebasing: all[start..<min(start + 30_000, all.count)]))
                }
            }
        }
        #expect(throws: ZipError.unsafeName("../x")) { try zip.addEntry(name: "../x", bytes: []) }
        try zip.finish()
        let archive = try ZipArchive(path: path)
        let data = try #require(archive.entry(named: "archive/data/0"))
        #expect(data.dataOffset % 64 == 0)
        #expect(try archive.bytes(of: data) == big)
        var crc = CRC32()
        big.withUnsafeBytes { crc.update($0) }
        #expect(data.crc32 == crc.value)
        // Python's zipfile checks every CRC (testzip) and reads the members back.
        let python = Fixtures.python ?? "/usr/bin/env"
        let args = (Fixtures.python == nil ? ["python3"] : []) + ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.read('archive/data/0')), z.read('archive/data.pkl'))", path]
        let result = try runProcess(python, args)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "100000 b'pickle'\n")
    }
}
