import Testing
@testable import AudioFrontEnd
@Test func AudioFrontEndBuilds() { #expect(Bool(true)) }
