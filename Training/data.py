"""Training samples from the pre-tokenized shards (see tokenize_corpus.py), in the canvas format of ARCHITECTURE.md.

Two kinds of sample:
  * diffusion ("mdm"): a window of one repository's files, each file starting with `<|file_sep|>path\\n`; every token
    is masked with probability t ~ U(eps, 1); the loss is on the masked tokens.
  * infill: the canvas the engine builds --
        <|file_sep|>{related path}\\n{snippet}\\n ... <|file_sep|>{current path}\\n{prefix}<|mask|> x m{suffix}
    where the middle is the rest of a line, a whole line (its indentation left in the prefix) or a block of lines;
    the hole's targets are the middle's tokens followed by <|endoftext|> pads up to m. Inside the hole each position
    is masked with probability t ~ U(eps, 1) (the states the sampler passes through); the loss is on masked hole
    positions. Prefix, middle and suffix are tokenized separately, as the engine does.

Loss weight: each masked token gets 1/k, k = the number of masked tokens in its sample, so every sample contributes
the mean cross-entropy of its masked tokens. This is the 1/(t*L) weighting of the masked-diffusion bound with t*L
replaced by its realisation k: about the same for all but tiny t*L, and bounded -- with 1/(t*L), a sample with
t*L << 1 and its one forced mask weighed up to ~100x a typical sample (the first 1.3 M tokens of training used that
weighting and sat near the unigram loss, masked CE ~7.0).
"""
import fnmatch
import json
import os
import random

import numpy as np
from tokenizers import Tokenizer

EOS, MASK, FILE_SEP = 0, 1, 2


def canvas(tokenizer_encode, snippets, path, prefix_ids, m, suffix_ids):
    """The canvas as token ids. snippets: [(path, text)], the most relevant last. prefix/suffix already tokenized
    (and already cut to fit). Returns (ids, hole_start)."""
    ids = []
    for p, text in snippets:
        ids += [FILE_SEP] + tokenizer_encode(p + "\n" + text + "\n")
    ids += [FILE_SEP] + tokenizer_encode(path + "\n")
    ids += prefix_ids
    start = len(ids)
    ids += [MASK] * m + suffix_ids
    return ids, start


def parse_weights(text):
    """"python=0.4,cpython-stdlib/*=10" -> {"python": 0.4, "cpython-stdlib/*": 10.0} (None when empty): the form of
    train.py's --lang-weights and --source-weights."""
    return {kv.rsplit("=", 1)[0]: float(kv.rsplit("=", 1)[1]) for kv in text.split(",") if kv} or None


def source_multipliers(repos, source_weights):
    """One multiplier per source (`repos` as in meta.json: [language, name]): the weight of the last pattern of
    `source_weights` that matches its name, else 1. A pattern that matches nothing is an error."""
    repo_w = np.ones(len(repos), dtype=np.float64)
    for pattern, weight in (source_weights or {}).items():
        hits = [r for r, (_, name) in enumerate(repos) if fnmatch.fnmatchcase(name, pattern)]
        if not hits:
            raise ValueError(f"source weight {pattern!r} matches no source")
        repo_w[hits] = weight
    return repo_w


class Shards:
    def __init__(self, root):
        self.root = root
        self.tokens = np.memmap(os.path.join(root, "tokens.bin"), dtype=np.uint16, mode="r")
        self.files = np.load(os.path.join(root, "files.npy"))
        self.meta = json.load(open(os.path.join(root, "meta.json")))
        self.tokenizer = Tokenizer.from_file(os.path.join(root, "tokenizer.json"))
        self.paths = self.meta["paths"]
        self.languages = self.meta["languages"]
        self.repos = self.meta["repos"]
        self._enc_cache = {}

    def file_tokens(self, i):
        off, n = int(self.files[i, 0]), int(self.files[i, 1])
        return self.tokens[off:off + n]

    def encode(self, text):
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def encode_cached(self, text):
        r = self._enc_cache.get(text)
        if r is None:
            if len(self._enc_cache) > 100000:
                self._enc_cache.clear()
            r = self._enc_cache[text] = self.encode(text)
        return r

    def decode(self, ids):
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)


def line_spans(text):
    """[(start, end)] of each line, end excluding the newline."""
    spans, s = [], 0
    while True:
        e = text.find("\n", s)
        if e < 0:
            spans.append((s, len(text)))
            return spans
        spans.append((s, e))
        s = e + 1


def is_word_char(c):
    return c.isalnum() or c == "_"


def word_starts(text, start, end):
    """Offsets in text[start:end] where the engine can begin a hole: it re-generates a half-typed word whole
    (token healing), so its holes start at a word's first character or at a character that is not part of a word,
    never inside a word."""
    return [k for k in range(start, end) if not (k > 0 and is_word_char(text[k - 1]) and is_word_char(text[k]))]


