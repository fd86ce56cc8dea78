import Foundation
import LMZooCore

/// Training progress on stderr, drawn by ``ProgressLine`` (the one progress display: redrawn in place
/// on a terminal, a single final line when stderr is not one): step, loss, tokens/s and ETA.
public final class ProgressBar {
    let total: Int
    let started = Date()
    let line: ProgressLine
    var firstStep: Int?
    var tokens = 0
    var finished = false

    /// A display for `total` updates, its lines starting with `label`.
    public init(total: Int, label: String = "train") {
        self.total = total
        line = ProgressLine(label: label)
    }

    /// Reports that update `step` (1-based) finished with `loss` after `tokens` more tokens.
    public func update(step: Int, loss: Double, tokens newTokens: Int) {
        if firstStep == nil { firstStep = step - 1 }
        tokens += newTokens
        let rate = Double(tokens) / max(Date().timeIntervalSince(started), 1e-9)
        let detail = String(format: "%d/%d loss %.4f | %.0f tok/s", step, total, loss, rate)
        guard step < total else {
            guard !finished else { return }
            finished = true
            line.finish(summary: detail)
            return
        }
        // The fraction of this run's updates (a resumed run starts past 0).
        let first = firstStep ?? 0
        line.update(Double(step - first) / Double(max(total - first, 1)), detail: detail)
    }
}
