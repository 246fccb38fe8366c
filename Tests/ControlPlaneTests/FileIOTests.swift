import Glibc
import Platform
import Synchronization
import Testing

/// `FileIO.writeAtomically` is used by the daemon's threads (metrics textfile, snapshots,
/// session.json) while others open files.
@Suite struct FileIOTests {
    /// When rename failed, the descriptor was closed a second time; by then another thread
    /// may own that number (here: a thread that keeps opening /dev/null and checks that its
    /// descriptor stays open).
    @Test func failedRenameClosesTheDescriptorOnceAndLeavesNoTemporary() throws {
        let directory = "/tmp/showtell-fileio-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = system("rm -rf '\(directory)'") }
        try FileIO.makeDirectories(directory + "/target")
        try FileIO.writeAtomically(directory + "/target/keep", [1])  // rename onto a non-empty folder fails

        let stop = Atomic<Bool>(false), closedUnderUs = Atomic<Int>(0)
        let other = RealtimeThread(name: "fileio-other") {
            while !stop.load(ordering: .relaxed) {
                let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
                for _ in 0..<50 where fcntl(fd, F_GETFD) == -1 { closedUnderUs.wrappingAdd(1, ordering: .relaxed); break }
                if close(fd) != 0 { closedUnderUs.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        try other.start()
        var failures = 0
        for _ in 0..<3000 {
            do { try FileIO.writeAtomically(directory + "/target", [1, 2, 3]) } catch { failures += 1 }
        }
        stop.store(true, ordering: .relaxed)
        other.join()
        #expect(failures == 3000)
        #expect(closedUnderUs.load(ordering: .relaxed) == 0, "another thread's descriptor was closed by writeAtomically")
        let left = try FileManagerless.names(in: directory)
        #expect(left == ["target"], "temporaries left: \(left)")
    }

    @Test func writeReplacesAndSyncsTheFolder() throws {
        let directory = "/tmp/showtell-fileio-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = system("rm -rf '\(directory)'") }
        try FileIO.makeDirectories(directory)
        try FileIO.writeAtomically(directory + "/a", [1, 2])
        try FileIO.writeAtomically(directory + "/a", [3])
        #expect(try FileIO.readAll(directory + "/a") == [3])
        #expect(FileIO.parent(of: directory + "/a") == directory && FileIO.parent(of: "a") == "." && FileIO.parent(of: "/a") == "/")
        #expect(throws: SystemError.self) { try FileIO.syncDirectory(directory + "/missing") }
    }
}

/// Folder listing with opendir (this target does not import Foundation).
enum FileManagerless {
    static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw SystemError("opendir", subject: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
