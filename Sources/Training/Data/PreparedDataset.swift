import FoundationEssentials
import NeuralCore
import Platform
import ShowTellModel

/// A dataset folder written by `showtell prep` (issue 8), the contract:
/// - `prep.json`: manifest, written last (its presence means the folder is complete);
/// - `clips.jsonl`: one object per clip {"session","index","t","frames":[i,j],"audio":[s,e],
///   "speaker","vad","words":[{"word","start","end","confidence","anatomy"?}]};
/// - `sessions/NAME.safetensors`: "spectrograms" F16 [N,256,256] (standardised like the live
///   path), "frames" U8 [N,2,256,256] (gray, resized to 256×256); `index` is the row.
///
/// Everything is read into memory once (F16 and U8 as stored: ~260 KB per clip); frames are
/// centre-cropped to 224×224 and normalised with the deployed pixel mean/std when loaded, so
/// the float model sees what `FramePreprocessor` gives it on the box.
public final class PreparedDataset: ClipSource, @unchecked Sendable {
    public let path: String
    public let clips: [ClipRecord]
    public let sessionNames: [String]
    public let frameSize = ShowTellNetwork.frameSize
    public let spectrogramSize = ShowTellNetwork.spectrogramSize
    public let framesPerClip: Int
    /// Row of each clip in its session's tensors.
    private let rows: [Int]
    private let sessions: [SessionTensors]
    /// prep.json as parsed JSON (provenance for the bundle's manifest).
    public let manifestText: String

    struct SessionTensors {
        let file: SafeTensorsFile
        let count: Int
        let stored: Int  // side of the stored frames (256)
        let spectrogramSide: Int
    }

    private struct ClipLine: Decodable {
        var session: String
        var index: Int
        var t: Double
        var words: [Word]?
        /// The audio window [start, end] in seconds.
        var audio: [Double]?
        struct Word: Decodable {
            var word: String
            var start: Double?
            var end: Double?
        }

        /// Per word, the share of its [start, end] inside `audio` (1 without times).
        var inside: [Double] {
            (words ?? []).map { w in
                guard let window = audio, window.count == 2, let start = w.start, let end = w.end else { return 1 }
                return ClipRecord.share(of: start...max(start, end), inside: window[0]...max(window[0], window[1]))
            }
        }
    }

    public init(path: String) throws {
        self.path = path
        let manifestPath = path + "/prep.json"
        guard FileIO.exists(manifestPath) else {
            throw TrainingError("\(manifestPath) is missing: the dataset is incomplete or not a prep folder (run showtell prep first)")
        }
        manifestText = String(decoding: try FileIO.readAll(manifestPath), as: UTF8.self)
        let clipsPath = path + "/clips.jsonl"
        let text = String(decoding: try FileIO.readAll(clipsPath), as: UTF8.self)
        var lines = [ClipLine]()
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { lines.append(try decoder.decode(ClipLine.self, from: Data(line.utf8))) } catch {
                throw TrainingError("\(clipsPath):\(number + 1): \(error)")
            }
        }
        guard !lines.isEmpty else { throw TrainingError("\(clipsPath) holds no clips") }
        var names = [String]()
        var sessionIndex = [String: Int]()
        for line in lines where sessionIndex[line.session] == nil {
            sessionIndex[line.session] = names.count
            names.append(line.session)
        }
        var sessions = [SessionTensors]()
        var perClip = 0
        for name in names {
            let file = path + "/sessions/\(name).safetensors"
            let tensors = try SafeTensorsFile.read(path: file)
            guard let frames = tensors.info("frames"), frames.dtype == "U8", frames.shape.count == 4 else {
                throw TrainingError("\(file): needs \"frames\" U8 [N,F,H,W]")
            }
            guard let spectra = tensors.info("spectrograms"), spectra.dtype == "F16" || spectra.dtype == "F32", spectra.shape.count == 3,
                  spectra.shape[1] == ShowTellNetwork.spectrogramSize, spectra.shape[2] == ShowTellNetwork.spectrogramSize else {
                throw TrainingError("\(file): needs \"spectrograms\" F16 [N,\(ShowTellNetwork.spectrogramSize),\(ShowTellNetwork.spectrogramSize)]")
            }
            guard frames.shape[0] == spectra.shape[0], frames.shape[2] == frames.shape[3],
                  frames.shape[2] >= ShowTellNetwork.frameSize else {
                throw TrainingError("\(file): frames \(frames.shape) and spectrograms \(spectra.shape) disagree or frames are smaller than \(ShowTellNetwork.frameSize)")
            }
            perClip = frames.shape[1]
            sessions.append(SessionTensors(file: tensors, count: frames.shape[0], stored: frames.shape[2], spectrogramSide: spectra.shape[1]))
        }
        var clips = [ClipRecord]()
        var rows = [Int]()
        for line in lines {
            let s = sessionIndex[line.session]!
            guard line.index >= 0 && line.index < sessions[s].count else {
                throw TrainingError("\(clipsPath): clip index \(line.index) outside session \(line.session)'s \(sessions[s].count) rows")
            }
            clips.append(ClipRecord(session: s, time: line.t, words: (line.words ?? []).map { $0.word.lowercased() }, inside: line.inside))
            rows.append(line.index)
        }
        self.clips = clips
        self.rows = rows
        self.sessions = sessions
        self.sessionNames = names
        self.framesPerClip = perClip
    }

    public func row(of clip: Int) -> Int { rows[clip] }

    public func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
        let session = sessions[clips[index].session], row = rows[index]
        let side = session.stored, crop = frameSize, margin = (side - crop) / 2
        let scale = 1 / (255 * ShowTellNetwork.pixelStd), offset = -ShowTellNetwork.pixelMean / ShowTellNetwork.pixelStd
        try! session.file.withRawData("frames") { info, raw in
            let image = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + ((row * info.shape[1] + frame) * side * side)
            for y in 0..<crop {
                let source = image + (y + margin) * side + margin
                let target = output + y * crop
                for x in 0..<crop { target[x] = Float(source[x]) * scale + offset }
            }
        }
    }

    /// The stored gray frame (resized, not cropped) of a clip: [side][side] and its side.
    public func storedFrame(clip index: Int, frame: Int) -> (pixels: [UInt8], side: Int) {
        let session = sessions[clips[index].session], row = rows[index], side = session.stored
        let pixels = try! session.file.withRawData("frames") { info, raw in
            Array(UnsafeRawBufferPointer(rebasing: raw[((row * info.shape[1] + frame) * side * side)..<((row * info.shape[1] + frame + 1) * side * side)]))
        }
        return (pixels, side)
    }

    public func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) {
        let session = sessions[clips[index].session], row = rows[index]
        let count = spectrogramSize * spectrogramSize
        try! session.file.withRawData("spectrograms") { info, raw in
            if info.dtype == "F32" {
                let source = raw.baseAddress!.advanced(by: 4 * row * count)
                for i in 0..<count { output[i] = source.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            } else {
                let source = raw.baseAddress!.advanced(by: 2 * row * count)
                for i in 0..<count { output[i] = HalfFloat.decode(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        }
    }
}

/// IEEE 754 binary16 -> Float (safetensors F16), including subnormals, inf and NaN.
public enum HalfFloat {
    @inline(__always)
    public static func decode(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Subnormal: mantissa * 2^-24.
            let value = Float(mantissa) * (1.0 / 16_777_216.0)
            return sign != 0 ? -value : value
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }
}

/// A training-side failure with the thing to fix named in the message.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
