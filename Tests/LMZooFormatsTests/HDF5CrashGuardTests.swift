import Foundation
@testable import LMZooFormats
import Testing

/// How the crash guard reads a child's wait status (the CLI tests run real crashing files through it).
@Suite struct HDF5CrashGuardTests {
    @Test func cleanExitLetsTheParentRead() throws {
        try HDF5CrashGuard.verdict(status: 0, timeout: 5)
    }

    @Test func aSignalIsACrashAndSIGALRMTheTimeLimit() {
        #expect(throws: HDF5Error.libraryCrashed(signal: SIGSEGV)) { try HDF5CrashGuard.verdict(status: SIGSEGV, timeout: 5) }
        #expect(throws: HDF5Error.libraryCrashed(signal: SIGABRT)) { try HDF5CrashGuard.verdict(status: SIGABRT | 0x80, timeout: 5) }
        #expect(throws: HDF5Error.libraryTimedOut(seconds: 7)) { try HDF5CrashGuard.verdict(status: SIGALRM, timeout: 7) }
    }

    @Test func anyOtherExitStatusIsRefusedToo() {
        #expect(throws: HDF5Error.libraryExited(status: 77)) { try HDF5CrashGuard.verdict(status: 77 << 8, timeout: 5) }
        let usage = HDF5Error.libraryExited(status: HDF5CrashGuard.probeUsageStatus)
        #expect(usage.description.contains("did not understand its arguments"))
        #expect(usage.rule == "libhdf5 reads it without crashing")
    }

    @Test func theGuardIsOffUnlessAProgramSetsIt() {
        #expect(HDF5CrashGuard.mode == .off)
    }
}
