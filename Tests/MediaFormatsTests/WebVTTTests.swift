import Testing
@testable import MediaFormats
import TestSupport

@Suite struct WebVTTTests {
    static let cues = [
        TranscriptCue(start: 0.5, end: 0.82, speaker: "Sonographer", text: "there's"),
        TranscriptCue(start: 0.82, end: 1.1, speaker: "Sonographer", text: "the heart"),
        TranscriptCue(start: 62.25, end: 63.0, speaker: "Parent", text: "is <that> it & all?"),
        TranscriptCue(start: 3600.001, end: 3601.999, speaker: nil, text: "[keyboard]"),
    ]

    @Test func roundTripKeepsTimesSpeakersAndText() throws {
        let text = try WebVTT.encode(Self.cues)
        #expect(text.hasPrefix("WEBVTT\n\n1\n00:00:00.500 --> 00:00:00.820\n<v Sonographer>there's</v>\n"))
        #expect(text.contains("<v Parent>is &lt;that&gt; it &amp; all?</v>"))
        #expect(text.contains("01:00:00.001 --> 01:00:01.999"))
        let parsed = try WebVTT.parse(text)
        #expect(parsed.count == Self.cues.count)
        for (a, b) in zip(parsed, Self.cues) {
            #expect(abs(a.start - b.start) < 5e-4 && abs(a.end - b.end) < 5e-4)
            #expect(a.speaker == b.speaker && a.text == b.text)
        }
    }

    @Test func roundTripThroughAFile() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("transcript.vtt")
        try WebVTT.write(Self.cues, to: path)
        #expect(try WebVTT.read(path).map(\.text) == Self.cues.map(\.text))
    }

    @Test func toleratesNotesIdsSettingsShortTimesAndMarkup() throws {
        let text = """
        \u{FEFF}WEBVTT - made by hand\r
        Kind: captions

        NOTE this is a comment
        spanning two lines

        STYLE
        ::cue { color: white }

        intro-1
        00:01.000 --> 00:02.500 align:start position:10%
        <v.loud Dr Smith>four <b>chamber</b></v> view

        NOTEBOOK
        00:00:03.000 --> 00:00:04.000
        <c.yellow>no speaker</c>
        second line

        """
        let cues = try WebVTT.parse(text)
        #expect(cues == [
            TranscriptCue(start: 1, end: 2.5, speaker: "Dr Smith", text: "four chamber view"),
            TranscriptCue(start: 3, end: 4, speaker: nil, text: "no speaker\nsecond line"),
        ])
    }

    @Test(arguments: [
        ("WEBVTT\n\n00:00:01.00 --> 00:00:02.000\nx\n", 3),
        ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:2.000\nx\n", 4),
        ("WEBVTT\n\n00:61.000 --> 00:62.000\nx\n", 3),
        ("WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nx\n", 3),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nx\n", 3),
        ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nx\n", 4),  // no "-->": read as a cue id, so line 4 lacks timing
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n\nid\n00:00:03.000 --> abc\ny\n", 7),
    ])
    func malformedTimestampsAreErrorsWithLineNumbers(text: String, line: Int) {
        let error = #expect(throws: WebVTTError.self) { try WebVTT.parse(text, path: "t.vtt") }
        #expect(error?.line == line)
        #expect(error?.description.hasPrefix("t.vtt:\(line): ") == true)
    }

    @Test func missingSignatureIsAnError() {
        #expect(throws: WebVTTError.self) { try WebVTT.parse("1\n00:00:01.000 --> 00:00:02.000\nx\n") }
    }

    @Test func invalidCueTimesAreRefusedWhenWriting() {
        #expect(throws: WebVTTError.self) { try WebVTT.encode([TranscriptCue(start: 2, end: 1, speaker: nil, text: "x")]) }
        #expect(throws: WebVTTError.self) { try WebVTT.encode([TranscriptCue(start: -1, end: 1, speaker: nil, text: "x")]) }
    }
}
