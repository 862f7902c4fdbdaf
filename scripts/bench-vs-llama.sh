#!/usr/bin/env bash
# dlsp's diffusion engine against llama.cpp on this machine: the time to a single-line (16-token) suggestion with
# 1,024 tokens of context, for the 0.5B Qwen2.5-Coder / Open-dCoder shape with random weights, at 16-bit and 8-bit.
#
#   llama.cpp AR         a Qwen2 model decoding autoregressively with its prompt cache warm: the ~16 tokens typed
#                        since the last request are prompt-processed at depth 1,024, then 16 tokens are generated
#                        (llama-bench -p 16 -n 16 -d 1024: the two timings added, medians of the repetitions)
#   llama.cpp diffusion  the same weights as a Dream model in llama.cpp's diffusion example, 1,024 prompt tokens and
#                        a 16-token masked canvas, the same step count as dlsp (it recomputes the whole canvas a step)
#   dlsp                 `dlsp bench typing`: one keystroke between fills, keys and values reused across fills (p50)
#
# llama.cpp comes pinned from the llama-cpp-python source package (which vendors it), is built here for the
# benchmark only and is never a dependency of dlsp. Everything it fetches, builds and writes stays in a git-ignored
# work folder (.bench-llama/, or $BENCH_LLAMA_DIR), so a second run reuses the build and the models.
#
# Usage: scripts/bench-vs-llama.sh [--quick] [--skip-build] [--steps N] [--threads N] [--no-diffusion]
#   --quick         fewer repetitions and keystrokes: a smoke run that proves the wiring, not figures to quote
#   --skip-build    use the llama.cpp binaries and the dlsp release build already there (fail if missing)
#   --steps N       dlsp's denoising steps for the 16-token line, also given to llama.cpp's diffusion example
#                   (default 4: a single-line fill's step count; $STEPS works too)
#   --threads N     threads for both engines (default 2)
#   --no-diffusion  skip llama.cpp's diffusion example (its run takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_CPP_PYTHON_VERSION=0.3.36   # vendors llama.cpp 0c1e570 and its gguf-py
CMAKE_VERSION=3.31.6              # installed into the work folder's venv only when no cmake is on PATH
CONTEXT=1024
HOLE=16

steps=${STEPS:-4}
threads=${THREADS:-2}
quick=0
skip_build=0
diffusion=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --skip-build) skip_build=1 ;;
    --steps) steps=${2:?--steps needs a number}; shift ;;
    --threads) threads=${2:?--threads needs a number}; shift ;;
    --no-diffusion) diffusion=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-vs-llama.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$steps$threads" in *[!0-9]*) echo "bench-vs-llama.sh: --steps and --threads take whole numbers" >&2; exit 2 ;; esac

if [ "$quick" = 1 ]; then bench_reps=3; keystrokes=4; cold_repeats=1; diffusion_runs=1
else bench_reps=5; keystrokes=12; cold_repeats=3; diffusion_runs=2; fi

work=${BENCH_LLAMA_DIR:-.bench-llama}
mkdir -p "$work"
work=$(cd "$work" && pwd)
src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION"
llama="$src/vendor/llama.cpp"
build="$work/build"
bin="$build/bin"
models="$work/models"
results="$work/results"
mkdir -p "$models" "$results"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-vs-llama.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# 1. llama.cpp: the pinned source, built for this CPU (GGML_NATIVE), only the three programs the benchmark runs.
if [ ! -d "$llama" ]; then
  [ "$skip_build" = 1 ] && die "--skip-build, but there is no llama.cpp source in $work"
  say "fetching llama-cpp-python $LLAMA_CPP_PYTHON_VERSION's source (it vendors llama.cpp)"
  # --no-binary on this package only: ':all:' would build cmake from source first.
  python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$work"
  tar -xzf "$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz" -C "$work"
  [ -f "$llama/CMakeLists.txt" ] || die "the source package has no vendor/llama.cpp"
fi

targets=(llama-bench llama-diffusion-cli llama-quantize)
built=1
for t in "${targets[@]}"; do [ -x "$bin/$t" ] || built=0; done
if [ "$built" = 0 ]; then
  [ "$skip_build" = 1 ] && die "--skip-build, but $bin lacks one of: ${targets[*]}"
  cmake=$(command -v cmake || true)
  if [ -z "$cmake" ]; then
    if [ ! -x "$work/venv/bin/cmake" ]; then
      say "installing cmake $CMAKE_VERSION into $work/venv"
      python3 -m venv "$work/venv"
      "$work/venv/bin/pip" install --quiet "cmake==$CMAKE_VERSION"
    fi
    cmake="$work/venv/bin/cmake"
  fi
  say "building ${targets[*]} (the first build takes a while; log: $work/build.log)"
  # Tests, server, app and HTTPS are off: they only lengthen the build.
  nice -n 19 "$cmake" -S "$llama" -B "$build" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF >"$work/build.log" 2>&1 ||
    { tail -20 "$work/build.log" >&2; die "cmake configure failed"; }
  nice -n 19 "$cmake" --build "$build" -j2 --target "${targets[@]}" >>"$work/build.log" 2>&1 ||
    { tail -20 "$work/build.log" >&2; die "llama.cpp build failed"; }
