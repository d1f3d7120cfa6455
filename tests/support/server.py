"""Start and stop a real ``streamlit run`` server on a free loopback port.

Theory of operation
-------------------
The browser tests (``tests/browser``) and the benchmarks (``bench/``) both need the real
app served over HTTP. This module is the one implementation of that: pick a free port on
127.0.0.1, start ``python -m streamlit run SCRIPT`` in its own session (process group) so
that stopping it also stops anything it spawned, poll ``/_stcore/health`` until it answers
``ok`` (or the process dies, or a deadline passes — never a blind sleep), and stop it by
its own pid (SIGTERM to its process group, then SIGKILL after a grace period).

Only loopback is ever used; the file watcher and usage statistics are off so the server
neither polls the disk nor calls out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the OS picks it; race window is tiny on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((HOST, port)) == 0


@dataclass
class Server:
    """A running ``streamlit run``; ``url`` is its base URL (no trailing slash)."""

    proc: subprocess.Popen
    port: int
    log_path: Path
    script: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def start_server(script: str | os.PathLike = "app.py", *, cwd: str | os.PathLike = ROOT, port: int | None = None,
                 timeout_s: float = 60.0, env: dict[str, str] | None = None,
                 extra_args: tuple[str, ...] = ()) -> Server:
    """Start ``streamlit run script`` on 127.0.0.1 and return once ``/_stcore/health`` says ``ok``.

    Raises ``RuntimeError`` (with the server's log tail) if it exits or is not healthy in time.
    """
    port = port or free_port()
    if _port_in_use(port):  # a stale server would answer our health check
        raise RuntimeError(f"port {port} is already in use")
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script),
           "--server.headless", "true", "--server.address", HOST, "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *extra_args]
    proc = subprocess.Popen(cmd, cwd=str(cwd), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    log.close()
    server = Server(proc=proc, port=port, log_path=Path(log.name), script=str(script))
    try:
        wait_healthy(server, timeout_s)
    except BaseException:
        stop_server(server)
        raise
    return server


def wait_healthy(server: Server, timeout_s: float) -> None:
    """Poll the health endpoint; each poll blocks on the socket (no sleeps), bounded by a deadline."""
    import time  # test/bench support code, not the pure core: the wall clock is fine here

    deadline = time.monotonic() + timeout_s
    url = f"{server.url}/_stcore/health"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.proc.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(url, timeout=1.0) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            # not listening yet: wait for the process a little instead of sleeping blindly
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(timeout=0.1)
    raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{server.log()}")


def stop_server(server: Server, grace_s: float = 5.0) -> None:
    """Stop the server's process group (it was started in its own session) by its pid."""
    proc = server.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace_s)
    with contextlib.suppress(OSError):
        server.log_path.unlink()


@contextlib.contextmanager
def running(script: str | os.PathLike = "app.py", **kw) -> Iterator[Server]:
    """``with running("app.py") as srv: ...`` — always stops the server."""
    server = start_server(script, **kw)
    try:
        yield server
    finally:
        stop_server(server)


def rss_kb(pid: int) -> int:
    """Resident set size of ``pid`` in kB, from /proc/<pid>/status (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
