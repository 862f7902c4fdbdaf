#!/usr/bin/env python3
"""Single-line infill on the held-out repositories, per language: exact match of the model against a trivial
baseline (repeat the previous non-blank line).

For each hole: a held-out file, a random line that is not blank (and not the first or last line); the line's
indentation stays in the prefix, the line's content is the middle, the suffix starts with the newline. The canvas is
`<|file_sep|>path\\n{prefix}<|mask|> x m{suffix}` cut to --window tokens around the hole (prefix cut at its start,
suffix at its end, 3/4 of the room for the prefix). Decoding: --steps denoising steps; each step commits the
ceil(remaining/steps_left) most confident masked positions (argmax; confidence = softmax probability). The prediction
is the hole's text up to the first <|endoftext|>. A hit is an exact match after stripping trailing whitespace.

  python eval_infill.py --checkpoint work/run/last.pt --out work/eval/last.json
  python eval_infill.py --model-dir ../Models/default
  python eval_infill.py --table work/eval        # markdown table of all results there, by tokens trained
  python eval_infill.py --write-holes work/eval/holes.jsonl --holes 40   # then: dlsp bench infill work/eval/holes.jsonl
  python eval_infill.py --new-code work/eval/newcode.jsonl --holes 100 --seed 5

--new-code writes single-line holes ("set": "new-code") the way a user writes new code: a function being written,
the file cut right after it so nothing below is seen, one line of its body removed (not its header, a blank row, a
comment, a docstring or string, nor a row of under 4 characters) whose text occurs nowhere else in the cut file, so
that copying a line of the file cannot answer it. Functions are found with `ast` for Python and by matching braces
for JavaScript, Swift and C (a C function's signature at column 0); at most one hole per function and two per file,
taken in turn from the repositories.
"""
import argparse
import ast
import collections
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import EOS, FILE_SEP, MASK, Shards, choose_middle, line_spans  # noqa: E402
from model import DiffusionLM, ModelConfig  # noqa: E402


def make_holes(shards, lang, n, rng):
    f = shards.files
    li = shards.languages.index(lang)
    idx = [int(i) for i in np.nonzero((f[:, 3] == li) & (f[:, 4] == 1) & (f[:, 1] > 32))[0]]
    holes = []
    tries = 0
    while idx and len(holes) < n and tries < n * 50:
        tries += 1
        i = rng.choice(idx)
        text = shards.decode(shards.file_tokens(i))
        lines = line_spans(text)
        if len(lines) < 3:
            continue
        li_ = rng.randrange(1, len(lines) - 1)
        s, e = lines[li_]
        content = text[s:e]
        stripped = content.strip()
        if not stripped:
            continue
        indent = len(content) - len(content.lstrip(" \t"))
        prev = ""
        for j in range(li_ - 1, -1, -1):
            c = text[lines[j][0]:lines[j][1]].strip()
            if c:
                prev = c
                break
        holes.append({"file": i, "path": shards.paths[i], "prefix": text[:s + indent],
                      "middle": content[indent:].rstrip(), "suffix": text[e:], "prev": prev})
    return holes


def make_block_holes(shards, lang, n, rng):
    """Multi-line holes (2-8 whole lines, the first line's indentation left in the prefix)."""
    f = shards.files
    li = shards.languages.index(lang)
    idx = [int(i) for i in np.nonzero((f[:, 3] == li) & (f[:, 4] == 1) & (f[:, 1] > 32))[0]]
    holes, tries = [], 0
    while idx and len(holes) < n and tries < n * 50:
        tries += 1
        i = rng.choice(idx)
        text = shards.decode(shards.file_tokens(i))
        ch = choose_middle(text, rng, "block")
        if ch is None or not ch[1].strip():
            continue
        prefix, middle, suffix, _ = ch
        holes.append({"language": lang, "path": shards.paths[i], "prefix": prefix, "middle": middle,
                      "suffix": suffix, "kind": "block"})
    return holes


