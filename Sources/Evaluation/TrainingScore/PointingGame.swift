import Foundation
import MediaFormats
import Platform
import Training

/// The pointing game on held-out speech windows that name an anatomy: a hit when the map's
/// maximum cell, mapped back to the original frame, lies inside the mask of the anatomy
/// being named (ground truth from the session's labels.jsonl, read only here). Chance is the
/// fraction of map cells whose centres fall inside that mask (a uniformly random cell).
///
/// Which anatomy a window names comes from the ground truth too: the sonographer's words
/// in the session's transcript.vtt whose midpoint lies in the clip's 0.6 s window, matched
/// against the keyword dictionary (windows naming two different anatomies are skipped; the
/// recognised words, with their misses, only shape training). The window's frame is the
/// labelled frame nearest the clip's centre time. Cell (x, y) of an h×w map covers the 224×224 centre
/// crop of the frame resized to 256×256; its centre maps to original pixel
/// ((16 + (x + ½)·224/w)·W/256, (16 + (y + ½)·224/h)·H/256).
public struct PointingGame {
    public struct Trial: Sendable {
        public var clip: Int
        public var anatomy: String
        public var hit: Bool
        public var chance: Double
        /// Argmax cell and the map itself (for galleries).
        public var cell: Int
    }

    public struct Result: Sendable {
        public var trials: [Trial] = []
        /// Windows that name an anatomy not drawn in the frame (not counted).
        public var notVisible = 0
        public var ambiguous = 0
        public var accuracy: Double { trials.isEmpty ? 0 : Double(trials.filter(\.hit).count) / Double(trials.count) }
        public var chance: Double { trials.isEmpty ? 0 : trials.map(\.chance).reduce(0, +) / Double(trials.count) }
        public var perAnatomy: [(name: String, trials: Int, hits: Int, chance: Double)] {
            Dictionary(grouping: trials, by: \.anatomy).map { name, list in
                (name, list.count, list.filter(\.hit).count, list.map(\.chance).reduce(0, +) / Double(list.count))
            }.sorted { $0.name < $1.name }
        }

        /// Markdown table (overall, then per anatomy).
        public func table(title: String) -> String {
            var lines = ["| \(title) | windows | pointing | chance |", "|---|---:|---:|---:|"]
            lines.append("| all | \(trials.count) | \(percent(accuracy)) | \(percent(chance)) |")
            for row in perAnatomy {
                lines.append("| \(row.name) | \(row.trials) | \(percent(Double(row.hits) / Double(row.trials))) | \(percent(row.chance)) |")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// A window to score: clip index and the canonical anatomy it names, with its mask.
    public struct Window: Sendable {
        public var clip: Int
        public var anatomy: String
        public var mask: [UInt8]
        public var frameWidth: Int
        public var frameHeight: Int
    }

    /// The phantom generator's voice tag for the sonographer in transcript.vtt.
    public static let sonographer = "sonographer"
    public static let halfWindow = 0.3

    /// Finds the windows of `dataset` that name exactly one anatomy and have its mask in
    /// the labelled frame nearest their time. `sessionsRoot/NAME` holds labels.jsonl and session.json.
    public static func windows(dataset: PreparedDataset, keywords: KeywordDictionary, sessionsRoot: String,
                               result: inout Result) throws -> [Window] {
        var labels = [Int: (manifest: SessionManifest, frames: [FrameLabel], words: [TranscriptCue])]()
        var windows = [Window]()
        for (index, clip) in dataset.clips.enumerated() {
            if labels[clip.session] == nil {
                let folder = sessionsRoot + "/" + dataset.sessionNames[clip.session]
                let manifestBytes = try FileIO.readAll(folder + "/session.json")
                let manifest = try JSONDecoder().decode(SessionManifest.self, from: Data(manifestBytes))
                let cues = try WebVTT.read(folder + "/transcript.vtt").filter { $0.speaker == sonographer }
                labels[clip.session] = (manifest, try LabelsFile.read(folder + "/labels.jsonl"), cues)
            }
            let (manifest, frames, cues) = labels[clip.session]!
            let heard = cues.filter { abs(($0.start + $0.end) / 2 - clip.time) <= halfWindow }
                .flatMap { $0.text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init) }
            let named = Set(keywords.match(heard).compactMap { $0 })
            if named.isEmpty { continue }
            if named.count > 1 { result.ambiguous += 1; continue }
            let anatomy = named.first!
            guard !frames.isEmpty else { continue }
            let frameIndex = min(max(Int((clip.time * manifest.fps).rounded()), 0), frames.count - 1)
            let label = frames[frameIndex]
            let spoken = String(anatomy.map { $0 == " " ? "_" : $0 })
            guard let region = label.anatomy.first(where: { $0.name == anatomy || $0.name == spoken }) else {
                result.notVisible += 1
                continue
            }
            var mask = [UInt8](repeating: 0, count: manifest.frameWidth * manifest.frameHeight)
            mask.withUnsafeMutableBufferPointer {
                PolygonMask.fill(region.polygon, width: manifest.frameWidth, height: manifest.frameHeight, value: 1, into: $0)
            }
            windows.append(Window(clip: index, anatomy: anatomy, mask: mask, frameWidth: manifest.frameWidth, frameHeight: manifest.frameHeight))
        }
        return windows
    }

    /// Original-frame pixel of cell `cell` of a side×side map whose cells start at crop x = y =
    /// `cellOrigin` (`CellCentres.firstEdge`; 0: the even division of the crop).
    public static func pixel(cell: Int, side: Int, frameWidth: Int, frameHeight: Int, resize: Int = 256, crop: Int = 224,
                             cellOrigin: Double = 0) -> (x: Int, y: Int) {
        let margin = Double(resize - crop) / 2 + cellOrigin
        let cx = margin + (Double(cell % side) + 0.5) * Double(crop) / Double(side)
        let cy = margin + (Double(cell / side) + 0.5) * Double(crop) / Double(side)
        return (min(Int(cx * Double(frameWidth) / Double(resize)), frameWidth - 1), min(Int(cy * Double(frameHeight) / Double(resize)), frameHeight - 1))
    }

    /// Scores one window given its map [side*side].
    public static func score(_ window: Window, map: [Float], side: Int, cellOrigin: Double = 0) -> Trial {
        var best = 0
        for cell in 1..<map.count where map[cell] > map[best] { best = cell }
        func inside(_ cell: Int) -> Bool {
            let p = pixel(cell: cell, side: side, frameWidth: window.frameWidth, frameHeight: window.frameHeight, cellOrigin: cellOrigin)
            return window.mask[p.y * window.frameWidth + p.x] != 0
        }
        let chance = Double((0..<map.count).filter(inside).count) / Double(map.count)
        return Trial(clip: window.clip, anatomy: window.anatomy, hit: inside(best), chance: chance, cell: best)
    }
}

private func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