def choose_middle(text, rng, kind=None, rest_at_word_start=False):
    """Choose a hole in text at line granularity. Returns (prefix, middle, suffix, kind) or None.
    `rest_at_word_start`: a rest-of-line hole begins where an engine's hole can (`word_starts`), not at any
    character: the editor never asks for the rest of a half-typed word."""
    lines = line_spans(text)
    if len(lines) < 3:
        return None
    if kind is None:
        r = rng.random()
        kind = "line" if r < 0.45 else ("rest" if r < 0.7 else "block")
    for _ in range(8):
        li = rng.randrange(1, len(lines) - 1)  # never the (possibly cut) first or last line of the window
        s, e = lines[li]
        content = text[s:e]
        indent = len(content) - len(content.lstrip(" \t"))
        if kind == "block":
            k = rng.randint(2, 8)
            lj = min(len(lines) - 2, li + k - 1)
            e = lines[lj][1]
        if e - (s + indent) <= 0 and rng.random() < 0.8:  # mostly avoid empty middles
            continue
        if kind == "rest" and rest_at_word_start:
            starts = word_starts(text, s + indent + 1, e)
            if not starts:
                continue
            a = starts[rng.randrange(len(starts))]
        elif kind == "rest":
            a = rng.randint(s + indent, max(s + indent, e - 1))
        else:
            a = s + indent
        return text[:a], text[a:e], text[e:], kind
    return None


