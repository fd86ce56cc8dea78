import Foundation
import LMZooCore
@testable import LMZooFormats
import LMZooTestSupport
import Testing

/// libhdf5 1.10 leaks an object header when it finds, after allocating it, that the header's declared
/// size runs past the file's end of allocation (HDF5 issue #3790, fixed in 1.14.5): the leak made
/// `H5close` at the test process's exit print "HDF5: infinite loop closing library". lmzoo refuses
/// such a header before libhdf5 loads it (``HDF5ObjectHeader``); these tests read such files in
/// process and check that libhdf5 holds no more object headers afterwards than before.
@Suite struct HDF5LeakTests {
    /// generic.h5 (superblock version 0) with its stored base address set to 8: libhdf5 moves the
    /// base back to 0 and lowers the end of allocation by 8, so the header of the last object,
    /// '/text', which ends at the end of the file, now ends 8 bytes past the end of allocation.
    /// (A one-bit flip that MutationTests' seeded cases reach: generic.h5 case 158.)
    static func headerPastTheEnd() throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hdf5/generic.h5"))))
        #expect(bytes[8] == 0 && bytes[24] == 0, "generic.h5 is no longer a version-0 superblock with base address 0")
        bytes[24] = 8
        return bytes
    }

    static let expected = HDF5Error.objectHeaderOutsideFile(object: "/text", address: 26040, bytes: 272, endOfAllocation: 26304)

    /// Runs `read` under the HDF5 lock (no other read or write is inside libhdf5 meanwhile) and
    /// returns the error it threw and how many object headers libhdf5 gained.
    static func leakedHeaders(_ read: () throws -> Void) throws -> (error: (any Error)?, leaked: Int) {
        try HDF5.withLock {
            let before = try #require(HDF5.liveObjectHeaders, "this libhdf5 does not export its object-header free list")
            var thrown: (any Error)?
            do { try read() } catch { thrown = error }
            return (thrown, try #require(HDF5.liveObjectHeaders) - before)
        }
    }

    @Test func aHeaderPastTheEndOfAllocationIsRefusedBeforeLibHDF5LeaksIt() throws {
        let scratch = try Fixtures.scratchDirectory("h5-leak")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/past-eoa.h5"
        try Data(try Self.headerPastTheEnd()).write(to: URL(fileURLWithPath: path))
        let (error, leaked) = try Self.leakedHeaders { _ = try HDF5Reader.read(path: path) }
        #expect((error as? LocatedError)?.underlying as? HDF5Error == Self.expected, "\(String(describing: error))")
        #expect(leaked == 0, "libhdf5 kept \(leaked) object header(s) after the read")
    }

    /// The same file as an in-memory image (how a .keras member is read): the end of allocation
    /// comes from the superblock there (`H5Fget_eoa` needs a SWMR-capable driver).
    @Test func theSameHeaderInAnImageIsRefusedToo() throws {
        let bytes = try Self.headerPastTheEnd()
        let buffer = TensorBuffer(zeroedByteCount: bytes.count + 16)
        bytes.withUnsafeBytes { buffer.mutableBytes!.baseAddress!.advanced(by: 16).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let (error, leaked) = try Self.leakedHeaders { _ = try HDF5Reader.read(image: buffer, offset: 16, size: bytes.count) }
        #expect(error as? HDF5Error == Self.expected, "\(String(describing: error))")
        #expect(leaked == 0, "libhdf5 kept \(leaked) object header(s) after the read")
    }

    @Test func readingAValidFileLeavesNoHeaderBehind() throws {
        let (error, leaked) = try Self.leakedHeaders { _ = try HDF5Reader.read(path: Fixtures.path("hdf5/generic.h5")) }
        #expect(error == nil)
        #expect(leaked == 0)
    }

    @Test func headerSizesAreReadAsLibHDF5ReadsThem() {
        // Version 1: 16-byte prefix + chunk 0 (here 0x0110 bytes).
        let v1: [UInt8] = [1, 0, 3, 0, 1, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 0, 0, 0]
        #expect(v1.withUnsafeBytes(HDF5ObjectHeader.loadSize) == 16 + 0x110)
        // Version 2 with times (flags bit 5) and a 2-byte chunk 0 size (flags & 3 == 1): 4+1+1+16+2 + 300 + 4.
        let v2: [UInt8] = Array("OHDR".utf8) + [2, 0x21] + [UInt8](repeating: 0, count: 16) + [0x2C, 0x01]
        #expect(v2.withUnsafeBytes(HDF5ObjectHeader.loadSize) == 24 + 300 + 4)
        #expect([UInt8](repeating: 7, count: 16).withUnsafeBytes(HDF5ObjectHeader.loadSize) == nil)
    }
}
