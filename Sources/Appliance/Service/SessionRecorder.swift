import Capture
import ControlPlane
import Glibc
import MediaFormats
import Platform
import Synchronization

/// Records the raw input (grabber frames and microphone samples, before any overlay) as a
/// session folder in the format training reads (MediaFormats/Session: video.avi MJPEG grey,
/// audio.wav 16-bit, session.json), for the next training round.
///
/// Threads: the capture side (the loop's thread for frames, the audio thread for samples)
/// only copies into buffers allocated here, through single-producer single-consumer rings
/// (atomics, no lock, no allocation), and only while a session is being recorded. A writer
/// thread of its own encodes JPEG, appends to the files and, every second, refreshes the
/// headers, writes session.json atomically and fsyncs: a power cut loses at most the last
/// second. Start and stop come from the control thread.
///
/// Timing: the session starts at the first frame after `start`; frame k of the AVI is the
/// frame captured nearest to k / fps (a lost frame repeats the previous one, an early one is
/// dropped), and the audio is cut and padded to the same timeline, so audio and video stay
/// aligned as training assumes.
public final class SessionRecorder: @unchecked Sendable {
    // @unchecked: the rings are SPSC (one producer each, the writer consumes); the session
    // state is the writer's, guarded by `control` for start/stop.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let config: ApplianceConfig.Recording
    let fps: Int
    let audioRate: Int
    private let logger: Logger?

    // Video ring: `slotCount` frames of up to `slotBytes` pixels each.
    private let slotCount = 16
    private let slotBytes: Int
    private let slots: UnsafeMutablePointer<UInt8>
    private let slotWidth: UnsafeMutablePointer<Int>
    private let slotHeight: UnsafeMutablePointer<Int>
    private let slotTime: UnsafeMutablePointer<Int64>
    private let framesPushed = Atomic<Int>(0)
    private let framesTaken = Atomic<Int>(0)
    /// Frames the writer could not take in time (the ring was full) or of another size.
    let framesLost = Atomic<Int>(0)

    // Audio ring: 4 s of samples; the time of sample 0 of the session's first push.
    private let audioCapacity: Int
    private let audio: UnsafeMutablePointer<Float>
    private let samplesPushed = Atomic<Int>(0)
    private let samplesTaken = Atomic<Int>(0)
    private let audioAnchorIndex = Atomic<Int>(-1)
    private let audioAnchorTime = Atomic<Int64>(0)
    let samplesLost = Atomic<Int>(0)

    /// True while the capture side should copy.
    let active = Atomic<Bool>(false)
    private let running = Atomic<Bool>(true)
    private let control = Mutex<Request>(.none)
    private var thread: RealtimeThread?
    private var session: OpenSession?
    /// `session != nil`, for the threads other than the writer (which alone touches `session`;
    /// ThreadSanitizer caught shutdown() reading it while the writer cleared it).
    private let sessionOpen = Atomic<Bool>(false)

    enum Request: Equatable { case none, start(String), stop, stopped(String), failed(String) }

    /// `maxWidth × maxHeight`: the largest frame the grabber may deliver (a larger one is
    /// counted as lost, never reallocated on the capture side).
    public init(config: ApplianceConfig.Recording, fps: Int, audioRate: Int, maxWidth: Int, maxHeight: Int, logger: Logger?) {
        self.config = config
        self.fps = max(1, fps)
        self.audioRate = audioRate
        self.logger = logger
        slotBytes = max(1, maxWidth * maxHeight)
        slots = .allocate(capacity: slotCount * slotBytes)
        slotWidth = .allocate(capacity: slotCount)
        slotHeight = .allocate(capacity: slotCount)
        slotTime = .allocate(capacity: slotCount)
        var capacity = 1
        while capacity < 4 * max(audioRate, 1) { capacity <<= 1 }
        audioCapacity = capacity
        audio = .allocate(capacity: capacity)
    }

    deinit {
        shutdown()
        slots.deallocate(); slotWidth.deallocate(); slotHeight.deallocate(); slotTime.deallocate(); audio.deallocate()
    }

    // MARK: Capture side (hot path: no allocation, no lock).

