#!/bin/sh
# Train on a borrowed accelerator machine, within one call: unpack the shards packed by `device_pack.py pack`,
# run train.py on CUDA for a fixed wall time, and leave a weights-and-optimizer checkpoint in $OUT in parts small
# enough to come back, with the log. Run from the repository root there, with Training/work/device carried:
#
#   sh Training/device_train.sh 8.5 --init ../Models/default --lr 1e-3 ...     (minutes, then train.py options)
#
# Back here: `python device_pack.py unpack-run --from DIR` reassembles work/run-device/weights.pt (f16 weights,
# no optimizer state), which export.py exports and `train.py --init` continues from.
# Rehearse on CPU first: DEVICE=cpu OUT=/tmp/out sh Training/device_train.sh 0.3 --d-model 32 --n-layers 2 ...
#
# Several runs can share one call and one accelerator (a small model leaves most of it idle): unpack the shards
# once into a folder named by DEVICE_SHARDS, and give each run its own OUT and DEVICE_WORK.
set -eu
MINUTES=$1; shift
: "${OUT:?OUT must name the folder whose files come back}"
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
WORK=${DEVICE_WORK:-/tmp/dlsp-device}
SHARDS=${DEVICE_SHARDS:-$WORK/shards}
mkdir -p "$SHARDS" "$WORK/run" "$OUT"
# Python's tarfile reads xz itself: no xz binary needed on either machine.
[ -f "$SHARDS/tokens.bin" ] || "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "${DEVICE_PACK:-work/device}/shards.tar.xz" "$SHARDS"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
set +e
PYTHONUNBUFFERED=1 "$PY" train.py --shards "$SHARDS" --run "$WORK/run" --device "${DEVICE:-auto}" \
    --max-minutes "$MINUTES" --ckpt-minutes 2 --val-every-ckpt 1 "$@" 2>&1 | tail -n 40
set -e
cp "$WORK/run/train.log" "$OUT/train.log"
# What comes back is limited (16 MiB a file, 64 MiB in all): the weights travel without the optimizer's state, in
# f16 (what export.py writes anyway), in 15 MiB parts. A run continued from them starts a fresh optimizer.
"$PY" - "$WORK/run/last.pt" "$WORK/weights.pt" <<'PYEOF'
import sys, torch
st = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
st.pop("optimizer", None)
st["model"] = {k: v.half() for k, v in st["model"].items()}
torch.save(st, sys.argv[2])
PYEOF
split -b 15M -d -a 2 "$WORK/weights.pt" "$OUT/ckpt.part-"
ls -l "$OUT"
tail -n 3 "$WORK/run/train.log"
