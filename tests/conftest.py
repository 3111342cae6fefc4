"""Test setup shared by every test file: makes the project importable as `utils` and `Config`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import socket
import subprocess
import time
import urllib.request

import pytest


@pytest.fixture(scope="session")
def tiny_folder():
    """The tiny student's folder under models/ (Step 0 for `tiny`; reused when ready)."""
    from Config.Config import load_config
    from utils import models

    return models.setup_model(load_config("tiny"))


@pytest.fixture
def tiny_server(tiny_folder):
    """`transformers serve` with the tiny model on a free loopback port; yields its /v1 base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "transformers.cli.transformers", "serve", str(tiny_folder),
         "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"transformers serve did not start: {server.stderr.read()[-2000:]}")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=30)