    /// Called with every frame the loop receives (its thread).
    @inline(__always)
    func push(frame pixels: UnsafePointer<UInt8>, width: Int, height: Int, captureTime: Int64) {
        guard active.load(ordering: .relaxed) else { return }
        let pushed = framesPushed.load(ordering: .relaxed)
        guard pushed - framesTaken.load(ordering: .acquiring) < slotCount, width * height <= slotBytes else {
            framesLost.wrappingAdd(1, ordering: .relaxed)
            return
        }
        let slot = pushed % slotCount
        (slots + slot * slotBytes).update(from: pixels, count: width * height)
        slotWidth[slot] = width
        slotHeight[slot] = height
        slotTime[slot] = captureTime
        framesPushed.store(pushed + 1, ordering: .releasing)
    }

    /// Called with every block of microphone samples (the audio thread).
    @inline(__always)
    func push(samples: UnsafePointer<Float>, count: Int, firstSampleTime: Int64) {
        guard active.load(ordering: .relaxed), count > 0 else { return }
        let pushed = samplesPushed.load(ordering: .relaxed)
        guard pushed + count - samplesTaken.load(ordering: .acquiring) <= audioCapacity else {
            samplesLost.wrappingAdd(count, ordering: .relaxed)
            return
        }
        if audioAnchorIndex.load(ordering: .relaxed) < 0 {
            audioAnchorTime.store(firstSampleTime, ordering: .relaxed)
            audioAnchorIndex.store(pushed, ordering: .relaxed)  // published by the store below
        }
        let position = pushed & (audioCapacity - 1)
        let first = min(count, audioCapacity - position)
        (audio + position).update(from: samples, count: first)
        if first < count { audio.update(from: samples + first, count: count - first) }
        samplesPushed.store(pushed + count, ordering: .releasing)
    }

    // MARK: Control side.

    /// Starts a session in a new folder under `recording.sessions_dir`; refuses when the disk
    /// is low or the quota is used up. Returns the folder.
    public func start() throws(Failure) -> String {
        try ensureThread()
        if case .start(let path) = control.withLock({ $0 }) { throw Failure(description: "already starting \(path)") }
        if active.load(ordering: .acquiring) { throw Failure(description: "already recording a session; send record-session stop first") }
        if let refusal = spaceProblem() { throw Failure(description: "record-session start refused: \(refusal)") }
        let path = config.sessionsDirectory + "/session-" + Self.utcStamp()
        do { try FileIO.makeDirectories(path) } catch {
            throw Failure(description: "cannot create \(path): \(error) (check recording.sessions_dir and its permissions)")
        }
        control.withLock { $0 = .start(path) }
        return path
    }

    /// Stops the session: the writer drains what was captured, pads the audio to the video's
    /// length, closes the files with their index and writes session.json. Returns a summary.
    public func stop(timeoutMilliseconds: Int = 5_000) throws(Failure) -> String {
        let pending = control.withLock { request -> Bool in
            if case .start = request { request = .none; return false }
            guard active.load(ordering: .acquiring) || sessionOpen.load(ordering: .acquiring) else { return false }
            request = .stop
            return true
        }
        guard pending else { throw Failure(description: "not recording a session") }
        let deadline = MonotonicClock.nanoseconds() + Int64(timeoutMilliseconds) * 1_000_000
        while MonotonicClock.nanoseconds() < deadline {
            let outcome = control.withLock { request -> Request? in
                switch request {
                case .stopped, .failed: defer { request = .none }; return request
                default: return nil
                }
            }
            if case .stopped(let summary)? = outcome { return summary }
            if case .failed(let problem)? = outcome { throw Failure(description: problem) }
            usleep(5_000)
        }
        throw Failure(description: "record-session stop: the writer did not finish within \(timeoutMilliseconds) ms")
    }

    public var isRecording: Bool { active.load(ordering: .acquiring) }

