"""A real gpsd on loopback, fed through a pseudo-terminal as if a USB dongle were plugged in.

gpsd cannot tell a pty from a serial port: it probes it, identifies the receiver from the
bytes it reads (NMEA, SiRF binary, UBX...) and reports JSON on its TCP port. The test writes
recorded or simulated receiver output into the pty's master side.

Two gpsd habits shape this harness:
- gpsd accepts TCP connections as soon as it listens, but first spends about a second probing
  the device, changing (pty) line speeds and flushing input. Bytes written then are lost, so
  ``Gpsd.start`` returns only once gpsd has sent its VERSION banner, i.e. its main loop runs.
- gpsd 3.22 moves dates older than its own release forward by 1024 GPS weeks (the week
  rollover guard), so old captures come back dated 2025 or 2034: compare positions and times
  of day, not dates.
"""
from __future__ import annotations

import asyncio
import atexit
import fcntl
import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import time
import tty
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
if not SHARED.exists():  # CI clones main with shared/ beside it
    SHARED = Path("/work/shared")
CAPTURES = SHARED / "fixtures" / "gpsd"


def gpsd_binary() -> str | None:
    found = shutil.which("gpsd")
    if found:
        return found
    return "/usr/sbin/gpsd" if os.access("/usr/sbin/gpsd", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeSerial:
    """A pty standing in for the dongle's /dev/ttyUSB0."""

    def __init__(self):
        self.master, self.slave = pty.openpty()
        # We keep the slave open too, so the pty never hangs up while gpsd restarts.
        tty.setraw(self.slave)
        flags = fcntl.fcntl(self.master, fcntl.F_GETFL)
        fcntl.fcntl(self.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self.path = os.ttyname(self.slave)
        # gpsd drops root for its own user after start; re-opening the device later (a
        # hotplug "+path") needs what a dongle's dialout group gives it.
        os.chmod(self.path, 0o666)

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._drain()
            try:
                n = os.write(self.master, view)
            except BlockingIOError:  # gpsd is not reading (being restarted): wait
                await asyncio.sleep(0.01)
                continue
            view = view[n:]

    def _drain(self) -> None:
        """Discard what gpsd writes to the 'receiver' while probing it."""
        try:
            while os.read(self.master, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    async def play(self, chunks, spacing: float = 0.005) -> None:
        """Write each chunk (a packet or an epoch) then pause, as a receiver would."""
        for chunk in chunks:
            await self.write(chunk)
            await asyncio.sleep(spacing)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


_RUNNING: set[subprocess.Popen] = set()


@atexit.register
def _stop_leftovers() -> None:
    """An interrupted test run must not leave gpsd processes behind."""
    for proc in list(_RUNNING):
        if proc.poll() is None:
            proc.kill()


class Gpsd:
    """One gpsd process: ``-N`` foreground, ``-n`` no waiting for clients, ``-b`` read-only,
    a private control socket, listening on a loopback port."""

    def __init__(self, device: str, workdir: Path, port: int | None = None):
        self.binary = gpsd_binary()
        self.device = device
        self.port = port or free_port()
        self.control_socket = str(workdir / f"gpsd-{self.port}.sock")
        self.log = workdir / f"gpsd-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> None:
        with suppress_missing():
            os.unlink(self.control_socket)
        args = [self.binary, "-N", "-n", "-b", "-S", str(self.port), "-F", self.control_socket,
                self.device]
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        _RUNNING.add(self.proc)
        self._wait_banner(timeout)

    async def astart(self, timeout: float = 20.0) -> None:
        await asyncio.to_thread(self.start, timeout)

    def _wait_banner(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gpsd exited with {self.proc.returncode}; "
                                   f"see {self.log}: {self.log.read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.settimeout(max(0.1, deadline - time.monotonic()))
                    banner = s.makefile("rb").readline()
                if json.loads(banner).get("class") == "VERSION":
                    return
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError(f"gpsd did not answer on port {self.port} within {timeout} s")

    def control(self, command: str) -> str:
        """Send ``+/dev/x`` (a dongle plugged in) or ``-/dev/x`` (unplugged), as udev's
        gpsdctl does through gpsd's control socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.control_socket)
            s.sendall(command.encode() + b"\n")
            return s.recv(100).decode().strip()

    def kill(self) -> None:
        """SIGKILL, as when gpsd crashes or the dongle's service is restarted hard."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


class suppress_missing:
    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, FileNotFoundError)


# --- captures -------------------------------------------------------------------------------

def strip_header(data: bytes) -> bytes:
    """Drop the ``#`` comment lines at the top of a gpsd test log (what gpsfake skips)."""
    pos = 0
    while data.startswith(b"#", pos):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return b""
        pos = nl + 1
    return data[pos:]


def split_packets(data: bytes) -> list[bytes]:
    """Cut a receiver's byte stream into NMEA lines, SiRF and UBX frames, and junk runs.

    Feeding whole packets keeps gpsd's packet sniffer on its normal path; the junk (e.g. the
    partial binary frame at the start of a capture) is passed on untouched.
    """
    out: list[bytes] = []
    junk = bytearray()
    i, n = 0, len(data)
    while i < n:
        end = _packet_end(data, i)
        if end is None:
            junk.append(data[i])
            i += 1
            continue
        if junk:
            out.append(bytes(junk))
            junk.clear()
        out.append(data[i:end])
        i = end
    if junk:
        out.append(bytes(junk))
    return out


def _packet_end(data: bytes, i: int) -> int | None:
    if data[i] in b"$!":  # NMEA (and AIS): up to the end of the line
        nl = data.find(b"\n", i)
        return len(data) if nl < 0 else nl + 1
    head = data[i:i + 6]
    if head[:2] == b"\xa0\xa2" and len(head) >= 4:  # SiRF: A0 A2 len payload ck B0 B3
        end = i + (((head[2] & 0x7F) << 8) | head[3]) + 8
        return end if data[end - 2:end] == b"\xb0\xb3" else None
    if head[:2] == b"\xb5\x62" and len(head) == 6:  # UBX: B5 62 class id len(LE) payload ck
        end = i + (head[4] | head[5] << 8) + 8
        return end if end <= len(data) else None
    return None


def capture_chunks(name: str, per_write: int = 4) -> list[bytes]:
    """A capture as writes of a few packets each (about one receiver sentence group)."""
    packets = split_packets(strip_header((CAPTURES / name).read_bytes()))
    return [b"".join(packets[k:k + per_write]) for k in range(0, len(packets), per_write)]


def chk_fixes(name: str) -> dict[str, dict]:
    """gpsd's expected output for a capture: time of day -> the last 2D/3D TPV with it."""
    out: dict[str, dict] = {}
    for line in (CAPTURES / f"{name}.chk").read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("class") == "TPV" and msg.get("mode", 0) >= 2 and "time" in msg:
            out[time_of_day(msg["time"])] = msg
    return out


def time_of_day(iso: str) -> str:
    """``2014-12-31T03:07:19.000Z`` -> ``03:07:19.000`` (dates differ after gpsd's rollover)."""
    return iso[11:23]


# --- waiting --------------------------------------------------------------------------------

async def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until true; the timeout only guards against a hang, it is not what is tested."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(*receivers, quiet_s: float = 2.5, timeout: float = 60.0) -> None:
    """Wait until the receivers have read nothing new for ``quiet_s`` (longer than the idle
    delay after which the last epoch is emitted)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, since = None, loop.time()
    while True:
        now = tuple(r.counts["lines"] for r in receivers)
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= quiet_s:
            return
        if loop.time() > deadline:
            raise AssertionError("receivers never went quiet")
        await asyncio.sleep(0.05)


class Collector:
    """A sink that keeps fixes in a list (the gateway's ingest stands here in production)."""

    def __init__(self):
        self.fixes = []
        self.calls = 0

    async def __call__(self, fixes) -> None:
        self.calls += 1
        self.fixes.extend(fixes)
