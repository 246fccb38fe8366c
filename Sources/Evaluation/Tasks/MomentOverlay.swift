import Foundation
import GroundTruth
import InferenceEngine
import MediaFormats
import ShowTellModel

/// `showtell localise`: what the box would have drawn at chosen moments of a recording, as
/// a picture a person can look at: the frame, the bundle's heatmap, and, when the session
/// has ground truth, the named structure's outline, the gaze and the words spoken (with
/// the pointing game's verdict). Works on any recorded session (video.avi + audio.wav).
public enum MomentOverlay {
    public struct Moment: Sendable {
        public var time: Double
        public var frame: Int
        /// Words spoken in the 0.6 s window ("" without a transcript).
        public var words: String
        /// Anatomy the sonographer names in the window (ground truth; empty without it).
        public var named: [String]
        /// The first named structure on screen, if any.
        public var structure: String?
        /// Pointing game for that structure: 1 hit, 0 miss, a fraction on ties; nil if not judged.
        public var pointing: Double?
        /// The bundle's p(speech is about anatomy), nil without a relevance head.
        public var relevance: Double?
        /// Share of the map's peak cell that the judged structure covers (1: wholly inside;
        /// the pointing game counts any overlap as a hit); nil if not judged.
        public var peakCellInside: Double?
        /// How clearly the map's peak is on the structure: (peak - highest cell not touching the
        /// structure) / (map maximum - minimum); 0 when the peak cell does not touch it. A moment
        /// with a small margin can flip with a slightly different frame or audio window.
        public var margin: Double?
        /// The window's speech fraction (the box shows heat only at `loop` speechThreshold 0.3 or more).
        public var speech: Double
        /// Centre of the map's peak cell, in the recording's frame pixels.
        public var peak: (x: Double, y: Double)?
        /// Every map cell, row by row: its centre in the recording's frame pixels and its value.
        public var cells: [(x: Double, y: Double, value: Double)] = []
    }

    /// Frames a masked bundle watches before each moment (about 2.4 s at 25 fps: the live-image
    /// tracker's running mean spans about 60 frames).
    static let primingFrames = 60

