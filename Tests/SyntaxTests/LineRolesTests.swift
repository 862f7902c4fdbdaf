import Testing
import TestSupport
@testable import Syntax

/// Lines that cannot be the line written at a cursor in code: prose and the enclosing declarations' headers.
@Suite("Line roles: prose and the headers around the cursor")
struct LineRolesTests {
    @Test("a docstring's lines and comment lines are prose; a line with code before its comment is not")
    func proseLines() throws {
        let marked = MarkedText(
            """
            def iscube(a):
                '''
                Returns True if a is a cube.
                iscube(1) ==> True
                '''
                # the sign does not matter
                a = abs(a)  # a comment after code
                name = "a string on a line of code"
                ‸
            """)
        let tree = try TestGrammars.parse(marked.text, as: "python")
        let roles = LineRoles.find(in: tree, at: marked.cursor)
        #expect(roles.stringLines == [1, 2, 3, 4] && roles.commentLines == [5])
        #expect(roles.headerLines == [0])
    }

    @Test("the headers of every declaration around the cursor, and only those")
    func headerLines() throws {
        let marked = MarkedText(
            """
            class Box {
                func other() -> Int { 1 }
                func size(
                    of item: Int
                ) -> Int {
                    let x = item
                    ‸
                }
            }
            """)
        let tree = try TestGrammars.parse(marked.text, as: "swift")
        let roles = LineRoles.find(in: tree, at: marked.cursor)
        #expect(roles.headerLines == [0, 2, 3, 4])
        #expect(roles.proseLines.isEmpty)
    }
}
