#!/bin/sh
# Start (or resume, from work/run/last.pt) the default model's training in the background, at the lowest CPU
# priority so that builds keep precedence. Extra arguments go to train.py.
#   ./run_background.sh                 # resume or start
#   kill -TERM "$(cat work/run/pid)"    # stop cleanly (writes a checkpoint first)
#   cat work/run/STATUS                 # progress
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
RUN=${RUN:-work/run}
mkdir -p "$RUN"
if [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
    echo "already running as pid $(cat "$RUN/pid")"; exit 1
fi
setsid nohup nice -n 19 "$PY" train.py --run "$RUN" "$@" >>"$RUN/stdout.log" 2>&1 </dev/null &
echo $! >"$RUN/pid"
# setsid gives the trainer its own scheduling autogroup, and between autogroups Linux shares the CPU evenly
# whatever each process's nice value: without this the "background" trainer would take half the machine from
# builds. The autogroup's own nice value is what ranks it against other sessions.
if [ -w "/proc/$(cat "$RUN/pid")/autogroup" ]; then
    echo 19 >"/proc/$(cat "$RUN/pid")/autogroup" 2>/dev/null || true
fi
echo "started pid $(cat "$RUN/pid"); log: $RUN/train.log; status: $RUN/STATUS"
