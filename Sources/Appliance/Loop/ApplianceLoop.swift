import AudioFrontEnd
import Capture
import ControlPlane
import Display
import Glibc
import Platform
import ShowTellModel

/// The appliance's one real-time loop (DESIGN.md §2): newest frame in, its audio window
/// aligned, audio branch every hop, video branch every frame (or every other when behind),
/// heatmap gated by speech, composed and presented. Everything is allocated in `init`;
/// `step` allocates nothing, takes no lock and does not log.
public final class ApplianceLoop {
    /// The keys under `[loop]` come from the configuration, which owns their defaults (an
    /// `ApplianceConfig()` gives the daemon's); the rest are fixed tuning.
    public struct Settings: Sendable {
        public var audioHopMilliseconds: Int
        /// Peak opacity of the heatmap while speech is heard.
        public var heatmapAlpha: Float
        /// Without frames for this long the screen says NO SIGNAL.
        public var stallMilliseconds = 1_000
        /// Fraction of the 0.6 s window that must be speech for the overlay to show.
        public var speechThreshold: Float = 0.3
        /// Speaker check: the window's speech must stand this far above the noise floor (dB);
        /// farther voices (parent, colleague) do not drive the heatmap.
        public var nearSpeakerDB: Float
        /// ... and be at most this far below the sonographer's running level (dB; 0: off).
        public var belowSonographerDB: Float
        public var fadeInSeconds: Float = 0.15
        public var fadeOutSeconds: Float = 0.8
        /// Weight of the newest heatmap in the temporal average.
        public var heatSmoothing: Float
        /// Real-time priority of the audio thread (0: normal scheduling).
        public var audioFIFOPriority: Int32 = 0
        /// Centre the 0.6 s audio window on the frame shown (frames are held back 0.3 s);
        /// false: the window ends at the frame (causal, no added latency).
        public var centredWindow: Bool
        /// Let the bundle's relevance head hide the heatmap for speech it says is not about anatomy.
        public var anatomyGate: Bool

        public init(_ loop: ApplianceConfig.Loop = ApplianceConfig().loop) {
            audioHopMilliseconds = loop.audioHopMilliseconds
            heatmapAlpha = Float(loop.heatmapAlpha)
            nearSpeakerDB = Float(loop.speakerMinDB)
            belowSonographerDB = Float(loop.speakerBelowSonographerDB)
            heatSmoothing = Float(1 - loop.smoothing)
            centredWindow = loop.window == .centred
            anatomyGate = loop.anatomyGate
        }
    }

    public let settings: Settings
    /// Written by the loop's thread only; other threads read `telemetry`.
    public private(set) var counters = LoopCounters()
    /// Counters and live values for other threads, published every iteration (atomics):
    /// the metrics' copy, so status, metrics and logs read the same numbers.
    public var telemetry: LoopTelemetry { metrics.loop }
    /// The stages recorded into `metrics`, in this order.
    public static let stageNames = Stage.allCases.map { "\($0)" }

    /// The loop's stages in the order they run; one latency series each in `metrics`,
    /// named after the case (no hand-numbered indices).
    public enum Stage: Int, CaseIterable, Sendable {
        case audio, video, compose, present
    }

    @inline(__always)
    private func record(_ stage: Stage, nanoseconds: Int64) { metrics.recordStage(stage.rawValue, nanoseconds: nanoseconds) }
    /// Per-stage and capture-to-display latency (HDR histograms; the daemon passes the one it
    /// exports, otherwise the loop keeps its own).
    public let metrics: ApplianceMetrics

    private var video: VideoSource
    private let reopenVideo: (() throws -> VideoSource)?
    private let feed: AudioFeed?
    private let frontEnd: SpeechFrontEnd?
    private var model: LocalisationModel?
    private let screen: Screen
    private let compositor = Compositor()
    private var status = StatusLine()

