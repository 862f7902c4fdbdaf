#!/usr/bin/env python3
"""Export a training checkpoint into the layout the engine loads (default: Models/default/).

  config.json        LLaDA (OLMo-style) keys
  model.safetensors  f16, LLaDA tensor names (model.transformer.wte.weight, ...blocks.{i}.q_proj.weight, ...)
  tokenizer.json     the byte-level BPE tokenizer the model was trained with
  reference.json     expected logits and greedy infills for a few canvases (reference_forward.make_fixture)
  README.md          the model card: data and licences, size, tokens seen, training time, loss, evaluation

  python export.py                                   # from Training/work/run/last.pt
  python export.py --checkpoint work/run/snap_0004M.pt
"""
import argparse
import datetime
import json
import os
import random
import shutil
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import history  # noqa: E402
from data import EOS, FILE_SEP, MASK, Shards, canvas, choose_middle  # noqa: E402
from reference_forward import BLOCK_NAMES, PREFIX, make_fixture  # noqa: E402


def export_weights(state, cfg, out_dir):
    sd = state["model"]
    tensors = {PREFIX + "wte.weight": sd["wte.weight"], PREFIX + "ln_f.weight": sd["ln_f.weight"]}
    for i in range(cfg["n_layers"]):
        for n in BLOCK_NAMES:
            key = f"blocks.{i}.{n}.weight"
            tensors[PREFIX + key] = sd[key]
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in tensors.items()}
    tmp = os.path.join(out_dir, "model.safetensors.tmp")
    save_file(tensors, tmp, metadata={"format": "pt"})
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    return {k: list(v.shape) for k, v in tensors.items()}


def config_json(cfg):
    return {
        "architectures": ["LLaDAModelLM"],
        "model_type": "llada",
        "d_model": cfg["d_model"],
        "n_heads": cfg["n_heads"],
        "n_kv_heads": cfg["n_heads"],
        "n_layers": cfg["n_layers"],
        "mlp_hidden_size": cfg["mlp_hidden_size"],
        "mlp_ratio": cfg["mlp_hidden_size"] / cfg["d_model"],
        "vocab_size": cfg["vocab_size"],
        "embedding_size": cfg["vocab_size"],
        "max_sequence_length": cfg["max_sequence_length"],
        "rope_theta": cfg["rope_theta"],
        "rms_norm_eps": cfg["rms_norm_eps"],
        "activation_type": "swiglu",
        "block_type": "llama",
        "attention_layer_norm": False,
        "layer_norm_type": "rms",
        "weight_tying": True,
        "include_bias": False,
        "scale_logits": False,
        # dlsp's extension of the LLaDA keys: row i predicts position i+1 (Dream-style), left by the autoregressive
        # warm start. The engine reads it; a missing key means false.
        "shift_logits": bool(cfg.get("shift_logits", False)),
        "mask_token_id": MASK,
        "eos_token_id": EOS,
        "pad_token_id": EOS,
        "file_sep_token_id": FILE_SEP,
        "torch_dtype": "float16",
    }


def fixture_cases(shards, n_per_lang=1, seed=7):
    """A few small held-out canvases (single-line holes of 8 masks) plus one hand-written one."""
    rng = random.Random(seed)
    enc = shards.encode
    cases = []
    text = "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n\nlet total = "
    ids, _ = canvas(enc, [], "Sources/Demo/Math.swift", enc(text), 8, enc("\nprint(total)\n"))
    cases.append({"name": "handwritten-swift", "ids": ids, "text": text + "<|mask|>x8\nprint(total)\n"})
    f = shards.files
    for li, lang in enumerate(shards.languages):
        idx = [i for i in range(len(f)) if f[i, 3] == li and f[i, 4] == 1 and 200 < f[i, 1] < 3000]
        rng.shuffle(idx)
        got = 0
        for i in idx:
            txt = shards.decode(shards.file_tokens(i))
            ch = choose_middle(txt, rng, "line")
            if ch is None:
                continue
            pre, mid, suf, _ = ch
            p_ids, s_ids = enc(pre)[-40:], enc(suf)[:24]
            ids, _ = canvas(enc, [], shards.paths[i], p_ids, 8, s_ids)
            cases.append({"name": f"heldout-{lang}", "ids": ids, "text": mid})
            got += 1
            if got >= n_per_lang:
                break
    return cases


