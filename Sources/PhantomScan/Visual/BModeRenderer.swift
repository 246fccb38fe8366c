import Glibc
import MediaFormats

/// Renders the frames of a phantom scan as a B-mode monitor shows them, with the anatomy
/// visible in each frame as labelled polygons.
///
/// Per frame: beams are traced through the rasterised scene in polar coordinates (echo
/// level + speckle - accumulated attenuation + TGC, all in dB, so shadows behind bone and
/// enhancement behind fluid come out of the same sum), log-compressed through a grey map,
/// scan-converted onto the fan, and the machine's text and scales drawn around it. Scenes are
/// rasterised once per search or hold and cached; any frame can be rendered on its own.
public struct BModeRenderer: Sendable {
    public static let framesPerSecond = 30.0

    public let layout: ScreenLayout
    public let timeline: ScanTimeline
    private let seed: UInt64
    private let speckle: SpeckleTexture
    private let converter: ScanConverter
    private var scene: SceneInstance?
    private var settings: (visit: Int, value: MachineSettings)?
    /// A close-up visit's framing, found once per visit.
    private var closeUp: (visit: Int, framing: ProbeState)?
    private let closeUpZooms: CloseUpZooms
    private var polar: [UInt8]
    /// Grey map: quarter-dB steps from `lutFloor` to 8-bit grey.
    private var greyMap: [UInt8] = []
    private static let lutFloor: Float = -80
    private static let lutCount = 4 * 120

    public init(timeline: ScanTimeline, seed: UInt64, layout: ScreenLayout = .standard,
                closeUpZooms: CloseUpZooms = .standard) {
        self.layout = layout
        self.closeUpZooms = closeUpZooms
        self.timeline = timeline
        self.seed = seed
        let scale = Double(layout.height) / 480
        let speckleSize = max(64, 1 << Int(log2(1024 * scale).rounded()))
        speckle = SpeckleTexture(seed: seed, size: speckleSize, texelMillimetres: 0.22 / scale,
                                 axialSigma: 1.5, lateralSigma: 4.0)
        converter = ScanConverter(layout: layout)
        polar = [UInt8](repeating: 0, count: converter.polarCount)
    }

    /// Frames in the session at 30 fps.
    public var frameCount: Int { Int((timeline.duration * Self.framesPerSecond).rounded(.down)) }

    /// A grey image of the layout's size to render into (reuse it for every frame).
    public func makeImage() -> Image8 { Image8(width: layout.width, height: layout.height, channels: 1) }