    /// Finishes any session and ends the writer thread (daemon shutdown; SIGTERM).
    public func shutdown() {
        if isRecording || sessionOpen.load(ordering: .acquiring) { _ = try? stop() }
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    private func ensureThread() throws(Failure) {
        guard thread == nil else { return }
        let writer = RealtimeThread(name: "showtell-session") { [unowned self] in writerLoop() }
        do { try writer.start(fifoPriority: 0) } catch { throw Failure(description: "cannot start the session writer thread: \(error)") }
        thread = writer
    }

    /// Why a recording cannot start or go on, or nil.
    func spaceProblem() -> String? {
        var info = statvfs()
        var existing = config.sessionsDirectory
        while access(existing, F_OK) != 0, let slash = existing.lastIndex(of: "/"), existing != "/" {
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
        if statvfs(existing, &info) == 0 {
            let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            if free < UInt64(config.minFreeMegabytes) << 20 {
                return "only \(free >> 20) MiB free on \(existing), below recording.min_free_mb = \(config.minFreeMegabytes); delete old sessions in \(config.sessionsDirectory)"
            }
        }
        let used = Self.directoryBytes(config.sessionsDirectory)
        if used >= UInt64(config.quotaMegabytes) << 20 {
            return "\(config.sessionsDirectory) holds \(used >> 20) MiB, the quota is recording.quota_mb = \(config.quotaMegabytes); copy sessions off the box and delete them"
        }
        return nil
    }

    // MARK: Writer thread.

    private func writerLoop() {
        var lastSync = MonotonicClock.nanoseconds()
        while running.load(ordering: .acquiring) || session != nil {
            let request = control.withLock { $0 }
            switch request {
            case .start(let path) where session == nil:
                openSession(path)
            case .stop:
                finishSession(reason: "record-session stop")
            default:
                break
            }
            if session != nil {
                drain()
                let now = MonotonicClock.nanoseconds()
                if now - lastSync >= 1_000_000_000 {
                    lastSync = now
                    syncSession()
                    if let problem = spaceProblem() { finishSession(reason: "stopped: \(problem)", byItself: true) }
                }
            } else if !running.load(ordering: .acquiring) {
                break
            }
            usleep(10_000)
        }
    }

    private func openSession(_ path: String) {
        // Start from an empty ring: nothing captured before `start` belongs to the session.
        framesTaken.store(framesPushed.load(ordering: .acquiring), ordering: .releasing)
        samplesTaken.store(samplesPushed.load(ordering: .acquiring), ordering: .releasing)
        audioAnchorIndex.store(-1, ordering: .relaxed)
        session = OpenSession(folder: SessionFolder(path: path))
        sessionOpen.store(true, ordering: .releasing)
        active.store(true, ordering: .releasing)
        control.withLock { if case .start = $0 { $0 = .none } }
        logger?.notice("session_recording_started", ["path": path])
    }

    /// Moves captured frames and samples into the files.
    private func drain() {
        guard let s = session else { return }
        do {
            let pushed = framesPushed.load(ordering: .acquiring)
            var taken = framesTaken.load(ordering: .relaxed)
            while taken < pushed {
                let slot = taken % slotCount
                if try !s.add(frame: slots + slot * slotBytes, width: slotWidth[slot], height: slotHeight[slot],
                              time: slotTime[slot], fps: fps, quality: config.jpegQuality) {
                    framesLost.wrappingAdd(1, ordering: .relaxed)
                }
                taken += 1
                framesTaken.store(taken, ordering: .releasing)
            }
            guard let t0 = s.startTime else { return }
            if s.audio == nil { try s.openAudio(rate: audioRate) }
            // Audio up to the end of the last written frame, aligned to t0.
            let anchor = audioAnchorIndex.load(ordering: .acquiring)
            let pushedSamples = samplesPushed.load(ordering: .acquiring)
            var takenSamples = samplesTaken.load(ordering: .relaxed)
            let wantedTotal = s.framesWritten * audioRate / fps
            if anchor >= 0 {
                let anchorTime = audioAnchorTime.load(ordering: .relaxed)
                // Ring index of the sample captured at t0.
                let startIndex = anchor + Int((t0 - anchorTime) * Int64(audioRate) / 1_000_000_000)
                if s.samplesWritten == 0 && takenSamples < startIndex {
                    takenSamples = min(startIndex, pushedSamples)  // before t0: not part of the session
                }
                if s.samplesWritten == 0 && startIndex < takenSamples {
                    try s.writeSilence(min(takenSamples - startIndex, wantedTotal))  // audio began after t0
                }
                while takenSamples < pushedSamples && s.samplesWritten < wantedTotal {
                    let position = takenSamples & (audioCapacity - 1)
                    let count = min(pushedSamples - takenSamples, audioCapacity - position, wantedTotal - s.samplesWritten)
                    try s.writeSamples(UnsafeBufferPointer(start: audio + position, count: count))
                    takenSamples += count
                }
                samplesTaken.store(takenSamples, ordering: .releasing)
            }
        } catch {
            logger?.error("session_recording_failed", ["path": s.folder.path, "error": error])
            finishSession(reason: "failed: \(error)", byItself: true)
        }
    }

    private func syncSession() {
        guard let s = session else { return }
        do { try s.sync(fps: fps) } catch {
            logger?.error("session_sync_failed", ["path": s.folder.path, "error": error])
        }
    }

    private func finishSession(reason: String, byItself: Bool = false) {
        active.store(false, ordering: .releasing)
        guard let s = session else {
            control.withLock { $0 = .failed("not recording a session") }
            return
        }
        drain()
        var summary = "\(s.folder.path): \(s.framesWritten) frames"
        let outcome: Request
        do {
            try s.finish(fps: fps, audioRate: audioRate)
            summary += " (\(format1(Double(s.framesWritten) / Double(fps))) s, \(s.framesRepeated) repeated)"
            logger?.notice("session_recording_finished", ["path": s.folder.path, "frames": s.framesWritten, "repeated": s.framesRepeated,
                                                          "lost": framesLost.load(ordering: .relaxed), "reason": reason])
            outcome = byItself ? .none : .stopped(summary)
        } catch {
            logger?.error("session_recording_finish_failed", ["path": s.folder.path, "error": error])
            outcome = byItself ? .none : .failed("\(s.folder.path): \(error)")
        }
        if byItself { logger?.warning("session_recording_stopped", ["path": s.folder.path, "reason": reason]) }
        // Closed before stop() hears of it, so a shutdown right after sees no open session.
        session = nil
        sessionOpen.store(false, ordering: .releasing)
        control.withLock { $0 = outcome }
    }

    static func utcStamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    /// Bytes of regular files under `path` (the quota).
    static func directoryBytes(_ path: String) -> UInt64 {
        guard let dir = opendir(path) else { return 0 }
        defer { closedir(dir) }
        var total: UInt64 = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var info = stat()
            let child = path + "/" + name
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR { total += directoryBytes(child) }
            else if (info.st_mode & S_IFMT) == S_IFREG { total += UInt64(info.st_blocks) * 512 }
        }
        return total
    }
}

/// One session's files, owned by the writer thread.
private final class OpenSession {
    let folder: SessionFolder
    var video: AVIWriter?
    var audio: WAVStreamWriter?
    var startTime: Int64?
    var width = 0, height = 0
    var framesWritten = 0, framesRepeated = 0, samplesWritten = 0
    private var jpeg: UnsafeMutableRawBufferPointer?
    private var jpegLength = 0
    private var silence = [Float](repeating: 0, count: 4_800)

