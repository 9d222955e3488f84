"""A throwaway PostgreSQL cluster from Debian's package, for the aggregator's tests and bench.

initdb in a temporary folder, a free loopback port, trust authentication on loopback only, run
as the `postgres` system user when we are root (PostgreSQL refuses to run as root). If the
server cannot start this raises: a test that needs PostgreSQL fails rather than skips.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: install Debian's postgresql package "
                           "(./dev test does)")
    return found[-1]


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="aggregator-pg-")
        self.port = _free_port()
        self.as_user = []
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")

    def _run(self, *cmd, timeout=60):
        return subprocess.run(self.as_user + list(cmd), check=True, capture_output=True,
                              text=True, timeout=timeout)

    def start(self) -> "Cluster":
        try:
            self._run(pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-instructions")
            opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                    "-c max_connections=200 -c shared_buffers=128MB")
            self._run(pg_bin("pg_ctl"), "-D", self.data, "-o", opts, "-l",
                      os.path.join(self.dir, "log"), "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"PostgreSQL did not start: {e.stderr or e.stdout}") from e
        self._wait()
        return self

    def _wait(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL is not listening on 127.0.0.1:{self.port}")

    def dsn(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        self._run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-d", "postgres", "-q", "-c", f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self):
        try:
            self._run(pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
