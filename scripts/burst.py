#!/usr/bin/env python3
"""Burst test of the real dlsp binary: a flood of requests, edits, cancellations and malformed input that must leave
the server answering every request exactly once, holding the client's exact text, within bounded memory, and
still working afterwards. docs/reliability.md describes what it checks and the figures measured.

  stdio (default)  spawns `dlsp`, opens a few repository files of several languages, then a writer thread sends
                   --requests completion / inline-completion requests as fast as the pipe takes them, with
                   $/cancelRequest for half of them (at once, later, or after the answer), incremental didChange
                   edits in UTF-16 (non-ASCII, emoji, CRLF; the client applies the same edits to its own copy),
                   edits the server must refuse whole, and malformed frames; a reader thread collects the answers.
  --serve          starts `dlsp serve` on a free loopback port with a small queue and runs --clients concurrent
                   HTTP clients (their own HTTP/1.1 framing, so a duplicated or stray response is seen) against
                   /v1/fim/completions and /v1/completions, malformed bodies included, while /health is polled.

Exits 1 with one line per violation when a check fails, 0 otherwise.

Usage: scripts/burst.py [--binary .build/release/dlsp] [--requests 10000] [--seed 1] [--max-rss-mib 384]
       scripts/burst.py --serve [--binary ...] [--clients 32] [--requests 2000] [--seconds 300] [--queue 4]
                            [--max-rss-mib 256]
Only the Python standard library is needed.
"""
import argparse
import collections
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_right
from heapq import heappop, heappush

from lsp_wire import frame, percentile, read_message

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LANGUAGES = {".py": "python", ".swift": "swift", ".js": "javascript", ".rs": "rust", ".c": "c", ".md": "markdown"}
# Real repository files, one per language; markdown has no grammar, so the plain-text path is exercised too.
DOCUMENTS = ["examples/stats.py", "Sources/LanguageServer/Reply.swift", "EditorConfigs/vscode/extension.js",
             "EditorConfigs/zed/src/lib.rs", "Sources/CKernels/cpu.c", "docs/remote-backends.md"]
# Pieces of inserted text: ASCII, indentation, line breaks of all three kinds, accents (precomposed and combining),
# CJK, astral characters (two UTF-16 units each), a ZWJ emoji sequence, a non-breaking space, quotes, backslashes.
PIECES = ["x", "foo", "self.", "(", ")", "{", "}", " ", "    ", "\t", "\n", "\r\n", "\r", "é", "e\u0301", "中文",
          "😀", "👩\u200d💻", "𝔘", "\u00a0", '"', "\\", "ß", "Ω", "€", "日本", "🎉🎉"]
LINE_BREAK = re.compile(r"\r\n|\r|\n")
REQUEST_CANCELLED, CONTENT_MODIFIED = -32800, -32801


def utf16_length(text):
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class Violations:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    def add(self, message):
        with self.lock:
            self.messages.append(message)

    def __bool__(self):
        return bool(self.messages)


class PeakRSS:
    """Samples VmHWM (the kernel's own high-water mark of resident memory) from /proc; the sampling only keeps the
    figure current while the process runs, the kernel's mark itself misses no peak."""

    def __init__(self, pid):
        self.pid, self.peak_kib, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
        return self.peak_kib

    def run(self):
        while not self.stop.wait(0.05):
            self.sample()

    @property
    def mib(self):
        return self.peak_kib / 1024


def watchdog(deadline, proc, violations):
    """Past the deadline the test fails and the server is killed: a server that stops reading or answering
    would otherwise block the writer or the clients forever, and killing it unblocks them."""
    def give_up():
        violations.add(f"the test ran past --deadline {deadline:.0f} s (the server stopped reading or answering); "
                       f"killed it")
        proc.kill()
    timer = threading.Timer(deadline, give_up)
    timer.daemon = True
    timer.start()
    return timer


# MARK: - stdio


class Document:
    """The client's copy of an open document, with LSP positions in UTF-16 resolved exactly as the specification
    says (and as dlsp's LineTable does): lines end at \\n, \\r\\n or a lone \\r; a column past a line's end means the
    line's end; the line just past the last one means the end of the document."""

    def __init__(self, path, text):
        self.path, self.uri = path, "file://" + path
        self.language = LANGUAGES[os.path.splitext(path)[1]]
        self.text, self.version, self.sent_version = text, 1, 1
        self._lines = None

    def lines(self):
        if self._lines is None:
            starts, ends = [0], []
            for match in LINE_BREAK.finditer(self.text):
                ends.append(match.start())
                starts.append(match.end())
            ends.append(len(self.text))
            self._lines = (starts, ends)
        return self._lines

    def offset(self, position):
        starts, ends = self.lines()
        line, character = position["line"], position["character"]
        if line == len(starts):
            return len(self.text)
        units = 0
        for index in range(starts[line], ends[line]):
            width = 2 if ord(self.text[index]) > 0xFFFF else 1
            if units + width > character:
                return index
            units += width
        return ends[line]

    def position(self, offset):
        starts, ends = self.lines()
        line = bisect_right(starts, offset) - 1
        offset = min(offset, ends[line])   # between \r and \n: the end of the line
        return {"line": line, "character": utf16_length(self.text[starts[line]:offset])}

    def random_position(self, rng):
        starts, ends = self.lines()
        roll = rng.random()
        if roll < 0.03:
            return {"line": len(starts), "character": 0}                    # end of document
        if roll < 0.10:
            line = rng.randrange(len(starts))                              # past the line's end
            return {"line": line, "character": utf16_length(self.text[starts[line]:ends[line]]) + rng.randint(1, 9)}
        return self.position(rng.randint(0, len(self.text)))

    def random_change(self, rng):
        start = rng.randint(0, len(self.text))
        # Deletions (2.4 characters on average) about as long as insertions keep the documents near their size.
        end = min(len(self.text), start + rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 10]))
        start_position = self.position(start)
        end_position = self.position(end) if rng.random() < 0.95 else start_position
        if rng.random() < 0.05:
            start_position = end_position = self.random_position(rng)
        text = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 1, 1, 2, 3])))
        return {"range": {"start": start_position, "end": end_position}, "text": text}

    def apply(self, change):
        start, end = self.offset(change["range"]["start"]), self.offset(change["range"]["end"])
        self.text = self.text[:start] + change["text"] + self.text[end:]
        self._lines = None


