"""Child processes the harness starts (cargo lambda watch): own process groups, recorded in a pid
file (so scripts/demo's EXIT trap can stop them even if this process is killed hard), stopped by
pid at exit — never by name."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from typing import IO
from collections.abc import Callable


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Children:
    """Processes we started. `restart=True` ones (the function binaries) are started again when
    they exit, as Lambda starts a new execution environment after a crash."""

    def __init__(self, pid_file: str | None):
        self.pid_file = pid_file
        self.procs: list[tuple[str, subprocess.Popen, IO]] = []
        self._specs: dict[str, tuple[list[str], dict[str, str], str, str]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.on_restart: Callable[[str, int], None] | None = None
        self._supervisor: threading.Thread | None = None
        self._restarts: dict[str, int] = {}

    def start(
        self, name: str, argv: list[str], env: dict[str, str], log_path: str, cwd: str, restart: bool = False
    ) -> subprocess.Popen:
        logf = open(log_path, "ab")
        p = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        with self._lock:
            self.procs.append((name, p, logf))
            if restart:
                self._specs[name] = (argv, env, log_path, cwd)
        if self.pid_file:
            with open(self.pid_file, "a") as f:
                f.write(f"{p.pid}\n")
        if restart and self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
            self._supervisor.start()
        return p

    def _supervise(self) -> None:
        while not self._stopping.wait(0.3):
            with self._lock:
                dead = [
                    (i, n, p) for i, (n, p, _) in enumerate(self.procs) if n in self._specs and p.poll() is not None
                ]
            for _, name, p in dead:
                if self._stopping.is_set():
                    return
                self._restarts[name] = self._restarts.get(name, 0) + 1
                if self._restarts[name] > 5:  # crashing at start: stop trying, the scenarios will say
                    with self._lock:
                        del self._specs[name]
                    if self.on_restart:
                        self.on_restart(name + " (crashed 5 times, not restarted)", p.returncode)
                    continue
                argv, env, log_path, cwd = self._specs[name]
                with self._lock:
                    self.procs = [x for x in self.procs if x[1] is not p]
                    del self._specs[name]
                self.start(name, argv, env, log_path, cwd, restart=True)
                if self.on_restart:
                    self.on_restart(name, p.returncode)

    def stop_all(self) -> None:
        self._stopping.set()
        if self._supervisor:
            self._supervisor.join(timeout=2)
        for _, p, _ in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 8
        for _, p, logf in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=5)
            logf.close()
        self.procs = []


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False
