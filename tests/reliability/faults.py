"""Fault injection with real processes: stop, pause and restart services; a private PostgreSQL.

Helpers for the reliability tests (``tests/reliability``). Everything here acts on
processes this test session started (found through the stack's pid files or under a
known parent), never on a process found by name alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")


# --------------------------------------------------------------------------- /proc
def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (live ones)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields and fields[0] != "Z" and int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid``, parents before children."""
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop(0))
        out.extend(kids)
        todo.extend(kids)
    return out


def find_under(root: int, needle: str) -> list[int]:
    """Live descendants of ``root`` whose command line contains ``needle``."""
    return [p for p in descendants(root) if needle in cmdline(p)]


def kill(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_gone(pids: list[int], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


def poll(check: Callable[[], Any], timeout: float, what: str, every: float = 1.0) -> Any:
    """Call ``check`` until it returns something truthy; exceptions count as not yet."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # noqa: BLE001 - a service may be restarting
            last, value = exc, None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last})")


# --------------------------------------------------------------------------- stack services
def service_pid(stack: Any, name: str) -> int:
    """Pid of a stack service (from its pid file); fails if it is not running."""
    pid = stack.pid(stack.services()[name])
    assert pid is not None, f"{name} is not running"
    return pid


def pause_service(stack: Any, name: str) -> list[int]:
    """SIGSTOP a service and its descendants (connections hang); return the pids."""
    pid = service_pid(stack, name)
    pids = [pid, *descendants(pid)]
    kill(pids, signal.SIGSTOP)
    return pids


def crash_service(stack: Any, name: str) -> None:
    """SIGKILL a service's process group (no clean shutdown), then forget its pid file."""
    pid = service_pid(stack, name)
    pgid = os.getpgid(pid)
    pids = [pid, *descendants(pid)]
    os.killpg(pgid, signal.SIGKILL)
    kill(pids, signal.SIGCONT)  # a stopped process dies only once continued
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    assert wait_gone(pids), f"{name} survived SIGKILL"
    stack.services()[name].pid_path(stack.settings.state_dir).unlink(missing_ok=True)


def restart_service(stack: Any, name: str) -> None:
    """Start a stopped service again (same state folder) and wait until it is healthy."""
    from driftline.stack import Stack

    Stack(stack.settings, [name]).up(progress=lambda m: None)


# --------------------------------------------------------------------------- PostgreSQL
@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL server in ``root`` on ``port`` (trust auth, user postgres).

    ``root`` must be reachable by the ``postgres`` user when the tests run as root
    (PostgreSQL refuses to run as root; its tools then run through ``runuser``).

    Never the shared server: restart faults are injected with ``pg_ctl restart`` on
    this one only.
    """

    root: Path
    port: int
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.log = self.root / "postgres.log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *command: str, timeout: float = 120) -> None:
        # PostgreSQL refuses to run as root: then run its tools as the postgres user
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        out = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {out.stderr.strip()[-800:]}")

    def _ctl(self, *args: str, timeout: float = 120) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            str(PG_BIN / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.log), "-o", opts, *args),
            timeout=timeout,
        )

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.root, "postgres", "postgres")
            self._run(
                str(PG_BIN / "initdb"),
                *("-D", str(self.data), "-U", "postgres", "--auth=trust"),
                timeout=180,
            )
        self._ctl("start", "-w", "-t", "120")
        return self

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every open connection is cut."""
        self._ctl("restart", "-m", "fast", "-w", "-t", "120")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate", "-w", "-t", "60")

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
