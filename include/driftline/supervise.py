"""Process supervision shared by the embedded stack and the native topology.

Both :mod:`driftline.stack` (``make up``) and :mod:`driftline.native` run services as
background processes the same way:

* :func:`check_ports_free` before a start: a taken port fails with a message naming the
  service, the port, the process holding it (:func:`port_owner`) and the log;
* :func:`start`: the command in its own process group (``start_new_session``), standard
  output and error appended to its log;
* :func:`wait_healthy`: poll a health check (e.g. :func:`http_ok`) until a deadline, and
  fail early, with the cause read from the log, when the process exits;
* :func:`stop_group`: SIGTERM to the process group, SIGKILL after a grace period.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from driftline.errors import PortInUseError, ServiceError, fail


# --------------------------------------------------------------------------- ports
def port_owner(port: int) -> str | None:
    """Best-effort description of the process listening on ``port`` (Linux /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                    return f"pid {proc.name}: {cmd[:120]}"
        except OSError:
            continue
    return None


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on ``host:port`` or it cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        if sock.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as servers do: a port held only by TIME_WAIT connections is free to listen on
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def check_ports_free(service: str, ports: Iterable[int], log: Path) -> None:
    """Raise :class:`PortInUseError` naming the service, the port and its owner."""
    for port in ports:
        if port_in_use(port):
            owner = port_owner(port)
            cause = f"port {port} is in use" + (f" by {owner}" if owner else "")
            raise PortInUseError(
                fail(
                    f"cannot start {service}: {cause}",
                    f"stop that process or choose other ports (see driftline.settings); log: {log}",
                )
            )


# --------------------------------------------------------------------------- health
def http_ok(url: str, check: Callable[[bytes], bool] | None = None, timeout: float = 3) -> bool:
    """True when ``url`` answers 200 (and ``check(body)``, when given, is true).

    Anything that is not an HTTP answer is "not healthy yet": no listener, a reset, or a
    reply that is not HTTP (``http.client.HTTPException``). The last happens while a
    server is still starting on a port in the ephemeral range: the probe's own socket can
    connect to itself (TCP simultaneous open) and read back its request.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - local URL
            body = resp.read()
            return resp.status == 200 and (check is None or check(body))
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return False


def wait_healthy(
    name: str,
    health: Callable[[], bool],
    alive: Callable[[], bool],
    log: Path,
    timeout: float,
    *,
    where: str = "",
    restart: str = "run 'make up' again",
    tail_lines: int = 0,
) -> None:
    """Poll ``health`` every second until it is true; raise when the process dies or time is up.

    The :class:`ServiceError` names the service, the cause read from its ``log``
    (:func:`log_cause`; plus its last ``tail_lines`` lines when positive), the log and
    the next step (``restart`` after fixing the cause; a longer
    ``DRIFTLINE_STARTUP_TIMEOUT`` on a timeout). ``where`` follows the timeout (e.g.
    ``" at http://..."``).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if health():
            return
        if not alive():
            raise ServiceError(
                fail(
                    f"{name} exited during start-up{_why(log, tail_lines)}",
                    f"read its log {log}, fix the cause, then {restart}",
                )
            )
        time.sleep(1.0)
    raise ServiceError(
        fail(
            f"{name} was not healthy within {timeout} s{where}{_why(log, tail_lines)}",
            f"read its log {log}; raise DRIFTLINE_STARTUP_TIMEOUT on a slow machine",
        )
    )


def _why(log: Path, tail_lines: int) -> str:
    cause = log_cause(log)
    if tail_lines > 0 and log.exists():
        return f"{cause}:\n{tail(log, tail_lines)}"
    return cause


# --------------------------------------------------------------------------- processes
def start(
    command: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    cwd: Path,
    banner: str | None = None,
) -> subprocess.Popen:
    """Start ``command`` in its own process group, output appended to ``log``.

    ``banner`` is written to the log first (a line marking this start).
    """
    with open(log, "ab") as fh:
        if banner is not None:
            fh.write(f"\n{banner}\n".encode())
            fh.flush()
        return subprocess.Popen(  # noqa: S603 - commands are fixed by the callers
            list(command),
            env=dict(env),
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(cwd),
            start_new_session=True,
        )


def reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is an exited child of this process."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    reap(pid)
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    return True


def group_alive(pgid: int) -> bool:
    """True while a non-zombie process of process group ``pgid`` exists (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def stop_group(pid: int, grace: float = 20.0) -> None:
    """Stop ``pid``'s process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    try:
        pgid = os.getpgid(pid)
    except OSError:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except OSError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            reap(pid)
            if not group_alive(pgid):
                return
            time.sleep(0.2)


# --------------------------------------------------------------------------- logs
def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of ``path`` (read from its last 64 KiB)."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))
        data = fh.read().decode(errors="replace")
    return "\n".join(data.splitlines()[-lines:])


def log_cause(log: Path) -> str:
    """A short cause read from the log's last lines, when one is recognisable."""
    if not log.exists():
        return ""
    text = tail(log, 30)
    for marker in ("address already in use", "Address already in use"):
        if marker in text:
            return " (a port is already in use)"
    errors = [ln for ln in text.splitlines() if "Error" in ln or "error" in ln]
    return f" (last error: {errors[-1].strip()[:200]})" if errors else ""