    // Buffers, all allocated once.
    private var frame: UnsafeMutablePointer<UInt8>           // [height][width] newest frame
    private var frameCapacity: Int
    private let delay: FrameDelay?
    private let audioChunk: UnsafeMutablePointer<Float>      // [4800] ring -> front-end
    private let spectrogram: UnsafeMutablePointer<Float>     // [256][256]
    // Sized by the model; reallocated only by `installModel` (between iterations).
    private var audioEmbedding: UnsafeMutablePointer<Float>  // [D]
    private var videoMap: UnsafeMutablePointer<Float>        // [D][h][w]
    private(set) var heat: UnsafeMutablePointer<Float>       // [gridH][gridW] smoothed, full frame
    private var gridWidth = 1, gridHeight = 1, marginX = 0, marginY = 0
    private var heatOffset: (x: Float, y: Float) = (0, 0)
    private var showingNoSignal = false
    /// Losses of sources replaced by a reopen, so `framesDropped` never goes back.
    private var lostBeforeReopen = 0

    private var audioConsumed = 0
    /// Audio (feed-rate samples) cleaned before a window's end: the window and 0.2 s for the
    /// cleaner and resampler to run in.
    private let audioAhead: Int
    private var lastAudioWindow: Int64 = 0
    private var haveAudioEmbedding = false
    private(set) var speaking = false
    /// Speech onsets so far (the gate opening after it was closed): each starts a sentence.
    private var onsets = 0
    private var speakerGate: SonographerGate
    /// The newest speech window is about anatomy (the model's relevance head; true without one).
    private var aboutAnatomy = false
    private var relevance: RelevanceHead?
    private(set) var alpha: Float = 0  // the overlay's opacity (internal: tests)
    /// The sentence (`onsets`) and frame (capture time) of the newest map in `heat`. A map is
    /// blended only with the previous one of the same sentence from at most `heatBlendNanoseconds`
    /// before, and the overlay shows only a map of the present sentence made from a frame at
    /// most `heatShownNanoseconds` older than the one on screen: a new sentence starts from its
    /// own first map, neither averaged with nor showing (while that frame's video pass is
    /// skipped) one from seconds ago, perhaps of another view; and an overloaded box that sheds
    /// pass after pass does not keep one map on a picture that has moved on.
    private var heatOnset = -1
    private var heatTime: Int64 = 0
    static let heatBlendNanoseconds: Int64 = 250_000_000
    static let heatShownNanoseconds: Int64 = 500_000_000
    private var heatOfThisSentence: Bool { heatOnset == onsets }
    private var lastFrameTime: Int64 = 0
    /// Load shedding: when to skip a video pass, and what an audio hop (window + branch) and
    /// the rest of a full iteration cost (EMAs), its prediction of the next iteration.
    private var shedder = LoadShedder()
    private var hopNanoseconds: Float = 0
    private var restNanoseconds: Float = 0
    private var hopThisIteration: Int64 = 0
    private var stalledFor = 0
    private var reopenAt: Int64 = 0
    private var reopenBackoff: Int64 = 500_000_000

