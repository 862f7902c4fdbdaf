import Testing
@testable import RemoteBackends

@Suite struct RemoteBackendErrorTests {
    @Test func transientFailuresAreTheRetryableOnes() {
        #expect(RemoteBackendError.connection("refused").isTransient)
        #expect(RemoteBackendError.timeout(milliseconds: 100).isTransient)
        for code in [429, 502, 503, 504] {
            #expect(RemoteBackendError.status(code: code, message: "", retryAfter: nil).isTransient)
        }
        for code in [400, 401, 404, 413, 500] {
            #expect(!RemoteBackendError.status(code: code, message: "", retryAfter: nil).isTransient)
        }
        #expect(!RemoteBackendError.malformedResponse("x").isTransient)
    }
}
