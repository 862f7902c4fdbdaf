#!/usr/bin/env python3
"""Drives dlsp over stdio like an editor and reports latency figures.

  handshake   spawn -> initialize answered, over --spawns runs (p50/p95 ms)
  completion  open files of a workspace, "type" through lines, request a completion after each keystroke
              (p50/p95 ms from request to response; share answered from the type-ahead cache)

  cold        open a file and at once ask for inline completions explicitly (several suggestions), as a user who
              opens a file and presses the key: p50/p90/p95 ms of that first request (--cold N files; the server's
              very first request, which also waits for the model to load, is reported apart)

  starts      only the server's first request, over --starts N fresh starts (p50/min/max ms)

  --ablate     also run the same typing script with one completion setting changed (e.g. reuseContext=false)
              and print both, with their ratio: a baseline measured in the same run

Usage: scripts/bench-lsp.py [--binary .build/release/dlsp] [--workspace Sources] [--requests 200] [--spawns 10]
                            [--ablate reuseContext=false]
Only the Python standard library is needed.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from lsp_wire import frame, percentile, read_message


class Server:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.next_id = 1

    def send(self, message):
        self.proc.stdin.write(frame(message))
        self.proc.stdin.flush()

    def read(self):
        message = read_message(self.proc.stdout)
        if message is None:
            raise RuntimeError("dlsp closed stdout")
        return message

    def request(self, method, params):
        request_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == request_id and "method" not in message:
                return message
            if "method" in message and "id" in message:   # a request from the server: accept it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def handshake(binary, spawns):
    times = []
    for _ in range(spawns):
        start = time.perf_counter()
        server = Server(binary)
        server.request("initialize", {"processId": None, "capabilities": {}})
        times.append((time.perf_counter() - start) * 1000)
        server.notify("initialized", {})
        server.close()
    return times


def completion(binary, workspace, requests, seed, options=None):
    extensions = {".py": "python", ".swift": "swift", ".js": "javascript", ".c": "c", ".rs": "rust", ".go": "go"}
    files = []
    for root, dirs, names in os.walk(workspace):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "build")]
        files += [os.path.join(root, n) for n in names if os.path.splitext(n)[1] in extensions]
    if not files:
        sys.exit(f"no source files under {workspace}")
    rng = random.Random(seed)
    server = Server(binary)
    root = os.path.abspath(workspace)
    server.request("initialize", {"processId": None, "rootUri": "file://" + root,
                                  "capabilities": {"general": {"positionEncodings": ["utf-8"]}},
                                  "initializationOptions": options or {}})
    server.notify("initialized", {})
    latencies, cached, errors = [], 0, 0
    while len(latencies) < requests:
        path = os.path.abspath(rng.choice(files))
        text = open(path, encoding="utf-8", errors="replace").read()
        lines = text.split("\n")
        candidates = [i for i, l in enumerate(lines) if len(l.strip()) > 8]
        if not candidates:
            continue
        uri = "file://" + path
        line_no = rng.choice(candidates)
        original = lines[line_no]
        indent = len(original) - len(original.lstrip())
        # Remove the rest of the line after its indentation, then type it back keystroke by keystroke.
        lines[line_no] = original[:indent]
        version = 1
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": extensions[os.path.splitext(path)[1]], "version": version,
            "text": "\n".join(lines)}})
        for column in range(indent, min(len(original), indent + 12)):
            start = time.perf_counter()
            answer = server.request("textDocument/completion", {
                "textDocument": {"uri": uri}, "position": {"line": line_no, "character": column}})
            latencies.append((time.perf_counter() - start) * 1000)
            if "error" in answer:
                errors += 1
            else:
                items = answer["result"]["items"]
                if items and "continued" in (items[0].get("detail") or ""):
                    cached += 1
            version += 1
            server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": line_no, "character": column},
                                              "end": {"line": line_no, "character": column}},
                                    "text": original[column]}]})
            if len(latencies) >= requests:
                break
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.close()
    return latencies, cached, errors


def cold(binary, workspace, files_count, seed, options=None, pause=0.0):
    """The first request in a freshly opened file: textDocument/inlineCompletion invoked explicitly at the start
    of a non-blank line's content (the rest of the line removed), right after didOpen (or after `pause` seconds)."""
    extensions = {".py": "python", ".swift": "swift", ".js": "javascript", ".c": "c", ".rs": "rust", ".go": "go"}
    files = []
    for root, dirs, names in os.walk(workspace):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += sorted(os.path.join(root, n) for n in names if os.path.splitext(n)[1] in extensions)
    rng = random.Random(seed)
    rng.shuffle(files)
    server = Server(binary)
    root = os.path.abspath(workspace)
    server.request("initialize", {"processId": None, "rootUri": "file://" + root,
                                  "capabilities": {"general": {"positionEncodings": ["utf-8"]}},
                                  "initializationOptions": options or {}})
    server.notify("initialized", {})
    latencies, counts, errors = [], [], 0
    for path in files[:files_count]:
        path = os.path.abspath(path)
        lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
        candidates = [i for i, l in enumerate(lines) if len(l.strip()) > 8]
        if not candidates:
            continue
        line_no = rng.choice(candidates)
        indent = len(lines[line_no]) - len(lines[line_no].lstrip())
        lines[line_no] = lines[line_no][:indent]
        uri = "file://" + path
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": extensions[os.path.splitext(path)[1]], "version": 1, "text": "\n".join(lines)}})
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        answer = server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line_no, "character": indent},
            "context": {"triggerKind": 1}})
        latencies.append((time.perf_counter() - start) * 1000)
        if "error" in answer:
            errors += 1
        else:
            counts.append(len(answer["result"]["items"]))
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.close()
    return latencies, counts, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/dlsp")
    parser.add_argument("--workspace", default="Sources")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--spawns", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ablate", default=None, help="completion setting KEY=JSON to compare against")
    parser.add_argument("--cold", type=int, default=0,
                        help="measure only the first, explicitly invoked inline completion in this many freshly "
                             "opened files of the workspace")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="with --cold: seconds between opening the file and asking (a user moving the cursor)")
    parser.add_argument("--starts", type=int, default=0,
                        help="measure only the server's first request (the cold one, right after initialized) over "
                             "this many fresh starts, each in another file")
    args = parser.parse_args()
    if args.starts:
        # Start-up is noisy (the model loads while the workspace is indexed): a spread over several starts says
        # more than one figure.
        firsts = []
        for start in range(args.starts):
            latencies, _, errors = cold(args.binary, args.workspace, 1, args.seed + start)
            if not latencies or errors:
                sys.exit(f"--starts: no answer in start {start + 1} ({errors} errors)")
            firsts.append(latencies[0])
        print(f"first request after the server started, {len(firsts)} starts: p50 {percentile(firsts, 50):.1f} ms, "
              f"min {min(firsts):.1f} ms, max {max(firsts):.1f} ms")
        return
    if args.cold:
        def report_cold(label, options):
            latencies, counts, errors = cold(args.binary, args.workspace, args.cold, args.seed, options, args.pause)
            # The server's very first request also waits for the model to load and shares the CPU with the
            # workspace index being built: a start-up figure, reported apart from the files opened later.
            if len(latencies) < 2:
                sys.exit(f"--cold: fewer than two files with a non-blank line in {args.workspace}")
            first, latencies = latencies[0], latencies[1:]
            print(f"first request after the server started (model loading, workspace indexing): {first:.1f} ms")
            print(f"cold inline completion{label}, {len(latencies)} files, {args.pause:.2f} s after opening: "
                  f"p50 {percentile(latencies, 50):.1f} ms, p90 {percentile(latencies, 90):.1f} ms, "
                  f"p95 {percentile(latencies, 95):.1f} ms, max {max(latencies):.1f} ms, "
                  f"suggestions per request {statistics.mean(counts) if counts else 0:.2f}, errors {errors}")
            return percentile(latencies, 95)
        p95 = report_cold("", None)
        if args.ablate:
            key, value = args.ablate.split("=", 1)
            other = report_cold(f" with {key}={value}", {"completion": {key: json.loads(value)}})
            print(f"p95 ratio (with {key}={value} / default): {other / p95:.2f}")
        return
    times = handshake(args.binary, args.spawns)
    print(f"handshake (spawn to initialize answered), {len(times)} runs: "
          f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms")

    def report(label, options):
        latencies, cached, errors = completion(args.binary, args.workspace, args.requests, args.seed, options)
        print(f"completion{label}, {len(latencies)} requests while typing: p50 {percentile(latencies, 50):.1f} ms, "
              f"p95 {percentile(latencies, 95):.1f} ms, mean {statistics.mean(latencies):.1f} ms, "
              f"type-ahead cache {100 * cached / len(latencies):.0f}%, errors {errors}")
        return percentile(latencies, 50)

    p50 = report("", None)
    if args.ablate:
        key, value = args.ablate.split("=", 1)
        other = report(f" with {key}={value}", {"completion": {key: json.loads(value)}})
        print(f"p50 ratio (with {key}={value} / default): {other / p50:.2f}")


if __name__ == "__main__":
    main()