    public init(video: VideoSource, reopenVideo: (() throws -> VideoSource)? = nil, audio: AudioSource?, audioThreaded: Bool,
                screen: Screen, model: LocalisationModel?, settings: Settings = Settings(),
                metrics: ApplianceMetrics? = nil) throws {
        precondition(metrics.map { $0.stageNames == Self.stageNames } ?? true, "metrics must have ApplianceLoop.stageNames")
        self.settings = settings
        speakerGate = SonographerGate(minimumAboveNoiseDB: settings.nearSpeakerDB, belowSonographerDB: settings.belowSonographerDB)
        self.metrics = metrics ?? ApplianceMetrics(stageNames: Self.stageNames)
        self.video = video
        self.reopenVideo = reopenVideo
        self.screen = screen
        self.model = model
        if let audio {
            feed = AudioFeed(source: audio, threaded: audioThreaded)
            let frontEnd = try SpeechFrontEnd(inputRate: audio.sampleRate)
            let spec = frontEnd.settings.spectrogram
            self.frontEnd = frontEnd
            audioAhead = spec.windowSamples * audio.sampleRate / spec.sampleRate + audio.sampleRate / 5
        } else {
            feed = nil
            frontEnd = nil
            audioAhead = 0
        }
        frameCapacity = video.width * video.height
        frame = .allocate(capacity: frameCapacity)
        frame.initialize(repeating: 0, count: frameCapacity)
        delay = settings.centredWindow ? FrameDelay(delayNanoseconds: 300_000_000, capacity: frameCapacity) : nil
        audioChunk = .allocate(capacity: 4_800)
        spectrogram = .allocate(capacity: 256 * 256)
        audioEmbedding = .allocate(capacity: 1)
        videoMap = .allocate(capacity: 1)
        heat = .allocate(capacity: 1)
        installModel(model)
        if audio == nil { status.listening = .noMicrophone }
    }

    /// Swaps the model (nil: none; the status bar then shows `missing`, a short fixed
    /// reason such as "NO MODEL: MISSING"). Allocates the model-sized buffers: call it
    /// between iterations on the loop's thread (a reload), never per frame.
    public func installModel(_ model: LocalisationModel?, missing: StaticString = "NO MODEL") {
        self.model = model
        relevance = settings.anatomyGate ? model?.relevance : nil
        audioEmbedding.deallocate(); videoMap.deallocate(); heat.deallocate()
        let d = model?.embeddingDimension ?? 1
        let w = model?.mapWidth ?? 1, h = model?.mapHeight ?? 1
        audioEmbedding = .allocate(capacity: d)
        videoMap = .allocate(capacity: d * w * h)
        videoMap.initialize(repeating: 0, count: d * w * h)
        // The map covers part of the frame (the centre crop): pad it with cold cells, and move
        // the padded grid by the fraction of a cell that is left (cells centred where they look).
        let coverage = model?.mapCoverage ?? (x: 0, y: 0, width: 1, height: 1)
        let cellsX = coverage.x / (coverage.width / Float(w)), cellsY = coverage.y / (coverage.height / Float(h))
        marginX = Int(cellsX.rounded())
        marginY = Int(cellsY.rounded())
        heatOffset = (cellsX - Float(marginX), cellsY - Float(marginY))
        gridWidth = w + 2 * marginX
        gridHeight = h + 2 * marginY
        heat = .allocate(capacity: gridWidth * gridHeight)
        heat.initialize(repeating: 0, count: gridWidth * gridHeight)
        haveAudioEmbedding = false
        heatOnset = -1
        status.warning = model == nil ? missing : (model!.trained ? "" : "UNTRAINED MODEL")
    }

    deinit {
        feed?.stop()
        frame.deallocate(); audioChunk.deallocate(); spectrogram.deallocate()
        audioEmbedding.deallocate(); videoMap.deallocate(); heat.deallocate()
    }

    public var videoSummary: String { video.summary }

    /// Runs until `shouldStop` returns true or a finite source ends.
    public func run(shouldStop: () -> Bool) throws {
        try feed?.start(fifoPriority: settings.audioFIFOPriority)
        defer { feed?.stop() }
        while !shouldStop() {
            if try !step() { break }
        }
    }

    /// One iteration: waits for a frame (or a stall), processes and presents it, then
    /// publishes the counters. Returns false when the source has ended.
    public func step() throws -> Bool {
        defer {
            telemetry.publish(counters, speaking: speaking, noSignal: showingNoSignal,
                              fps: status.fps, latencyMilliseconds: status.latencyMilliseconds)
        }
        return try advance()
    }

