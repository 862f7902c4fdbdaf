import Foundation
import HTTPServer

/// `dlsp serve`'s completion request body: it parses into a request whose every field is inside its documented
/// range, or into an error naming the field.
enum HTTPBodyTarget {
    static let maxTokensLimit = 256

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let body = try? CompletionBody(json: Data(input), maxTokensLimit: maxTokensLimit) else { return }
        guard (1...maxTokensLimit).contains(body.maxTokens), (1...8).contains(body.n),
            body.stop.count <= 4, !body.stop.contains(""),
            body.temperature.map({ (0...2).contains($0) }) ?? true
        else {
            throw FuzzFinding(
                "http-body: accepted out-of-range fields: max_tokens \(body.maxTokens), n \(body.n), "
                    + "stop \(body.stop), temperature \(String(describing: body.temperature))")
        }
    }
}
