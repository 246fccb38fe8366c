import Glibc
import Platform

/// Where the daemon may write. Paths a control-socket client names (`snapshot PATH`,
/// `record start PATH`) must lie inside `control.state_directory` (a relative path is taken
/// inside it), so a person at the socket cannot make the daemon write under /etc. The daemon
/// creates a missing folder only inside the state directory (systemd's StateDirectory= makes
/// just its top); anywhere else a missing folder is an error naming it, since creating one
/// there hides a typo in the configuration.
struct OutputLocations: Sendable {
    let stateDirectory: String

    /// `path` from a control-socket client, resolved and confined; throws naming the rule.
    func confine(_ path: String) throws(ServiceError) -> String {
        let absolute = path.hasPrefix("/") ? path : stateDirectory + "/" + path
        let (parent, name) = split(absolute)
        guard !name.isEmpty, name != ".", name != ".." else { throw ServiceError("\(path): names a folder, not a file") }
        try prepareParent(of: absolute)
        guard let real = Self.realPath(parent), let state = Self.realPath(stateDirectory),
              real == state || real.hasPrefix(state == "/" ? "/" : state + "/")
        else {
            throw ServiceError("\(path): outside the state directory \(stateDirectory); control-socket writes go there (control.state_directory)")
        }
        // A symbolic link there could point anywhere (a recording opens its path, following it).
        var info = stat()
        if lstat(real + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
            throw ServiceError("\(path): is a symbolic link; control-socket writes must name a plain file in the state directory")
        }
        return real + "/" + name
    }

    /// Makes sure `path`'s folder exists: created when inside the state directory, else an error.
    func prepareParent(of path: String) throws(ServiceError) {
        let (parent, _) = split(path)
        if FileIO.exists(parent) { return }
        let state = stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory
        guard !parent.split(separator: "/").contains(".."), parent.hasPrefix(state + "/"), FileIO.exists(state) else {
            throw ServiceError("folder \(parent) does not exist; create it (the daemon creates folders only inside its state directory \(stateDirectory))")
        }
        do { try FileIO.makeDirectories(parent) } catch { throw ServiceError("cannot create \(parent): \(error)") }
    }

    private func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        return (parent, String(path[path.index(after: slash)...]))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
