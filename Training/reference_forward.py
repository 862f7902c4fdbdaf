#!/usr/bin/env python3
"""Load an exported model directory (config.json + model.safetensors, LLaDA names) with PyTorch and run it.
The printed and fixture logits are raw rows (row i from hidden state i); with `shift_logits` row i predicts i+1.

  python reference_forward.py DIR --ids 2,100,1,1,1,0      # prints the top logits at every position
  python reference_forward.py DIR --text 'let x = <|mask|><|mask|>\\n' --infill

The weights are read as stored (f16) and computed in f32, which is what the engine does. This file is also the
reference for Models/default/reference.json (written by export.py via make_fixture()).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import DiffusionLM, ModelConfig  # noqa: E402

PREFIX = "model.transformer."
BLOCK_NAMES = ["attn_norm", "q_proj", "k_proj", "v_proj", "attn_out", "ff_norm", "ff_proj", "up_proj", "ff_out"]


def load_exported(model_dir):
    cfg_json = json.load(open(os.path.join(model_dir, "config.json")))
    cfg = ModelConfig(vocab_size=cfg_json["vocab_size"], d_model=cfg_json["d_model"], n_layers=cfg_json["n_layers"],
                      n_heads=cfg_json["n_heads"], mlp_hidden_size=cfg_json["mlp_hidden_size"],
                      max_sequence_length=cfg_json["max_sequence_length"], rope_theta=cfg_json["rope_theta"],
                      rms_norm_eps=cfg_json["rms_norm_eps"], shift_logits=cfg_json.get("shift_logits", False))
    assert cfg_json["embedding_size"] == cfg_json["vocab_size"] and cfg_json["weight_tying"]
    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    sd = {"wte.weight": tensors[PREFIX + "wte.weight"], "ln_f.weight": tensors[PREFIX + "ln_f.weight"]}
    for i in range(cfg.n_layers):
        for n in BLOCK_NAMES:
            key = f"blocks.{i}.{n}.weight"
            sd[key] = tensors[PREFIX + key]
    model = DiffusionLM(cfg)
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    model.eval()
    return model, cfg_json


@torch.inference_mode()
def logits_for(model, ids):
    return model(torch.tensor([ids], dtype=torch.long))[0].float()


@torch.inference_mode()
def predictions_for(model, ids):
    """Row p predicts position p (the logit shift of a shifted model undone)."""
    return model.predictions(torch.tensor([ids], dtype=torch.long))[0].float()


@torch.inference_mode()
def greedy_infill(model, ids, mask_id, tokens_per_step=1):
    """Confidence-ordered greedy unmasking: at each step run the whole canvas, take argmax (the mask id excluded)
    and its softmax probability (over the vocabulary without the mask id) at every still-masked position, commit the `tokens_per_step` most confident (ties: lowest
    position). Returns the final ids and the list of (step, position, token, probability) commits."""
    ids = list(ids)
    commits = []
    step = 0
    while True:
        masked = [i for i, t in enumerate(ids) if t == mask_id]
        if not masked:
            return ids, commits
        logits = predictions_for(model, ids)[masked]
        logits[:, mask_id] = float("-inf")  # the mask token is never a prediction
        probs = torch.softmax(logits, dim=-1)
        p, tok = probs.max(dim=-1)
        order = sorted(range(len(masked)), key=lambda j: (-p[j].item(), masked[j]))
        for j in order[:tokens_per_step]:
            ids[masked[j]] = int(tok[j])
            commits.append((step, masked[j], int(tok[j]), round(p[j].item(), 6)))
        step += 1


def make_fixture(model_dir, cases, top_k=8):
    """cases: [{"name", "ids"}]; each case's masked positions get top-k logits and a greedy infill."""
    model, cfg = load_exported(model_dir)
    mask_id = cfg["mask_token_id"]
    out = {"description": "Expected outputs of the exported model computed by Training/reference_forward.py in "
                          "float32 from the f16 weights. logits: for each listed position, the top_k (token id, "
                          "logit) pairs, highest first. greedy: confidence-ordered unmasking, one token per step "
                          "(argmax at every masked position, with the mask id's logit set to -inf before softmax/argmax; "
                          "commit the one with the highest softmax probability; "
                          "ties -> lowest position), repeated until no mask is left.",
           "tolerance_hint": "logits agree to about 1e-3 absolute when computed in f32",
           "cases": []}
    for c in cases:
        ids = c["ids"]
        lg = logits_for(model, ids)
        positions = sorted(set([0, len(ids) // 2, len(ids) - 1] + [i for i, t in enumerate(ids) if t == mask_id]))
        top = {}
        for pos in positions:
            v, i = lg[pos].topk(top_k)
            top[str(pos)] = [[int(a), round(float(b), 5)] for a, b in zip(i, v)]
        final, commits = greedy_infill(model, ids, mask_id)
        out["cases"].append({"name": c["name"], "ids": ids, "logits_top": top,
                             "logit_stats": {str(p): {"sum": round(float(lg[p].sum()), 4),
                                                      "max": round(float(lg[p].max()), 5)} for p in positions},
                             "greedy_final_ids": final,
                             "greedy_commits": [list(x) for x in commits],
                             "text": c.get("text")})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--ids", help="comma-separated token ids")
    ap.add_argument("--text", help="text to tokenize with the directory's tokenizer.json (special tokens allowed)")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--infill", action="store_true", help="greedy-unmask the <|mask|> tokens and print the result")
    args = ap.parse_args()
    torch.set_num_threads(2)
    model, cfg = load_exported(args.model_dir)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    ids = [int(x) for x in args.ids.split(",")] if args.ids else tok.encode(args.text, add_special_tokens=False).ids
    if args.infill:
        final, commits = greedy_infill(model, ids, cfg["mask_token_id"])
        print(json.dumps({"ids": final, "commits": commits}))
        print(tok.decode(final, skip_special_tokens=False))
        return
    lg = logits_for(model, ids)
    for pos, t in enumerate(ids):
        v, i = lg[pos].topk(args.top)
        print(pos, t, [(int(a), round(float(b), 4)) for a, b in zip(i, v)])


if __name__ == "__main__":
    main()
