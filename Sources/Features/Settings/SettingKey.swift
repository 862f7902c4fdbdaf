import Foundation

/// A setting's value as a user wrote it: JSON in the editor's settings, `NAME=VALUE` on the command line.
public indirect enum SettingValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case object([String: SettingValue])

    /// A value typed on the command line: `true` / `false`, `null` / `none`, a number, a JSON object; anything else
    /// is a string.
    public init(commandLine text: String) {
        switch text {
        case "true": self = .bool(true)
        case "false": self = .bool(false)
        case "null", "none": self = .null
        default:
            if let number = Double(text) {
                self = .number(number)
            } else if text.hasPrefix("{"),
                let value = try? JSONDecoder().decode(SettingValue.self, from: Data(text.utf8))
            {
                self = value
            } else {
                self = .string(text)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .object(try container.decode([String: SettingValue].self))
        }
    }

    var number: Double? { if case .number(let value) = self { return value } else { return nil } }
}

/// One setting a user can change: its name, what values it takes, its default and what it does, and how it is
/// applied to and read from the settings value `Root`. The settings tables (`CompletionSettings.table`, the
/// server's configuration) are lists of these, so a new setting is written once and the server, the command line
/// and README's list all know it.
///
/// Not `Sendable`: a key holds key paths. Tables are built where they are used (`static var`), never stored.
public struct SettingKey<Root> {
    /// The name as users write it (`minConfidence`; `completion.minConfidence` once lifted into a section).
    public let name: String
    /// Earlier names that still set it.
    public let formerNames: [String]
    /// The values it takes, for people (`number 0…1`, `boolean`, `integer 1…256 or null`).
    public let valueDescription: String
    /// What it does, in one sentence.
    public let summary: String
    private let applyValue: (inout Root, SettingValue) -> Bool
    private let readValue: (Root) -> String

    public init(
        name: String, formerNames: [String] = [], valueDescription: String, summary: String,
        apply: @escaping (inout Root, SettingValue) -> Bool, read: @escaping (Root) -> String
    ) {
        self.name = name
        self.formerNames = formerNames
        self.valueDescription = valueDescription
        self.summary = summary
        applyValue = apply
        readValue = read
    }

    /// Sets the value; false (and `root` unchanged) when the value is not one the setting takes.
    public func apply(_ value: SettingValue, to root: inout Root) -> Bool {
        var changed = root
        guard applyValue(&changed, value) else { return false }
        root = changed
        return true
    }

    /// The value `root` holds, as a user would write it.
    public func read(_ root: Root) -> String { readValue(root) }

    /// The same setting inside a larger value, under `section` (`completion` + `minConfidence`).
    public func lifted<Outer>(into path: WritableKeyPath<Outer, Root>, section: String) -> SettingKey<Outer> {
        let (apply, read) = (applyValue, readValue)
        return SettingKey<Outer>(
            name: "\(section).\(name)", formerNames: formerNames.map { "\(section).\($0)" },
            valueDescription: valueDescription, summary: summary,
            apply: { outer, value in apply(&outer[keyPath: path], value) },
            read: { read($0[keyPath: path]) })
    }
}

extension SettingKey {
    /// A whole number in `range`.
    public static func integer(
        _ name: String, _ path: WritableKeyPath<Root, Int>, _ range: ClosedRange<Int>,
        _ summary: String
    ) -> Self {
        Self(
            name: name, valueDescription: "integer \(range.lowerBound)…\(range.upperBound)", summary: summary,
            apply: { root, value in
                guard let number = Self.wholeNumber(value, in: range) else { return false }
                root[keyPath: path] = number
                return true
            }, read: { String($0[keyPath: path]) })
    }

    /// A whole number in `range`, or null for none.
    public static func optionalInteger(
        _ name: String, _ path: WritableKeyPath<Root, Int?>,
        _ range: ClosedRange<Int>, _ summary: String
    ) -> Self {
        Self(
            name: name, valueDescription: "integer \(range.lowerBound)…\(range.upperBound), or null",
            summary: summary,
            apply: { root, value in
                if value == .null { root[keyPath: path] = nil; return true }
                guard let number = Self.wholeNumber(value, in: range) else { return false }
                root[keyPath: path] = number
                return true
            }, read: { $0[keyPath: path].map(String.init) ?? "null" })
    }

    /// A number in `range` (a probability when the range is 0…1).
    public static func number(
        _ name: String, formerNames: [String] = [], _ path: WritableKeyPath<Root, Float>,
        _ range: ClosedRange<Double>, _ summary: String
    ) -> Self {
        Self(
            name: name, formerNames: formerNames, valueDescription: "number \(Self.format(range))", summary: summary,
            apply: { root, value in
                guard let number = value.number, range.contains(number) else { return false }
                root[keyPath: path] = Float(number)
                return true
            }, read: { Self.format($0[keyPath: path]) })
    }

