"""A PostgreSQL server of the test's own, on a port of its own, that the test stops and starts.

Never the shared server: a fault test takes its own down. `initdb` refuses to run as root,
so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.test_processes import free_port


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    assert initdb, "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    return Path(initdb).parent


class OwnPostgres:
    """`initdb` into a temporary directory, then `start()`/`stop()` as often as wanted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bin = _binaries()
        self.root = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", options)  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: sessions are cut off, as a crash or failover cuts them."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def remove(self) -> None:
        done = subprocess.run(
            [*(["runuser", "-u", "postgres", "--"] if self.as_postgres else []),
             str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.data)],
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        del done  # already stopped is fine
        shutil.rmtree(self.root, ignore_errors=True)
