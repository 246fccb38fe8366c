import Foundation

/// A progress bar on stderr for long steps: redrawn in place on a terminal, one line per
/// 10 % otherwise (logs stay short). Shows done/total, rate and time left.
public final class ProgressBar {
    public let label: String
    public let total: Int
    private let start = Date()
    private var lastDecile = -1
    private let interactive = isatty(STDERR_FILENO) != 0

    public init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    public func update(_ done: Int, note: String = "") {
        let fraction = min(Double(done) / Double(total), 1)
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        let line = String(format: "%@ [%@] %3.0f%% %d/%d %.1f/s left %@ %@", label, bar, fraction * 100, done, total, rate,
                          Self.clock(left), note)
        if interactive {
            FileHandle.standardError.write(Data(("\r" + line + (done >= total ? "\n" : "")).utf8))
        } else {
            let decile = Int(fraction * 10)
            if decile != lastDecile || done >= total {
                lastDecile = decile
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