fi

# dlsp's release build (incremental; a no-op when up to date).
dlsp=.build/release/dlsp
if [ "$skip_build" = 0 ]; then
  say "building dlsp (release)"
  nice -n 19 swift build -c release --product dlsp >"$work/dlsp-build.log" 2>&1 ||
    { tail -20 "$work/dlsp-build.log" >&2; die "swift build failed"; }
fi
[ -x "$dlsp" ] || die "no $dlsp; run without --skip-build"

# ---------------------------------------------------------------------------------------------------------------
# 2. Random-weight models: Qwen2 f16 and bf16 and Dream f16 from numpy, Q8_0 with llama-quantize.
f16="$models/qwen2-0.5b-f16.gguf"; bf16="$models/qwen2-0.5b-bf16.gguf"; q8="$models/qwen2-0.5b-q8_0.gguf"
dream="$models/dream-0.5b-f16.gguf"
if [ ! -s "$f16" ] || [ ! -s "$bf16" ] || [ ! -s "$dream" ]; then
  say "writing random-weight GGUF models (0.5B parameters; a few minutes)"
  python3 -c 'import numpy' 2>/dev/null || die "numpy is missing (python3 -m pip install numpy)"
  # gguf-py from the vendored llama.cpp, so the writer matches the loader it is read by; nothing to install.
  rm -f "$f16" "$bf16" "$dream"
  PYTHONPATH="$llama/gguf-py" nice -n 19 python3 scripts/bench-vs-llama-gguf.py --bf16 \
    --vocab "$llama/models/ggml-vocab-qwen2.gguf" --out "$models"
fi
if [ ! -s "$q8" ]; then
  say "quantising to Q8_0"
  nice -n 19 "$bin/llama-quantize" "$f16" "$q8.tmp" Q8_0 "$threads" >"$work/quantize.log" 2>&1 ||
    { tail -20 "$work/quantize.log" >&2; die "llama-quantize failed"; }
  mv "$q8.tmp" "$q8"
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. The runs, one after another in one invocation so that the machine's load is as alike as it gets.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
run_dir="$results/$stamp"
mkdir -p "$run_dir"

say "llama-bench: f16, bf16, Q8_0; pp $HOLE + tg $HOLE at depth $CONTEXT, $threads threads, $bench_reps repetitions"
"$bin/llama-bench" -m "$f16" -m "$bf16" -m "$q8" -p "$HOLE" -n "$HOLE" -d "$CONTEXT" -t "$threads" \
  -r "$bench_reps" -o json >"$run_dir/llama-bench.json" 2>"$run_dir/llama-bench.log" ||
  { tail -20 "$run_dir/llama-bench.log" >&2; die "llama-bench failed"; }

if [ "$diffusion" = 1 ]; then
  # The prompt: one ' a' token per word (the Dream model's chat template passes it through as given). A probe with
  # a context too small to hold it makes the example print its token count, and the word count is corrected until
  # the prompt is exactly $CONTEXT tokens (a BOS or any markup the example adds counts).
  words=$CONTEXT
  n_input=0
  for _ in 1 2 3; do
    prompt=$(printf ' a%.0s' $(seq "$words"))
    probe=$("$bin/llama-diffusion-cli" -m "$dream" -p "$prompt" -c 256 -b 256 -ub 256 \
      -t "$threads" --diffusion-steps 1 --diffusion-eps 0.001 2>&1 || true)
    n_input=$(printf '%s\n' "$probe" | sed -n 's/.*input too long (\([0-9]*\) tokens).*/\1/p' | head -1)
    [ -n "$n_input" ] || { printf '%s\n' "$probe" | tail -20 >&2; die "could not count the diffusion prompt's tokens"; }
    [ "$n_input" = "$CONTEXT" ] && break
    words=$((words + CONTEXT - n_input))
  done
  [ "$n_input" = "$CONTEXT" ] || die "the diffusion prompt is $n_input tokens, not $CONTEXT"
  canvas=$((CONTEXT + HOLE))   # the example's max_length is the micro-batch: prompt + masked canvas
  say "llama-diffusion-cli: Dream f16, $CONTEXT-token prompt, $HOLE-token canvas, $steps steps, $diffusion_runs run(s)"
  for i in $(seq "$diffusion_runs"); do
    "$bin/llama-diffusion-cli" -m "$dream" -p "$prompt" -c "$canvas" -b "$canvas" \
      -ub "$canvas" -t "$threads" --diffusion-steps "$steps" --diffusion-eps 0.001 --temp 0 --seed 1 \
      >"$run_dir/diffusion-$i.log" 2>&1 || { tail -20 "$run_dir/diffusion-$i.log" >&2; die "llama-diffusion-cli failed"; }
    grep -q 'total time:' "$run_dir/diffusion-$i.log" || die "no timing in $run_dir/diffusion-$i.log"
  done
fi

