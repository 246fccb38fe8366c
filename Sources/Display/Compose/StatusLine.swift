import MediaFormats

/// The status bar's content, as fixed fields (no string formatting on the hot path: the
/// fields are numbers, drawn digit by digit).
public struct StatusLine {
    /// `otherVoice`: speech too far from the microphone to be the sonographer (no heatmap).
    /// `speechNotAnatomy`: the sonographer speaks, but the model's relevance head says the
    /// talk is not about anatomy, so no heatmap (the paper's Figure 7b).
    public enum Listening: Sendable { case speech, speechNotAnatomy, otherVoice, silence, noMicrophone }

    public var fps: Float = 0
    public var latencyMilliseconds: Float = 0
    public var listening: Listening = .silence
    /// Short fixed warnings ("NO MODEL", "UNTRAINED MODEL", "NO SIGNAL"), drawn in amber.
    public var warning: StaticString = ""

    public init() {}

    func draw(into canvas: PixelCanvas, y: Int, height: Int) {
        canvas.fillRect(x: 0, y: y, width: canvas.width, height: height, colour: 0x202020)
        let scale = max(1, (height - 4) / BitmapFont.glyphHeight)
        let top = y + (height - BitmapFont.glyphHeight * scale) / 2
        var x = 8
        x = BitmapFont.draw("FPS ", into: canvas, x: x, y: top, scale: scale, colour: 0xC0C0C0)
        x = BitmapFont.drawNumber(fps, decimals: 1, into: canvas, x: x, y: top, scale: scale, colour: 0xFFFFFF)
        x = BitmapFont.draw("  LAT ", into: canvas, x: x, y: top, scale: scale, colour: 0xC0C0C0)
        x = BitmapFont.drawNumber(latencyMilliseconds, decimals: 1, into: canvas, x: x, y: top, scale: scale, colour: 0xFFFFFF)
        x = BitmapFont.draw(" MS  ", into: canvas, x: x, y: top, scale: scale, colour: 0xC0C0C0)
        switch listening {
        case .speech: x = BitmapFont.draw("SPEECH", into: canvas, x: x, y: top, scale: scale, colour: 0x40FF40)
        case .speechNotAnatomy: x = BitmapFont.draw("SPEECH, NOT ANATOMY", into: canvas, x: x, y: top, scale: scale, colour: 0x80C080)
        case .otherVoice: x = BitmapFont.draw("OTHER VOICE", into: canvas, x: x, y: top, scale: scale, colour: 0x80A0C0)
        case .silence: x = BitmapFont.draw("LISTENING", into: canvas, x: x, y: top, scale: scale, colour: 0x808080)
        case .noMicrophone: x = BitmapFont.draw("NO MICROPHONE", into: canvas, x: x, y: top, scale: scale, colour: 0xFFB000)
        }
        if warning.utf8CodeUnitCount > 0 {
            x = BitmapFont.draw("  ", into: canvas, x: x, y: top, scale: scale, colour: 0)
            _ = BitmapFont.draw(warning, into: canvas, x: x, y: top, scale: scale, colour: 0xFFB000)
        }
    }
}
