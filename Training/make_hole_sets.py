#!/usr/bin/env python3
"""Assembles the three whole-line hole sets of README.md ("The hole sets") from the raw
`eval_infill.py --write-holes` outputs under work/eval/, so that every figure read on them can be reproduced.

A hole is identified by its whole content (language, path, prefix, middle, suffix); "shared" means a hole with the
same identity already in an earlier set. Only single-line holes are kept, in the order they were written:

  set 1  work/eval/set1-lines.jsonl             the line holes of holes100.jsonl, then those of holes100-cal.jsonl
                                                not already taken
  set 2  work/eval/holes300-lines-seed11.jsonl  the line holes of holes300-seed11.jsonl not in set 1
  set 3  work/eval/holes300-lines-seed23.jsonl  the line holes of holes300-seed23.jsonl not in sets 1 or 2

A hole drawn twice within one raw file is kept twice, as the sets were first counted (793, 1,173 and 1,126 holes).
"""
import json
import os

EVAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "eval")


def load(name):
    with open(os.path.join(EVAL, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def identity(hole):
    return (hole["language"], hole["path"], hole["prefix"], hole["middle"], hole["suffix"])


def line_holes_not_in(holes, seen, label):
    """The single-line holes of `holes` whose identity is not in `seen`, with a line saying what was left out."""
    lines = [h for h in holes if h["kind"] == "line"]
    kept = [h for h in lines if identity(h) not in seen]
    print(f"{label}: {len(holes)} holes, {len(lines)} single-line, {len(lines) - len(kept)} shared with an earlier "
          f"set left out, {len(kept)} kept")
    return kept


def write(name, holes):
    with open(os.path.join(EVAL, name), "w", encoding="utf-8") as f:
        f.writelines(json.dumps(h) + "\n" for h in holes)


def main():
    seen = set()
    sets = []
    for names, out in [(["holes100.jsonl", "holes100-cal.jsonl"], "set1-lines.jsonl"),
                       (["holes300-seed11.jsonl"], "holes300-lines-seed11.jsonl"),
                       (["holes300-seed23.jsonl"], "holes300-lines-seed23.jsonl")]:
        kept = []
        for name in names:
            part = line_holes_not_in(load(name), seen, name)
            seen |= {identity(h) for h in part}
            kept += part
        write(out, kept)
        sets.append((out, len(kept)))
    print("; ".join(f"{out}: {n}" for out, n in sets))


if __name__ == "__main__":
    main()