    init(folder: SessionFolder) { self.folder = folder }

    deinit { jpeg?.deallocate() }

    func add(frame: UnsafePointer<UInt8>, width: Int, height: Int, time: Int64, fps: Int, quality: Int) throws -> Bool {
        if video == nil {
            self.width = width
            self.height = height
            startTime = time
            video = try AVIWriter(path: folder.videoPath, width: width, height: height, frameRate: FrameRate(fps),
                                  expectedFrameCount: fps * 600)
            jpeg = .allocate(byteCount: JPEGCodec.maxEncodedSize(width: width, height: height, components: 1), alignment: 16)
        }
        guard let video, let jpeg, let startTime, width == self.width, height == self.height else {
            return false  // the grabber changed size: not this session's
        }
        // The frame's place on the session's timeline.
        let slot = Int(((Double(time - startTime) * Double(fps)) / 1e9).rounded())
        if slot < framesWritten { return true }  // early (jitter): the slot is taken
        while framesWritten < slot, jpegLength > 0 {  // lost frames: repeat the last one
            try video.append(jpeg: UnsafeRawBufferPointer(rebasing: jpeg[0..<jpegLength]))
            framesWritten += 1
            framesRepeated += 1
        }
        jpegLength = try JPEGCodec.encode(UnsafeRawBufferPointer(start: frame, count: width * height), width: width, height: height,
                                          components: 1, quality: quality, into: jpeg)
        try video.append(jpeg: UnsafeRawBufferPointer(rebasing: jpeg[0..<jpegLength]))
        framesWritten += 1
        return true
    }

