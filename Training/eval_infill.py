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
"""
import argparse
import json
import math
import os
import random
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
    ap.add_argument("--holes", type=int, default=64, help="holes per language")
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
    ap.add_argument("--rest-of-line", nargs=2, metavar=("HOLES", "OUT"), default=None,
                    help="write the single-line holes of HOLES again with the cursor after what a user has typed of "
                         "the line (its first `= ` or `(`, else first space), to OUT, and exit")
    args = ap.parse_args()
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
