import Testing
@testable import PhantomScan
@Test func PhantomScanBuilds() { #expect(Bool(true)) }
