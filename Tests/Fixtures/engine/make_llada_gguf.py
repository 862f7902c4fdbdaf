#!/usr/bin/env python3
"""Adds the LLaDA GGUF fixture: the committed `llada_tied` model laid out the way llama.cpp's converter writes
LLaDA (architecture `llada`, q/k rows permuted into the interleaved rotary pairs llama.cpp's "normal" RoPE uses,
`diffusion.shift_logits` false), with f32 norms, f16 embedding, value and down projections, Q8_0 for the other matrices.
The expected logits come from the dequantised weights in the original layout through make_fixtures.ref_forward,
so the Swift engine's GGUF path is checked against the safetensors model it was made from.

    pip install -r requirements.txt && python3 make_llada_gguf.py      # after make_fixtures.py

Writes llada_tied.gguf and adds `models.llada_tied_gguf` to expected.json (nothing else changes).
"""
import json, os
import numpy as np
import torch
from safetensors.torch import load_file

from make_fixtures import HERE, ref_forward, rows_json


def load_llada(name):
    cj = json.load(open(os.path.join(HERE, name, "config.json")))
    t = load_file(os.path.join(HERE, name, "model.safetensors"))
    p = "model.transformer."
    W = {"embed": t[p + "wte.weight"].float(), "final_norm": t[p + "ln_f.weight"].float(), "layers": []}
    for i in range(cj["n_layers"]):
        b = f"{p}blocks.{i}."
        W["layers"].append({"attn_norm": t[b + "attn_norm.weight"], "ffn_norm": t[b + "ff_norm.weight"],
                            "q": t[b + "q_proj.weight"], "k": t[b + "k_proj.weight"], "v": t[b + "v_proj.weight"],
                            "o": t[b + "attn_out.weight"], "gate": t[b + "ff_proj.weight"],
                            "up": t[b + "up_proj.weight"], "down": t[b + "ff_out.weight"]})
    W["head"] = W["embed"]
    cfg = dict(d=cj["d_model"], nh=cj["n_heads"], nkv=cj["n_kv_heads"], ffn=cj["mlp_hidden_size"],
               layers=cj["n_layers"], eps=cj["rms_norm_eps"], theta=cj["rope_theta"], rows=cj["embedding_size"],
               factor=1.0)
    return W, cfg, cj


def permute(w, heads):
    """llama.cpp's LlamaModel.permute: each head's rows (first half, second half) become interleaved pairs."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    import gguf
    from gguf.quants import quantize, dequantize
    expected = json.load(open(os.path.join(HERE, "expected.json")))
    W, cfg, cj = load_llada("llada_tied")
    path = os.path.join(HERE, "llada_tied.gguf")
    w = gguf.GGUFWriter(path, "llada")
    w.add_block_count(cfg["layers"]); w.add_context_length(cj["max_sequence_length"])
    w.add_embedding_length(cfg["d"]); w.add_feed_forward_length(cfg["ffn"]); w.add_head_count(cfg["nh"])
    w.add_head_count_kv(cfg["nkv"]); w.add_rope_freq_base(cfg["theta"]); w.add_layer_norm_rms_eps(cfg["eps"])
    w.add_causal_attention(False); w.add_bool("diffusion.shift_logits", False)
    w.add_mask_token_id(cj["mask_token_id"]); w.add_eos_token_id(cj["eos_token_id"])
    w.add_pad_token_id(cj["pad_token_id"])
    Q8 = gguf.GGMLQuantizationType.Q8_0

    def put(name, t, kind, heads=None):
        """Writes t (permuted first when `heads`) and returns what the engine will compute with, in the original
        layout: the rows permutation commutes with Q8_0, whose blocks run along a row."""
        a = t.float().numpy().astype(np.float32)
        stored = permute(a, heads) if heads else a
        if kind == "q8":
            q = quantize(stored, Q8)
            w.add_tensor(name, q, raw_dtype=Q8)
            back = dequantize(q, Q8).reshape(a.shape)
        elif kind == "f16":
            w.add_tensor(name, stored.astype(np.float16))
            back = stored.astype(np.float16).astype(np.float32)
        else:
            w.add_tensor(name, stored)
            back = stored
        if heads:   # undo the permutation for the reference
            back = back.reshape(heads, back.shape[0] // heads // 2, 2, *back.shape[1:]).swapaxes(1, 2).reshape(a.shape)
        return torch.from_numpy(np.ascontiguousarray(back))

    deq = {"embed": put("token_embd.weight", W["embed"], "f16"),
           "final_norm": put("output_norm.weight", W["final_norm"], "f32"), "layers": []}
    deq["head"] = deq["embed"]
    for i, L in enumerate(W["layers"]):
        p = f"blk.{i}."
        deq["layers"].append({
            "attn_norm": put(p + "attn_norm.weight", L["attn_norm"], "f32"),
            "ffn_norm": put(p + "ffn_norm.weight", L["ffn_norm"], "f32"),
            "q": put(p + "attn_q.weight", L["q"], "q8", heads=cfg["nh"]),
            "k": put(p + "attn_k.weight", L["k"], "q8", heads=cfg["nkv"]),
            "v": put(p + "attn_v.weight", L["v"], "f16"), "o": put(p + "attn_output.weight", L["o"], "q8"),
            "gate": put(p + "ffn_gate.weight", L["gate"], "q8"), "up": put(p + "ffn_up.weight", L["up"], "q8"),
            # Rows of 80 (the FFN width) are not whole Q8_0 blocks of 32.
            "down": put(p + "ffn_down.weight", L["down"], "f16")})
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    canvas = expected["canvas"]
    probe_rows = [0, len(expected["prefix"]) - 1, len(expected["prefix"]), len(expected["prefix"]) + 3,
                  len(canvas) - 1]
    logits = ref_forward(deq, cfg, canvas)
    # The quantised model must still be close to the original (the fixture tests a layout, not a different model).
    drift = (logits - ref_forward(W, cfg, canvas)).abs().max().item()
    print(f"largest logit change from quantisation: {drift:.3f}")
    expected["models"]["llada_tied_gguf"] = {"logits": rows_json(logits, probe_rows), "greedy": {}}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and expected.json")


if __name__ == "__main__":
    main()