say "dlsp bench typing: as-stored (bf16) and q8, $steps steps, $keystrokes keystrokes"
"$dlsp" bench typing --json --precision both --steps "$steps" --context "$CONTEXT" --hole "$HOLE" \
  --keystrokes "$keystrokes" --cold-repeats "$cold_repeats" --threads "$threads" >"$run_dir/dlsp-typing.json" ||
  die "dlsp bench typing failed"

# ---------------------------------------------------------------------------------------------------------------
# 4. The table.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
dlsp_version="$("$dlsp" --version 2>/dev/null || echo unknown) ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git')$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ', modified'))"
RUN_DIR="$run_dir" STEPS="$steps" THREADS="$threads" CONTEXT="$CONTEXT" HOLE="$HOLE" CPU="${cpu:-unknown}" \
  DLSP_VERSION="$dlsp_version" LCP_VERSION="$LLAMA_CPP_PYTHON_VERSION" QUICK="$quick" \
  python3 - <<'PY' | tee "$run_dir/table.txt"
import glob, json, os, re, statistics

env = os.environ
run = env["RUN_DIR"]
steps, hole, context = int(env["STEPS"]), int(env["HOLE"]), int(env["CONTEXT"])

# llama-bench's avg_ts is the mean of per-repetition rates, which one stalled repetition on a shared machine drags
# far off; the median of the repetitions' times is steadier and is what is reported.
bench = json.load(open(f"{run}/llama-bench.json"))
ar = {}
for t in bench:
    fmt = re.search(r"-(bf16|f16|q8_0)\.gguf$", t["model_filename"]).group(1)
    part = "pp" if t["n_prompt"] > 0 else "tg"
    ar.setdefault(fmt, {})[part + "_ms"] = statistics.median(t["samples_ns"]) / 1e6
    ar[fmt][part + "_best"] = min(t["samples_ns"]) / 1e6
for row in ar.values():
    # Warm prompt cache: the tokens typed since the last request are prompt-processed, then the line is decoded.
    row["ms"] = row["pp_ms"] + row["tg_ms"]
    row["best"] = row["pp_best"] + row["tg_best"]

diffusion = []
for path in sorted(glob.glob(f"{run}/diffusion-*.log")):
    m = re.search(r"total time: ([0-9.]+)ms", open(path, errors="replace").read())
    if m:
        diffusion.append(float(m.group(1)))

# `--precision both` measures as stored (bf16) first, then 8-bit.
d16, d8 = json.load(open(f"{run}/dlsp-typing.json"))

out = []
say = out.append
say(f"Time to a {hole}-token single-line suggestion, {context} tokens of context, 0.5B Qwen2.5-Coder shape, random weights")
say(f"CPU: {env['CPU']}; {env['THREADS']} threads for both engines" + ("; --quick (a smoke run)" if env["QUICK"] == "1" else ""))
say(f"llama.cpp {bench[0]['build_commit']} (vendored by llama-cpp-python {env['LCP_VERSION']}, {bench[0]['backends']}); "
    f"dlsp {env['DLSP_VERSION']}, kernels {d16['kernels']}")
say("")
say(f"{'engine':<50} {'weights':<9} {'ms':>9}   (medians over the repetitions; llama.cpp's best beside)")
for fmt, label in (("f16", "f16"), ("bf16", "bf16"), ("q8_0", "Q8_0")):
    if fmt in ar:
        r = ar[fmt]
        say(f"{f'llama.cpp AR, warm cache: pp{hole} + tg{hole} @ d{context}':<50} {label:<9} {r['ms']:9.1f}"
            f"   pp {r['pp_ms']:.1f} + tg {r['tg_ms']:.1f} ms; best {r['best']:.1f}")
if diffusion:
    med = statistics.median(diffusion)
    say(f"{f'llama.cpp diffusion example, {steps} steps':<50} {'f16':<9} {med:9.1f}"
        f"   {med / steps:.0f} ms a step, {len(diffusion)} run(s)")
for f, label in ((d16, "bf16"), (d8, "8-bit")):
    name = f"dlsp typing p50, {f['steps']} steps"
    say(f"{name:<50} {label:<9} {f['typingMsP50']:9.1f}"
        f"   p95 {f['typingMsP95']:.1f}, cold {f['coldMs']:.1f} ms ({f['weights']})")
say("")
if "f16" in ar:
    say(f"dlsp bf16 / llama.cpp AR f16:    {d16['typingMsP50'] / ar['f16']['ms']:.2f}   (goal < 1, aim 0.5)")
if "bf16" in ar:
    say(f"dlsp bf16 / llama.cpp AR bf16:   {d16['typingMsP50'] / ar['bf16']['ms']:.2f}")
if "q8_0" in ar:
    say(f"dlsp 8-bit / llama.cpp AR Q8_0:  {d8['typingMsP50'] / ar['q8_0']['ms']:.2f}   (goal < 1, aim 0.5)")
if diffusion:
    say(f"llama.cpp diffusion / dlsp bf16: {statistics.median(diffusion) / d16['typingMsP50']:.1f}x   (goal >= 10x)")
say(f"raw JSON and logs: {run}")
print("\n".join(out))
PY
