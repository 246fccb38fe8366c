/// Parses the hdrl list: the main header and the first video stream. Every read is bounds
/// checked; anything missing or implausible is an error rather than a guess.
struct AVIHeaderParser {
    struct Result {
        var width: Int
        var height: Int
        var frameRate: FrameRate
        var codec: String
        var declaredFrameCount: Int
        /// Stream number: frame chunks are "NNdc"/"NNdb".
        var stream: Int
        var notes: [String] = []
    }

    static let mjpegHandlers: Set<String> = ["MJPG", "JPEG", "AVRN", "DMB1"]

    /// `hdrl` is the list body after the 'hdrl' FourCC.
    static func parse(_ hdrl: [UInt8], path: String) throws(AVIError) -> Result {
        func invalid(_ detail: String) -> AVIError { AVIError(path: path, problem: .invalidHeader(detail)) }
        let data = CheckedBytes(bytes: hdrl)
        var avih: (microseconds: Int, frames: Int, width: Int, height: Int)?
        var video: (handler: String, compression: String, scale: Int, rate: Int, length: Int, width: Int, height: Int, stream: Int)?
        var streamCount = 0
        var offset = 0
        while offset + 8 <= hdrl.count, let id = data.fourCC(offset), let size = data.u32(offset + 4) {
            let body = offset + 8
            guard body + size <= hdrl.count else { throw invalid("'\(id)' chunk of \(size) bytes overruns the hdrl list") }
            if id == "avih" {
                guard size >= 40 else { throw invalid("avih is \(size) bytes, expected 56") }
                avih = (data.u32(body)!, data.u32(body + 16)!, data.u32(body + 32)!, data.u32(body + 36)!)
            } else if id == "LIST", size >= 4, data.fourCC(body) == "strl" {
                if video == nil, let found = try parseStream(data, from: body + 4, to: body + size, stream: streamCount, path: path) {
                    video = found
                }
                streamCount += 1
            }
            offset = body + size + (size & 1)
        }
        guard let main = avih else { throw invalid("no avih chunk in hdrl") }
        guard let stream = video else { throw invalid("no video stream (strh 'vids') in hdrl") }

        let handler = stream.handler.uppercased(), compression = stream.compression.uppercased()
        guard mjpegHandlers.contains(handler) || mjpegHandlers.contains(compression) else {
            throw AVIError(path: path, problem: .unsupportedCodec("handler '\(stream.handler)', compression '\(stream.compression)'"))
        }
        let width = stream.width > 0 ? stream.width : main.width
        let height = stream.height > 0 ? stream.height : main.height
        guard (1...65535).contains(width), (1...65535).contains(height) else {
            throw invalid("frame size \(width)x\(height) outside 1...65535")
        }
        guard width * height <= JPEGCodec.maximumPixels else {
            throw invalid("frame size \(width)x\(height) is over the \(JPEGCodec.maximumPixels)-pixel limit")
        }

        var notes: [String] = []
        let frameRate: FrameRate
        if let exact = FrameRate(rate: stream.rate, scale: stream.scale) {
            frameRate = exact
            if main.microseconds > 0, abs(Double(main.microseconds) - 1e6 / exact.framesPerSecond) > 1e6 / exact.framesPerSecond * 0.01 {
                notes.append("avih says \(main.microseconds) us per frame but strh says \(exact); strh used")
            }
        } else if stream.rate == 0 || stream.scale == 0, main.microseconds > 0,
                  let fallback = FrameRate(rate: 1_000_000, scale: main.microseconds) {
            frameRate = fallback
            notes.append("strh rate/scale \(stream.rate)/\(stream.scale) unusable; frame rate from avih (\(main.microseconds) us per frame)")
        } else {
            throw AVIError(path: path, problem: .invalidFrameRate(
                "strh dwRate/dwScale = \(stream.rate)/\(stream.scale), avih dwMicroSecPerFrame = \(main.microseconds);"
                + " a rate in \(FrameRate.plausibleRange) fps is required"))
        }
        return Result(width: width, height: height, frameRate: frameRate, codec: stream.handler,
                      declaredFrameCount: max(stream.length, main.frames), stream: stream.stream, notes: notes)
    }

    /// The strh/strf of one stream if it is video; nil for other stream types.
    private static func parseStream(_ data: CheckedBytes, from start: Int, to end: Int, stream: Int, path: String) throws(AVIError)
        -> (handler: String, compression: String, scale: Int, rate: Int, length: Int, width: Int, height: Int, stream: Int)? {
        var offset = start
        var header: (type: String, handler: String, scale: Int, rate: Int, length: Int)?
        var format: (width: Int, height: Int, compression: String)?
        while offset + 8 <= end, let id = data.fourCC(offset), let size = data.u32(offset + 4) {
            let body = offset + 8
            guard body + size <= end else {
                throw AVIError(path: path, problem: .invalidHeader("'\(id)' chunk of \(size) bytes overruns its strl list"))
            }
            if id == "strh", size >= 36 {
                header = (data.fourCC(body)!, data.fourCC(body + 4)!, data.u32(body + 20)!, data.u32(body + 24)!, data.u32(body + 32)!)
            } else if id == "strf", size >= 20 {
                let rawHeight = Int32(truncatingIfNeeded: data.u32(body + 8)!)  // negative: top-down rows
                format = (data.u32(body + 4)!, Int(rawHeight.magnitude), data.fourCC(body + 16)!)
            }
            offset = body + size + (size & 1)
        }
        guard let strh = header, strh.type == "vids" else { return nil }
        guard let strf = format else {
            throw AVIError(path: path, problem: .invalidHeader("video stream \(stream) has no strf (BITMAPINFOHEADER)"))
        }
        return (strh.handler, strf.compression, strh.scale, strh.rate, strh.length, strf.width, strf.height, stream)
    }
}
