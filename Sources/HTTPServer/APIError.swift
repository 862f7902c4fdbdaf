import Foundation
import Hummingbird

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with a matching status.
package struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?
    var retryAfter: Int?

    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func missingField(_ name: String) -> APIError {
        invalidRequest("'\(name)' is a required property", param: name, code: "missing_required_parameter")
    }

    static func wrongType(_ name: String, _ expected: String) -> APIError {
        invalidRequest("'\(name)' must be \(expected)", param: name, code: "invalid_type")
    }

    static func unknownModel(_ name: String) -> APIError {
        APIError(
            status: .notFound, message: "The model '\(name)' does not exist", type: "invalid_request_error",
            param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(
        status: .unauthorized, message: "Missing or invalid bearer token",
        type: "invalid_request_error", code: "invalid_api_key")

    static func queueFull(retryAfter: Int) -> APIError {
        APIError(
            status: .tooManyRequests, message: "The server is busy; try again shortly", type: "requests",
            code: "rate_limit_exceeded", retryAfter: retryAfter)
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "The request body exceeds \(limit) bytes",
            type: "invalid_request_error", code: "request_too_large")
    }

    static func server(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }

    static let notFound = APIError(
        status: .notFound, message: "Unknown endpoint", type: "invalid_request_error",
        code: "unknown_url")

    var response: Response {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a handler throws — ours, the router's 404, the body limit's 413 — into an OpenAI-style body,
/// so no client ever sees an empty or HTML error, and nothing a request does takes the server down.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound: return APIError.notFound.response
            case .contentTooLarge: return APIError.tooLarge(context.maxUploadSize).response
            default:
                return APIError(
                    status: error.status, message: error.status.reasonPhrase,
                    type: error.status.code < 500 ? "invalid_request_error" : "server_error"
                ).response
            }
        } catch {
            context.logger.error("request failed: \(error)")
            return APIError.server("internal error").response
        }
    }
}