    /// A number over 0 and at most 1, or null for none.
    public static func optionalProbability(
        _ name: String, _ path: WritableKeyPath<Root, Float?>,
        _ summary: String
    ) -> Self {
        Self(
            name: name, valueDescription: "number over 0 and at most 1, or null", summary: summary,
            apply: { root, value in
                if value == .null { root[keyPath: path] = nil; return true }
                guard let number = value.number, number > 0, number <= 1 else { return false }
                root[keyPath: path] = Float(number)
                return true
            }, read: { $0[keyPath: path].map(Self.format) ?? "null" })
    }

    /// true or false.
    public static func boolean(_ name: String, _ path: WritableKeyPath<Root, Bool>, _ summary: String) -> Self {
        Self(
            name: name, valueDescription: "boolean", summary: summary,
            apply: { root, value in
                guard case .bool(let bool) = value else { return false }
                root[keyPath: path] = bool
                return true
            }, read: { String($0[keyPath: path]) })
    }

    /// A string, or null for none.
    public static func optionalString(
        _ name: String, _ path: WritableKeyPath<Root, String?>,
        _ summary: String
    ) -> Self {
        Self(
            name: name, valueDescription: "string, or null", summary: summary,
            apply: { root, value in
                switch value {
                case .null: root[keyPath: path] = nil
                case .string(let string): root[keyPath: path] = string
                default: return false
                }
                return true
            }, read: { $0[keyPath: path].map { "\"\($0)\"" } ?? "null" })
    }

    /// One of the names `choices` lists, each standing for a value.
    public static func choice<Value: Equatable>(
        _ name: String, _ path: WritableKeyPath<Root, Value>,
        _ choices: [(name: String, value: Value)], _ summary: String
    ) -> Self {
        let names = choices.map { "\"\($0.name)\"" }
        return Self(
            name: name, valueDescription: names.dropLast().joined(separator: ", ") + " or " + (names.last ?? ""),
            summary: summary,
            apply: { root, value in
                guard case .string(let text) = value, let chosen = choices.first(where: { $0.name == text }) else {
                    return false
                }
                root[keyPath: path] = chosen.value
                return true
            },
            read: { root in
                choices.first { $0.value == root[keyPath: path] }.map { "\"\($0.name)\"" } ?? "?"
            })
    }

    /// The value as a whole number in `range`, or nil.
    private static func wholeNumber(_ value: SettingValue, in range: ClosedRange<Int>) -> Int? {
        guard let number = value.number, number.rounded() == number, number >= Double(range.lowerBound),
            number <= Double(range.upperBound)
        else { return nil }
        return Int(number)
    }

    /// A number with no more digits than it needs: 0.4, 12, 0.94.
    static func format(_ value: Float) -> String {
        value.rounded() == value && abs(value) < 1e6 ? String(Int(value)) : String(value)
    }

    private static func format(_ range: ClosedRange<Double>) -> String {
        "\(format(Float(range.lowerBound)))…\(format(Float(range.upperBound)))"
    }
}

extension Array {
    /// The key named `name` (or formerly so) in a settings table.
    public func key<Root>(named name: String) -> SettingKey<Root>? where Element == SettingKey<Root> {
        first { $0.name == name || $0.formerNames.contains(name) }
    }
}

/// A `NAME=VALUE` the command line could not apply.
public struct SettingAssignmentError: Error, CustomStringConvertible {
    public let description: String
}

extension Array {
    /// Applies `NAME=VALUE` (as `dlsp complete --set` and `dlsp bench infill --set` take it) to `root`.
    public func apply<Root>(assignment: String, to root: inout Root) throws where Element == SettingKey<Root> {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw SettingAssignmentError(description: "--set takes NAME=VALUE, not \(assignment.debugDescription)")
        }
        let name = String(assignment[..<equals]), text = String(assignment[assignment.index(after: equals)...])
        guard let key = key(named: name) else {
            throw SettingAssignmentError(
                description: "no setting named \(name.debugDescription); they are: "
                    + map(\.name).joined(separator: ", "))
        }
        guard key.apply(SettingValue(commandLine: text), to: &root) else {
            throw SettingAssignmentError(
                description: "\(name) takes \(key.valueDescription), not \(text.debugDescription)")
        }
    }

    /// The table as a Markdown list: name, values, default and what it does, one setting a row.
    public func markdownTable<Root>(defaults: Root) -> String where Element == SettingKey<Root> {
        var lines = ["| setting | values | default | what it does |", "|---|---|---|---|"]
        for key in self {
            let former = key.formerNames.isEmpty ? "" : " (formerly `\(key.formerNames.joined(separator: "`, `"))`)"
            lines.append(
                "| `\(key.name)`\(former) | \(key.valueDescription) | `\(key.read(defaults))` | \(key.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}
