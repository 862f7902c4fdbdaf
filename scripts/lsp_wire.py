"""The LSP base protocol for the scripts that drive dlsp over stdio (bench-lsp.py, burst.py): framing a message,
reading one back, and the percentile both report. Python standard library only."""
import json


def frame(body):
    """A message (a dict, or a body already encoded as bytes) with its Content-Length header."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream):
    """The next message from a binary stream, decoded; None at end of input. Raises ValueError on a frame or body
    that breaks the protocol (the server must never write one)."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError("a header block without Content-Length")
    body = stream.read(length)
    if len(body) != length:
        return None
    return json.loads(body.decode("utf-8"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
