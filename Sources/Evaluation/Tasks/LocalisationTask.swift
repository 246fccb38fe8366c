import AudioFrontEnd
import Foundation
import InferenceEngine
import MediaFormats
import NeuralCore
import Platform
import ShowTellModel

/// Audio-guided localisation (Figure 7): for moments when the sonographer speaks, the
/// bundle's map (the audio embedding of the 0.6 s window centred on the frame against each
/// cell of the video map, by the rule the manifest's `outputs.localisation` names: what the
/// appliance draws, the fusion's per-cell logit for trained bundles, cosine otherwise) is
/// compared with
/// - the gaze (KL, CC, SIM, Comp; `GazeSaliency` ground truth at map resolution), and
/// - the spoken structure's mask (pointing game, cIoU, AUC; `MaskRaster`),
/// separately for speech that names anatomy and speech that does not (Figure 7b). The map
/// is min-max normalised before scoring (KL and SIM need a non-negative map; CC, Comp,
/// pointing and cIoU do not change). Each scan's samples are a JSON file in the work folder,
/// so a killed run resumes at the next scan. With `embeddings`, each scan also keeps what its
/// maps were made from (`scan-NAME.safetensors`: audio [n, D], video [n, D, H, W], the scored
/// structure's coverage mask [n, H, W], zeros when none; in the order of the JSON's samples),
/// so a map rule or probe can be tried offline (`models/tools/localise_bottleneck.py`).
public final class LocalisationTask {
    public struct Settings: Codable, Sendable, Equatable {
        /// Seconds between sampled moments (only moments with sonographer speech count).
        public var every = 0.25
        public var threads = 2
        /// The control: each moment's map is made with the audio of another moment of the
        /// same scan (half the moments away). A model that listens scores lower with it; one
        /// that ignores the audio (a fixed spatial prior) scores the same.
        public var mismatchedAudio = false
        public init() {}
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            every = try c.decode(Double.self, forKey: .every)
            threads = try c.decode(Int.self, forKey: .threads)
            mismatchedAudio = try c.decodeIfPresent(Bool.self, forKey: .mismatchedAudio) ?? false
        }
    }

    /// The grid every map's pointing is also judged on: the 14x14 map of the 224 px crop at
    /// output stride 16 (cells of 40x30 screen px), on which the 75 % target was set. A
    /// 28x28 map's peak counts there when its 2x2 block touches the mask.
    public static let referenceGrid = 14

    public enum Category: String, Codable, Sendable, CaseIterable {
        case anatomy = "names anatomy"
        case other = "does not name anatomy"
    }

    public struct Sample: Codable, Sendable {
        public var scan: String
        public var time: Double
        public var frame: Int
        public var words: String
        public var named: [String]
        public var category: Category
        /// The named structure whose mask is scored (present on this frame), if any.
        public var structure: String?
        /// The min-max normalised map, row-major.
        public var map: [Double]
        public var kl, cc, sim, comp, pointing, ciou: Double?
        /// The pointing game on the `referenceGrid` (nil when the map's side is not a multiple of
        /// it, and in results written before it was recorded).
        public var gridPointing: Double?
        /// The pointing game with the literature's 15-pixel tolerance on the screen, no grid
        /// (`LocalisationMetrics.standardTolerance`); nil in results written before it was recorded.
        public var standardPointing: Double?
        /// Why a metric is missing ("no fixations in the window", "named structure not on screen").
        public var skipped: [String]
        /// The bundle's "about anatomy?" probability for this moment's audio (nil: no head).
        public var relevance: Double?
    }

    /// The relevance head judged over all moments against the ground truth (does the
    /// sonographer's speech in the window name an anatomy?).
    public struct RelevanceScores: Codable, Sendable {
        public var threshold: Double
        public var moments: Int
        /// Share of moments that name anatomy (a head that always says yes has this precision).
        public var baseRate: Double
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Threshold-free: the chance that a moment naming anatomy scores above one that does
        /// not (ties count half); 0.5 is a head that cannot tell them apart.
        public var auc: Double?

        init?(_ samples: [Sample], threshold: Double) {
            let judged = samples.filter { $0.relevance != nil }
            guard !judged.isEmpty else { return nil }
            let positive = judged.filter { $0.category == .anatomy }.count
            let flagged = judged.filter { $0.relevance! >= threshold }
            let hits = flagged.filter { $0.category == .anatomy }.count
            self.threshold = threshold
            moments = judged.count
            baseRate = Double(positive) / Double(judged.count)
            precision = flagged.isEmpty ? 0 : Double(hits) / Double(flagged.count)
            recall = positive == 0 ? 0 : Double(hits) / Double(positive)
            f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            auc = RelevanceHead.areaUnderCurve(positives: judged.filter { $0.category == .anatomy }.map { $0.relevance! },
                                               negatives: judged.filter { $0.category != .anatomy }.map { $0.relevance! })
        }
    }

    public struct Scores: Codable, Sendable {
        public var samples: Int
        public var kl, cc, sim, comp, pointing: MeanStd?
        /// Pointing on the `referenceGrid`, comparable across output strides.
        public var gridPointing: MeanStd?
        /// The pointing game within 15 screen pixels of the peak, comparable across strides and with the literature.
        public var standardPointing: MeanStd?
        public var ciou: LocalisationMetrics.Summary?
        public var skipped: [String: Int]
    }

    public struct Result: Codable, Sendable {
        public var name: String
        public var bundle: String
        public var trained: Bool
        /// The map rule scored (`Localisation.Kind`'s description); nil in results written
        /// before it was recorded (those scored cosine).
        public var localisation: String?
        public var settings: Settings
        public var scans: [String]
        public var scores: [String: Scores]
        public var seconds: Double
        /// nil for a bundle without a relevance head (and in results written before it).
        public var relevance: RelevanceScores?
        /// Crop x where the map's cell 0 started (`ScreenGeometry.cellOrigin`); nil in results
        /// written before the forty-second session, which scored the even division (0).
        public var cellOrigin: Double?
    }

    let sessions: [String]
    let bundleDirectory: String
    let settings: Settings
    let work: String
    let name: String
    let embeddings: Bool

    public init(sessions: [String], bundle: String, settings: Settings, work: String, name: String, embeddings: Bool = false) {
        self.sessions = sessions
        self.embeddings = embeddings
        bundleDirectory = bundle
        self.settings = settings
        self.work = work
        self.name = name
    }

    /// What a work folder's results were made with.
    struct WorkIdentity: Codable, Equatable {
        var settings: Settings
        var bundle: String
        /// Where the cells were placed (nil in folders of earlier builds: their scans are not reused).
        var cellOrigin: Double?
    }

    public func run() throws -> (Result, [Sample]) {
        let start = Date()
        try FileIO.makeDirectories(work)
        // Either precision: int8 bundles are judged like float ones (issue 10's accuracy check).
        let (manifest, inference) = try LoadedBundle.load(directory: bundleDirectory, threads: settings.threads)
        // Finished scans are reused only by a run with the same settings, bundle and cell placement
        // (compared by value; a folder whose settings.json is unreadable is refused the same way).
        let identity = WorkIdentity(settings: settings, bundle: bundleDirectory, cellOrigin: ScreenGeometry.cellOrigin(of: inference))
        let identityPath = work + "/settings.json"
        if FileIO.exists(identityPath), (try? JSONDecoder().decode(WorkIdentity.self, from: Data(FileIO.readAll(identityPath)))) != identity {
            throw EvaluationError("\(work) holds results made with other settings, another bundle or an earlier build's cell placement (\(identityPath)); give another --name or delete the folder")
        }
        try FileIO.writeAtomically(identityPath, Array(try JSONEncoder.sorted.encode(identity)))
        let kind = Localisation.kind(described: manifest.outputs?.localisation)
        var all: [Sample] = []
        for directory in sessions {
            let scan = (directory as NSString).lastPathComponent
            let path = work + "/scan-\(scan).json", embeddingsPath = work + "/scan-\(scan).safetensors"
            if FileIO.exists(path), !embeddings || FileIO.exists(embeddingsPath) {
                all += try JSONDecoder().decode([Sample].self, from: Data(try FileIO.readAll(path)))
                FileHandle.standardError.write(Data("\(name) \(scan): done before (\(path))\n".utf8))
                continue
            }
            var kept = embeddings ? SafeTensorsWriter() : nil
            let samples = try evaluate(EvaluationSession(directory: directory), inference: inference, kind: kind,
                                       relevance: manifest.outputs?.relevance, embeddings: &kept)
            if var kept {
                kept.metadata = ["bundle": bundleDirectory, "localisation": kind.rawValue,
                                 "audio": settings.mismatchedAudio ? "the embedding each map was made with: another moment's (control run)" : "each moment's own embedding"]
                try kept.write(path: embeddingsPath)
            }
            try FileIO.writeAtomically(path, Array(try JSONEncoder.sorted.encode(samples)))
            all += samples
        }
        var scores: [String: Scores] = [:]
        for category in Category.allCases { scores[category.rawValue] = try Self.score(all.filter { $0.category == category }) }
        let result = Result(name: name, bundle: bundleDirectory, trained: manifest.trained, localisation: kind.rawValue, settings: settings,
                            scans: sessions.map { ($0 as NSString).lastPathComponent }, scores: scores,
                            seconds: Date().timeIntervalSince(start),
                            relevance: manifest.outputs?.relevance.flatMap { RelevanceScores(all, threshold: Double($0.threshold)) },
                            cellOrigin: ScreenGeometry.cellOrigin(of: inference))
        try FileIO.writeAtomically(work + "/result.json", Array(try JSONEncoder.sorted.encode(result)))
        return (result, all)
    }

    static func score(_ samples: [Sample]) throws -> Scores {
        func stat(_ values: [Double?]) throws -> MeanStd? {
            let present = values.compactMap { $0 }
            return present.isEmpty ? nil : try MeanStd(present)
        }
        var skipped: [String: Int] = [:]
        for sample in samples { for reason in sample.skipped { skipped[reason, default: 0] += 1 } }
        let cious = samples.compactMap(\.ciou)
        return Scores(samples: samples.count, kl: try stat(samples.map(\.kl)), cc: try stat(samples.map(\.cc)),
                      sim: try stat(samples.map(\.sim)), comp: try stat(samples.map(\.comp)),
                      pointing: try stat(samples.map(\.pointing)), gridPointing: try stat(samples.map(\.gridPointing)),
                      standardPointing: try stat(samples.map(\.standardPointing)),
                      ciou: cious.isEmpty ? nil : try LocalisationMetrics.summarise(cious), skipped: skipped)
    }

    /// `embeddings` (when not nil) receives the audio embedding and video map of every sample.
    func evaluate(_ session: EvaluationSession, inference: any ShowTellBranches, kind: Localisation.Kind,
                  relevance: RelevanceHead? = nil, embeddings: inout SafeTensorsWriter?) throws -> [Sample] {
        let half = GazeSaliency.window
        let geometry = ScreenGeometry(screenWidth: session.frameWidth, screenHeight: session.frameHeight, model: inference)
        // Moments with the sonographer speaking in the window.
        var times: [Double] = []
        var t = half
        while t + half <= session.duration {
            if session.words(from: t - half, to: t + half).contains(where: { $0.speaker == EvaluationSession.sonographer }) { times.append(t) }
            t += settings.every
        }
        // Pass 1: the audio embedding of every moment's window (the front-end streams forward).
        let maps = MomentMaps(inference: inference, kind: kind, relevance: relevance)
        let heard = try maps.audioEmbeddings(session.recorded.audio, at: times)
        // Pass 2: each moment's frame, its map with that audio (or another moment's: the
        // control), and the scores.
        var image = Image8(width: session.frameWidth, height: session.frameHeight, channels: 1)
        let progress = ProgressBar("\(name) \(session.name)", total: heard.count)
        // Show a masked bundle the frame 0.2 s before the first moment, so no moment is judged unmasked.
        if let first = heard.first {
            try session.recorded.video.decodeFrame(max(0, session.frameIndex(at: first.time - 0.2)), into: &image)
            maps.watch(image)
        }
        var samples: [Sample] = []
        let d = inference.embeddingDimension, cells = inference.mapWidth * inference.mapHeight
        var keptAudio: [Float] = [], keptVideo: [Float] = [], keptMask: [Float] = []
        if embeddings != nil {
            keptAudio.reserveCapacity(heard.count * d)
            keptVideo.reserveCapacity(heard.count * d * cells)
            keptMask.reserveCapacity(heard.count * cells)
        }
        for (k, (time, _, _)) in heard.enumerated() {
            let audio = heard[settings.mismatchedAudio ? (k + heard.count / 2) % heard.count : k].audio
            let index = session.frameIndex(at: time)
            try session.recorded.video.decodeFrame(index, into: &image)
            let map = maps.map(image, audio: audio)
            let words = session.words(from: time - half, to: time + half).filter { $0.speaker == EvaluationSession.sonographer }
            let named = EvaluationSession.namedAnatomy(in: words)
            var sample = Sample(scan: session.name, time: time, frame: index, words: words.map(\.text).joined(separator: " "),
                                named: named, category: named.isEmpty ? .other : .anatomy, structure: nil, map: map.values,
                                kl: nil, cc: nil, sim: nil, comp: nil, pointing: nil, ciou: nil, skipped: [],
                                relevance: maps.relevance(audio))
            let fixations = GazeSaliency.fixations(session.labels, around: time)
            Self.scoreGaze(&sample, map: map, density: GazeSaliency.density(fixations, geometry: geometry))
            if !named.isEmpty { Self.scoreMask(&sample, map: map, regions: session.labels[index].anatomy, geometry: geometry) }
            if embeddings != nil {
                keptAudio += audio
                keptVideo += maps.video
                if let structure = sample.structure {
                    let regions = session.labels[index].anatomy.filter { $0.name == structure }
                    keptMask += MaskRaster.coverage(regions.map(\.polygon), geometry: geometry).values.map { Float($0) }
                } else {
                    keptMask += repeatElement(0, count: cells)
                }
            }
            samples.append(sample)
            progress.update(k + 1)
        }
        embeddings?.add("audio", shape: [heard.count, d], floats: keptAudio)
        embeddings?.add("video", shape: [heard.count, d, inference.mapHeight, inference.mapWidth], floats: keptVideo)
        embeddings?.add("mask", shape: [heard.count, inference.mapHeight, inference.mapWidth], floats: keptMask)
        return samples
    }

    static func scoreGaze(_ sample: inout Sample, map: GridMap, density: GridMap) {
        do throws(MetricError) {
            sample.kl = try SaliencyMetrics.kl(prediction: map, density: density)
            sample.cc = try SaliencyMetrics.cc(prediction: map, density: density)
            sample.sim = try SaliencyMetrics.sim(prediction: map, density: density)
            sample.comp = try Compactness.comp(prediction: map, density: density)
        } catch {
            sample.skipped.append("gaze: \(error.reason.rawValue)")
        }
    }

    /// The first named structure that is on this frame is the one scored (all of its
    /// polygons: a structure may be labelled in parts).
    static func scoreMask(_ sample: inout Sample, map: GridMap, regions: [AnatomyRegion], geometry: ScreenGeometry) {
        guard let name = sample.named.first(where: { n in regions.contains { $0.name == n } }) else {
            sample.skipped.append("mask: named structure not on screen")
            return
        }
        sample.structure = name
        let polygons = regions.filter { $0.name == name }.map(\.polygon)
        let coverage = MaskRaster.coverage(polygons, geometry: geometry)
        do throws(MetricError) {
            sample.pointing = try LocalisationMetrics.pointingGame(prediction: map, coverage: coverage)
            sample.standardPointing = try LocalisationMetrics.pointingGame(prediction: map, screenMask: MaskRaster.screen(polygons, geometry: geometry), geometry: geometry)
            if map.width % referenceGrid == 0, map.height % referenceGrid == 0 {
                sample.gridPointing = try LocalisationMetrics.pointingGame(prediction: map, coverage: coverage, grid: referenceGrid)
            }
            sample.ciou = try LocalisationMetrics.ciou(prediction: map, mask: MaskRaster.binary(coverage))
        } catch {
            sample.skipped.append("mask: \(error.reason.rawValue)")
        }
    }
}
