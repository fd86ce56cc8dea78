import Foundation

/// A one-line progress bar on stderr: step, bar, loss, tokens/s and ETA, redrawn at most 5 times a
/// second and ended with a newline.
public final class ProgressBar {
    let total: Int
    let started = Date()
    var lastDraw = Date.distantPast
    var firstStep: Int?
    var tokens = 0

    public init(total: Int) { self.total = total }

    /// Reports that update `step` (1-based) finished with `loss` after `tokens` more tokens.
    public func update(step: Int, loss: Double, tokens newTokens: Int) {
        if firstStep == nil { firstStep = step - 1 }
        tokens += newTokens
        let now = Date()
        guard step == total || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(started), 1e-9)
        let done = step - (firstStep ?? 0)
        let eta = Double(total - step) * elapsed / Double(max(done, 1))
        let width = 24, filled = total > 0 ? width * step / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r%d/%d [%@] loss %.4f | %.0f tok/s | ETA %@", step, total, bar, loss,
                          Double(tokens) / elapsed, ProgressBar.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
        if step == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
