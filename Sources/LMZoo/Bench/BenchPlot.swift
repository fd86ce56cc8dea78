import Foundation

/// The `--plot FILE.svg` picture: quality (bits per byte, lower is better) against speed (tokens/s, log
/// axis), one labelled point per model, the marker's area proportional to the model's file size, a
/// colour per architecture. Models without a quality figure (sentence encoders) sit in a band under the
/// speed axis, at their speed. Plain SVG 1.1, no scripts or external references.
public enum BenchPlot {
    static let width = 860.0, height = 560.0
    static let left = 80.0, right = 190.0, top = 50.0, bottom = 110.0
    /// matplotlib's `tab10` colours, given to architectures in registry order (grey for one not registered).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]

    /// The colour of `architecture`: its place in the registry picks it from ``palette``.
    static func colour(of architecture: String, registry: ArchitectureRegistry = .shared) -> String {
        guard let index = registry.all.firstIndex(where: { $0.name == architecture }) else { return "#7f7f7f" }
        return palette[index % palette.count]
    }

    /// The SVG document for `report`.
    public static func svg(_ report: BenchReport) -> String {
        let timed = report.rows.filter { $0.tokensPerSecond > 0 }
        let rows = timed.filter { $0.bitsPerByte?.isFinite == true }
        let unscored = timed.filter { $0.bitsPerByte == nil }
        let speeds = timed.map { log10($0.tokensPerSecond) }
        let qualities = rows.compactMap(\.bitsPerByte)
        let xRange = (floor(speeds.min() ?? 0), max(ceil(speeds.max() ?? 1), floor(speeds.min() ?? 0) + 1))
        let yPad = max(((qualities.max() ?? 1) - (qualities.min() ?? 0)) * 0.12, 0.05)
        let yRange = (max(0, (qualities.min() ?? 0) - yPad), (qualities.max() ?? 1) + yPad)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ speed: Double) -> Double { left + (speed - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func y(_ bpb: Double) -> Double { top + (yRange.1 - bpb) / (yRange.1 - yRange.0) * plotHeight }
        let largest = Double(timed.map(\.fileBytes).max() ?? 1)
        func radius(_ row: BenchRow) -> Double { 4 + 26 * (Double(row.fileBytes) / largest).squareRoot() }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <title>lmzoo bench: \(escape(report.corpus))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="28" font-size="16" font-weight="bold">Quality vs speed on \(escape(Self.fileName(report.corpus)))</text>
            <g id="axes" stroke="#444" fill="none">
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(left + plotWidth)" y2="\(top + plotHeight)"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotHeight)"/>
            </g>

            """
        svg += "<g id=\"x-ticks\" font-size=\"11\" text-anchor=\"middle\">\n"
        for exponent in Int(xRange.0)...Int(xRange.1) {
            let px = x(Double(exponent))
            svg += "<line x1=\"\(f(px))\" y1=\"\(f(top))\" x2=\"\(f(px))\" y2=\"\(f(top + plotHeight))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(f(px))\" y=\"\(f(top + plotHeight + 16))\">\(tickLabel(exponent))</text>\n"
        }
        svg += "</g>\n<g id=\"y-ticks\" font-size=\"11\" text-anchor=\"end\">\n"
        for step in 0...5 {
            let value = yRange.0 + (yRange.1 - yRange.0) * Double(step) / 5
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(value)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y(value)))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(value) + 4))\">\(String(format: "%.2f", value))</text>\n"
        }
        svg += """
            </g>
            <text x="\(f(left + plotWidth / 2))" y="\(f(top + plotHeight + 34))" text-anchor="middle">tokens per second (log scale) →</text>
            <text transform="translate(20 \(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">bits per byte (lower is better)</text>
            <g id="points">

            """
        var labels = LabelPlacer()
        func point(_ row: BenchRow, y py: Double) -> String {
            let r = radius(row), colour = Self.colour(of: row.architecture)
            let px = x(log10(row.tokensPerSecond))
            let mark = row.scoring == .pseudoLogLikelihood ? "*" : ""
            let text = escape(row.model) + mark
            let labelY = labels.place(x: px + r + 3, y: py + 4, characters: row.model.count + mark.count)
            return "<g class=\"model\"><circle cx=\"\(f(px))\" cy=\"\(f(py))\" r=\"\(f(r))\" fill=\"\(colour)\" fill-opacity=\"0.45\" stroke=\"\(colour)\"/>"
                + "<text x=\"\(f(px + r + 3))\" y=\"\(f(labelY))\">\(text)</text></g>\n"
        }
        for row in rows { svg += point(row, y: y(row.bitsPerByte ?? 0)) }
        if !unscored.isEmpty {
            let band = top + plotHeight + 72
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(band + 4))\" text-anchor=\"end\" font-size=\"10\">no LM head</text>\n"
            for row in unscored { svg += point(row, y: band) }
        }
        svg += "</g>\n<g id=\"legend\">\n"
        let architectures = Array(Set(timed.map(\.architecture))).sorted()
        for (index, architecture) in architectures.enumerated() {
            let ly = top + 18 * Double(index)
            svg += "<circle cx=\"\(f(width - right + 24))\" cy=\"\(f(ly))\" r=\"6\" fill=\"\(Self.colour(of: architecture))\"/>"
            svg += "<text x=\"\(f(width - right + 36))\" y=\"\(f(ly + 4))\">\(escape(architecture))</text>\n"
        }
        let noteY = top + 18 * Double(architectures.count) + 10
        svg += "<text x=\"\(f(width - right + 18))\" y=\"\(f(noteY))\" font-size=\"10\">marker area ∝ file size</text>\n"
        if rows.contains(where: { $0.scoring == .pseudoLogLikelihood }) {
            svg += "<text x=\"\(f(width - right + 18))\" y=\"\(f(noteY + 14))\" font-size=\"10\">* pseudo-log-likelihood</text>\n"
        }
        svg += "</g>\n</svg>\n"
        return svg
    }

    static func tickLabel(_ exponent: Int) -> String {
        switch exponent {
        case ..<3: String(Int(pow(10.0, Double(max(exponent, 0)))))
        case 3..<6: "\(Int(pow(10.0, Double(exponent - 3))))k"
        default: "\(Int(pow(10.0, Double(exponent - 6))))M"
        }
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Moves point labels down until they do not overlap labels already placed (12 px sans-serif: about
/// 6.6 px per character, 13 px per line).
struct LabelPlacer {
    private var boxes: [(left: Double, right: Double, baseline: Double)] = []

    /// The baseline to draw a label of `characters` at, starting from `y`.
    mutating func place(x: Double, y: Double, characters: Int) -> Double {
        let right = x + 6.6 * Double(characters)
        var baseline = y
        while boxes.contains(where: { $0.left < right && x < $0.right && abs($0.baseline - baseline) < 13 }) { baseline += 13 }
        boxes.append((x, right, baseline))
        return baseline
    }
}