def rest_of_line(hole):
    """The same single-line hole as an editor sees it mid-line: the cursor after what a user has typed of it (up to
    its first `= ` or `(`, else its first space), the rest of the line to fill. None when nothing would be left to
    type or to fill."""
    middle = hole["middle"]
    assign, call = middle.find("= "), middle.find("(")
    cuts = ([assign + 2] if assign >= 0 else []) + ([call + 1] if call >= 0 else [])
    if not cuts and " " in middle:
        cuts = [middle.index(" ") + 1]
    if not cuts or not middle[min(cuts):].strip():
        return None
    k = min(cuts)
    return dict(hole, prefix=hole["prefix"] + middle[:k], middle=middle[k:])


def write_rest_of_line_holes(source, path):
    """Rest-of-line variants (`rest_of_line`) of the single-line holes in `source`, for `dlsp bench infill`."""
    holes = [json.loads(line) for line in open(source)]
    kept = [h for h in (rest_of_line(h) for h in holes if h["kind"] == "line") if h]
    with open(path, "w") as out:
        out.writelines(json.dumps(h) + "\n" for h in kept)
    print(f"wrote {len(kept)} rest-of-line holes to {path}")


def write_workspaces(shards, source, root, path):
    """The holes of `source` with their repositories: every held-out file of a hole's repository is written under
    root/<repository>/, and each hole gains "workspace" (that folder, relative to `path`'s folder), so that
    `dlsp bench infill` indexes it and builds the context an editor open on that repository would (snippets of other
    files' definitions). A hole whose file is not among the held-out files is left out."""
    holes = [json.loads(line) for line in open(source)]
    f = shards.files
    by_path = {}
    for i in np.nonzero(f[:, 4] == 1)[0]:
        by_path.setdefault(shards.paths[int(i)], []).append(int(i))
    written, kept = set(), []
    for h in holes:
        repo = None
        for i in by_path.get(h["path"], []):
            text = shards.decode(shards.file_tokens(i))
            if text.startswith(h["prefix"]) and text.endswith(h["suffix"]):
                repo = int(f[i, 2])
                break
        if repo is None:
            continue
        folder = shards.repos[repo][1].replace("/", "__")
        if repo not in written:
            for j in np.nonzero((f[:, 4] == 1) & (f[:, 2] == repo))[0]:
                target = os.path.join(root, folder, shards.paths[int(j)])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w") as out:
                    out.write(shards.decode(shards.file_tokens(int(j))))
            written.add(repo)
        workspace = os.path.relpath(os.path.join(root, folder), os.path.dirname(os.path.abspath(path)))
        kept.append(dict(h, workspace=workspace))
    with open(path, "w") as out:
        out.writelines(json.dumps(h) + "\n" for h in kept)
    print(f"wrote {len(kept)} of {len(holes)} holes with {len(written)} repositories under {root} to {path}")


def write_holes(shards, languages, n, seed, path):
    """The holes for `dlsp bench infill` (the Swift engine path): n single-line and n multi-line per language."""
    count = 0
    with open(path, "w") as out:
        for lang in languages:
            if lang not in shards.languages:
                continue
            for h in make_holes(shards, lang, n, random.Random(f"{seed}:{lang}")):
                out.write(json.dumps({"language": lang, "path": h["path"], "prefix": h["prefix"],
                                      "middle": h["middle"], "suffix": h["suffix"], "kind": "line"}) + "\n")
                count += 1
            for h in make_block_holes(shards, lang, n, random.Random(f"{seed}:{lang}:block")):
                out.write(json.dumps(h) + "\n")
                count += 1
    print(f"wrote {count} holes to {path}")


# New-code holes: a function being written. The file is cut right after the function (nothing below it is seen) and
# one line of its body is removed, a line whose text the cut file holds nowhere else, so that no copy of a line
# already in the file can answer it: the model has to write new code. Functions are found with `ast` for Python and
# with a brace-matching scan for the brace languages; a function is offered as `(last_row, body_rows)`, 0-based
# rows of `line_spans`, `body_rows` the rows strictly between its header and its end (its closing brace, for the
# brace languages).

NEW_CODE_LANGUAGES = ("python", "javascript", "swift", "c")
# Why a candidate body row is turned down, in the order the checks run (the first that fails is counted).
LINE_REJECTIONS = ("blank", "comment", "string or docstring", "preprocessor row", "under 4 characters",
                   "repeated in the cut file")
