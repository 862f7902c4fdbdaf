import Foundation
import Syntax
import TestSupport
import Testing

/// The exact canvas and hole description for holes in the fixture workspaces, compared with files under
/// `Fixtures/golden/`. Run with `DLSP_UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.
@Suite("Context golden files")
struct ContextGoldenTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var workspace: String
        var path: String
        var marked: String
        var budget: Int
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "python-new-statement", workspace: "python-app", path: "app/service.py",
            marked: """
                from app.models import User, make_user
                from app.util import slugify


                def register(name, email):
                    user = make_user(name, email)
                    ‸
                    return user
                """, budget: 400),
        Case(
            name: "python-call-arguments", workspace: "python-app", path: "app/admin.py",
            marked: """
                from app.models import User


                def promote(user: User):
                    if user.is_admin(‸):
                        return user
                """, budget: 400),
        Case(
            name: "typescript-block-body", workspace: "ts-app", path: "src/report.ts",
            marked: """
                import { Circle, totalArea } from "./geometry";

                export function describe(circles: Circle[]): string {‸
                }
                """, budget: 400),
        Case(
            name: "typescript-tight-budget", workspace: "ts-app", path: "src/report.ts",
            marked: """
                import { Circle, totalArea } from "./geometry";

                export function describe(circles: Circle[]): string {
                  const total = totalArea(circles);
                  const count = circles.length;
                  const average = total / count;
                  const largest = circles.reduce((a, b) => (a.area() > b.area() ? a : b));
                  return `${count} circles, average ${average}, largest ${largest.area()}, total ‸`;
                }
                """, budget: 60),
        Case(
            name: "plain-text", workspace: "python-app", path: "NOTES.txt",
            marked: """
                Release notes

                - make_user now validates the email: ‸
                """, budget: 200),
    ]

    @Test("context matches its golden file", arguments: cases)
    func golden(_ testCase: Case) throws {
        _ = try TestGrammars.language("python")
        _ = try TestGrammars.language("typescript")
        let index = WorkspaceIndex(registry: TestGrammars.registry)
        index.index(roots: [TestGrammars.fixtures.appendingPathComponent(testCase.workspace)])
        let marked = MarkedText(testCase.marked)
        let context = ContextBuilder(registry: TestGrammars.registry, index: index).build(
            ContextRequest(
                path: testCase.path, text: marked.bytes, cursor: marked.cursor,
                budget: ContextBudget(totalTokens: testCase.budget)))
        let hole = context.hole
        let rendered = """
            kind: \(hole.kind.rawValue)
            suggested tokens: \(hole.suggestedTokens), max: \(hole.maxTokens)
            stops: \(hole.stops)
            line suffix: \(hole.lineSuffix.debugDescription)
            indentation: \(hole.indentation.debugDescription)
            snippets: \(context.snippets.map { "\($0.path) \($0.symbols)" })
            ---
            \(context.canvas(maskCount: 3))
            """
        let url = TestGrammars.fixtures.appendingPathComponent("golden/\(testCase.name).txt")
        if ProcessInfo.processInfo.environment["DLSP_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(rendered == expected, "golden \(testCase.name) differs; rerun with DLSP_UPDATE_GOLDEN=1 and review")
    }
}
