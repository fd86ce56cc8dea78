import Foundation
import LMZooCore
import LMZooNGram
import LMZooTestSupport
import Testing

/// Seeded mutations of a valid ARPA file, plain and gzip-compressed: each must build an n-gram
/// model or throw, quickly (see ``MutationHarness``).
@Suite struct ARPAMutationTests {
    @Test(arguments: [("ngram/malformed/valid.arpa", "m.arpa", 2000), ("ngram/small.arpa.gz", "m.arpa.gz", 1500)])
    func mutatedARPAFilesBuildAModelOrAreRefused(fixture: String, fileName: String, cases: Int) throws {
        let result = try MutationHarness.run(name: fileName, fixture: fixture, fileName: fileName, cases: cases) { path in
            _ = try NGramModel(arpaPath: path)
        }
        #expect(result.failures.isEmpty, "\(result.failures.count) bad cases:\n\(result.failures.prefix(20).joined(separator: "\n"))")
        // A gzip member's CRC-32 catches every change, so only plain text can stay valid.
        #expect(result.accepted > 0 || fileName.hasSuffix(".gz"))
    }
}
