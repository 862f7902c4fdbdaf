import Engine
import Foundation
import Testing

/// `config.json` parsing details that the loading and parity tests do not reach.
struct ModelConfigTests {
    static var llada: [String: Any] {
        [
            "architectures": ["LLaDAModelLM"], "d_model": 64, "n_heads": 4, "n_layers": 2, "mlp_hidden_size": 96,
            "vocab_size": 300, "mask_token_id": 1, "eos_token_id": 0, "pad_token_id": 0, "weight_tying": true,
        ]
    }

    static func parse(_ json: [String: Any]) throws -> ModelConfig {
        try ModelConfig.parse(try JSONSerialization.data(withJSONObject: json), path: "config.json")
    }

    @Test func tokenIDsZeroAndOneAreNumbersNotBooleans() throws {
        var json = Self.llada
        json["bos_token_id"] = 1
        json["weight_tying"] = true
        let config = try Self.parse(json)
        #expect(config.eosTokenID == 0 && config.padTokenID == 0 && config.maskTokenID == 1 && config.bosTokenID == 1)
        json["pad_token_id"] = false  // a boolean is not an id
        #expect(try Self.parse(json).padTokenID == nil)
    }

    @Test func lladaDoesNotShiftUnlessTheConfigSaysSo() throws {
        let plain = try Self.parse(Self.llada)
        #expect(plain.family == .llada && !plain.shiftLogits)
        #expect(plain.padTokenID == 0 && plain.eosTokenID == 0 && plain.maskTokenID == 1)
        var json = Self.llada
        json["shift_logits"] = true
        let shifted = try Self.parse(json)
        #expect(shifted.family == .llada && shifted.shiftLogits)
    }
}
