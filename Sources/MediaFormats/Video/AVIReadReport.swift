/// What `AVIReader` recovered from or tolerated, so callers can report it instead of hiding it.
///
/// Recovery rules: a missing or damaged idx1 is rebuilt by scanning the movi list (an
/// interrupted recording is scanned to the end of the file, past a stale movi size); a frame
/// chunk cut off by the end of the file is dropped and its missing bytes counted; a frame
/// that does not decode cleanly (libjpeg error or damaged entropy data) or a zero-length
/// chunk (a grabber's dropped frame) keeps its slot in the time base but is skipped by
/// `AVIReader.forEachFrame` and listed in `corruptFrames`.
public struct AVIReadReport: Sendable, Equatable, CustomStringConvertible {
    /// Why idx1 was not used; nil when the index came from idx1.
    public var indexRebuiltBecause: String?
    /// Bytes missing from the last chunk when the file ends inside it.
    public var truncatedBytes = 0
    /// Frame numbers that were found corrupt so far (sorted, each once).
    public var corruptFrames: [Int] = []
    /// Other tolerated oddities (stale header frame count, frame rate taken from avih, ...).
    public var notes: [String] = []

    public var isClean: Bool { indexRebuiltBecause == nil && truncatedBytes == 0 && corruptFrames.isEmpty && notes.isEmpty }

    public var description: String {
        var parts: [String] = []
        if let reason = indexRebuiltBecause { parts.append("index rebuilt by scanning movi (\(reason))") }
        if truncatedBytes > 0 { parts.append("file truncated: last chunk misses \(truncatedBytes) bytes (dropped)") }
        if !corruptFrames.isEmpty { parts.append("\(corruptFrames.count) corrupt frame(s) skipped: \(corruptFrames.prefix(10).map(String.init).joined(separator: ", "))\(corruptFrames.count > 10 ? ", ..." : "")") }
        parts.append(contentsOf: notes)
        return parts.isEmpty ? "clean" : parts.joined(separator: "; ")
    }

    mutating func recordCorrupt(_ frame: Int) {
        guard let position = corruptFrames.firstIndex(where: { $0 >= frame }) else { corruptFrames.append(frame); return }
        if corruptFrames[position] != frame { corruptFrames.insert(frame, at: position) }
    }
}

/// The video stream as found in the file.
public struct AVIVideoInfo: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var frameRate: FrameRate
    /// The stream's handler FourCC (e.g. "MJPG").
    public var codec: String
    /// Frames the header declares (stale in an interrupted recording); `frameCount` is what was found.
    public var declaredFrameCount: Int
    public var frameCount: Int

    public var duration: Double { frameRate.time(ofFrame: frameCount) }
}
