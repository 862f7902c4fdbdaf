"""The new-code hole set of eval_infill.py (`--new-code`) on tiny files made here: the file is cut after the
function, the hole is one row of the function's body (never its header, docstring, a comment, a short row, or a row
whose text the cut file repeats), and the draw keeps to one hole per function and two per file.

    cd Training && python -m pytest -q tests
"""
import collections
import os
import random
import sys

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING)

from eval_infill import make_new_code_holes, new_code_candidates, new_code_hole  # noqa: E402

# `load` has a two-row header, a docstring, a comment, a short row, a row repeated inside it, a row that the
# constant above and the docstring repeat, and a row that only `save` (below it, so cut away) repeats.
PY = '''import os

CONSTANT = "value = compute(1)"


class Store:
    def load(self, path,
             mode="r"):
        """Read a file.

        value = compute(1)
        """
        # open it and read it
        with open(path, mode) as handle:
            data = handle.read()
        value = compute(1)
        i = 0
        result = data.strip()
        result = data.strip()
        text = self.render()

        return result

    def save(self, path):
        text = self.render()
        return os.path.join(path, text)


def after(x):
    return x + 1
'''


def rows_of(text):
    return text.split("\n")


def test_python_holes_are_unrepeated_body_rows_of_a_cut_file():
    rows = rows_of(PY)
    at = {r.strip(): k for k, r in enumerate(rows) if r.strip()}
    functions = {rows[k].strip().split("(")[0]: k for k in range(len(rows)) if rows[k].lstrip().startswith("def ")}
    rejected = collections.Counter()
    candidates = new_code_candidates(PY, "python", rejected)
    by_last = {last: eligible for last, eligible in candidates}
    load_end, save_end = at["return result"], at["return os.path.join(path, text)"]
    # load: only its unrepeated code rows; `text = self.render()` counts, as save is below the cut
    assert sorted(by_last[load_end]) == [at["with open(path, mode) as handle:"], at["data = handle.read()"],
                                         load_end - 2, load_end]
    assert rows[load_end - 2].strip() == "text = self.render()"
    # save: its first row repeats load's, so only its last row is left
    assert by_last[save_end] == [save_end]
    # the docstring's blank row counts as blank
    assert rejected["repeated in the cut file"] >= 3 and rejected["string or docstring"] == 3
    assert rejected["comment"] == 1 and rejected["under 4 characters"] == 1
    header = {functions["def load"], functions["def load"] + 1, functions["def save"], functions["def after"]}
    docstring = set(range(functions["def load"] + 2, functions["def load"] + 6))
    for last, eligible in candidates:
        for row in eligible:
            assert row not in header and row not in docstring
            hole = new_code_hole(PY, last, row)
            cut = hole["prefix"] + hole["middle"] + hole["suffix"]
            # the file up to the function's last row, nothing below it
            assert cut == "\n".join(rows[:last + 1]) + "\n"
            assert hole["prefix"].endswith("\n" + rows[row][:len(rows[row]) - len(rows[row].lstrip())])
            assert hole["middle"] == rows[row].strip() and hole["suffix"].startswith("\n")
            assert cut.count(hole["middle"]) == 1
            # inside the function: after its def row, not after its last row
            start = max(k for k in functions.values() if k < row)
            assert start < row <= last


def test_draw_keeps_one_hole_per_function_and_two_per_file():
    files = [(f"repo{k % 3}", f"pkg/mod{k}.py", PY.replace("Store", f"Store{k}")) for k in range(6)]
    holes = make_new_code_holes(files, "python", 50, random.Random("5:python:new-code"), collections.Counter())
    again = make_new_code_holes(files, "python", 50, random.Random("5:python:new-code"), collections.Counter())
    assert holes == again
    per_file = collections.Counter(h["path"] for h in holes)
    # every file has three functions with an eligible row (load, save, after): two holes each, in every file
    assert set(per_file.values()) == {2} and len(per_file) == 6
    # one hole per function: no two holes of a file cut at the same place
    cuts = {(h["path"], len(h["prefix"] + h["middle"] + h["suffix"])) for h in holes}
    assert len(cuts) == len(holes)
    assert {h["kind"] for h in holes} == {"line"} and {h["set"] for h in holes} == {"new-code"}
    assert {h["language"] for h in holes} == {"python"}


SWIFT = '''protocol Shape {
    func area() -> Double
}

struct Square: Shape {
    var side: Double

    /// The area.
    func area() -> Double {
        // side squared
        let squared = side * side
        let label = "{ not a brace"
        return squared
    }
}
'''


def test_swift_body_rows_skip_comments_and_declarations_without_a_body():
    rows = rows_of(SWIFT)
    at = {r.strip(): k for k, r in enumerate(rows) if r.strip()}
    candidates = new_code_candidates(SWIFT, "swift", collections.Counter())
    # the protocol's requirement has no body: the only function is Square's, cut at its closing brace
    assert [last for last, _ in candidates] == [at["return squared"] + 1]
    assert candidates[0][1] == [at["let squared = side * side"], at['let label = "{ not a brace"'],
                                at["return squared"]]
