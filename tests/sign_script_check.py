#!/usr/bin/env python3
"""Runs the signing script of docs/events.md for real and checks what it sends.

The script (the ```bash block after `<!-- contract: sign-script -->`) is run with bash against
a local HTTP listener that verifies each request the way Herald does (Standard Webhooks,
HMAC-SHA256 over "{id}.{timestamp}.{body}", key = base64 after "whsec_"):

1. the reference vector of the page (`<!-- contract: signature-vector -->`) must give exactly
   its signature;
2. a binary key (zero bytes, repeated 16-byte rows that `od` would fold without -v) with the
   current time and the script's built-in (non-ASCII) body must verify;
3. a body file ending in a newline must verify on the bytes actually sent.

Needs python3, bash, openssl, base64, od, tr and curl. Run: python3 tests/sign_script_check.py
"""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "events.md"


def block_after(text: str, marker: str) -> str:
    """The body of the first fenced code block after an HTML-comment marker."""
    match = re.search(
        r"<!-- contract: " + re.escape(marker) + r" -->\s*```[^\n]*\n(.*?)\n```", text, re.S
    )
    if not match:
        sys.exit(f"{DOC}: no code block after <!-- contract: {marker} -->")
    return match.group(1)


def expected_signature(secret: str, msg_id: str, ts: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class Listener(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        Listener.received.append((self.path, dict(self.headers.items()), body))
        answer = json.dumps({"event_id": "evt_test", "routes": 0, "duplicate": False}).encode()
        self.send_response(202)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def run_script(script: Path, url: str, env: dict, args: list) -> tuple:
    Listener.received.clear()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WEBHOOK_")}
    full_env.update(env, HERALD_URL=url)
    out = subprocess.run(
        ["bash", str(script), *args], env=full_env, capture_output=True, text=True, timeout=30
    )
    if out.returncode != 0:
        sys.exit(f"the script failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    if "HTTP 202" not in out.stdout:
        sys.exit(f"the script did not report the 202:\n{out.stdout}")
    if len(Listener.received) != 1:
        sys.exit(f"expected one request, got {len(Listener.received)}")
    return Listener.received[0]


def check(request: tuple, secret: str, connection: str, now_window: bool) -> str:
    path, headers, body = request
    headers = {k.lower(): v for k, v in headers.items()}
    assert path == f"/hooks/{connection}", path
    assert headers.get("content-type") == "application/json", headers
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    msg_id, ts, sigs = (headers.get(h) for h in names)
    assert msg_id and ts and sigs, headers
    if now_window:
        assert abs(int(ts) - time.time()) <= 300, f"timestamp {ts} is not now"
    want = expected_signature(secret, msg_id, ts, body)
    assert want in sigs.split(" "), f"signature {sigs} != {want}"
    return sigs


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    vector = json.loads(block_after(text, "signature-vector"))
    server = HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            script = tmp / "send-event.sh"
            script.write_text(block_after(text, "sign-script") + "\n", encoding="utf-8")

            # 1. The reference vector, byte for byte.
            body_file = tmp / "vector.json"
            body_file.write_bytes(vector["body"].encode())
            request = run_script(
                script,
                url,
                {
                    "HERALD_WEBHOOK_SECRET": vector["secret"],
                    "WEBHOOK_ID": vector["webhook-id"],
                    "WEBHOOK_TIMESTAMP": str(vector["webhook-timestamp"]),
                },
                [str(body_file)],
            )
            sig = check(request, vector["secret"], "default", now_window=False)
            assert sig == vector["webhook-signature"], f"{sig} != {vector['webhook-signature']}"
            assert request[2] == vector["body"].encode(), request[2]
            print(f"ok: reference vector gives {sig}")

            # 2. A binary key, the current time, the built-in body, another connection.
            key = bytes(16) + bytes(16) + bytes(range(0, 256, 8)) + b"\n\x00 \xff"
            secret = "whsec_" + base64.b64encode(key).decode()
            request = run_script(
                script, url, {"HERALD_WEBHOOK_SECRET": secret, "CONNECTION": "acme"}, []
            )
            check(request, secret, "acme", now_window=True)
            json.loads(request[2].decode("utf-8"))
            print("ok: binary key, built-in body")

            # 3. A body file with a trailing newline: what is signed is what is sent.
            body_file = tmp / "event.json"
            body_file.write_text(
                '{"type": "research.completed", "occurred_at": "2026-11-21T01:00:00Z"}\n',
                encoding="utf-8",
            )
            request = run_script(
                script, url, {"HERALD_WEBHOOK_SECRET": vector["secret"]}, [str(body_file)]
            )
            check(request, vector["secret"], "default", now_window=True)
            print("ok: body file")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
