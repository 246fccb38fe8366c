import Foundation

/// Markdown tables in the layout of the paper's Table 1: metrics as rows, models as
/// columns, each cell "mean ± std", the best per row in bold (highest, or lowest for
/// metrics marked lower-is-better).
public struct MarkdownTable {
    public struct Row {
        public var metric: String
        public var lowerIsBetter: Bool
        public var values: [MeanStd?]
        public init(metric: String, lowerIsBetter: Bool = false, values: [MeanStd?]) {
            self.metric = metric
            self.lowerIsBetter = lowerIsBetter
            self.values = values
        }
    }

    public var columns: [String]
    public var rows: [Row]
    /// Values are multiplied by this when printed (100 for percentages).
    public var scale: Double
    public var decimals: Int

    public init(columns: [String], rows: [Row], scale: Double = 1, decimals: Int = 3) {
        self.columns = columns
        self.rows = rows
        self.scale = scale
        self.decimals = decimals
    }

    public func render() -> String {
        var out = "| |" + columns.map { " \(escape($0)) |" }.joined() + "\n"
        out += "|---|" + String(repeating: "---|", count: columns.count) + "\n"
        for row in rows {
            let means = row.values.map { $0?.mean }
            let best = row.lowerIsBetter ? means.compactMap { $0 }.min() : means.compactMap { $0 }.max()
            let several = means.compactMap { $0 }.count > 1
            out += "| \(escape(row.metric))\(row.lowerIsBetter ? " ↓" : "") |"
            for value in row.values {
                guard let value else { out += " – |"; continue }
                let text = value.formatted(decimals: decimals, scale: scale)
                out += several && value.mean == best ? " **\(text)** |" : " \(text) |"
            }
            out += "\n"
        }
        return out
    }

    private func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