class SampleMaker:
    def __init__(self, shards: Shards, split=0, lang_weights=None, p_infill=0.5, p_snippets=0.35,
                 max_middle=96, eps=1e-3, source_weights=None, p_left_to_right=0.0, rest_at_word_start=False):
        self.sh = shards
        self.rest_at_word_start = rest_at_word_start
        self.eps = eps
        self.p_infill = p_infill
        # Share of infill holes masked from a random point to their end instead of at random: the state a hole is
        # in when it is decoded left to right (`completion.blockLength`), which random masking rarely produces.
        self.p_left_to_right = p_left_to_right
        self.p_snippets = p_snippets
        self.max_middle = max_middle
        f = shards.files
        sel = np.nonzero((f[:, 4] == split) & (f[:, 1] > 0))[0]
        self.by_lang = {}
        # A file is drawn in proportion to its tokens times its source's weight: `source_weights` maps shell-style
        # patterns on the source name ("cpython-stdlib/*") to a multiplier, so a small source that resembles what
        # users write can count for more than its size inside its language.
        repo_w = source_multipliers(shards.repos, source_weights)
        for li, lang in enumerate(shards.languages):
            idx = sel[f[sel, 3] == li]
            if len(idx):
                tokens = f[idx, 1]
                weighted = tokens if source_weights is None else tokens * repo_w[f[idx, 2]]
                self.by_lang[lang] = (idx, np.cumsum(weighted))
        langs = sorted(self.by_lang)
        w = lang_weights or {}
        ws = np.array([w.get(l, 1.0) for l in langs], dtype=np.float64)
        self.langs, self.lang_p = langs, ws / ws.sum()
        self.repo_files = {}
        for i in sel:
            self.repo_files.setdefault(int(f[i, 2]), []).append(int(i))

    def pick_file(self, rng):
        lang = self.langs[int(np.searchsorted(np.cumsum(self.lang_p), rng.random()))]
        idx, cum = self.by_lang[lang]
        # Integer draws when unweighted keep the validation canvases those of earlier runs.
        r = rng.randrange(int(cum[-1])) if cum.dtype.kind == "i" else rng.random() * cum[-1]
        j = int(np.searchsorted(cum, r, side="right"))
        return int(idx[min(j, len(idx) - 1)])

    def header(self, i):
        return [FILE_SEP] + self.sh.encode_cached(self.sh.paths[i] + "\n")

    # -- diffusion sample ------------------------------------------------------------------------------------------
    def window(self, rng, S):
        """S token ids of one repository: a file from a random offset, then other files of the same repository,
        each behind its `<|file_sep|>path` header; end-of-text pads when the repository runs out."""
        i = self.pick_file(rng)
        repo = int(self.sh.files[i, 2])
        toks = self.sh.file_tokens(i)
        off = rng.randrange(max(1, len(toks) - S // 4)) if len(toks) > S // 2 else 0
        ids = self.header(i) + toks[off:off + S].tolist()
        others = self.repo_files[repo]
        tries = 0
        while len(ids) < S and tries < 8:
            tries += 1
            j = others[rng.randrange(len(others))] if len(others) > 1 else self.pick_file(rng)
            ids += self.header(j) + self.sh.file_tokens(j)[:S].tolist()
        return np.asarray((ids + [EOS] * S)[:S], dtype=np.int64)

    def mdm(self, rng, S):
        ids = self.window(rng, S)
        t = self.eps + (1 - self.eps) * rng.random()
        m = np.asarray([rng.random() < t for _ in range(S)])
        if not m.any():
            m[rng.randrange(S)] = True
        inp = np.where(m, MASK, ids)
        weight = np.where(m, 1.0 / m.sum(), 0.0)
        return inp, ids, weight

    # -- infill sample ---------------------------------------------------------------------------------------------
    def snippet(self, rng, j, budget):
        toks = self.sh.file_tokens(j)
        n = min(len(toks), budget)
        off = rng.randrange(len(toks) - n + 1)
        text = self.sh.decode(toks[off:off + n])
        if off > 0 and "\n" in text:
            text = text[text.index("\n") + 1:]
        if off + n < len(toks) and "\n" in text:
            text = text[:text.rindex("\n")]
        return text

    def infill(self, rng, S, split_kind=None):
        for _ in range(10):
            i = self.pick_file(rng)
            toks = self.sh.file_tokens(i)
            if len(toks) < 16:
                continue
            p = rng.randrange(len(toks))
            a, b = max(0, p - S), min(len(toks), p + S)
            text = self.sh.decode(toks[a:b])
            # The window's first and last lines may be cut; choose_middle never picks them.
            ch = choose_middle(text, rng, split_kind, self.rest_at_word_start)
            if ch is None:
                continue
            prefix, middle, suffix, kind = ch
            if a == 0:
                pass
            s = self.make_infill(rng, S, i, prefix, middle, suffix)
            if s is not None:
                return s
        return self.mdm(rng, S)

    def make_infill(self, rng, S, i, prefix, middle, suffix, m=None, snippets=None):
        pre = self.sh.encode(prefix) if prefix else []
        mid = self.sh.encode(middle) if middle else []
        suf = self.sh.encode(suffix) if suffix else []
        if len(mid) > self.max_middle:
            suf = mid[self.max_middle:] + suf
            mid = mid[:self.max_middle]
        if m is None:
            if rng.random() < 0.5:
                m = next(b for b in (4, 8, 16, 32, 64, 128) if b >= len(mid) + 1)
            else:
                m = len(mid) + rng.randint(0, max(2, len(mid)))
        m = max(1, m)
        head = self.header(i)
        room = S - len(head) - m
        if room < 16:
            return None
        repo = int(self.sh.files[i, 2])
        others = [j for j in self.repo_files.get(repo, []) if j != i]
        # related snippets: sometimes on purpose, and whenever the current file leaves room
        snip_budget = 0
        if others and rng.random() < self.p_snippets:
            snip_budget = int(room * rng.uniform(0.15, 0.5))
        need = len(pre) + len(suf)
        if others and need < room - snip_budget:
            snip_budget = room - need
        if snippets is None:
            snippets = []
            used = 0
            for _ in range(3):
                if not others or snip_budget - used < 24:
                    break
                j = others[rng.randrange(len(others))]
                txt = self.snippet(rng, j, min(snip_budget - used - 8, S // 3))
                if not txt.strip():
                    continue
                cost = 1 + len(self.sh.encode_cached(self.sh.paths[j] + "\n" + txt + "\n"))
                if used + cost > snip_budget:
                    continue
                snippets.append((self.sh.paths[j], txt))
                used += cost
        ctx_ids = []
        for p_, txt in snippets:
            ctx_ids += [FILE_SEP] + self.sh.encode_cached(p_ + "\n" + txt + "\n")
        room -= len(ctx_ids)
        # cut the prefix at its start and the suffix at its end, keeping the text nearest the hole
        if len(pre) + len(suf) > room:
            want_pre = int(room * rng.uniform(0.5, 0.8))
            keep_pre = min(len(pre), max(want_pre, room - len(suf)))
            keep_suf = min(len(suf), room - keep_pre)
            pre = pre[len(pre) - keep_pre:] if keep_pre > 0 else []
            suf = suf[:keep_suf]
        ids = ctx_ids + head + pre
        start = len(ids)
        target_hole = mid + [EOS] * (m - len(mid))
        full = ids + target_hole + suf
        full = (full + [EOS] * S)[:S]
        full = np.asarray(full, dtype=np.int64)
        t = self.eps + (1 - self.eps) * rng.random()
        hole = np.zeros(S, dtype=bool)
        hole[start:start + m] = True
        if self.p_left_to_right and rng.random() < self.p_left_to_right:
            masked = np.zeros(S, dtype=bool)
            masked[start + rng.randrange(m):start + m] = True
        else:
            masked = hole & (np.asarray([rng.random() for _ in range(S)]) < t)
        if not masked.any():
            masked[start + rng.randrange(m)] = True
        inp = np.where(masked, MASK, full)
        weight = np.where(masked, 1.0 / masked.sum(), 0.0)
        return inp, full, weight

    def sample(self, rng, S):
        if rng.random() < self.p_infill:
            return self.infill(rng, S)
        return self.mdm(rng, S)

    def plain_batch(self, rng, B, S):
        """Unmasked windows for the autoregressive warm start."""
        return np.stack([self.window(rng, S) for _ in range(B)])

    def batch(self, rng, B, S):
        xs, ys, ws = zip(*(self.sample(rng, S) for _ in range(B)))
        return np.stack(xs), np.stack(ys), np.stack(ws).astype(np.float32)
