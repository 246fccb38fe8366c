import Glibc
import Platform
import Testing
@testable import ControlPlane

@Suite struct ConfigTests {
    @Test func emptyTextGivesDefaults() throws {
        #expect(try ApplianceConfig.parse("", source: "empty.toml") == ApplianceConfig())
    }

    @Test func readsEverySection() throws {
        let text = """
        [video]
        source = "v4l2:/dev/showtell/grabber"
        width = 1920
        height = 1080
        pixel_format = "YUYV"
        fps = 60
        replay_pace = "fast"
        replay_loop = true
        [audio]
        source = "alsa:hw:CARD=mic"
        rate = 44100
        period_ms = 5
        periods = 8
        [display]
        output = "fbdev:/dev/fb0"
        record_path = "/tmp/out.avi"
        [model]
        bundle = "/opt/model"
        [loop]
        window = "centred"
        audio_hop_ms = 50
        heatmap_alpha = 1
        smoothing = 0.25
        [control]
        socket = "/run/x.sock"
        metrics_textfile = ""
        metrics_port = 9105
        [realtime]
        fifo_priority = 50
        mlockall = true
        """
        let config = try ApplianceConfig.parse(text, source: "full.toml")
        #expect(config.video.source == "v4l2:/dev/showtell/grabber")
        #expect(config.video.replayPace == .fast && config.video.replayLoop)
        #expect(config.video.width == 1920 && config.video.height == 1080 && config.video.fps == 60)
        #expect(config.video.pixelFormat == .yuyv)
        #expect(config.audio.source == "alsa:hw:CARD=mic" && config.audio.rate == 44100)
        #expect(config.audio.periodMilliseconds == 5 && config.audio.periods == 8)
        #expect(config.display.output == "fbdev:/dev/fb0")
        #expect(config.display.recordPath == "/tmp/out.avi")
        #expect(config.model.bundle == "/opt/model")
        #expect(config.loop.window == .centred && config.loop.audioHopMilliseconds == 50)
        #expect(config.loop.heatmapAlpha == 1.0 && config.loop.smoothing == 0.25)
        #expect(config.control.socket == "/run/x.sock" && config.control.metricsTextfile == "")
        #expect(config.control.metricsPort == 9105)
        #expect(config.realtime.fifoPriority == 50 && config.realtime.mlockall)
    }

