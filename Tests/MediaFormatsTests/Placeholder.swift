import Testing
@testable import MediaFormats
@Test func MediaFormatsBuilds() { #expect(Bool(true)) }
