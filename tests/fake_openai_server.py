"""A small OpenAI-compatible chat server on loopback for tests: known answers, a judge, injected faults.

`POST /v1/chat/completions` answers from `labels` (comment id -> the teacher's answer text). The id
is read from the user message, where every test comment carries a tag such as `[v-003]`; a comment
without a known label gets `default_answer(user message)` when given (else an empty reply). A request
whose system message asks for a `"score"` is a judge request and gets
{"score": 5, "justification": ...}. One whose system message asks for a "new support comment" is a
write request (utils.synth): its id is the tag of the seed shown between <<< and >>>, and it gets the
next of `writes[seed id]` when queued, else a new comment of the seed's words in reverse order
(no word 3-gram in common with it) tagged `[n<seed tag>]` (`[v-003]` -> `[nv-003]`; an untagged
seed gets `[w-<crc32 of its text>]`), whose label is the seed's. Faults are queued per (mode, id)
and used one per request:

    "429"        HTTP 429 with Retry-After (seconds: `retry_after`)
    "500"        HTTP 500
    "slow"       the normal reply, sent after `slow_s` seconds (past the client's timeout)
    "malformed"  a judge reply that is not valid JSON; a write reply too short to be a comment
    "missing"    an answer whose last three lines are missing

Every request is recorded (mode, id, arrival time, Authorization header) before any fault, so the
counts are what the client really sent. The server runs in a daemon thread, shuts itself down after
`lifetime_s` seconds, and is a context manager:

    with FakeOpenAI(labels, faults={("answer", "v-001"): ["429"]}) as server:
        url = server.base_url          # http://127.0.0.1:<free port>/v1
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

ID_TAG = re.compile(r"\[([a-z]+-\d+)\]")
SEED = re.compile(r"<<<\n(.*?)\n>>>", re.DOTALL)


class FakeOpenAI:
    def __init__(self, labels: dict[str, str], faults: Optional[dict[tuple[str, str], list[str]]] = None,
                 api_key: Optional[str] = None, delay_s: float = 0.0, slow_s: float = 1.5,
                 retry_after: float = 1.0, lifetime_s: float = 120.0, missing_models: tuple[str, ...] = ("no-such-model",),
                 writes: Optional[dict[str, list[str]]] = None, default_answer: Optional[Callable[[str], str]] = None):
        self.labels = dict(labels)
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.writes = {k: list(v) for k, v in (writes or {}).items()}
        self.default_answer = default_answer
        self.api_key, self.delay_s, self.slow_s, self.retry_after = api_key, delay_s, slow_s, retry_after
        self.lifetime_s, self.missing_models = lifetime_s, missing_models
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "FakeOpenAI":
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what was asked ------------------------------------------------------------------------
    def counts(self) -> Counter:
        """Requests per (mode, id)."""
        with self.lock:
            return Counter((r["mode"], r["id"]) for r in self.requests)

    def times(self) -> list[float]:
        with self.lock:
            return sorted(r["t"] for r in self.requests)

    # -- replies -------------------------------------------------------------------------------
    def _write(self, seed: str, cid: Optional[str]) -> str:
        """A new comment for a write request (called under the lock)."""
        if self.writes.get(cid):
            return self.writes[cid].pop(0)
        words = ID_TAG.sub("", seed).split()
        tag = f"n{cid}" if cid else f"w-{zlib.crc32(seed.encode('utf-8')):010d}"
        if cid in self.labels:
            self.labels.setdefault(tag, self.labels[cid])
        return f"[{tag}] " + " ".join(reversed(words))

    def _reply(self, mode: str, cid: Optional[str], fault: Optional[str], user: str = "") -> str:
        if mode == "judge":
            if fault == "malformed":
                return '{"score": 5, "justification": "The answers look right'  # cut off: not JSON
            return json.dumps({"score": 5, "justification": f"All answers for {cid} match the comment."})
        if mode == "write":
            if fault == "malformed":
                return "Sure, here it is:"  # too short to be a comment
            found = SEED.search(user)
            with self.lock:
                return self._write(found.group(1) if found else "", cid)
        text = self.labels.get(cid, "")
        if not text and self.default_answer is not None:
            text = self.default_answer(user)
        if fault == "missing":
            text = "\n".join(text.splitlines()[:-3])
        return text

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: dict, headers: Optional[dict] = None) -> None:
                data = json.dumps(body).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                messages = body.get("messages") or []
                system = " ".join(m["content"] for m in messages if m.get("role") == "system")
                user = " ".join(m["content"] for m in messages if m.get("role") == "user")
                mode = "judge" if '"score"' in system else "write" if "new support comment" in system else "answer"
                seed = SEED.search(user) if mode == "write" else None
                found = ID_TAG.search(seed.group(1) if seed else user)
                cid = found.group(1) if found else None
                with server.lock:
                    server.requests.append({"mode": mode, "id": cid, "t": time.monotonic(),
                                            "auth": self.headers.get("Authorization"), "model": body.get("model")})
                    queue = server.faults.get((mode, cid))
                    fault = queue.pop(0) if queue else None
                if server.api_key is not None and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._send(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
                if body.get("model") in server.missing_models:
                    return self._send(404, {"error": {"message": f"model {body.get('model')} not found"}})
                if fault == "429":
                    return self._send(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                                      {"Retry-After": str(server.retry_after)})
                if fault == "500":
                    return self._send(500, {"error": {"message": "internal error"}})
                time.sleep(server.slow_s if fault == "slow" else server.delay_s)
                text = server._reply(mode, cid, fault, user)
                prompt_tokens = sum(len(m.get("content", "")) for m in messages) // 4
                completion_tokens = max(1, len(text) // 4)
                self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens},
                })

        return Handler
