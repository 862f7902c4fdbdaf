import JSONRPC
import Testing
@testable import LanguageServer

extension Configuration {
    /// Applies `value` to the one setting `name` (`section.key`), as an editor's settings carry it
    /// (`{ "section": { "key": value } }`); returns the names `apply` refused.
    mutating func set(_ name: String, _ value: JSONValue) -> [String] {
        let dot = name.firstIndex(of: ".")!
        return apply(.object([String(name[..<dot]): .object([String(name[name.index(after: dot)...]): value])]))
    }
}

/// `name` takes every whole number of `range` and refuses one past either end and a fraction, keeping its value.
func expectIntegerRange(
    _ name: String, _ path: KeyPath<Configuration, Int>, _ range: ClosedRange<Int>,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var configuration = Configuration()
    for value in [range.lowerBound, range.upperBound] {
        #expect(
            configuration.set(name, .number(Double(value))).isEmpty, "\(name) = \(value)",
            sourceLocation: sourceLocation)
        #expect(configuration[keyPath: path] == value, sourceLocation: sourceLocation)
    }
    for refused in [Double(range.lowerBound) - 1, Double(range.upperBound) + 1, Double(range.lowerBound) + 0.5] {
        #expect(
            configuration.set(name, .number(refused)) == [name], "\(name) = \(refused)",
            sourceLocation: sourceLocation)
        #expect(configuration[keyPath: path] == range.upperBound, sourceLocation: sourceLocation)
    }
}

/// `name` takes both ends of `range` and refuses a number past either end, keeping its value.
func expectNumberRange(
    _ name: String, _ path: KeyPath<Configuration, Float>, _ range: ClosedRange<Double>,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var configuration = Configuration()
    for value in [range.lowerBound, range.upperBound] {
        #expect(configuration.set(name, .number(value)).isEmpty, "\(name) = \(value)", sourceLocation: sourceLocation)
        #expect(configuration[keyPath: path] == Float(value), sourceLocation: sourceLocation)
    }
    for refused in [range.lowerBound - 0.5, range.upperBound + 0.5] {
        #expect(
            configuration.set(name, .number(refused)) == [name], "\(name) = \(refused)",
            sourceLocation: sourceLocation)
        #expect(configuration[keyPath: path] == Float(range.upperBound), sourceLocation: sourceLocation)
    }
}

/// `name` is a switch that defaults to `byDefault`: it takes the other value and refuses a string, keeping its value.
func expectSwitch(
    _ name: String, _ path: KeyPath<Configuration, Bool>, byDefault: Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var configuration = Configuration()
    #expect(configuration[keyPath: path] == byDefault, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration.set(name, .bool(!byDefault)).isEmpty, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration[keyPath: path] == !byDefault, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration.set(name, .string("\(byDefault)")) == [name], sourceLocation: sourceLocation)
    #expect(configuration[keyPath: path] == !byDefault, "\(name)", sourceLocation: sourceLocation)
}

/// `name` takes a string and null (none), and refuses a number, keeping its value.
func expectOptionalString(
    _ name: String, _ path: KeyPath<Configuration, String?>,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var configuration = Configuration()
    #expect(configuration[keyPath: path] == nil, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration.set(name, .string("some-value")).isEmpty, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration.set(name, .number(3)) == [name], sourceLocation: sourceLocation)
    #expect(configuration[keyPath: path] == "some-value", "\(name)", sourceLocation: sourceLocation)
    #expect(configuration.set(name, .null).isEmpty, "\(name)", sourceLocation: sourceLocation)
    #expect(configuration[keyPath: path] == nil, "\(name)", sourceLocation: sourceLocation)
}