    /// `audioOffset` moves the audio window against the frame (seconds; positive: later audio),
    /// to see how a map depends on audio and video arriving out of step.
    public static func render(session directory: String, bundle: String, times: [Double], out: String,
                              threads: Int = 1, audioOffset: Double = 0) throws -> [Moment] {
        guard !times.isEmpty else { throw EvaluationError("give at least one --at time (seconds into the recording)") }
        let recorded = try SessionFolder(path: directory).open()
        let manifest = recorded.manifest
        let half = GazeSaliency.window
        for time in times where !(time + audioOffset >= half && time + audioOffset + half <= manifest.duration && time >= 0) {
            throw EvaluationError("--at \(time) is outside the recording: a 0.6 s window centred there"
                                  + (audioOffset == 0 ? "" : String(format: " (moved by the audio offset %.2f s)", audioOffset))
                                  + " needs a time between " + String(format: "%.2f", max(0, half - audioOffset)) + " and "
                                  + String(format: "%.2f", manifest.duration - half - audioOffset) + " s (\(directory) lasts "
                                  + String(format: "%.2f", manifest.duration) + " s)")
        }
        let truth = manifest.hasLabels && manifest.hasTranscript ? try SessionTruth.read(directory: directory) : nil
        let (bundleManifest, inference) = try LoadedBundle.load(directory: bundle, threads: threads)
        let head = bundleManifest.outputs?.relevance
        let maps = MomentMaps(inference: inference, kind: Localisation.kind(described: bundleManifest.outputs?.localisation), relevance: head)
        let ordered = times.sorted()
        let heard = try maps.audioEmbeddings(recorded.audio, at: ordered.map { $0 + audioOffset }).map { (time: $0.time - audioOffset, audio: $0.audio, speech: $0.speech) }
        let geometry = ScreenGeometry(screenWidth: manifest.frameWidth, screenHeight: manifest.frameHeight, model: inference)
        var image = Image8(width: manifest.frameWidth, height: manifest.frameHeight, channels: 1)
        var moments: [Moment] = []
        var tiles: [HeatmapGallery.Tile] = []
        for (time, audio, speech) in heard {
            let index = min(max(Int((time * manifest.fps).rounded(.down)), 0), manifest.frameCount - 1)
            for earlier in max(0, index - primingFrames)..<index {
                try recorded.video.decodeFrame(earlier, into: &image)
                maps.watch(image)
            }
            try recorded.video.decodeFrame(index, into: &image)
            let map = maps.map(image, audio: audio)
            var moment = Moment(time: time, frame: index, words: "", named: [], structure: nil, pointing: nil,
                                relevance: maps.relevance(audio), speech: speech)
            moment.cells = map.values.indices.map { cell in
                let centre = geometry.screenCentre(column: cell % geometry.mapSize, row: cell / geometry.mapSize)
                return (centre.x, centre.y, map.values[cell])
            }
            let top = map.values.indices.max(by: { map.values[$0] < map.values[$1] })  // the peak cell
            if let top { moment.peak = (moment.cells[top].x, moment.cells[top].y) }
            var outlines: [[[Double]]] = [], fixations: [GazeSaliency.Fixation] = []
            var caption = String(format: "%.2f S", time)
            if let truth {
                let heardAt = time + audioOffset  // the words in the audio window the map was computed from
                let spoken = truth.words.filter { $0.end > heardAt - half && $0.start < heardAt + half }
                moment.words = spoken.map { $0.speaker == SessionTruth.sonographer || $0.speaker.isEmpty ? $0.text : "[\($0.speaker)] \($0.text)" }
                    .joined(separator: " ")
                moment.named = EvaluationSession.namedAnatomy(in: spoken.filter { $0.speaker == SessionTruth.sonographer }
                    .map { .init(start: $0.start, end: $0.end, speaker: $0.speaker, text: $0.text) })
                var sample = LocalisationTask.Sample(scan: "", time: time, frame: index, words: moment.words, named: moment.named,
                                                     category: moment.named.isEmpty ? .other : .anatomy, structure: nil, map: map.values,
                                                     kl: nil, cc: nil, sim: nil, comp: nil, pointing: nil, ciou: nil, skipped: [], relevance: nil)
                if !moment.named.isEmpty {
                    LocalisationTask.scoreMask(&sample, map: map, regions: truth.frames[index].anatomy, geometry: geometry)
                }
                moment.structure = sample.structure
                moment.pointing = sample.pointing
                outlines = truth.frames[index].anatomy.filter { $0.name == sample.structure }.map(\.polygon)
                if sample.pointing != nil, let peak = top {
                    let coverage = MaskRaster.coverage(outlines, geometry: geometry).values
                    moment.peakCellInside = coverage[peak]
                    moment.margin = margin(map.values, peak: peak, coverage: coverage)
                }
                fixations = GazeSaliency.fixations(truth.frames, around: time)
                caption += moment.named.isEmpty ? "  NO ANATOMY NAMED" : "  NAMED: \(moment.named.joined(separator: ","))"
                if let p = moment.pointing { caption += p >= 1 ? "  HIT" : p > 0 ? String(format: "  POINT %.2f", p) : "  MISS" }
            } else {
                caption += "  (NO GROUND TRUTH)"
            }
            // The head's verdict: below its threshold the box would not show this map.
            if let p = moment.relevance, let head { caption += String(format: "  P %.2f%@", p, p >= Double(head.threshold) ? "" : " HIDDEN") }
            moments.append(moment)
            tiles.append(.init(frame: image, map: map, fixations: fixations, outlines: outlines,
                               words: truth == nil ? "(no transcript in this session)" : moment.words, caption: caption))
        }
        let name = (directory as NSString).lastPathComponent
        let gallery = HeatmapGallery(
            title: "LOCALISE: \(name.uppercased())" + (bundleManifest.trained ? "" : " (UNTRAINED MODEL)"),
            subtitle: "MODEL \((bundle as NSString).lastPathComponent.uppercased()) (\(inference.precision.uppercased())). "
                + (truth == nil ? "HEAT: MODEL MAP." : "HEAT: MODEL MAP. CYAN: GAZE. GREEN: NAMED STRUCTURE."),
            geometry: geometry, tiles: tiles, columns: min(3, tiles.count))
        try gallery.render().writePNG(out)
        return moments
    }

    /// (peak - highest cell the structure does not touch) / (max - min) of the map.
    static func margin(_ values: [Double], peak: Int, coverage: [Double]) -> Double? {
        guard let low = values.min(), values[peak] > low else { return nil }
        let off = zip(values, coverage).filter { $0.1 == 0 }.map(\.0).max() ?? low
        return (values[peak] - off) / (values[peak] - low)
    }
}