    /// Renders frame `frame` into `image` (grey, layout size) and returns its ground truth;
    /// `gaze` is left nil (see `GazeModel`).
    public mutating func render(frame: Int, into image: inout Image8) -> FrameLabel {
        precondition(image.width == layout.width && image.height == layout.height && image.channels == 1,
                     "render target must be a \(layout.width)x\(layout.height) grey image")
        let state = prepare(frame: frame)
        // Moved out of self while traced (exclusive access), without copying.
        var buffer: [UInt8] = []
        swap(&buffer, &polar)
        buffer.withUnsafeMutableBufferPointer { traceBeams(state, into: $0, envelope: nil) }
        swap(&buffer, &polar)
        let layout = self.layout
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            pixels.update(repeating: 0)
            polar.withUnsafeBufferPointer { converter.convert(polar: $0.baseAddress!, screen: pixels.baseAddress!) }
            ScannerOverlay.draw(into: pixels, layout: layout, settings: state.settings, frozen: state.phase.kind == .frozen)
        }
        return label(frame: frame, phase: state.phase, view: state.view)
    }

    /// The envelope before log compression (linear amplitude), samples x beams row-major,
    /// for checking speckle statistics.
    mutating func envelope(frame: Int) -> (values: [Float], beams: Int, samples: Int) {
        let state = prepare(frame: frame)
        var values = [Float](repeating: 0, count: layout.beamCount * layout.sampleCount)
        var buffer = [UInt8](repeating: 0, count: converter.polarCount)
        buffer.withUnsafeMutableBufferPointer { out in
            values.withUnsafeMutableBufferPointer { traceBeams(state, into: out, envelope: $0) }
        }
        return (values, layout.beamCount, layout.sampleCount)
    }

    /// Replaces the scene (tests: a homogeneous phantom) for the frames that follow.
    mutating func useScene(_ instance: SceneInstance) { scene = instance }

    /// What one frame is traced with.
    private struct FrameState {
        var phase: ScanPhase
        var view: ViewTransform
        var settings: MachineSettings
        /// Seeds the receiver noise: new every frame, repeated within a freeze.
        var noiseSeed: Int
        /// Angle of the blend between two independent speckle fields.
        var speckleMix: Double
    }

    /// The phase of the scan at a frame, its screen/tissue transform and machine settings,
    /// with the scene it shows made current.
    private mutating func prepare(frame: Int) -> FrameState {
        let phase = ScanPhase(timeline: timeline, time: Double(frame) / Self.framesPerSecond)
        let searching = phase.kind == .searching
        let key = 2 * phase.visit + (searching ? 0 : 1)
        if scene?.key != key && scene?.key != Int.min {
            let plane = searching || phase.visit >= timeline.visits.count ? PlaneClass.background
                                                                          : timeline.visits[phase.visit].plane
            scene = SceneInstance(key: key, plane: plane, layout: layout, seed: seed, speckleSize: speckle.size)
        }
        if settings?.visit != phase.visit {
            let plane = phase.visit < timeline.visits.count ? timeline.visits[phase.visit].plane : .background
            let value = MachineSettings(layout: layout, seed: seed, visit: phase.visit, plane: plane)
            settings = (phase.visit, value)
            greyMap = Self.greyMap(dynamicRange: value.dynamicRangeDecibels)
        }
        var probe = ProbeMotion.state(phase, seed: seed)
        let value = settings!.value
        if !searching, phase.visit < timeline.visits.count, let focus = timeline.visits[phase.visit].closeUp {
            if closeUp?.visit != phase.visit {
                let plane = timeline.visits[phase.visit].plane
                let partners = PlaneAnatomy.closeUpTargets(for: plane).filter { $0 != focus }
                closeUp = (phase.visit, CloseUpFraming.probe(focus: focus, partners: partners, scene: scene!,
                                                             layout: layout, settings: value, zooms: closeUpZooms))
            }
            probe = probe.framed(by: closeUp!.framing)
        }
        return FrameState(phase: phase, view: ViewTransform(layout: layout, scene: scene!, settings: value, probe: probe),
                          settings: value, noiseSeed: noiseSeed(phase), speckleMix: speckleMix(phase))
    }

    /// Angle of the speckle blend: it turns while the probe sweeps (the speckle decorrelates
    /// over a second or two) and stays put once the plane is held.
    private func speckleMix(_ phase: ScanPhase) -> Double {
        switch phase.kind {
        case .searching: return 1.5 * phase.poseTime
        case .approaching: return 0.6 * phase.poseTime
        case .holding, .frozen: return 0.6 * timeline.visits[phase.visit].holdStart
        }
    }

    /// Level shown as white, dB.
    private static let displayTop = 6.0

    /// Differs every frame but repeats within a freeze (the frozen image does not change).
    private func noiseSeed(_ phase: ScanPhase) -> Int {
        Int((phase.poseTime * Self.framesPerSecond).rounded()) &* 0x2545_F491 & 0x7FFF_FFFF
    }

    /// Log compression: dB to grey over the dynamic range through a power-law grey map
    /// (gamma 1.9) that keeps fluid black, speckle grainy and lets bone saturate.
    private static func greyMap(dynamicRange: Double) -> [UInt8] {
        let top = displayTop, floor = top - dynamicRange
        return (0..<lutCount).map { k in
            let decibels = Double(lutFloor) + Double(k) / 4
            let x = max(0, min(1, (decibels - floor) / (top - floor)))
            let curved = pow(x, 1.9)
            return UInt8((255 * curved).rounded())
        }
    }

    /// Traces every beam of the polar image: per depth sample, echo level + speckle -
    /// attenuation accumulated so far + TGC and gains (dB), floored by receiver noise, then
    /// log-compressed through the grey map. `envelope`, if given, receives 10^(dB/20).
    private func traceBeams(_ state: FrameState, into polar: UnsafeMutableBufferPointer<UInt8>,
                            envelope: UnsafeMutableBufferPointer<Float>?) {
        guard let scene else { return }
        let view = state.view, settings = state.settings, noiseSeed = state.noiseSeed
        let beams = layout.beamCount, samples = layout.sampleCount
        let stride = converter.polarStride
        let sampleStep = (layout.outerRadius - layout.innerRadius) / Double(samples - 1)
        let stepMillimetres = Float(sampleStep * view.millimetresPerPixel)
        let raster = scene.raster
        let rasterSize = raster.size, rasterLast = raster.size - 1
        let rasterScale = 1 / raster.texelMillimetres, rasterHalf = Double(raster.size) / 2
        let speckleScale = 1 / speckle.texelMillimetres, speckleMask = speckle.size - 1
        let speckleShift = speckle.size.trailingZeroBitCount
        let gain = Float(settings.gainDecibels)
        let lutFloor = Self.lutFloor, lutLast = Self.lutCount - 1
        // Receiver noise sits just above black (sonographers set the gain so) and rises a
        // little with depth, where the TGC amplifies it most.
        let noiseFloor = Float(Self.displayTop - settings.dynamicRangeDecibels) + 1
        let noiseRise = 5 / Float(samples)
        let noiseRow = noiseSeed & speckleMask, noiseColumn = (noiseSeed >> 16) & speckleMask
        // Fetal heart at about 140 beats per minute; a freeze stops it with the image.
        let beating = scene.heart != nil
        let heartX = (scene.heart?.centre.x ?? 0) * rasterScale + rasterHalf
        let heartY = (scene.heart?.centre.y ?? 0) * rasterScale + rasterHalf
        let heartRadius = (scene.heart?.radius ?? 1) * rasterScale
        let heartInverseRadius2 = 1 / (heartRadius * heartRadius)
        let beat = 0.07 * sin(2 * Double.pi * 2.33 * state.phase.poseTime)
        // Out-of-plane motion: blend the scene's speckle field with an independent one
        // (the texture's opposite quadrant) at angle `speckleMix`.
        let mixCos = Float(cos(state.speckleMix)), mixSin = Float(sin(state.speckleMix))
        let otherField = (speckle.size / 2) << speckleShift | (speckle.size / 2)
        let decibelsPerLog2: Float = 3.0103
        let unitPower = SpeckleTexture.fastLog2(SpeckleTexture.componentScale * SpeckleTexture.componentScale)
        raster.texels.withUnsafeBufferPointer { texels in
        speckle.quarterDecibels.withUnsafeBufferPointer { speckleLevels in
        speckle.components.withUnsafeBufferPointer { field in
        greyMap.withUnsafeBufferPointer { grey in
        settings.depthGain.withUnsafeBufferPointer { depthGain in
        settings.wallEcho.withUnsafeBufferPointer { wallEcho in
        settings.wallAttenuation.withUnsafeBufferPointer { wallAttenuation in
            for beam in 0..<beams {
                let angle = layout.beamAngle(Double(beam))
                let direction = view.rotatedScaled(Point2(sin(angle), cos(angle)))
                let start = view.origin + direction * layout.innerRadius
                let step = direction * sampleStep
                // Walk the beam in raster texels and speckle texels at once.
                var tx = start.x * rasterScale + rasterHalf, ty = start.y * rasterScale + rasterHalf
                let dtx = step.x * rasterScale, dty = step.y * rasterScale
                var sx = start.x * speckleScale + scene.speckleOffset.x, sy = start.y * speckleScale + scene.speckleOffset.y
                let dsx = step.x * speckleScale, dsy = step.y * speckleScale
                let beamGain = settings.beamGain[beam] + gain
                let wallEnd = settings.wallEnd[beam]
                var attenuated: Float = 0
                for sample in 0..<samples {
                    let echo: Float, attenuation: Float
                    if sample < wallEnd {
                        echo = wallEcho[sample]
                        attenuation = wallAttenuation[sample]
                    } else {
                        var rx = tx, ry = ty
                        if beating {
                            // The heart swells and contracts about its centre, most at the middle.
                            let dx = tx - heartX, dy = ty - heartY
                            let fall = 1 - (dx * dx + dy * dy) * heartInverseRadius2
                            if fall > 0 { rx -= dx * beat * fall; ry -= dy * beat * fall }
                        }
                        let ix = min(max(Int(rx), 0), rasterLast), iy = min(max(Int(ry), 0), rasterLast)
                        let texel = texels[iy * rasterSize + ix]
                        echo = Float(Int8(truncatingIfNeeded: texel)) * 0.5
                        attenuation = Float(texel >> 8) * Float(TissueRaster.attenuationUnit)
                    }
                    let speckleIndex = ((Int(sy) & speckleMask) << speckleShift) | (Int(sx) & speckleMask)
                    let otherIndex = speckleIndex ^ otherField
                    let re = mixCos * Float(field[2 * speckleIndex]) + mixSin * Float(field[2 * otherIndex])
                    let im = mixCos * Float(field[2 * speckleIndex + 1]) + mixSin * Float(field[2 * otherIndex + 1])
                    let speckleLevel = decibelsPerLog2 * (SpeckleTexture.fastLog2(re * re + im * im + 0.25) - unitPower)
                    let tissueLevel = echo + speckleLevel - attenuated
                    // Receiver noise: a fresh speckle-like pattern every frame, fixed to the beams.
                    let noiseIndex = (((sample &* 5 &+ noiseRow) & speckleMask) << speckleShift) | ((beam &* 3 &+ noiseColumn) & speckleMask)
                    let noiseLevel = noiseFloor + noiseRise * Float(sample) + Float(speckleLevels[noiseIndex]) * 0.25
                    let level = max(tissueLevel + depthGain[sample] + beamGain, noiseLevel)
                    attenuated += attenuation * stepMillimetres
                    let index = min(max(Int((level - lutFloor) * 4), 0), lutLast)
                    polar[sample * stride + beam] = grey[index]
                    if let envelope { envelope[sample * beams + beam] = powf(10, level / 20) }
                    tx += dtx; ty += dty; sx += dsx; sy += dsy
                }
            }
        }}}}}}}
        // Spare column and row for the scan converter's right and lower neighbours.
        for sample in 0..<samples { polar[sample * stride + beams] = polar[sample * stride + beams - 1] }
        for beam in 0...beams { polar[samples * stride + beam] = polar[(samples - 1) * stride + beam] }
    }

    private func label(frame: Int, phase: ScanPhase, view: ViewTransform) -> FrameLabel {
        let held = phase.kind == .holding || phase.kind == .frozen
        let plane = held ? timeline.visits[phase.visit].plane : .background
        var regions: [AnatomyRegion] = []
        for (name, outline) in scene?.labelled ?? [] {
            let screen = outline.map { view.screen(tissue: $0) }
            if let polygon = SectorClipping.clip(screen, layout: layout) {
                regions.append(AnatomyRegion(name: name, polygon: polygon))
            }
        }
        return FrameLabel(frame: frame, time: Double(frame) / Self.framesPerSecond, plane: plane,
                          holding: held, frozen: phase.kind == .frozen, anatomy: regions, gaze: nil)
    }
}