    private func advance() throws -> Bool {
        let period = Int32(100)
        let frameStamp: FrameStamp?
        do {
            frameStamp = try video.next(into: frame, timeoutMilliseconds: period)
        } catch {
            frameStamp = nil
            try sourceFailed()
        }
        guard let stamp = frameStamp else {
            // Corrupt frames count while no good one comes (a replay of garbage, a grabber
            // sending broken JPEGs): the bad-frame counter moves during NO SIGNAL too.
            counters.framesDropped = lostBeforeReopen + video.lostFrames
            if video.finished { return false }
            stalledFor += Int(period)
            if stalledFor >= settings.stallMilliseconds {
                if stalledFor - Int(period) < settings.stallMilliseconds { counters.videoStalls += 1 }
                showMessage("NO SIGNAL")
                if reopenVideo != nil && stalledFor >= 3 * settings.stallMilliseconds { try sourceFailed() }
            }
            return true
        }
        stalledFor = 0
        let start = MonotonicClock.nanoseconds()
        let shedVideo = behind(stamp, now: start)
        counters.framesIn += 1
        counters.framesDropped = lostBeforeReopen + video.lostFrames

        // The frame to show: this one, or with the centred window the one from 0.3 s ago.
        let (shown, shownStamp) = delay?.push(frame, size: video.width * video.height, stamp: stamp) ?? (UnsafePointer(frame), stamp)

        // Audio: into the front-end up to the window's end; the branch every hop, on the
        // window ending at the shown frame (centred: half a window after it). Matched by
        // capture time, not taken from the newest audio: a loop that gets frames a second
        // apart (a busy box) shows the older frame, and must hear what was said over it.
        let audioStart = MonotonicClock.nanoseconds()
        updateAudio(frameTime: stamp.captureTime, windowEnd: shownStamp.captureTime + (delay?.delayNanoseconds ?? 0))
        let audioEnd = MonotonicClock.nanoseconds()
        record(.audio, nanoseconds: audioEnd - audioStart)

        // Video: every frame, unless the loop is behind (the frame is shown with the previous map).
        var ranVideo = false
        if let model, (speaking && aboutAnatomy) || alpha > 0.01 {
            if shedVideo {
                counters.framesSkipped += 1
            } else {
                model.embedVideo(shown, width: video.width, height: video.height, into: videoMap)
                updateHeat(model, frameTime: shownStamp.captureTime)
                ranVideo = true
            }
        }
        let videoEnd = MonotonicClock.nanoseconds()
        record(.video, nanoseconds: videoEnd - audioEnd)

        // Fade the overlay in while speech is heard, out after it.
        let dt = lastFrameTime > 0 ? Float(stamp.captureTime - lastFrameTime) * 1e-9 : 0.033
        let heatFresh = heatOfThisSentence && shownStamp.captureTime - heatTime <= Self.heatShownNanoseconds
        let target: Float = speaking && aboutAnatomy && haveAudioEmbedding && heatFresh ? settings.heatmapAlpha : 0
        let tau = target > alpha ? settings.fadeInSeconds : settings.fadeOutSeconds
        alpha += (target - alpha) * min(1, max(dt, 0) / tau)
        if lastFrameTime > 0, dt > 0 { status.fps += (1 / dt - status.fps) * 0.1 }
        lastFrameTime = stamp.captureTime

        let canvas = screen.beginFrame()
        compositor.compose(into: canvas, frame: shown, frameWidth: video.width, frameHeight: video.height,
                           heatmap: model != nil ? UnsafePointer(heat) : nil, heatWidth: gridWidth, heatHeight: gridHeight,
                           heatOffset: heatOffset, alpha: alpha, status: status)
        let composeEnd = MonotonicClock.nanoseconds()
        record(.compose, nanoseconds: composeEnd - videoEnd)
        try screen.present()
        showingNoSignal = false
        let end = MonotonicClock.nanoseconds()
        record(.present, nanoseconds: end - composeEnd)
        metrics.recordCaptureToDisplay(nanoseconds: end - shownStamp.arrivalTime)
        status.latencyMilliseconds += (Float(end - shownStamp.arrivalTime) * 1e-6 - status.latencyMilliseconds) * 0.1
        counters.framesOut += 1

        if ranVideo { restNanoseconds += (Float(end - start - hopThisIteration) - restNanoseconds) * 0.05 }
        return true
    }