def summarize_log(run_dir):
    path = os.path.join(run_dir, "train.log")
    if not os.path.exists(path):
        return {}
    recs = [json.loads(l) for l in open(path) if l.strip()]
    steps = [r for r in recs if "loss" in r]
    vals = [r for r in recs if "val_infill_ce" in r]
    out = {}
    if steps:
        last = steps[-20:]
        out["train_loss_last"] = sum(r["loss"] for r in last) / len(last)
        out["masked_ce_last"] = sum(r["masked_ce"] for r in last) / len(last)
        out["tok_per_s_median"] = sorted(r["tok_per_s"] for r in steps)[len(steps) // 2]
        out["first_loss"] = steps[0]["loss"]
    if vals:
        out["val_curve"] = [(r["tokens"], round(r["val_infill_ce"], 4)) for r in vals]
    return out


def warm_start(state):
    """The checkpoint a run was initialised from (`train.py --init`), with its tokens and time, if any."""
    path = (state.get("args") or {}).get("init")
    if not path:
        return None
    full = path if os.path.isabs(path) else os.path.join(HERE, path)
    if os.path.isdir(full):
        return None  # an exported model: its training.json (carried in the checkpoint) says how it was trained
    if not os.path.exists(full):
        return {"path": path}
    init = torch.load(full, map_location="cpu", weights_only=False)
    return {"path": path, "tokens": init.get("tokens", 0), "elapsed": init.get("elapsed", 0.0),
            "objective": (init.get("args") or {}).get("objective", "mdm")}


def run_history(state, run_dir, shards_dir):
    """The exported weights' whole training history: what the run started from (an exported model's history, or
    an autoregressive warm start's checkpoint), then this run's phase and its validation figures."""
    base = state.get("init_history")
    if base is None:
        base = {"phases": [], "checkpoints": []}
        warm = warm_start(state)
        if warm and warm.get("tokens"):
            base["phases"].append({"objective": warm.get("objective", "ar"), "tokens": int(warm["tokens"]),
                                   "hours": round(warm.get("elapsed", 0.0) / 3600, 3), "device": "cpu"})
    corpus_tokens = None
    # The run's own shards where they are here (a run on another machine names a folder that is not).
    run_shards = (state.get("args") or {}).get("shards")
    if run_shards and os.path.exists(os.path.join(run_shards, "meta.json")):
        shards_dir = run_shards
    meta_path = os.path.join(shards_dir, "meta.json")
    if os.path.exists(meta_path):
        stats = json.load(open(meta_path)).get("stats", {})
        corpus_tokens = sum(s["tokens"] for k, s in stats.items() if k.endswith("/train"))
    args = state.get("args") or {}
    phase = history.phase_of(state, corpus_tokens)
    checkpoints, hours_at = [], 0.0
    log_path = os.path.join(run_dir, "train.log")
    if os.path.exists(log_path):
        for line in open(log_path):
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("tokens", 0) > state["tokens"]:
                break
            if "elapsed_s" in r:
                hours_at = r["elapsed_s"] / 3600
            if "val_infill_ce" in r:
                langs = sorted(r.get("val_infill_ce_by_lang") or {})
                per_lang = int(args.get("val_samples", 16))
                val_set = f"{len(langs)} languages × {per_lang} canvases" if langs else None
                checkpoints.append((r["tokens"], hours_at, r["val_infill_ce"], val_set))
    return history.with_run(base, phase, checkpoints)


def history_lines(hist):
    """The model card's table of every training phase and the held-out CE at each exported checkpoint."""
    tokens, _ = history.totals(hist)
    by_device = " and ".join(f"{h:.2f} h on {'a GPU' if dev == 'cuda' else dev.upper()}"
                             for dev, h in history.hours_by_device(hist).items())
    lines = [f"- **In all: {tokens / 1e6:.1f} M tokens seen, {by_device}** "
             f"(`training.json`, carried from export to export).\n",
             "| phase | objective | tokens (M) | hours | device | corpus (M training tokens) |",
             "|---:|---|---:|---:|---|---:|"]
    for i, p in enumerate(hist["phases"], 1):
        corpus = f"{p['corpus_tokens'] / 1e6:.1f}" if p.get("corpus_tokens") else ""
        lines.append(f"| {i} | {'next-token (causal)' if p['objective'] == 'ar' else 'masked diffusion'} | "
                     f"{p['tokens'] / 1e6:.2f} | {p['hours']:.2f} | {p.get('device', 'cpu')} | {corpus} |")
    if hist["checkpoints"]:
        # The validation set changed when the corpus gained languages: figures compare only within one set.
        lines += ["", "Held-out infill CE (nats per hole token, canvases of 512 tokens from the held-out repositories) "
                  "by tokens seen in all; compare figures only within one validation set:", "",
                  "| tokens (M) | hours (all devices) | held-out infill CE | validation set |", "|---:|---:|---:|---|"]
        # The last twelve, and the first of each validation set (a run's step-0 baseline) when older.
        seen_sets = set()
        for i, c in enumerate(hist["checkpoints"]):
            # Checkpoints from before sets were recorded all used the first one.
            val_set = c.get("val_set", "4 languages, 48 canvases")
            if val_set not in seen_sets or i >= len(hist["checkpoints"]) - 12:
                h = f"{c['hours_total']:.2f}" if "hours_total" in c else ""
                lines.append(f"| {c['tokens_total'] / 1e6:.2f} | {h} | {c['val_infill_ce']:.3f} | {val_set} |")
            seen_sets.add(val_set)
    return lines + [""]


def model_card(cfg, state, shapes, manifest, logsum, eval_results, total_bytes, swift_eval=None, warm=None,
               manifest_dir="corpus",
               hist=None):
    n_params = sum(int(torch.tensor(s).prod()) for s in shapes.values())
    lines = []
    lines.append("# dlsp default model\n")
    lines.append("A small masked-diffusion code model trained by `Training/` in this repository and loaded by the "
                 "engine with no configuration. It is small and weak: expect idiom- and syntax-level completions "
                 "(closing a call, repeating a nearby pattern, finishing an identifier), not reasoning.\n")
    lines.append("## Model\n")
    shift = "row i predicts position i+1 (`shift_logits`, as Dream)" if cfg.get("shift_logits") else "no logit shift"
    lines.append(f"- Layout: LLaDA tensor names (bidirectional LLaMA-style transformer, no causal mask, {shift}), "
                 f"{cfg['n_layers']} layers, d_model {cfg['d_model']}, {cfg['n_heads']} heads (head dim "
                 f"{cfg['d_model'] // cfg['n_heads']}), SwiGLU hidden {cfg['mlp_hidden_size']}, RMSNorm eps "
                 f"{cfg['rms_norm_eps']}, RoPE theta {cfg['rope_theta']} (rotate-half), tied embeddings, no biases.")
    lines.append(f"- Parameters: {n_params / 1e6:.2f} M ({cfg['vocab_size'] * cfg['d_model'] / 1e6:.2f} M of them "
                 f"the tied embedding). Weights stored as f16; files total {total_bytes / 1e6:.1f} MB.")
    lines.append(f"- Tokenizer: byte-level BPE, {cfg['vocab_size']} entries; `<|endoftext|>` = 0 (end of text and "
                 f"the pad that closes a hole), `<|mask|>` = 1, `<|file_sep|>` = 2.")
    lines.append(f"- Trained windows: 256/512/1024 tokens (`max_sequence_length` {cfg['max_sequence_length']}).")
    lines.append("- Input format: the canvas of ARCHITECTURE.md (related snippets, then the current file with the "
                 "hole as `<|mask|>` x m; the middle is followed by `<|endoftext|>` pads up to m).\n")
    lines.append("## Training\n")
    if hist:
        lines += history_lines(hist)
    if warm and warm.get("tokens"):
        lines.append(f"- Autoregressive warm start: {warm['tokens'] / 1e6:.2f} M tokens of next-token prediction with "
                     f"a causal mask ({warm['elapsed'] / 3600:.2f} h), then the same weights trained as a "
                     f"masked-diffusion model with bidirectional attention, keeping the logit shift (Dream's recipe).")
    lines.append(f"- This export: step {state['step']} of its run, {state['tokens'] / 1e6:.2f} M tokens seen by the run"
                 f"{' in the diffusion phase' if warm else ''} (input positions, masked or not), "
                 f"{state.get('elapsed', 0) / 3600:.2f} h of training compute "
                 + ("on one GPU (bf16 autocast, `device_train.sh`)." if state.get("device") == "cuda"
                    else "on a shared 2-core CPU (fp32)."))
    p_infill = (state.get("args") or {}).get("p_infill", 0.5)
    lines.append(f"- Objective: {1 - p_infill:.0%} of the samples masked diffusion (t ~ U(0.001, 1), loss on the "
                 f"masked tokens, each weighted 1/(masked count of its sample)), {p_infill:.0%} infill-shaped (rest of line / whole line / 2-8 line block, hole padded with "
                 "`<|endoftext|>`; only the hole is noised), some with snippets of other files of the same "
                 "repository before the current file.")
    run_args = state.get("args") or {}
    # Arguments can change when a run is resumed; these are the last start's (train.log records each start's).
    if run_args.get("p_left_to_right"):
        lines.append(f"- From the run's last start: {run_args['p_left_to_right']:.0%} of the infill holes masked "
                     "from a random point to their end (the state left-to-right decoding is in) rather than at "
                     "random.")
    if run_args.get("source_weights"):
        lines.append(f"- From the run's last start: sources weighted within their language "
                     f"`{run_args['source_weights']}`; languages `{run_args.get('lang_weights', '')}`, learning rate "
                     f"{run_args.get('lr')}.")
    if logsum:
        lines.append(f"- Loss: first logged {logsum.get('first_loss', float('nan')):.3f}; last 20 logged "
                     f"{logsum.get('train_loss_last', float('nan')):.3f} (weighted objective), mean CE on masked "
                     f"tokens {logsum.get('masked_ce_last', float('nan')):.3f} nats; median throughput "
                     f"{logsum.get('tok_per_s_median', 0):.0f} tokens/s.")
        if logsum.get("val_curve"):
            lines.append("- Held-out infill CE (canvases of 512 tokens from the held-out repositories, nats per "
                         "hole token), by tokens seen in this run: " + ", ".join(f"{t / 1e6:.2f}M: {v}"
                                                                     for t, v in logsum["val_curve"][-8:]))
    lines.append("")
    if swift_eval:
        lines.append("## Evaluation through the editor path (`dlsp bench infill`)\n")
        lines.append("Held-out repositories, single-line holes (exact match beside \"repeat the previous line\") and "
                     "multi-line holes (share of files that still parse with the fill, beside leaving the hole "
                     "empty); the same context, hole sizing, syntax guard and post-processing as editor "
                     "completions. Command: `Training/README.md`.\n")
        lines.append(swift_eval.strip() + "\n")
    if eval_results:
        lines.append("## Evaluation (single-line infill, held-out repositories)\n")
        lines.append(f"Command and method: `Training/README.md`. Checkpoint {eval_results.get('tokens', 0) / 1e6:.2f} M "
                     f"tokens; {eval_results.get('holes_per_lang')} holes per language, m = {eval_results.get('m')}, "
                     f"{eval_results.get('steps')} denoising steps.\n")
        lines.append("| language | holes | exact match (model) | exact match (repeat previous line) |")
        lines.append("|---|---:|---:|---:|")
        for lang, r in sorted(eval_results.get("per_lang", {}).items()):
            lines.append(f"| {lang} | {r['n']} | {r['em_model']:.3f} | {r['em_prev_line']:.3f} |")
        lines.append("")
        if not swift_eval and all(r["em_model"] == 0 for r in eval_results.get("per_lang", {}).values()):
            lines.append("**At this checkpoint the model completes nothing useful:** it has not yet left the "
                         "unigram-loss plateau of early masked-diffusion training, and greedy decoding fills every "
                         "hole with `<|endoftext|>` pads (an empty completion). It is exported so that the engine "
                         "loads and checks real weights of the final shape; later exports replace it.\n")
    lines.append("## Data and licences\n")
    lines.append("Built by `Training/build_corpus.py` from permissively licensed source present on the build "
                 "machine; GPL, LGPL, MPL, Artistic and unknown licences are excluded. Files over 200 KB, non-UTF-8, "
                 "minified and generated files are dropped; exact duplicates removed. Whole repositories are held out "
                 "per language for evaluation and never trained on.\n")
    if manifest:
        lines.append("| language | repositories | files | MB | licences (MB) |")
        lines.append("|---|---:|---:|---:|---|")
        for lang, s in sorted(manifest["languages"].items()):
            lic = manifest["bytes_by_license"].get(lang, {})
            lic_s = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in sorted(lic.items(), key=lambda kv: -kv[1])[:6])
            lines.append(f"| {lang} | {s['repos']} | {s['files']} | {s['bytes'] / 1e6:.1f} | {lic_s} |")
        lines.append("")
        lines.append("Sources: Swift packages (git HEAD of each repository; licence from its root LICENSE file), the "
                     "CPython standard library (PSF-2.0), installed Python distributions (licence from their "
                     "metadata), npm packages shipped with Node (licence from package.json), and C headers of Debian "
                     "packages whose copyright files list only permissive licences. The full list of sources with "
                     f"their licences is the corpus manifest (`Training/work/{manifest_dir}/manifest.json`, rebuilt "
                     "by the script).\n")
        lines.append("Held out: " + "; ".join(f"{l}: {', '.join(r)}" for l, r in sorted(manifest["heldout"].items())))
        lines.append("")
    lines.append(f"Exported {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by "
                 f"`Training/export.py`.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "work", "run", "last.pt"))
    ap.add_argument("--shards", default=os.path.join(HERE, "work", "shards"))
    ap.add_argument("--manifest", default=os.path.join(HERE, "work", "corpus", "manifest.json"))
    ap.add_argument("--eval", default=None, help="eval_infill.py result JSON to include in the model card")
    ap.add_argument("--swift-eval", default=None,
                    help="the table `dlsp bench infill` printed (a text file), included in the model card")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "Models", "default"))
    ap.add_argument("--no-fixture", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)

    state = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    if "args" not in state:
        # A weights-only snapshot: the run's settings and starting point are in its last.pt.
        last = os.path.join(os.path.dirname(args.checkpoint), "last.pt")
        if os.path.exists(last):
            run_state = torch.load(last, map_location="cpu", weights_only=False)
            state["args"] = run_state.get("args")
            state["init_history"] = run_state.get("init_history")
            state["device"] = run_state.get("device", "cpu")
    cfg = state["config"]
    os.makedirs(args.out, exist_ok=True)
    shapes = export_weights(state, cfg, args.out)
    cj = config_json(cfg)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cj, f, indent=2)
        f.write("\n")
    shutil.copyfile(os.path.join(args.shards, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    if not args.no_fixture:
        shards = Shards(args.shards)
        fx = make_fixture(args.out, fixture_cases(shards))
        fx["tensor_shapes"] = shapes
        with open(os.path.join(args.out, "reference.json"), "w") as f:
            json.dump(fx, f)
    hist = run_history(state, os.path.dirname(args.checkpoint), args.shards)
    history.save(hist, args.out)
    manifest = json.load(open(args.manifest)) if os.path.exists(args.manifest) else None
    eval_results = json.load(open(args.eval)) if args.eval else None
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    swift_eval = open(args.swift_eval).read() if args.swift_eval else None
    card = model_card(cfg, state, shapes, manifest, summarize_log(os.path.dirname(args.checkpoint)), eval_results,
                      total, swift_eval=swift_eval, warm=warm_start(state), hist=hist,
                      manifest_dir=os.path.basename(os.path.dirname(os.path.abspath(args.manifest))))
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(card)
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"exported step {state['step']} ({state['tokens'] / 1e6:.2f} M tokens) to {args.out}: "
          f"{total / 1e6:.1f} MB")
    assert total <= 40e6, "export exceeds 40 MB"


if __name__ == "__main__":
    main()
