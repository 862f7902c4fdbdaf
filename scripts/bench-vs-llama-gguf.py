#!/usr/bin/env python3
"""Random-weight GGUF models for scripts/bench-vs-llama.sh.

Writes the Qwen2.5-Coder-0.5B shape (the shape dlsp's `bench typing` measures as Open-dCoder-0.5B) twice:
as a Qwen2 model for llama.cpp's autoregressive path (f16 and bf16; the script quantises Q8_0 with
llama-quantize) and as a Dream model for llama.cpp's diffusion example (f16). Every tensor comes from its own
seeded generator, so the files hold the same weights however many of them are written.

Needs numpy and llama.cpp's gguf-py (the script puts the vendored copy on PYTHONPATH, so the writer matches
the reader it is benchmarked against). The vocabulary is copied from a vocab-only GGUF that llama.cpp ships,
because llama.cpp's loader needs a real tokenizer (its pre-tokenizer is recognised by name).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import gguf

# Qwen2.5-Coder-0.5B (and Open-dCoder-0.5B, its diffusion continuation): Sources/Engine/Benchmark.swift.
HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, VOCAB = 896, 24, 14, 2, 4864, 151936
ROPE_THETA, RMS_EPS, CONTEXT = 1_000_000.0, 1e-6, 32768
HEAD_DIM = HIDDEN // HEADS
# Dream's tokenizer puts <|mask|> here; the Qwen2 vocab-only file has an unused [PAD…] slot at that id.
MASK_ID = 151666
PASSTHROUGH_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}"


def tensors():
    """(name, numpy shape, is_matrix) in llama.cpp's order; tied embeddings, so no output.weight."""
    yield "token_embd.weight", (VOCAB, HIDDEN), True
    for i in range(LAYERS):
        b = f"blk.{i}"
        yield f"{b}.attn_norm.weight", (HIDDEN,), False
        yield f"{b}.attn_q.weight", (HEADS * HEAD_DIM, HIDDEN), True
        yield f"{b}.attn_q.bias", (HEADS * HEAD_DIM,), False
        yield f"{b}.attn_k.weight", (KV_HEADS * HEAD_DIM, HIDDEN), True
        yield f"{b}.attn_k.bias", (KV_HEADS * HEAD_DIM,), False
        yield f"{b}.attn_v.weight", (KV_HEADS * HEAD_DIM, HIDDEN), True
        yield f"{b}.attn_v.bias", (KV_HEADS * HEAD_DIM,), False
        yield f"{b}.attn_output.weight", (HIDDEN, HEADS * HEAD_DIM), True
        yield f"{b}.ffn_norm.weight", (HIDDEN,), False
        yield f"{b}.ffn_gate.weight", (FFN, HIDDEN), True
        yield f"{b}.ffn_up.weight", (FFN, HIDDEN), True
        yield f"{b}.ffn_down.weight", (HIDDEN, FFN), True
    yield "output_norm.weight", (HIDDEN,), False


def values(index, name, shape, seed):
    if name.endswith("norm.weight"):
        # Norm gains of one keep activations in a sane range; they cost nothing to time either way.
        return np.ones(shape, dtype=np.float32)
    rng = np.random.default_rng([seed, index])
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)


def bf16_bytes(x):
    """float32 -> bf16 (round to nearest even) as raw bytes, the layout GGML's BF16 expects."""
    bits = x.view(np.uint32)
    rounded = ((bits.astype(np.uint64) + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded.view(np.uint8).reshape(*x.shape[:-1], x.shape[-1] * 2)


def copy_tokenizer(writer, vocab_path, with_mask):
    reader = gguf.GGUFReader(vocab_path)
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        if key == "tokenizer.chat_template":
            continue
        vtype = field.types[0]
        value = field.contents()
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        if with_mask and key == "tokenizer.ggml.tokens":
            value = list(value)
            value[MASK_ID] = "<|mask|>"
        if with_mask and key == "tokenizer.ggml.token_type":
            value = list(value)
            value[MASK_ID] = int(gguf.TokenType.CONTROL)
        writer.add_key_value(key, value, vtype, sub)
    if with_mask:
        writer.add_mask_token_id(MASK_ID)
        # llama.cpp's diffusion example always applies a chat template (ChatML when the model has none) and takes
        # no option against it; one that passes the message through keeps the benchmark's prompt as given.
        writer.add_chat_template(PASSTHROUGH_TEMPLATE)


def open_writer(path, arch, vocab_path, file_type, diffusion):
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"random {arch} 0.5B (Qwen2.5-Coder-0.5B shape)")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(ROPE_THETA)
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_file_type(file_type)
    if diffusion:
        # What convert_hf_to_gguf.py's DreamModel writes: bidirectional attention and the mask token.
        w.add_causal_attention(False)
    copy_tokenizer(w, vocab_path, with_mask=diffusion)
    return w


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vocab", required=True, help="llama.cpp's models/ggml-vocab-qwen2.gguf")
    p.add_argument("--out", required=True, help="folder for the .gguf files")
    p.add_argument("--seed", type=int, default=20240531)
    p.add_argument("--bf16", action="store_true", help="also write the Qwen2 model in bf16")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    F16, BF16 = int(gguf.LlamaFileType.MOSTLY_F16), int(gguf.LlamaFileType.MOSTLY_BF16)
    # (path, arch, file type, diffusion, 16-bit format); written in one pass over the tensors.
    targets = [(out / "qwen2-0.5b-f16.gguf", "qwen2", F16, False, "f16"),
               (out / "dream-0.5b-f16.gguf", "dream", F16, True, "f16")]
    if args.bf16:
        targets.append((out / "qwen2-0.5b-bf16.gguf", "qwen2", BF16, False, "bf16"))

    writers = []
    for path, arch, ftype, diffusion, fmt in targets:
        w = open_writer(path, arch, args.vocab, ftype, diffusion)
        for name, shape, matrix in tensors():
            if matrix and fmt == "bf16":
                w.add_tensor_info(name, (*shape[:-1], shape[-1] * 2), np.dtype(np.uint8),
                                  int(np.prod(shape)) * 2, raw_dtype=gguf.GGMLQuantizationType.BF16)
            elif matrix:
                w.add_tensor_info(name, shape, np.dtype(np.float16), int(np.prod(shape)) * 2)
            else:
                # 1-D tensors stay f32, as llama.cpp's converter leaves them.
                w.add_tensor_info(name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        writers.append((w, fmt))

    t0 = time.time()
    count = 0
    for index, (name, shape, matrix) in enumerate(tensors()):
        x = values(index, name, shape, args.seed)
        count += x.size
        for w, fmt in writers:
            if not matrix:
                w.write_tensor_data(x)
            elif fmt == "bf16":
                w.write_tensor_data(bf16_bytes(x))
            else:
                w.write_tensor_data(x.astype(np.float16))
    for w, _ in writers:
        w.close()
    print(f"wrote {count / 1e6:.0f} M random parameters to {', '.join(t[0].name for t in targets)} "
          f"in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