    /// Whether this frame's video pass is skipped (`LoadShedder`), predicting the iteration's
    /// cost from the rest of the loop plus the audio hop when one is due.
    private func behind(_ stamp: FrameStamp, now: Int64) -> Bool {
        let period = lastFrameTime > 0 ? stamp.captureTime - lastFrameTime : 0
        let cost = restNanoseconds + (hopDue(at: stamp.captureTime) ? hopNanoseconds : 0)
        return shedder.shouldShed(lateness: now - stamp.captureTime, period: period, cost: cost)
    }

    private func updateAudio(frameTime: Int64, windowEnd: Int64) {
        guard let feed, let frontEnd else { return }
        feed.pull(until: frameTime)
        let ring = feed.ring
        // The feed-ring position just past the window's last sample, counted back from the
        // newest sample (or the newest itself, if the audio has not reached the window's end).
        let newest = ring.newest()
        let lag = Int((newest.time - windowEnd) * Int64(ring.sampleRate) / 1_000_000_000)
        let ringEnd = newest.index + 1 - max(lag, 0)
        if ring.writeCount - audioConsumed > ring.capacity { audioConsumed = ring.writeCount - ring.capacity / 2 }  // fell behind: skip
        // Frames more than a window apart (a loop running behind): no window will use the audio
        // before this frame's window, so it is passed over, not cleaned. Cleaning it all made
        // each iteration's audio work grow with the loop's own delay, a spiral the emulated
        // board fell into (the front-end at 60 % of its one CPU: 1 frame a second in silence).
        if ringEnd - audioAhead > audioConsumed {
            counters.audioSkipped += ringEnd - audioAhead - audioConsumed
            audioConsumed = ringEnd - audioAhead
        }
        // Into the front-end only up to the window's end; the rest waits in the feed's ring (8 s).
        // The front-end keeps 0.4 s past a window, and a busy box's frames are older than that:
        // a grabber fills its few buffers just after the loop hands them back, so the newest
        // frame is about as old as the loop's last iteration (a second and more on the
        // emulated board, where pushing everything left almost no window computable).
        while audioConsumed < ringEnd {
            let count = min(4_800, ringEnd - audioConsumed)
            guard ring.read(from: audioConsumed, count: count, into: audioChunk) else { audioConsumed = ring.writeCount; break }
            frontEnd.push(UnsafeBufferPointer(start: audioChunk, count: count))
            audioConsumed += count
        }
        counters.audioXruns = feed.source.lostPeriods
        counters.audioSanitised = feed.sanitisedSamples.load(ordering: .relaxed)
        counters.audioFilled = feed.filledSamples.load(ordering: .relaxed)
        hopThisIteration = 0
        guard hopDue(at: frameTime), newest.index >= 0 else { return }
        let hopStart = MonotonicClock.nanoseconds()
        defer {
            hopThisIteration = MonotonicClock.nanoseconds() - hopStart
            hopNanoseconds += (Float(hopThisIteration) - hopNanoseconds) * 0.2
        }
        // The window ends at `windowEnd` (or the newest audio before it), on the 5 ms STFT
        // grid so consecutive windows share their frames.
        let spec = frontEnd.settings.spectrogram
        var end = ringEnd * spec.sampleRate / ring.sampleRate
        end = min(end, frontEnd.samplesProduced)
        end -= end % spec.hop
        guard let report = frontEnd.window(endingAt: end, into: spectrogram, standardised: true) else {
            // No window to be had (the first 0.6 s, or after a skip): not speech. A gate left
            // open by the last window heard would keep heat on the screen through silence.
            speaking = false
            status.listening = .silence
            return
        }
        lastAudioWindow = frameTime
        counters.audioWindows += 1
        let voice = report.speechFraction >= settings.speechThreshold
        let wasSpeaking = speaking
        speaking = speakerGate.admits(report, voice: voice)
        if speaking && !wasSpeaking { onsets += 1 }
        status.listening = speaking ? .speech : voice ? .otherVoice : .silence
        if speaking { counters.speechWindows += 1 }
        aboutAnatomy = false
        if speaking, let model {
            model.embedAudio(spectrogram, into: audioEmbedding)
            haveAudioEmbedding = true
            aboutAnatomy = relevance.map { $0.probability(audioEmbedding) >= $0.threshold } ?? true
            if aboutAnatomy { counters.anatomyWindows += 1 } else { status.listening = .speechNotAnatomy }
        }
    }

