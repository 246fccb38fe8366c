import Foundation

/// Grouped bar chart with error bars (the paper's Figures 5 and 6): one group per metric,
/// one bar per model (series) with mean ± std, the value printed above each bar, a legend.
/// With `sharedScale` all groups use one y axis (P/R/F1 in %); otherwise each group gets its
/// own (metrics differ in range: KL ~1, AUC ~0.8, Comp ~0.1), starting at 0 and marked by
/// its top tick; "lower is better" groups say so.
public struct BarChart {
    public struct Group {
        public var title: String
        public var lowerIsBetter: Bool
        /// One per series, nil where that model has no value.
        public var values: [MeanStd?]
        public init(title: String, lowerIsBetter: Bool = false, values: [MeanStd?]) {
            self.title = title
            self.lowerIsBetter = lowerIsBetter
            self.values = values
        }
    }

    public var title: String
    public var series: [String]
    public var groups: [Group]
    /// Printed under the title (e.g. "3-fold CV by scan, mean ± std; UNTRAINED").
    public var subtitle: String
    public var decimals: Int
    public var sharedScale: Bool

    public init(title: String, subtitle: String = "", series: [String], groups: [Group], decimals: Int = 3, sharedScale: Bool = false) {
        self.sharedScale = sharedScale
        self.title = title
        self.subtitle = subtitle
        self.series = series
        self.groups = groups
        self.decimals = decimals
    }

    /// Distinct colours that stay apart for colour-blind readers (Okabe-Ito, then three of
    /// Paul Tol's muted set, so the ablation's ten runs do not repeat a colour).
    public static let palette: [UInt32] = [0x0072B2, 0xE69F00, 0x009E73, 0xCC79A7, 0x56B4E9, 0xD55E00, 0xF0E442, 0x000000,
                                           0x882255, 0x999933, 0x888888]

    public func render() -> Picture {
        let barWidth = series.count <= 2 ? 60 : 34, gap = 8, groupGap = 56, left = 56, top = 110, plotHeight = 300
        let groupWidth = max(series.count * barWidth + (series.count - 1) * gap, 110)
        let shared = groups.flatMap { $0.values.compactMap { $0.map { $0.mean + $0.std } } }.max() ?? 1
        let legendHeight = 30 * ((series.count + 2) / 3)
        let width = max(left * 2 + groups.count * groupWidth + (groups.count - 1) * groupGap, 720)
        let height = top + plotHeight + 70 + legendHeight
        let picture = Picture(width: width, height: height)
        picture.text(title, x: left, y: 14, scale: 3)
        picture.text(subtitle, x: left, y: 46, scale: 2, colour: 0x606060)
        let baseline = top + plotHeight
        for (g, group) in groups.enumerated() {
            let groupX = left + g * (groupWidth + groupGap)
            let top = sharedScale ? shared : group.values.compactMap { $0.map { $0.mean + $0.std } }.max() ?? 1
            let scale = top > 0 ? Self.niceCeiling(top) : 1  // all values ≤ 0 (e.g. CC): a unit axis
            let x0 = groupX + (groupWidth - (series.count * barWidth + (series.count - 1) * gap)) / 2
            // Axis: baseline and the group's top tick.
            picture.rect(x: groupX - 4, y: baseline, width: groupWidth + 8, height: 2, colour: 0x404040)
            picture.line(groupX - 4, baseline, groupX - 4, baseline - plotHeight, colour: 0xC0C0C0)
            picture.rightText(Self.format(scale, decimals: decimals), right: groupX - 8, y: baseline - plotHeight - 3, scale: 1, colour: 0x808080)
            picture.rect(x: groupX - 8, y: baseline - plotHeight, width: 8, height: 1, colour: 0x808080)
            for (s, value) in group.values.enumerated() {
                let x = x0 + s * (barWidth + gap)
                guard let value else {
                    picture.centredText("N/A", centreX: x + barWidth / 2, y: baseline - 16, scale: 1, colour: 0x808080)
                    continue
                }
                let h = Int((min(max(value.mean, 0), scale) / scale * Double(plotHeight)).rounded())
                let colour = Self.palette[s % Self.palette.count]
                picture.rect(x: x, y: baseline - h, width: barWidth, height: h, colour: colour)
                // Error bar: mean ± std, with caps.
                // Bars and error bars are clipped to the plot (a negative mean, e.g. a CC below 0,
                // draws no bar; its value is still printed).
                func y(_ v: Double) -> Int { baseline - Int((min(max(v, 0), scale) / scale * Double(plotHeight)).rounded()) }
                let hi = y(value.mean + value.std), lo = y(value.mean - value.std)
                let centre = x + barWidth / 2
                picture.line(centre, lo, centre, hi, colour: 0x000000, thickness: 2)
                picture.rect(x: centre - 7, y: hi - 1, width: 14, height: 2, colour: 0x000000)
                picture.rect(x: centre - 7, y: lo - 1, width: 14, height: 2, colour: 0x000000)
                picture.centredText(Self.format(value.mean, decimals: decimals), centreX: centre, y: hi - 14, scale: 1, colour: 0x202020)
            }
            let centre = x0 + (series.count * barWidth + (series.count - 1) * gap) / 2
            let scaleText = Picture.textWidth(group.title, scale: 2) <= groupWidth + groupGap - 8 ? 2 : 1
            picture.centredText(group.title, centreX: centre, y: baseline + 12, scale: scaleText)
            if group.lowerIsBetter { picture.centredText("LOWER IS BETTER", centreX: centre, y: baseline + 30, scale: 1, colour: 0x606060) }
        }
        // Legend.
        for (s, name) in series.enumerated() {
            let x = left + (s % 3) * 300, y = baseline + 50 + (s / 3) * 30
            picture.rect(x: x, y: y, width: 22, height: 16, colour: Self.palette[s % Self.palette.count])
            picture.text(name, x: x + 30, y: y + 1, scale: 2)
        }
        return picture
    }

    /// The smallest of 1, 2, 2.5, 5 × 10^k at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * power >= value * (1 - 1e-12) { return step * power }
        return 10 * power
    }

    static func format(_ value: Double, decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
}
