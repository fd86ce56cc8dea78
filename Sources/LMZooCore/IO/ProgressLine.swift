import Foundation

/// A one-line progress bar on stderr: `label [#####.....]  45% 3.1s ETA 4s detail`, redrawn in place
/// on a terminal (at most 10 times a second), and only a single final line otherwise (CI logs stay
/// short). Never writes to stdout, which may carry JSON. Long-running commands (bench, train, distill)
/// draw through it.
public final class ProgressLine {
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private static let width = 30

    /// A bar whose lines start with `label`.
    public init(label: String) {
        self.label = label
    }

    /// Shows `fraction` (0...1) done, with elapsed time, an ETA and an optional `detail` (e.g. the loss).
    public func update(_ done: Double, detail: String = "") {
        let fraction = min(max(done, 0), 1)
        guard interactive, Date().timeIntervalSince(lastDraw) >= 0.1 || fraction >= 1 else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(start)
        let filled = Int((fraction * Double(Self.width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        let eta = fraction > 0.01 ? String(format: " ETA %.0fs", elapsed * (1 - fraction) / fraction) : ""
        let figures = String(format: "%3.0f%% %.1fs", fraction * 100, elapsed)
        write("\r\u{1B}[K\(label) [\(bar)] \(figures)\(eta)" + (detail.isEmpty ? "" : "  " + detail))
    }

    /// Replaces the bar with a final line `label: summary (elapsed)`.
    public func finish(summary: String) {
        let elapsed = Date().timeIntervalSince(start)
        write((interactive ? "\r\u{1B}[K" : "") + "\(label): \(summary) (" + String(format: "%.1fs", elapsed) + ")\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