    /// Found by fuzzing: toml++ (in TOMLKit) aborts the process on these headers instead of
    /// reporting them; showtelld died with SIGABRT on such a config file.
    @Test(arguments: [("[ (\n", 1), ("# c\n[\n", 2), ("x = 1\n[[#]]\n", 2), ("[ \u{e9}]\n", 1),
                      ("v=[}", 1), ("[video]\nx = [1,\n  }\n", 3)])
    func constructsTheTOMLParserWouldAbortOnAreSyntaxErrors(text: String, line: Int) {
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "bad.toml") }
        #expect(error?.problems.first?.line == line)
        #expect(error?.description.hasPrefix("bad.toml:\(line): TOML syntax") == true)
    }

    /// The same through `--set` (its value is read as TOML first): taken as a plain string.
    @Test func overrideTheTOMLParserWouldAbortOnIsAString() throws {
        // Returning at all is the test: toml++ aborted the process here before.
        let result = Result { try ApplianceConfig.parse("", source: "x.toml", overrides: ["video.source=[}"]) }
        if case .success(let config) = result { #expect(config.video.source == "[}") }
        #expect(TOMLHeaderCheck.abortingConstruct(in: "value = [}")?.line == 1)
    }

    /// The scan that catches them ignores strings and comments, and valid TOML passes it.
    @Test func lookalikesInStringsAndCommentsAreNotErrors() throws {
        let text = "# [ ( and [}\n[video]\nsource = \"replay:/x[}\"\n[display]\noutput = '''\n[ (\n'''\n"
        #expect(TOMLHeaderCheck.abortingConstruct(in: text) == nil)
        #expect(TOMLHeaderCheck.abortingConstruct(in: "a = [ [1, 2], { b = 1 } ]\n[ \"q\" ]\n") == nil)
    }

    @Test func unknownKeyNamesFileLineAndKnownKeys() {
        let text = "# comment\n[video]\nwidth = 640\nwidht = 480\n"
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "/etc/showtell/showtell.toml") }
        let problem = error?.problems.first
        #expect(error?.problems.count == 1)
        #expect(problem?.line == 4)
        #expect(problem?.key == "video.widht")
        #expect(error?.description.hasPrefix("/etc/showtell/showtell.toml:4: video.widht: unknown key") == true)
        #expect(error?.description.contains("width") == true)
    }

    @Test func unknownSectionIsAnError() {
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse("[vidoe]\nwidth = 1\n", source: "a.toml") }
        #expect(error?.problems.first?.key == "[vidoe]")
        #expect(error?.problems.first?.line == 1)
    }

    @Test func wrongTypeNamesExpectedType() {
        let text = "[video]\nwidth = \"wide\"\n[realtime]\nmlockall = 1\n[loop]\nwindow = \"future\"\n"
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "t.toml") }
        let lines = error?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 3)
        #expect(lines.contains("t.toml:2: video.width: expected an integer in 16...7680, found a string \"wide\""))
        #expect(lines.contains("t.toml:4: realtime.mlockall: expected true or false, found an integer 1"))
        #expect(lines.contains("t.toml:6: loop.window: expected one of \"causal\", \"centred\", found a string \"future\""))
    }

    @Test func outOfRangeAndTableValuesAreErrors() {
        let text = "[loop]\nheatmap_alpha = 1.5\n[video.extra]\nx = 1\n[model]\nthreads = 9\n"
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "t.toml") }
        #expect(error?.problems.contains { $0.key == "loop.heatmap_alpha" && $0.line == 2 } == true)
        #expect(error?.problems.contains { $0.key == "model.threads" && $0.message.contains("1...8") } == true)
        #expect(error?.problems.contains { $0.key == "video.extra" && $0.message.contains("unknown key") } == true)
    }

    /// The TOML parser stopped at a NUL byte: an unknown key or a bad value after it went
    /// unnoticed. Now the NUL itself is the error, with its line.
    @Test func nulByteIsAnErrorNamingItsLine() {
        let text = "[video]\nwidth = 640\n# \u{0}\n[video]\nwidht = 1\nheight = -5\n"
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "nul.toml") }
        #expect(error?.problems.count == 1)
        #expect(error?.description.hasPrefix("nul.toml:3: a NUL byte") == true, "\(String(describing: error))")
    }

    /// A 10 MB value was echoed whole into the error (and the log line carrying it).
    @Test func hugeValuesAreCappedInErrorsAndLogLines() {
        let huge = String(repeating: "x", count: 10_000_000)
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse("[video]\nwidth = \"\(huge)\"\n", source: "big.toml") }
        let description = error?.description ?? ""
        #expect(description.hasPrefix("big.toml:2: video.width: expected an integer"))
        #expect(description.utf8.count < 1_000 && description.contains("more bytes"), "\(description.utf8.count) bytes")
        let override = #expect(throws: ConfigError.self) { try ApplianceConfig.parse("", source: "x", overrides: ["video.width=" + huge]) }
        #expect((override?.description.utf8.count ?? .max) < 1_000)
        let line = Logger.format(.warning, "control_socket_failed", ["path": huge])
        #expect(line.utf8.count < 2_000 && line.hasSuffix("more bytes)\"\n"), "\(line.utf8.count) bytes")
    }

    @Test func syntaxErrorNamesLine() {
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse("[video]\nwidth = = 3\n", source: "bad.toml") }
        #expect(error?.problems.first?.line == 2)
        #expect(error?.description.hasPrefix("bad.toml:2: TOML syntax") == true)
    }

    @Test func commandLineOverridesParseLikeTheFile() throws {
        let config = try ApplianceConfig.parse("[video]\nwidth = 640\n", source: "t.toml", overrides: [
            "video.width=800", "video.source=replay:/data/session 1", "control.metrics_port=none",
            "loop.heatmap_alpha=0.25", "realtime.mlockall=true", "model.bundle=123", "display.output=\"null\"",
            "audio.source=none", "video.replay_pace=fast", "model.threads=2",
        ])
        #expect(config.model.threads == 2)
        #expect(config.video.width == 800)
        #expect(config.video.source == "replay:/data/session 1")
        #expect(config.audio.source == "none" && config.video.replayPace == .fast)
        #expect(config.control.metricsPort == nil)
        #expect(config.loop.heatmapAlpha == 0.25)
        #expect(config.realtime.mlockall)
        #expect(config.model.bundle == "123")
        #expect(config.display.output == "null")
    }

    @Test func badOverridesNameTheArgument() {
        let error = #expect(throws: ConfigError.self) {
            try ApplianceConfig.parse("", source: "t.toml", overrides: ["video.width=wide", "video.colour=red", "fps=3"])
        }
        let lines = error?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines == [
            "--set video.width=wide: video.width: expected an integer in 16...7680, found a string \"wide\"",
            "--set video.colour=red: video.colour: unknown key; keys of [video]: source, width, height, pixel_format, fps, replay_pace, replay_loop",
            "--set fps=3: expected section.key=value",
        ])
    }

    @Test func endpointsAreCheckedAndOldKeysSayWhatToWrite() {
        let text = "[video]\nsource = \"/dev/video0\"\n[audio]\ndevice = \"hw:0\"\n[display]\noutput = \"avi:\"\n"
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.parse(text, source: "t.toml") }
        let lines = error?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 3)
        #expect(lines.contains("t.toml:2: video.source: expected an endpoint: \"v4l2:DEVICE\", \"replay:SESSION_DIR\", \"phantom:SEED\", found a string \"/dev/video0\""))
        #expect(lines.contains("t.toml:4: audio.device: no longer a key; write audio.source = \"alsa:hw:CARD=NAME\""))
        #expect(lines.contains { $0.hasPrefix("t.toml:6: display.output: expected an endpoint") })
    }

    @Test func crossKeyRule() {
        let error = #expect(throws: ConfigError.self) {
            try ApplianceConfig.parse("[audio]\nperiod_ms = 20\n[loop]\naudio_hop_ms = 10\n", source: "t.toml")
        }
        #expect(error?.problems.first?.key == "loop.audio_hop_ms")
    }

    @Test func boardExampleFileIsValid() throws {
        let path = Self.repositoryRoot() + "/board/generic-x86_64/showtell.toml"
        let config = try ApplianceConfig.load(path: path)
        #expect(config.video.source == "v4l2:/dev/showtell/grabber")
        #expect(config.audio.source == "alsa:hw:CARD=showtellmic")
        #expect(config.display.output == "drm:/dev/dri/card0")
        #expect(config.realtime.fifoPriority == 50 && config.realtime.mlockall)
        #expect(config.control.metricsPort == nil)
    }

    @Test func missingFileIsAnErrorUnlessOptional() throws {
        let error = #expect(throws: ConfigError.self) { try ApplianceConfig.load(path: "/nonexistent/showtell.toml") }
        #expect(error?.description.hasPrefix("/nonexistent/showtell.toml: cannot read") == true)
        #expect(try ApplianceConfig.load(path: "/nonexistent/showtell.toml", overrides: ["video.fps=25"],
                                         fileIsOptional: true).video.fps == 25)
    }

    static func repositoryRoot() -> String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }
}
