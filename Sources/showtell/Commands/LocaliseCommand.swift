import ArgumentParser
import Foundation
import Evaluation

struct LocaliseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localise",
        abstract: "Draw what the box shows at chosen moments of a recorded session: frame, heatmap, and (with ground truth) the named structure and the words.",
        discussion: """
            The heatmap is the bundle's localisation map (the manifest's outputs.localisation) of \
            the 0.6 s audio window centred on each --at time against that moment's frame; a bundle \
            with a live-image mask first watches the 60 frames before the moment, as on the box. \
            Sessions with transcript.vtt and labels.jsonl also show the words spoken, the gaze, the \
            named structure's outline and whether the map's maximum hits it (pointing game). \
            Each line also gives the peak's position (recording pixels), the window's speech share \
            (the box draws heat from 0.3) and, when judged, the margin: (peak - best cell off the \
            structure) / the map's range, 0 when the peak cell misses it.
            """
    )

    @Argument(help: "Session folder (session.json, video.avi, audio.wav).") var session: String
    @Option(help: "Model bundle folder (float or int8).") var model: String
    @Option(help: "Moment to draw, in seconds (repeat for several).") var at: [Double]
    @Option(help: "Output picture (.png).") var out: String
    @Option(help: "Threads.") var threads = 1
    @Option(help: "Move the audio window against the frame by this many seconds (positive: later audio), to see how the map depends on audio and video arriving out of step.")
    var audioOffset: Double = 0
    @Option(help: "Also write every moment's whole map here (JSON: time, frame, and per cell its centre in recording pixels and its value), for tools that compare maps.")
    var mapsOut: String?

    func run() throws {
        let moments = try MomentOverlay.render(session: session, bundle: model, times: at, out: out, threads: threads, audioOffset: audioOffset)
        for m in moments {
            var line = String(format: "%7.2f s  frame %5d  ", m.time, m.frame)
            line += m.named.isEmpty ? "no anatomy named" : "named \(m.named.joined(separator: ","))"
            if let s = m.structure, let p = m.pointing { line += "  pointing \(s): " + (p >= 1 ? "hit" : p > 0 ? String(format: "%.2f", p) : "miss") }
            if let inside = m.peakCellInside { line += String(format: " (peak cell %.0f %% on it)", inside * 100) }
            if let p = m.peak { line += String(format: "  peak at (%.0f, %.0f)", p.x, p.y) }
            line += String(format: "  speech %.2f", m.speech)
            if let margin = m.margin { line += String(format: "  margin %.2f", margin) }
            if let r = m.relevance { line += String(format: "  p(anatomy) %.3f", r) }
            if !m.words.isEmpty { line += "  \"\(m.words)\"" }
            print(line)
        }
        print("wrote \(out)")
        if let mapsOut { try writeMaps(moments, to: mapsOut) }
    }

    private func writeMaps(_ moments: [MomentOverlay.Moment], to path: String) throws {
        let rows: [[String: Any]] = moments.map { m in
            ["time": m.time, "frame": m.frame, "audio_offset": audioOffset,
             "cells": m.cells.map { [$0.x, $0.y, $0.value] }]
        }
        let data = try JSONSerialization.data(withJSONObject: ["moments": rows], options: [.sortedKeys])
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw ValidationError("cannot write --maps-out \(path): check that its folder exists and is writable")
        }
        print("wrote \(path)")
    }
}