    private func hopDue(at frameTime: Int64) -> Bool {
        frameTime - lastAudioWindow >= Int64(settings.audioHopMilliseconds) * 1_000_000
    }

    /// The bundle's similarity of the audio embedding with each map cell (the trained
    /// fusion's per-cell logit, or cosine for older bundles), normalised to [0, 1] over the
    /// map, averaged over time.
    private func updateHeat(_ model: LocalisationModel, frameTime: Int64) {
        guard haveAudioEmbedding else { return }
        let d = model.embeddingDimension, w = model.mapWidth, h = model.mapHeight
        // Similarity of a with every cell (the paper's localisation), written over channel 0
        // of the map: each cell is read in full before its output is written.
        let cells = w * h
        Localisation.map(model.localisation, audio: audioEmbedding, map: videoMap, dimension: d, cells: cells, into: videoMap)
        var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
        for cell in 0..<cells {
            low = min(low, videoMap[cell])
            high = max(high, videoMap[cell])
        }
        let range = max(high - low, 1e-6)
        let blend = heatOfThisSentence && frameTime - heatTime <= Self.heatBlendNanoseconds
        let k = blend ? settings.heatSmoothing : 1
        heatOnset = onsets
        heatTime = frameTime
        for y in 0..<h {
            for x in 0..<w {
                let value = (videoMap[y * w + x] - low) / range
                let target = heat + (y + marginY) * gridWidth + (x + marginX)
                target.pointee += k * (value - target.pointee)
            }
        }
    }

    private func showMessage(_ message: StaticString) {
        let saved = status.warning
        status.warning = message
        compositor.composeMessage(into: screen.beginFrame(), message: "\(message)", status: status)
        status.warning = saved
        try? screen.present()
        showingNoSignal = true
    }

    /// The device failed or went away: NO SIGNAL, then reopen with exponential backoff.
    private func sourceFailed() throws {
        guard let reopenVideo else { throw SourceEnded() }
        let now = MonotonicClock.nanoseconds()
        // Close the failed device first: it may not come back while we hold it.
        video.release()
        guard now >= reopenAt else { usleep(50_000); return }
        counters.videoReopens += 1
        shedder.reset()
        do {
            let fresh = try reopenVideo()
            if fresh.width * fresh.height > frameCapacity {
                frame.deallocate()  // a bigger device: the one allocation a replug may cost
                frameCapacity = fresh.width * fresh.height
                frame = .allocate(capacity: frameCapacity)
                delay?.resize(capacity: frameCapacity)
            }
            lostBeforeReopen += video.lostFrames
            video = fresh
            reopenBackoff = 500_000_000
        } catch {
            reopenAt = now + reopenBackoff
            reopenBackoff = min(reopenBackoff * 2, 8_000_000_000)
            showMessage("NO SIGNAL")
        }
    }

    struct SourceEnded: Error, CustomStringConvertible {
        var description: String { "the video source failed and cannot be reopened" }
    }
}