class StdioBurst:
    def __init__(self, args):
        self.args, self.rng = args, random.Random(args.seed)
        self.violations = Violations()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([args.binary, "--log-level", "info"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.rss = PeakRSS(self.proc.pid)
        self.write_lock = threading.Lock()
        self.state = threading.Condition()
        self.next_id = 0
        self.sent = {}                  # id -> (kind, send time)
        self.answers = {}               # id -> (receive time, message)
        self.expected_codes = {}        # id -> the error code a malformed request must get
        self.null_id_codes = []         # codes of answers with id null, in arrival order
        self.expected_null_codes = []   # what they must be, in sending order
        self.cancelled = {}             # id -> when its $/cancelRequest was sent
        self.notifications = collections.Counter()
        self.shown = []
        self.counts = collections.Counter()
        self.reader = threading.Thread(target=self.read_loop, daemon=True)
        self.reader.start()

    # Transport

    def write(self, data):
        with self.write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def new_id(self):
        self.next_id += 1
        # Every seventh id is a string: both kinds of JSON-RPC id must round-trip.
        return f"s{self.next_id}" if self.next_id % 7 == 0 else self.next_id

    def request(self, method, params, kind=None, expect_code=None):
        request_id = self.new_id()
        with self.state:
            self.sent[request_id] = (kind or method, time.perf_counter())
            if expect_code is not None:
                self.expected_codes[request_id] = expect_code
        self.write(frame({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    def notify(self, method, params):
        self.write(frame({"jsonrpc": "2.0", "method": method, "params": params}))

    def read_loop(self):
        while True:
            try:
                message = read_message(self.proc.stdout)
            except (ValueError, UnicodeDecodeError) as error:
                self.violations.add(f"the server wrote a message that breaks the protocol: {error}")
                return
            if message is None:
                with self.state:
                    self.state.notify_all()
                return
            now = time.perf_counter()
            if "method" in message:
                if "id" in message:   # a request from the server: accept it
                    self.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
                else:
                    self.notifications[message["method"]] += 1
                    if message["method"] == "window/showMessage":
                        self.shown.append(message["params"]["message"])
                continue
            with self.state:
                request_id = message.get("id")
                if request_id is None:
                    self.null_id_codes.append(message.get("error", {}).get("code"))
                elif request_id not in self.sent:
                    self.violations.add(f"answer to an id never sent: {json.dumps(message)[:200]}")
                elif request_id in self.answers:
                    self.violations.add(f"request {request_id!r} ({self.sent[request_id][0]}) answered twice: "
                                        f"{json.dumps(self.answers[request_id][1])[:200]} then "
                                        f"{json.dumps(message)[:200]}")
                else:
                    self.answers[request_id] = (now, message)
                self.state.notify_all()

    def call(self, method, params, timeout=60):
        """A request whose answer the caller waits for."""
        request_id = self.request(method, params)
        with self.state:
            if not self.state.wait_for(lambda: request_id in self.answers or self.proc.poll() is not None, timeout):
                raise TimeoutError(f"{method} not answered in {timeout} s")
            if request_id not in self.answers:
                raise RuntimeError(f"the server exited (code {self.proc.returncode}) before answering {method}")
            return self.answers[request_id][1]

    # The burst

    def malformed(self, kind, document):
        """Sends one malformed or unusual message and records what the server must answer."""
        self.counts["malformed"] += 1
        junk = b'{"jsonrpc":"2.0","method":"burst/swallowed"}'
        if kind == "bad Content-Length":       # unusable header: logged, the framer resynchronises, no answer
            self.write(b"Content-Length: twelve\r\n\r\n" + junk)
        elif kind == "negative Content-Length":
            self.write(b"Content-Length: -4\r\n\r\n" + junk)
        elif kind == "no Content-Length":
            self.write(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + junk)
        elif kind == "short Content-Length":   # the body is cut: parse error, id null; its tail is skipped
            body = b'{"jsonrpc":"2.0","method":"burst/truncated","params":{"a":1}}'
            self.expect_null(-32700)
            self.write(b"Content-Length: %d\r\n\r\n" % (len(body) - 9) + body)
        elif kind == "invalid JSON":
            self.expect_null(-32700)
            self.write(frame(b'{"jsonrpc":"2.0","id":'))
        elif kind == "not JSON":
            self.expect_null(-32700)
            self.write(frame(b"\x00\x01 not json at all"))
        elif kind == "batch":                  # LSP has no batches: invalid request, id null
            self.expect_null(-32600)
            self.write(frame(b"[]"))
        elif kind == "no method, no id":
            self.expect_null(-32600)
            self.write(frame({"jsonrpc": "2.0", "params": {}}))
        elif kind == "no method, with id":     # neither request nor response: invalid request, answered to its id
            request_id = self.new_id()
            with self.state:
                self.sent[request_id], self.expected_codes[request_id] = (kind, time.perf_counter()), -32600
            self.write(frame({"jsonrpc": "2.0", "id": request_id, "params": {}}))
        elif kind == "invalid UTF-8 in a method":   # repaired to U+FFFD, then an unknown method
            request_id = self.new_id()
            with self.state:
                self.sent[request_id], self.expected_codes[request_id] = (kind, time.perf_counter()), -32601
            body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "burst/\x01"}).encode()
            self.write(frame(body.replace(b"\\u0001", b"\xff")))
        elif kind == "invalid UTF-8 in an edit":    # repaired to U+FFFD, and the edit is applied with it
            self.edit(document, invalid_utf8=True)
        elif kind == "unknown method":
            self.request("burst/unknown", {}, kind=kind, expect_code=-32601)
        elif kind == "wrong params":
            self.request("textDocument/completion", {"textDocument": 5}, kind=kind, expect_code=-32602)
        elif kind == "position out of range":
            line = len(document.lines()[0]) + 3
            self.request("textDocument/completion", {"textDocument": {"uri": document.uri},
                                                     "position": {"line": line, "character": 0}},
                         kind=kind, expect_code=-32602)
        elif kind == "document not open":
            self.request("textDocument/inlineCompletion",
                         {"textDocument": {"uri": "file:///nowhere/closed.py"}, "position": {"line": 0, "character": 0}},
                         kind=kind, expect_code=-32602)
        elif kind == "stray response":         # a response to nothing: logged, never answered
            self.write(frame({"jsonrpc": "2.0", "id": "nobody-asked", "result": None}))
        elif kind == "unknown notification":
            self.notify("burst/unknown", {"x": 1})
        elif kind == "cancel of an unknown id":
            self.notify("$/cancelRequest", {"id": 10 ** 9})
        else:
            raise ValueError(kind)

    MALFORMED = ["bad Content-Length", "negative Content-Length", "no Content-Length", "short Content-Length",
                 "invalid JSON", "not JSON", "batch", "no method, no id", "no method, with id",
                 "invalid UTF-8 in a method", "invalid UTF-8 in an edit", "unknown method", "wrong params",
                 "position out of range", "document not open", "stray response", "unknown notification",
                 "cancel of an unknown id"]

    def expect_null(self, code):
        with self.state:
            self.expected_null_codes.append(code)

    def edit(self, document, invalid_utf8=False):
        """One didChange of 1-3 incremental changes, applied to the client's copy as the server must apply it."""
        rng = self.rng
        refused = not invalid_utf8 and rng.random() < 0.02
        changes, copy = [], Document(document.path, document.text)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            change = copy.random_change(rng)
            copy.apply(change)
            changes.append(change)
        if refused:
            # A last change beyond the end: the server must refuse the whole notification, earlier changes too.
            line = len(copy.lines()[0]) + 2
            changes.append({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                            "text": "never applied"})
        document.sent_version += 1
        message = {"jsonrpc": "2.0", "method": "textDocument/didChange",
                   "params": {"textDocument": {"uri": document.uri, "version": document.sent_version},
                              "contentChanges": changes}}
        if invalid_utf8:
            changes[-1]["text"] += "\x01"
            body = json.dumps(message, ensure_ascii=False).encode()
            assert body.count(b"\\u0001") == 1
            body = body.replace(b"\\u0001", b"\xff")
            changes[-1]["text"] = changes[-1]["text"][:-1] + "\ufffd"
            copy = Document(document.path, document.text)
            for change in changes:
                copy.apply(change)
            self.write(frame(body))
        else:
            self.write(frame(message))
        self.counts["didChange"] += 1
        self.counts["changes"] += len(changes)
        if refused:
            self.counts["refused didChange"] += 1
        else:
            document.text, document._lines, document.version = copy.text, None, document.sent_version

    def burst(self, documents):
        args, rng = self.args, self.rng
        total = args.requests
        malformed_at = {int((i + 0.5) * total / (len(self.MALFORMED) * 3)): kind
                        for i, kind in enumerate(self.MALFORMED * 3)}
        later = []          # heap of (send at request number, id): cancels sent some messages after the request
        after_answer = []   # ids cancelled once their answer has arrived
        self.burst_start = start = time.perf_counter()
        for number in range(total):
            document = rng.choice(documents)
            while rng.random() < 0.35:
                self.edit(rng.choice(documents))
            if number in malformed_at:
                self.malformed(malformed_at[number], document)
            method = rng.choice(["textDocument/completion", "textDocument/inlineCompletion"])
            params = {"textDocument": {"uri": document.uri}, "position": document.random_position(rng)}
            if method == "textDocument/completion":
                params["context"] = rng.choice([{"triggerKind": 1}, {"triggerKind": 2, "triggerCharacter": "."},
                                                {"triggerKind": 3}])
            else:
                params["context"] = {"triggerKind": rng.choice([1, 2])}
            self.counts[method] += 1
            request_id = self.request(method, params)
            if rng.random() < 0.5:
                roll = rng.random()
                if roll < 0.5:
                    self.cancel(request_id, "at once")
                elif roll < 0.8:
                    heappush(later, (number + rng.randint(1, 200), str(request_id), request_id))
                else:
                    after_answer.append(request_id)
            while later and later[0][0] <= number:
                self.cancel(heappop(later)[2], "later")
            if after_answer and number % 50 == 0:
                with self.state:
                    answered = [i for i in after_answer if i in self.answers]
                for request_id in answered:
                    after_answer.remove(request_id)
                    self.cancel(request_id, "after the answer")
            if self.proc.poll() is not None:
                self.violations.add(f"the server exited with code {self.proc.returncode} during the burst, after "
                                    f"{number} requests")
                return time.perf_counter() - start, after_answer
        for _, _, request_id in later:
            self.cancel(request_id, "later")
        return time.perf_counter() - start, after_answer

    def cancel(self, request_id, when):
        with self.state:
            self.cancelled[request_id] = time.perf_counter()
        self.counts[f"cancel {when}"] += 1
        self.notify("$/cancelRequest", {"id": request_id})

    def wait_for_answers(self, timeout):
        deadline = time.monotonic() + timeout
        with self.state:
            return self.state.wait_for(lambda: len(self.answers) >= len(self.sent) or self.proc.poll() is not None,
                                       max(0, deadline - time.monotonic()))

    def run(self):
        timer = watchdog(self.args.deadline, self.proc, self.violations)
        try:
            self.exercise()
        except (TimeoutError, RuntimeError, OSError) as error:
            self.violations.add(f"{type(error).__name__}: {error} (server exit code {self.proc.poll()})")
            self.proc.kill()
        timer.cancel()
        self.rss.stop.set()
        return self.finish()

    def exercise(self):
        args = self.args
        documents = [Document(os.path.join(ROOT, path), open(os.path.join(ROOT, path), encoding="utf-8").read())
                     for path in DOCUMENTS]
        answer = self.call("initialize", {"processId": os.getpid(), "rootUri": "file://" + ROOT, "capabilities": {}})
        if answer.get("result", {}).get("capabilities", {}).get("positionEncoding", "utf-16") != "utf-16":
            self.violations.add(f"the server did not keep UTF-16 positions: {answer}")
        self.notify("initialized", {})
        for document in documents:
            self.notify("textDocument/didOpen", {"textDocument": {
                "uri": document.uri, "languageId": document.language, "version": 1, "text": document.text}})
        # One answered completion first: the model is loaded before the clock starts.
        warm = self.call("textDocument/completion", {"textDocument": {"uri": documents[0].uri},
                                                     "position": {"line": 0, "character": 0}}, timeout=120)
        if "error" in warm:
            self.violations.add(f"the first completion failed: {warm['error']}")
        base_rss = self.rss.sample() / 1024

        sending, after_answer = self.burst(documents)
        if not self.wait_for_answers(args.timeout):
            self.report_missing()
        wall = time.perf_counter() - self.burst_start
        # The cancels that wait for their answer; one still unanswered has been reported above.
        for request_id in after_answer:
            self.cancel(request_id, "after the answer")

        self.check_answers()
        # The user is told about trouble, not nagged: one message per document at most (a refused edit) and a few
        # server-wide notices (invalid UTF-8, settings), however many bad messages arrive.
        shown_limit = len(documents) + 3
        if len(self.shown) > shown_limit:
            self.violations.add(f"{len(self.shown)} window/showMessage notifications (more than {shown_limit}), "
                                f"e.g. {self.shown[:3]}")
        self.check_documents(documents)
        final = self.check_still_answering(documents)
        peak = self.rss.sample() / 1024
        self.shutdown()
        self.report(wall, sending, base_rss, peak, final)
        if peak > args.max_rss_mib:
            self.violations.add(f"peak RSS {peak:.1f} MiB exceeds the limit of {args.max_rss_mib} MiB")

    def report_missing(self):
        with self.state:
            missing = [i for i in self.sent if i not in self.answers]
        if self.proc.poll() is not None:
            self.violations.add(f"the server exited with code {self.proc.returncode}; {len(missing)} requests "
                                f"unanswered")
        else:
            self.violations.add(f"{len(missing)} requests unanswered {self.args.timeout} s after the burst, e.g. "
                                + ", ".join(f"{i!r} ({self.sent[i][0]})" for i in missing[:5]))

    def check_answers(self):
        with self.state:
            for request_id, (kind, _) in self.sent.items():
                if request_id not in self.answers:
                    continue
                message = self.answers[request_id][1]
                has_result, error = "result" in message, message.get("error")
                if has_result == (error is not None):
                    self.violations.add(f"answer to {request_id!r} ({kind}) needs exactly one of result and error: "
                                        f"{json.dumps(message)[:200]}")
                    continue
                expected = self.expected_codes.get(request_id)
                if expected is not None:
                    if error is None or error.get("code") != expected:
                        self.violations.add(f"{kind} (id {request_id!r}) must be answered with error {expected}, "
                                            f"got {json.dumps(message)[:200]}")
                    continue
                if not kind.startswith("textDocument/"):
                    continue
                if error is None:
                    result = message["result"]
                    if not isinstance(result, dict) or not isinstance(result.get("items"), list):
                        self.violations.add(f"{kind} (id {request_id!r}) result is not a list: {str(result)[:200]}")
                    continue
                code = error.get("code")
                # RequestCancelled is right only for a request whose cancel went out before its answer came back.
                if code == REQUEST_CANCELLED and not self.cancelled.get(request_id, float("inf")) \
                        < self.answers[request_id][0]:
                    self.violations.add(f"{kind} (id {request_id!r}) was answered RequestCancelled but was not "
                                        f"cancelled before that answer")
                elif code not in (REQUEST_CANCELLED, CONTENT_MODIFIED):
                    self.violations.add(f"{kind} (id {request_id!r}) failed: {error}")
            if self.null_id_codes != self.expected_null_codes:
                self.violations.add(f"answers with id null: expected codes {self.expected_null_codes} in this order "
                                    f"(one per unparsable or method-less frame), got {self.null_id_codes}")

    def check_documents(self, documents):
        before = len(self.violations.messages)
        for document in documents:
            answer = self.call("dlsp/documentState", {"textDocument": {"uri": document.uri}})
            state = answer.get("result") or {}
            if state.get("text") != document.text:
                self.violations.add(f"{document.path}: the server's text differs from the client's copy "
                                    f"({describe_difference(document.text, state.get('text'))})")
            if state.get("version") != document.version:
                self.violations.add(f"{document.path}: the server holds version {state.get('version')}, the client "
                                    f"{document.version}")
            if state.get("treeVersion") is not None and state.get("treeVersion") != state.get("version"):
                self.violations.add(f"{document.path}: syntax tree of version {state.get('treeVersion')} for text "
                                    f"version {state.get('version')}")
        self.documents_equal = len(self.violations.messages) == before

    def check_still_answering(self, documents):
        document = documents[0]
        position = document.position(len(document.text) // 2)
        answer = self.call("textDocument/completion", {"textDocument": {"uri": document.uri}, "position": position,
                                                       "context": {"triggerKind": 1}}, timeout=60)
        if not isinstance(answer.get("result"), dict) or not isinstance(answer["result"].get("items"), list):
            self.violations.add(f"a normal completion after the burst was not answered with a list: "
                                f"{json.dumps(answer)[:300]}")
            return None
        return len(answer["result"]["items"])

    def shutdown(self):
        try:
            answer = self.call("shutdown", None, timeout=30)
            if "result" not in answer or answer["result"] is not None:
                self.violations.add(f"shutdown answered {answer}")
            self.notify("exit", None)
            self.proc.stdin.close()
            code = self.proc.wait(timeout=30)
            if code != 0:
                self.violations.add(f"the server exited with code {code} after shutdown and exit")
        except (TimeoutError, RuntimeError, subprocess.TimeoutExpired, BrokenPipeError) as error:
            self.violations.add(f"shutdown and exit failed: {error}")
            self.proc.kill()
        self.reader.join(timeout=10)
        self.rss.stop.set()

    def report(self, wall, sending, base_rss, peak, final):
        burst_ids = [i for i, (kind, _) in self.sent.items() if kind.startswith("textDocument/") and i in self.answers]
        codes = collections.Counter(self.answers[i][1]["error"]["code"] for i in self.answers
                                    if "error" in self.answers[i][1])
        as_cancelled = sum(1 for i in self.cancelled if i in self.answers
                           and self.answers[i][1].get("error", {}).get("code") == REQUEST_CANCELLED)
        latencies = [(self.answers[i][0] - self.sent[i][1]) * 1000 for i in burst_ids if i not in self.cancelled]
        c = self.counts
        requests = c["textDocument/completion"] + c["textDocument/inlineCompletion"]
        print(f"stdio burst of {self.args.binary}: {requests} requests ({c['textDocument/completion']} completion, "
              f"{c['textDocument/inlineCompletion']} inline), {c['didChange']} didChange ({c['changes']} changes, "
              f"{c['refused didChange']} refused whole by design), {c['malformed']} malformed or unusual messages")
        print(f"  cancels: {len(self.cancelled)} ({c['cancel at once']} at once, {c['cancel later']} later, "
              f"{c['cancel after the answer']} after the answer); answered as cancelled (-32800): {as_cancelled}")
        print(f"  answered: {len(self.answers)} of {len(self.sent)} requests with an id, each once; errors by code: "
              + (", ".join(f"{code}: {n}" for code, n in sorted(codes.items())) or "none")
              + f"; id-null errors: {len(self.null_id_codes)}")
        print(f"  wall {wall:.1f} s (sending {sending:.1f} s), {requests / wall:.0f} requests/s; latency of "
              f"requests not cancelled p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms"
              if latencies else f"  wall {wall:.1f} s")
        print(f"  peak RSS (VmHWM) {peak:.1f} MiB (after the first completion {base_rss:.1f} MiB; limit "
              f"{self.args.max_rss_mib} MiB)")
        if final is not None:
            print(f"  afterwards: {len(self.shown)} window/showMessage; documents "
                  + ("equal to the client's copies" if self.documents_equal else "DIFFERENT from the client's copies")
                  + f"; a completion answered ({final} items); exit code {self.proc.returncode}")

    def finish(self):
        if self.violations:
            self.stderr.seek(0)
            tail = self.stderr.read().decode("utf-8", "replace").splitlines()[-20:]
            print("server log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
            for message in self.violations.messages[:50]:
                print("VIOLATION: " + message, file=sys.stderr)
            return 1
        return 0


def describe_difference(expected, actual):
    if actual is None:
        return "no text"
    index = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    return (f"client {len(expected)} characters, server {len(actual)}; first difference at character {index}: "
            f"client {expected[index:index + 20]!r}, server {actual[index:index + 20]!r}")


# MARK: - serve


class HTTPConnection:
    """A minimal HTTP/1.1 client with its own buffer, so bytes the server sends beyond the one response a request
    gets are seen (a duplicated response), not silently dropped as a library client would."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.sock, self.buffer = port, timeout, None, b""

    def request(self, method, path, body=b""):
        """(status, headers, body); raises OSError or EOFError when the exchange breaks."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self.buffer = b""
        else:
            self.check_no_stray_bytes()
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.sock.sendall(head + body)
        status, headers, content = self.read_response()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, content

    def check_no_stray_bytes(self):
        readable, _, _ = select.select([self.sock], [], [], 0)
        if readable:
            data = self.sock.recv(65536)
            if not data:   # the server closed an idle keep-alive connection: allowed, reconnect
                self.close()
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                return
            self.buffer += data
        if self.buffer:
            raise ProtocolViolation(f"{len(self.buffer)} bytes arrived that answer no request: {self.buffer[:120]!r}")

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection before the response was complete")
        self.buffer += data

    def read_response(self):
        while b"\r\n\r\n" not in self.buffer:
            self.fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buffer) < length:
                self.fill()
            content, self.buffer = self.buffer[:length], self.buffer[length:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while True:
                while b"\r\n" not in self.buffer:
                    self.fill()
                size_line, self.buffer = self.buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self.fill()
                content += self.buffer[:size]
                self.buffer = self.buffer[size + 2:]
                if size == 0:
                    break
        else:
            raise ProtocolViolation(f"status {status} without Content-Length or chunked encoding")
        return status, headers, content

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


class ProtocolViolation(Exception):
    pass


def serve_cases(rng, snippets):
    """A request: (label, method, path, body bytes, expected status or None for a valid completion, expected
    error code)."""
    roll = rng.random()
    if roll < 0.85:
        text = rng.choice(snippets)
        cut = rng.randint(0, len(text))
        end = min(len(text), cut + rng.randint(0, 200))
        body = {"prompt": text[max(0, cut - 1500):cut], "suffix": text[end:end + 600],
                "max_tokens": rng.randint(2, 24), "path": "example.py"}
        if rng.random() < 0.1:
            body["stream"] = True
        if rng.random() < 0.1:
            body["n"] = 2
        if rng.random() < 0.3:
            body["stop"] = ["\n"]
        if rng.random() < 0.3:
            body["user"] = f"user{rng.randint(1, 6)}"
        path = rng.choice(["/v1/fim/completions", "/v1/completions"])
        return ("completion", "POST", path, json.dumps(body, ensure_ascii=False).encode(), None, None)
    endpoint = rng.choice(["/v1/fim/completions", "/v1/completions"])
    cases = [
        ("invalid JSON", "POST", endpoint, b'{"prompt": "x",', 400, "invalid_json"),
        ("not an object", "POST", endpoint, b'["prompt"]', 400, "invalid_json"),
        ("empty body", "POST", endpoint, b"", 400, "invalid_json"),
        ("invalid UTF-8", "POST", endpoint, b'{"prompt": "a\xff\xfeb"}', 400, "invalid_json"),
        ("missing prompt", "POST", endpoint, b'{"suffix": "x"}', 400, "missing_required_parameter"),
        ("prompt of the wrong type", "POST", endpoint, b'{"prompt": 12}', 400, "invalid_type"),
        ("max_tokens out of range", "POST", endpoint, b'{"prompt": "x", "max_tokens": 100000}', 400, "invalid_type"),
        ("temperature of the wrong type", "POST", endpoint, b'{"prompt": "x", "temperature": "hot"}', 400,
         "invalid_type"),
        ("unknown model", "POST", endpoint, b'{"prompt": "x", "model": "gpt-9"}', 404, "model_not_found"),
        ("unknown endpoint", "POST", "/v1/nothing", b'{"prompt": "x"}', 404, "unknown_url"),
        ("body over 1 MiB", "POST", endpoint, b'{"prompt": "' + b"a" * (1 << 20) + b'"}', 413, "request_too_large"),
    ]
    return rng.choice(cases)


class ServeBurst:
    def __init__(self, args):
        self.args, self.violations = args, Violations()
        self.log_tail = collections.deque(maxlen=40)
        self.port = None
        self.listening = threading.Event()
        self.proc = subprocess.Popen([args.binary, "serve", "--port", "0", "--queue", str(args.queue),
                                      "--parallel", str(args.parallel)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.rss = PeakRSS(self.proc.pid)
        threading.Thread(target=self.read_log, daemon=True).start()
        self.lock = threading.Lock()
        self.issued = 0
        self.statuses = collections.Counter()
        self.by_case = collections.Counter()
        self.latencies = []
        self.max_waiting = self.max_running = 0
        self.stop_polling = threading.Event()

    def read_log(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.log_tail.append(line)
            match = re.search(r"listening on http://[^:]+:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                self.listening.set()

    def take(self, deadline):
        with self.lock:
            if self.issued >= self.args.requests or time.monotonic() > deadline:
                return False
            self.issued += 1
            return True

    def client(self, number, snippets, deadline):
        rng = random.Random(self.args.seed * 1000 + number)
        connection = HTTPConnection(self.port, timeout=self.args.timeout)
        while self.take(deadline):
            label, method, path, body, expected_status, expected_code = serve_cases(rng, snippets)
            start = time.perf_counter()
            try:
                status, headers, content = connection.request(method, path, body)
            except (OSError, EOFError, ProtocolViolation, ValueError, IndexError) as error:
                self.violations.add(f"{label} {path}: no single well-formed response ({type(error).__name__}: "
                                    f"{error})")
                connection.close()
                continue
            elapsed = (time.perf_counter() - start) * 1000
            problem = self.check(label, expected_status, expected_code, status, headers, content, body)
            with self.lock:
                self.statuses[status] += 1
                self.by_case[label] += 1
                if label == "completion" and status == 200:
                    self.latencies.append(elapsed)
            if problem:
                self.violations.add(f"{label} {path}: {problem}")
            if status == 429:
                # Back off for less than Retry-After asks: the queue stays full (the bound stays under test) while
                # the fills that do run still give latency figures.
                time.sleep(rng.uniform(0, 0.2))
            if rng.random() < 0.05:   # some clients hang up and come back, as real ones do
                connection.close()
        try:
            if connection.sock is not None:
                time.sleep(0.2)
                connection.check_no_stray_bytes()
        except ProtocolViolation as error:
            self.violations.add(f"client {number}: {error}")
        except OSError:
            pass
        connection.close()

    def check(self, label, expected_status, expected_code, status, headers, content, body):
        try:
            payload = json.loads(content) if not headers.get("content-type", "").startswith("text/event-stream") \
                else None
        except ValueError:
            return f"status {status} with a body that is not JSON: {content[:120]!r}"
        if expected_status is not None:
            code = (payload or {}).get("error", {}).get("code")
            if status != expected_status or code != expected_code:
                return f"expected {expected_status} {expected_code}, got {status} {content[:200]!r}"
            return None
        if status in (429, 503):
            if status == 429 and not headers.get("retry-after", "").isdigit():
                return f"429 without a Retry-After in seconds: {headers}"
            if (payload or {}).get("error", {}).get("code") != "rate_limit_exceeded" and status == 429:
                return f"429 with an unexpected body {content[:200]!r}"
            return None
        if status != 200:
            return f"valid request answered {status}: {content[:200]!r}"
        request = json.loads(body)
        if request.get("stream"):
            events = [e for e in content.decode().split("\n\n") if e]
            if not events or events[-1] != "data: [DONE]":
                return f"stream does not end with data: [DONE]: {content[-200:]!r}"
            for event in events[:-1]:
                chunk = json.loads(event[len("data: "):])
                if chunk.get("object") != "text_completion":
                    return f"stream chunk of the wrong shape: {event[:200]}"
            return None
        choices = (payload or {}).get("choices")
        if payload.get("object") != "text_completion" or not isinstance(choices, list) \
                or not 1 <= len(choices) <= request.get("n", 1) \
                or not all(isinstance(c.get("text"), str) for c in choices):
            return f"200 of the wrong shape: {content[:200]!r}"
        return None

    def poll_health(self):
        connection = HTTPConnection(self.port, timeout=10)
        while not self.stop_polling.wait(0.05):
            try:
                status, _, content = connection.request("GET", "/health")
                health = json.loads(content)
            except (OSError, EOFError, ProtocolViolation, ValueError) as error:
                self.violations.add(f"/health failed during the burst: {error}")
                connection.close()
                continue
            with self.lock:
                self.max_waiting = max(self.max_waiting, health.get("waiting", 0))
                self.max_running = max(self.max_running, health.get("running", 0))
            if health.get("waiting", 0) > self.args.queue or health.get("running", 0) > self.args.parallel:
                self.violations.add(f"/health reports {health}: beyond --queue {self.args.queue} / --parallel "
                                    f"{self.args.parallel}")
        connection.close()

    def run(self):
        timer = watchdog(self.args.deadline, self.proc, self.violations)
        try:
            return self.exercise()
        except (OSError, EOFError, ProtocolViolation, ValueError) as error:
            self.violations.add(f"{type(error).__name__}: {error} (server exit code {self.proc.poll()})")
            self.proc.kill()
            return self.finish()
        finally:
            timer.cancel()
            self.rss.stop.set()

    def exercise(self):
        args = self.args
        if not self.listening.wait(60):
            self.violations.add("dlsp serve did not report a listening port within 60 s")
            self.proc.kill()
            return self.finish()
        snippets = [open(os.path.join(ROOT, path), encoding="utf-8").read() for path in DOCUMENTS]
        warm = HTTPConnection(self.port, timeout=120)
        status, _, content = warm.request("POST", "/v1/fim/completions",
                                          json.dumps({"prompt": "def mean(xs):\n    return ", "suffix": "\n"}).encode())
        warm.close()
        if status != 200:
            self.violations.add(f"the first completion was answered {status}: {content[:200]!r}")
        base_rss = self.rss.sample() / 1024
        poller = threading.Thread(target=self.poll_health, daemon=True)
        poller.start()
        start = time.perf_counter()
        deadline = time.monotonic() + args.seconds
        clients = [threading.Thread(target=self.client, args=(n, snippets, deadline), daemon=True)
                   for n in range(args.clients)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(args.seconds + args.timeout + 30)
            if thread.is_alive():
                self.violations.add("a client thread never finished (a response never came)")
        wall = time.perf_counter() - start
        self.stop_polling.set()
        poller.join(15)
        answered = sum(self.statuses.values())
        if answered != self.issued and not self.violations:
            self.violations.add(f"{self.issued} requests sent, {answered} statuses received")
        if self.statuses[429] + self.statuses[503] == 0:
            self.violations.add(f"no request was refused with 429/503: {args.clients} clients never filled a queue "
                                f"of {args.queue}, so the bound was not tested")
        # Afterwards: idle again and still answering.
        after = HTTPConnection(self.port, timeout=60)
        try:
            status, _, content = after.request("GET", "/health")
            health = json.loads(content)
            if health.get("waiting") != 0 or health.get("running") != 0:
                self.violations.add(f"after the burst /health reports {health}, not idle")
            status, _, content = after.request("POST", "/v1/fim/completions", json.dumps(
                {"prompt": "import os\n\npath = os.path.", "suffix": "\n", "max_tokens": 8}).encode())
            final = json.loads(content)
            if status != 200 or not final.get("choices"):
                self.violations.add(f"a normal request after the burst was answered {status}: {content[:200]!r}")
        except (OSError, EOFError, ProtocolViolation, ValueError) as error:
            self.violations.add(f"the server does not answer after the burst: {error}")
        after.close()
        peak = self.rss.sample() / 1024
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.violations.add("dlsp serve did not stop within 30 s of SIGTERM")
            self.proc.kill()
            code = self.proc.wait()
        self.rss.stop.set()
        # dlsp serve drains on SIGTERM (no new connections, the fills in flight finish) and exits 0.
        if code != 0:
            self.violations.add(f"dlsp serve exited with code {code} on SIGTERM")
        print(f"serve burst of {args.binary}: {args.clients} clients, --queue {args.queue} --parallel "
              f"{args.parallel}: {answered} requests in {wall:.1f} s ({answered / wall:.0f} requests/s), each "
              f"answered with one status")
        print("  statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
              + "; malformed: " + (", ".join(f"{k} {n}" for k, n in sorted(self.by_case.items())
                                             if k != "completion") or "none"))
        if self.latencies:
            print(f"  completions answered 200: {len(self.latencies)}, latency p50 {percentile(self.latencies, 50):.1f} ms, p95 {percentile(self.latencies, 95):.1f} ms;"
                  f" /health saw at most {self.max_waiting} waiting and {self.max_running} running")
        print(f"  peak RSS (VmHWM) {peak:.1f} MiB (after the first completion {base_rss:.1f} MiB; limit "
              f"{args.max_rss_mib} MiB); afterwards idle, a completion answered; stopped by SIGTERM (code {code})")
        if peak > args.max_rss_mib:
            self.violations.add(f"peak RSS {peak:.1f} MiB exceeds the limit of {args.max_rss_mib} MiB")
        return self.finish()

    def finish(self):
        if self.violations:
            print("server log (last lines):\n  " + "\n  ".join(self.log_tail), file=sys.stderr)
            for message in self.violations.messages[:50]:
                print("VIOLATION: " + message, file=sys.stderr)
            return 1
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/dlsp")
    parser.add_argument("--serve", action="store_true", help="burst `dlsp serve` over HTTP instead of stdio")
    parser.add_argument("--requests", type=int, default=None,
                        help="requests to send (default 10000 over stdio, 2000 over HTTP)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-rss-mib", type=int, default=None,
                        help="the bound on peak resident memory (default 384 over stdio, 256 over HTTP; "
                             "docs/reliability.md says why)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for the last answers (stdio) or for one response (HTTP)")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds the whole test may take")
    parser.add_argument("--clients", type=int, default=32, help="--serve: concurrent clients")
    parser.add_argument("--seconds", type=float, default=300, help="--serve: stop issuing requests after this")
    parser.add_argument("--queue", type=int, default=4, help="--serve: the server's --queue (small, to fill it)")
    parser.add_argument("--parallel", type=int, default=1, help="--serve: the server's --parallel")
    args = parser.parse_args()
    if args.requests is None:
        args.requests = 2000 if args.serve else 10000
    if args.max_rss_mib is None:
        args.max_rss_mib = 256 if args.serve else 384
    sys.exit(ServeBurst(args).run() if args.serve else StdioBurst(args).run())


if __name__ == "__main__":
    main()
