#if DLSP_LIBFUZZER
    import Foundation
    import FuzzTargets

    // libFuzzer's entry points (`scripts/fuzz.sh` builds this executable with `-sanitize=fuzzer,address` and
    // `-DDLSP_LIBFUZZER`). The target comes from DLSP_FUZZ_TARGET; the fixtures from the repository around the current
    // directory.

    /// libFuzzer's driver, which its own `main` would call.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links executables with `main` defined as `<module>_main`, so libFuzzer's own `main` is never used:
    /// this one hands the arguments to libFuzzer's driver.
    @_cdecl("dlsp_fuzz_main")
    public func dlspFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runDriver(&count, &arguments) { data, size in fuzzerTestOneInput(data, size) }
    }

    nonisolated(unsafe) private var selectedTarget: FuzzTarget?
    nonisolated(unsafe) private var resources: FuzzResources?

    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzerInitialize(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
    ) -> CInt {
        let name = ProcessInfo.processInfo.environment["DLSP_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(
                Data("DLSP_FUZZ_TARGET must name a target: \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
            exit(2)
        }
        guard let root = FuzzResources.findRoot(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)),
            let loaded = try? FuzzResources(root: root)
        else {
            FileHandle.standardError.write(Data("run inside the dlsp repository: the fixtures were not found\n".utf8))
            exit(2)
        }
        selectedTarget = target
        resources = loaded
        return 0
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        guard let target = selectedTarget, let resources else { return 0 }
        let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        do { try target.run(input, resources: resources) } catch {
            // An invariant broke: abort, so that libFuzzer saves the input as a crash.
            FileHandle.standardError.write(Data("finding: \(error)\n".utf8))
            abort()
        }
        return 0
    }
#endif