# Why a function is turned down: the first five before it counts among the functions found, the last two after.
FUNCTION_REJECTIONS = ("file does not parse", "rows out of step with ast", "header-like row without a body",
                       "body on the header's row", "braces do not match", "function without body rows",
                       "function without an eligible row")


def python_functions(text, rejected):
    """([(last_row, body_rows)], noncode_rows) for every def and async def in a Python file, nested ones included.
    noncode_rows maps a row to why it is not code: "comment", or "string or docstring" for the rows of a string
    statement (docstrings) and the continuation rows of any other string spanning several lines."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        rejected["file does not parse"] += 1
        return [], {}
    rows = [text[s:e] for s, e in line_spans(text)]
    noncode = {}
    for node in ast.walk(tree):
        value = getattr(node, "value", None)
        if isinstance(node, ast.Expr) and (isinstance(value, ast.JoinedStr)
                                           or isinstance(value, ast.Constant) and isinstance(value.value, str)):
            for r in range(node.lineno - 1, node.end_lineno):
                noncode[r] = "string or docstring"
        elif isinstance(node, (ast.Constant, ast.JoinedStr)) and node.end_lineno > node.lineno:
            for r in range(node.lineno, node.end_lineno):  # rows after the first begin inside the string
                noncode[r] = "string or docstring"
    for r, row in enumerate(rows):
        if r not in noncode and row.lstrip().startswith("#"):
            noncode[r] = "comment"
    functions = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        # ast counts rows as the tokenizer does; a file whose rows differ from line_spans' (a lone \r, a form
        # feed) would put the hole on the wrong row, so the def row must read as one
        if node.lineno > len(rows) or "def" not in rows[node.lineno - 1]:
            rejected["rows out of step with ast"] += 1
            continue
        first = node.body[0]
        decorators = getattr(first, "decorator_list", [])
        start = decorators[0] if decorators else first
        # The body must begin on a row of its own: `def f(): return x` (or a signature whose last row holds the
        # body) has no body row that is not also the header.
        lead = rows[start.lineno - 1].encode()[:start.col_offset].strip()
        if start.lineno <= node.lineno or lead not in (b"", b"@"):
            rejected["body on the header's row"] += 1
            continue
        functions.append((node.end_lineno - 1, list(range(start.lineno - 1, node.end_lineno))))
    return functions, noncode


# What brace_scan says a character is.
CODE, COMMENT, STRING, PREPROCESSOR = 1, 2, 3, 4


def brace_scan(text, lang):
    """A per-character state of `text`: CODE, COMMENT, STRING (inside a string, a template literal or a JavaScript
    regular expression; the opening delimiter is CODE, so that a row beginning with a string literal reads as code)
    or PREPROCESSOR (C's # rows with their continuations). Naive by design: it knows the languages' comment and
    string delimiters and escapes, JavaScript's regular-expression literals after an operator, Swift's raw and
    multi-line strings and nested block comments, but not string interpolation; `brace_functions` checks each
    brace match's indentation, which catches most of what this gets wrong."""
    n = len(text)
    state = bytearray([CODE]) * n
    i = 0
    last = ""  # the last code character that is not a space, to tell a JavaScript regex from a division
    line_start = True  # only white space so far on this row (for C's preprocessor rows)

    def mark(start, end, what):
        state[start:end] = bytes([what]) * (min(end, n) - start)

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "\n":
            line_start = True
            i += 1
            continue
        if lang == "c" and line_start and c == "#":
            # a preprocessor row, with its backslash continuations: braces in a macro are not the file's
            j = i
            while j < n and not (text[j] == "\n" and text[j - 1] != "\\"):
                j += 1
            mark(i, j, PREPROCESSOR)
            i = j
            continue
        if not c.isspace():
            line_start = False
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            mark(i, j, COMMENT)
            i = j
            continue
        if c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                elif lang == "swift" and text.startswith("/*", j):  # Swift's block comments nest
                    depth, j = depth + 1, j + 2
                else:
                    j += 1
            mark(i, j, COMMENT)
            i = j
            continue
        if lang == "swift" and c == "#" and nxt in '#"':
            # a raw string #"..."# (any number of #): ends at a quote followed by as many #
            j = i
            while j < n and text[j] == "#":
                j += 1
            if j < n and text[j] == '"':
                multi = text.startswith('"""', j)
                close = ('"""' if multi else '"') + "#" * (j - i)
                k = text.find(close, j + (3 if multi else 1))
                k = n if k < 0 else k + len(close)
                mark(i + 1, k, STRING)
                i, last = k, '"'
                continue
        if lang == "swift" and text.startswith('"""', i):
            k = i + 3
            while k < n and not text.startswith('"""', k):
                k += 2 if text[k] == "\\" else 1
            k = min(n, k + 3)
            mark(i + 1, k, STRING)
            i, last = k, '"'
            continue
        quotes = '"' if lang == "swift" else "\"'`" if lang == "javascript" else "\"'"
        if lang == "javascript" and c == "/" and (last == "" or last in "(,=:[!&|?{};+-*%<>~^"):
            quotes += "/"  # a regular-expression literal, read as a string (its [...] may hold a /)
        if c in quotes:
            k, depth, in_class = i + 1, 0, False
            while k < n:
                ch = text[k]
                if ch == "\\":
                    k += 2
                    continue
                if c == "`":
                    # a template literal: ${...} may hold braces, counted so that its closing } is not the end
                    if ch == "$" and k + 1 < n and text[k + 1] == "{":
                        depth, k = depth + 1, k + 2
                        continue
                    if depth and ch == "{":
                        depth += 1
                    elif depth and ch == "}":
                        depth -= 1
                    elif not depth and ch == "`":
                        break
                elif c == "/":
                    if ch == "[":
                        in_class = True
                    elif ch == "]":
                        in_class = False
                    elif ch == "/" and not in_class:
                        break
                    elif ch == "\n":
                        break  # not a regex after all: given up at the end of the row
                elif ch == c or ch == "\n":  # an unterminated quote ends with its row
                    break
                k += 1
            mark(i + 1, k + 1, STRING)
            i, last = k + 1, c
            continue
        if not c.isspace():
            last = c
        i += 1
    return state


# A row that begins a function's header, on its stripped text (C: on the row itself, at column 0).
SWIFT_HEADER = re.compile(
    r"(?:(?:@[\w.]+(?:\([^)]*\))?|public|private|fileprivate|internal|open|package|static|class|final|override|"
    r"mutating|nonmutating|convenience|required|nonisolated|dynamic|optional|consuming|borrowing|__consuming)\s+)*"
    r"(?:func\s+\S|init[?!]?\s*[(<]|deinit\s*\{|subscript\s*[(<])")
JS_HEADER = re.compile(
    r"(?:export\s+(?:default\s+)?)?(?:async\s+)?function\b"  # a function declaration or expression
    r"|(?:export\s+)?(?:const|let|var)\s+[\w$]+\s*=\s*(?:async\s+)?(?:function\b|(?:\([^()]*\)|[\w$]+)\s*=>\s*\{)"
    # a class method; a call matches too, and header_opening turns it down (something other than `{` after its `)`)
    r"|(?:static\s+)?(?:async\s+)?(?:get\s+|set\s+)?\*?\s*#?[\w$]+\s*\(")
JS_NOT_METHOD = re.compile(r"(?:if|for|while|switch|catch|with|return|await|typeof|new|throw|super|else|do|yield|"
                           r"delete|void|in|of|case)\b")
C_HEADER = re.compile(r"(?!(?:typedef|return|if|else|for|while|switch|do|goto|case|default|extern)\b)"
                      r"[A-Za-z_][\w \t*]*?\b[A-Za-z_]\w*\s*\(")


# What may begin the row after a header's row, or end the header's row, when the header goes on below (a return
# type, a where clause, K&R's `{` on a row of its own); any other row break at parenthesis depth 0 ends the header,
# so that a declaration without a body (a Swift protocol's requirement) never reaches the next function's `{`.
HEADER_GOES_ON = ("{", "->", "=>", "where", "throws", "rethrows", "async", "&", ",")


def header_opening(text, state, spans, r, start, lang):
    """The offset of the `{` that opens the body of the header beginning at `start` on row r, or None: the first `{`
    at parenthesis depth 0, before any `;` or `}` at depth 0, within 8 rows. For JavaScript and C nothing but `=>`
    and white space may come between the parameters' closing `)` and it (JavaScript: the first parentheses, C: the
    last), which turns down calls and declarations."""
    depth, closed, i = 0, False, start
    limit = spans[min(r + 8, len(spans) - 1)][1]
    while i < limit:
        ch = text[i]
        if ch == "\n":
            row_end = text[spans[r][0]:i].rstrip()
            r += 1
            if depth == 0 and not (row_end.endswith(HEADER_GOES_ON)
                                   or text[i + 1:spans[r][1]].lstrip().startswith(HEADER_GOES_ON)):
                return None
        elif state[i] == CODE:
            if ch == "{" and depth == 0:
                return i
            if ch in ";}" and depth == 0:
                return None
            if ch in "([":
                if lang == "c" and depth == 0:
                    closed = False  # C: the last parentheses count, for a name made by a macro: `int NAME(f)(int x)`
                depth += 1
            elif ch in ")]":
                depth -= 1
                if depth < 0:
                    return None
                closed = closed or (depth == 0 and ch == ")")
            elif closed and lang != "swift" and not ch.isspace() and ch not in "=>":
                return None
        i += 1
    return None


def brace_functions(text, lang, rejected):
    """([(last_row, body_rows)], noncode_rows) for the functions of a brace language: a header row (SWIFT_HEADER,
    JS_HEADER, C_HEADER at column 0), its body's `{` (the first at parenthesis depth 0 after the header, within a
    few rows, with no `;` before it, and for JavaScript and C nothing but `=>` or white space between the
    parameters' `)` and it), and the matching `}`, which must begin its row at the header's indentation (a
    mis-scanned string or regex shows as a mismatch here). The body is the rows strictly between the `{` row and
    the `}` row; noncode_rows are the rows that begin inside a comment ("comment") or a string ("string or
    docstring")."""
    state = brace_scan(text, lang)
    spans = line_spans(text)
    row_of = []
    for r, (s, e) in enumerate(spans):
        row_of.extend([r] * (e - s + 1))
    # rows that begin (first non-blank character) outside code
    why = {COMMENT: "comment", STRING: "string or docstring", PREPROCESSOR: "preprocessor row"}
    noncode = {}
    for r, (s, e) in enumerate(spans):
        row = text[s:e]
        k = s + len(row) - len(row.lstrip())
        if k < e and state[k] != CODE:
            noncode[r] = why[state[k]]
    # match braces over the code characters
    match, stack = {}, []
    for i in range(len(text)):
        if text[i] == "{" and state[i] == CODE:
            stack.append(i)
        elif text[i] == "}" and state[i] == CODE and stack:
            match[stack.pop()] = i
    functions = []
    for r, (s, e) in enumerate(spans):
        row = text[s:e]
        stripped = row.lstrip()
        indent = len(row) - len(stripped)
        if r in noncode or not stripped:
            continue
        if lang == "c":
            if indent or not C_HEADER.match(row):
                continue
        elif lang == "swift":
            if not SWIFT_HEADER.match(stripped):
                continue
        elif not JS_HEADER.match(stripped) or JS_NOT_METHOD.match(stripped):
            continue
        opening = header_opening(text, state, spans, r, s + indent, lang)
        if opening is None:
            rejected["header-like row without a body"] += 1
            continue
        closing = match.get(opening)
        if closing is None:
            rejected["braces do not match"] += 1
            continue
        open_row, close_row = row_of[opening], row_of[closing]
        if close_row == open_row:
            rejected["body on the header's row"] += 1  # `func f() { x }`
            continue
        cs, ce = spans[close_row]
        close_text = text[cs:ce]
        if close_text.lstrip()[:1] != "}" or len(close_text) - len(close_text.lstrip()) != indent:
            rejected["braces do not match"] += 1
            continue
        functions.append((close_row, list(range(open_row + 1, close_row))))
    return functions, noncode


def new_code_candidates(text, lang, rejected):
    """The functions of one file that can hold a new-code hole: [(last_row, [eligible body rows])], each with at
    least one row. `rejected` counts why functions and candidate body rows were turned down."""
    finder = python_functions if lang == "python" else lambda t, rj: brace_functions(t, lang, rj)
    functions, noncode = finder(text, rejected)
    spans = line_spans(text)
    out = []
    for last_row, body_rows in functions:
        rejected["functions"] += 1
        if not body_rows:
            rejected["function without body rows"] += 1
            continue
        cut = text[:spans[last_row][1]] + "\n"
        eligible = []
        for r in body_rows:
            rejected["body rows"] += 1
            stripped = text[spans[r][0]:spans[r][1]].strip()
            if not stripped:
                why = "blank"
            elif r in noncode:
                why = noncode[r]
            elif len("".join(stripped.split())) < 4:
                why = "under 4 characters"
            elif cut.count(stripped) > 1:
                # anywhere in the cut file, the row itself and the rest of the function included: not only as a
                # whole row but inside a longer one too
                why = "repeated in the cut file"
            else:
                eligible.append(r)
                continue
            rejected[why] += 1
        if eligible:
            out.append((last_row, eligible))
        else:
            rejected["function without an eligible row"] += 1
    return out


def new_code_hole(text, last_row, row):
    """The hole of body row `row` of the function ending at `last_row`: the file cut after that row (and a
    newline), the cursor after the row's indentation, the rest of the row the middle."""
    spans = line_spans(text)
    cut = text[:spans[last_row][1]] + "\n"
    s, e = spans[row]
    content = text[s:e]
    indent = len(content) - len(content.lstrip(" \t"))
    return {"prefix": cut[:s + indent], "middle": content[indent:].rstrip(), "suffix": cut[e:]}


def make_new_code_holes(files, lang, n, rng, rejected):
    """Up to n new-code holes from files, a list of (repository, path, text): at most one per function and two per
    file, spread across repositories (taken in turn) and within each across its files (every file's first hole
    before any file's second)."""
    queues = {}
    for repo, path, text in files:
        candidates = new_code_candidates(text, lang, rejected)
        if candidates:
            queues.setdefault(repo, []).append((path, text, candidates))
    # Each repository's queue: its files in a random order, one random function each, then a second pass for a
    # second function of the files that have one.
    for repo, entries in queues.items():
        rng.shuffle(entries)
        picks = [(path, text, rng.sample(c, min(2, len(c)))) for path, text, c in entries]
        queues[repo] = [(p, t, fns[0]) for p, t, fns in picks] + [(p, t, fns[1]) for p, t, fns in picks
                                                                   if len(fns) > 1]
    order = sorted(queues)
    rng.shuffle(order)
    holes = []
    while len(holes) < n and any(queues[r] for r in order):
        for repo in order:
            if queues[repo] and len(holes) < n:
                path, text, (last_row, rows) = queues[repo].pop(0)
                hole = new_code_hole(text, last_row, rng.choice(rows))
                holes.append(dict({"language": lang, "path": path}, **hole, kind="line", set="new-code"))
    return holes


def write_new_code_holes(shards, languages, n, seed, path):
    """n new-code holes per language from the held-out files, for `dlsp bench infill`; prints per language how
    many there are and why candidates were turned down."""
    f = shards.files
    count = 0
    with open(path, "w") as out:
        for lang in languages:
            if lang not in NEW_CODE_LANGUAGES:
                print(f"{lang}: no new-code holes (functions are found for {', '.join(NEW_CODE_LANGUAGES)} only)")
                continue
            if lang not in shards.languages:
                continue
            li = shards.languages.index(lang)
            idx = [int(i) for i in np.nonzero((f[:, 3] == li) & (f[:, 4] == 1) & (f[:, 1] > 32))[0]]
            files = [(shards.repos[int(f[i, 2])][1], shards.paths[i], shards.decode(shards.file_tokens(i)))
                     for i in idx]
            rejected = collections.Counter()
            holes = make_new_code_holes(files, lang, n, random.Random(f"{seed}:{lang}:new-code"), rejected)
            out.writelines(json.dumps(h) + "\n" for h in holes)
            count += len(holes)
            print(f"{lang}: {len(holes)} holes in {len({h['path'] for h in holes})} of {len(files)} files; "
                  f"{rejected['functions']} functions, turned down before: "
                  + ", ".join(f"{w} {rejected[w]}" for w in FUNCTION_REJECTIONS[:5] if rejected[w])
                  + "; after: " + ", ".join(f"{w} {rejected[w]}" for w in FUNCTION_REJECTIONS[5:])
                  + f"; {rejected['body rows']} body rows, turned down: "
                  + ", ".join(f"{w} {rejected[w]}" for w in LINE_REJECTIONS if rejected[w]))
    print(f"wrote {count} new-code holes to {path}")


def build_canvas(shards, h, m, window):
    head = [FILE_SEP] + shards.encode(h["path"] + "\n")
    pre = shards.encode(h["prefix"]) if h["prefix"] else []
    suf = shards.encode(h["suffix"]) if h["suffix"] else []
    room = window - len(head) - m
    if len(pre) + len(suf) > room:
        keep_pre = min(len(pre), max(room * 3 // 4, room - len(suf)))
        keep_suf = min(len(suf), room - keep_pre)
        pre = pre[len(pre) - keep_pre:] if keep_pre else []
        suf = suf[:keep_suf]
    ids = head + pre
    return ids + [MASK] * m + suf, len(ids)


@torch.inference_mode()
def denoise(model, batch_ids, m, steps):
    """batch_ids: list of canvases (lists). Pads to the longest with a key mask. Returns the filled hole tokens."""
    B = len(batch_ids)
    S = max(len(x) for x in batch_ids)
    ids = torch.full((B, S), EOS, dtype=torch.long)
    valid = torch.zeros((B, S), dtype=torch.bool)
    for b, x in enumerate(batch_ids):
        ids[b, :len(x)] = torch.tensor(x)
        valid[b, :len(x)] = True
    attn = valid[:, None, None, :].expand(B, 1, S, S)
    for step in range(steps):
        masked = ids == MASK
        if not masked.any():
            break
        logits = model.predictions(ids, attn_mask=attn)
        logits[..., MASK] = float("-inf")  # the mask token is never a prediction
        probs = torch.softmax(logits.float(), dim=-1)
        p, tok = probs.max(-1)
        p = torch.where(masked, p, torch.full_like(p, -1.0))
        for b in range(B):
            remaining = int(masked[b].sum())
            if remaining == 0:
                continue
            k = math.ceil(remaining / (steps - step))
            top = torch.topk(p[b], k).indices
            ids[b, top] = tok[b, top]
    return ids


def load_model(args):
    if args.model_dir:
        from reference_forward import load_exported
        model, cfg = load_exported(args.model_dir)
        return model, {"source": args.model_dir}
    st = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    model = DiffusionLM(ModelConfig(**st["config"]))
    model.load_state_dict(st["model"])
    model.eval()
    return model, {"source": args.checkpoint, "step": st["step"], "tokens": st["tokens"]}


def table(folder):
    rows = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            r = json.load(open(os.path.join(folder, name)))
            if "tokens" in r:
                rows.append(r)
    rows.sort(key=lambda r: r["tokens"])
    langs = sorted({l for r in rows for l in r["per_lang"]})
    print("| tokens trained | " + " | ".join(f"{l} EM (baseline)" for l in langs) + " | holes/lang, m, steps |")
    print("|---:|" + "---:|" * len(langs) + "---|")
    for r in rows:
        cells = []
        for l in langs:
            x = r["per_lang"].get(l)
            cells.append(f"{x['em_model']:.3f} ({x['em_prev_line']:.3f})" if x else "")
        print(f"| {r['tokens'] / 1e6:.2f} M | " + " | ".join(cells) + f" | {r['holes_per_lang']}, {r['m']}, "
              f"{r['steps']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", default=None, help="print a table of the result files in this folder and exit")
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "work", "run", "last.pt"))
    ap.add_argument("--model-dir", default=None, help="evaluate an exported directory instead of a checkpoint")
    ap.add_argument("--shards", default=os.path.join(HERE, "work", "shards"))
    ap.add_argument("--languages", default="swift,python,javascript,c")
    ap.add_argument("--holes", type=int, default=None, help="holes per language (64; 100 with --new-code)")
    ap.add_argument("--m", type=int, default=24,
                    help="mask tokens per hole (0: the true line's length plus one, an oracle's choice, which bounds "
                         "what choosing the length can gain)")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--window", type=int, default=512)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default=None)
    ap.add_argument("--show", type=int, default=0, help="print this many examples per language")
    ap.add_argument("--write-holes", default=None,
                    help="write --holes single-line and multi-line holes per language as JSON Lines for "
                         "`dlsp bench infill` (the Swift engine path) and exit")
    ap.add_argument("--workspaces", nargs=3, metavar=("HOLES", "ROOT", "OUT"), default=None,
                    help="write the held-out repositories of HOLES' files under ROOT and the holes, each with its "
                         "repository as its workspace, to OUT")
    ap.add_argument("--new-code", metavar="OUT", default=None,
                    help="write --holes new-code holes per language (a function being written, one of its body's "
                         "lines that the file does not repeat removed) to OUT, and exit")
    ap.add_argument("--rest-of-line", nargs=2, metavar=("HOLES", "OUT"), default=None,
                    help="write the single-line holes of HOLES again with the cursor after what a user has typed of "
                         "the line (its first `= ` or `(`, else first space), to OUT, and exit")
    args = ap.parse_args()
    if args.holes is None:
        args.holes = 100 if args.new_code else 64
    if args.new_code:
        write_new_code_holes(Shards(args.shards), args.languages.split(","), args.holes, args.seed, args.new_code)
        return
    if args.rest_of_line:
        write_rest_of_line_holes(*args.rest_of_line)
        return
    if args.workspaces:
        holes, root, out = args.workspaces
        write_workspaces(Shards(args.shards), holes, root, out)
        return
    if args.table:
        table(args.table)
        return
    if args.write_holes:
        write_holes(Shards(args.shards), args.languages.split(","), args.holes, args.seed, args.write_holes)
        return
    torch.set_num_threads(args.threads)
    shards = Shards(args.shards)
    model, info = load_model(args)
    t0 = time.time()
    result = dict(info, holes_per_lang=args.holes, m=args.m, steps=args.steps, window=args.window, per_lang={})
    for lang in args.languages.split(","):
        if lang not in shards.languages:
            continue
        rng = random.Random(f"{args.seed}:{lang}")
        holes = make_holes(shards, lang, args.holes, rng)
        if not holes:
            continue
        hits = base = 0
        shown = 0
        for s in range(0, len(holes), args.batch):
            chunk = holes[s:s + args.batch]
            # --m 0: each hole as long as its own line plus one end-of-text, the length an oracle would choose
            ms = [args.m or len(shards.encode(h["middle"])) + 1 for h in chunk]
            canv = [build_canvas(shards, h, m, args.window) for h, m in zip(chunk, ms)]
            out = denoise(model, [c for c, _ in canv], max(ms), args.steps)
            for b, (h, (_, start), m) in enumerate(zip(chunk, canv, ms)):
                hole = out[b, start:start + m].tolist()
                if EOS in hole:
                    hole = hole[:hole.index(EOS)]
                pred = shards.decode(hole).rstrip()
                hits += pred == h["middle"]
                base += h["prev"] == h["middle"]
                if shown < args.show:
                    shown += 1
                    print(f"[{lang}] want {h['middle']!r}\n        got  {pred!r}")
        r = {"n": len(holes), "em_model": hits / len(holes), "em_prev_line": base / len(holes)}
        result["per_lang"][lang] = r
        print(f"{lang:11s} n={r['n']:4d}  exact match: model {r['em_model']:.3f}  "
              f"repeat-previous-line {r['em_prev_line']:.3f}", flush=True)
    result["seconds"] = round(time.time() - t0, 1)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