    func openAudio(rate: Int) throws {
        audio = try WAVStreamWriter(path: folder.audioPath, sampleRate: rate, channels: 1, format: .int16)
    }

    func writeSamples(_ samples: UnsafeBufferPointer<Float>) throws {
        try audio?.append(samples)
        samplesWritten += samples.count
    }

    func writeSilence(_ count: Int) throws {
        var left = count
        while left > 0 {
            let n = min(left, silence.count)
            try silence.withUnsafeBufferPointer { try writeSamples(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
    }

    /// Every second: session.json for what is on disk, then the data to the disk (the
    /// writers refresh their headers each second of media themselves).
    func sync(fps: Int) throws {
        guard video != nil else { return }
        try folder.writeManifest(manifest(fps: fps, rate: audio?.sampleRate ?? 48_000))
        for path in [folder.videoPath, folder.audioPath] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { _ = fdatasync(fd); close(fd) }
        }
    }

    /// Pads the audio to the video's length, closes both with their index, writes session.json.
    func finish(fps: Int, audioRate: Int) throws {
        guard let video else {
            throw SessionRecorder.Failure(description: "no frame arrived while recording (is the grabber delivering? showtell status)")
        }
        if audio == nil { try openAudio(rate: audioRate) }
        let wanted = framesWritten * audioRate / fps
        if samplesWritten < wanted { try writeSilence(wanted - samplesWritten) }
        try video.finish()
        try audio?.close()
        try folder.writeManifest(manifest(fps: fps, rate: audioRate))
    }

    private func manifest(fps: Int, rate: Int) -> SessionManifest {
        SessionManifest(fps: Double(fps), frameWidth: width, frameHeight: height, frameCount: framesWritten, audioSampleRate: rate,
                        generator: "showtelld record-session", hasTranscript: false, hasLabels: false)
    }
}

/// The grabber as the loop sees it, with every frame also offered to the session recorder.
final class SessionVideoTap: VideoSource {
    let inner: VideoSource
    let recorder: SessionRecorder

    init(_ inner: VideoSource, recorder: SessionRecorder) {
        self.inner = inner
        self.recorder = recorder
    }

    var width: Int { inner.width }
    var height: Int { inner.height }
    var summary: String { inner.summary }
    var lostFrames: Int { inner.lostFrames }
    var finished: Bool { inner.finished }
    func release() { inner.release() }

    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        let stamp = try inner.next(into: pixels, timeoutMilliseconds: timeoutMilliseconds)
        if let stamp { recorder.push(frame: pixels, width: inner.width, height: inner.height, captureTime: stamp.captureTime) }
        return stamp
    }
}

/// The microphone as the loop's audio feed sees it, with every block also offered to the
/// session recorder.
final class SessionAudioTap: AudioSource {
    let inner: AudioSource
    let recorder: SessionRecorder

    init(_ inner: AudioSource, recorder: SessionRecorder) {
        self.inner = inner
        self.recorder = recorder
    }

    var sampleRate: Int { inner.sampleRate }
    var summary: String { inner.summary }
    var lostPeriods: Int { inner.lostPeriods }
    var sanitisedSamples: Int { inner.sanitisedSamples }
    var finished: Bool { inner.finished }

    func read(into samples: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64) {
        let result = try inner.read(into: samples, capacity: capacity)
        recorder.push(samples: samples, count: result.count, firstSampleTime: result.firstSampleTime)
        return result
    }
}
