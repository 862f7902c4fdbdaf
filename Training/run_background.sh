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
rm -f "$RUN/pid"
# setsid gives the trainer its own scheduling autogroup, and between autogroups Linux shares the CPU evenly
# whatever each process's nice value: without a nice autogroup the "background" trainer would take half the machine
# from builds. The trainer's shell lowers its own autogroup after setsid has made it: done from outside, the write
# can land before setsid runs and lower the caller's autogroup instead (the shell that started it, and every build
# it starts afterwards). It writes its own pid, since setsid may fork.
setsid nohup sh -c 'echo $$ >"$0/pid"; echo 19 >/proc/self/autogroup 2>/dev/null; exec nice -n 19 "$@"' \
    "$RUN" "$PY" train.py --run "$RUN" "$@" >>"$RUN/stdout.log" 2>&1 </dev/null &
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$RUN/pid" ] && break; sleep 0.2; done
echo "started pid $(cat "$RUN/pid"); log: $RUN/train.log; status: $RUN/STATUS"
