"""Run `selfdata serve` as a real subprocess, so tests and benches can SIGKILL or SIGTERM it.

The process gets its own TOML configuration (data dir, web on a fixed loopback port so clients
can keep the same URL across restarts, an external mosquitto or none, no zeroconf) and logs to
a file in the data dir, kept across restarts for post-mortems.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SELFDATA = Path(sys.executable).with_name("selfdata")


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(path: Path, sections: dict[str, dict]) -> Path:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


class GatewayProcess:
    """One gateway data dir, started and stopped (or killed) as many times as a test likes."""

    def __init__(self, data_dir: Path, web_port: int, *, mqtt_port: int | None = None,
                 ingest: dict | None = None, log_level: str = "INFO"):
        self.data_dir = Path(data_dir)
        self.web_port = web_port
        self.mqtt_port = mqtt_port
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log_path = self.data_dir / "gateway-process.log"
        self.config_path = write_config(self.data_dir / "gateway-test.toml", {
            "gateway": {"data_dir": str(self.data_dir), "zeroconf": False,
                        "log_level": log_level},
            "web": {"host": "127.0.0.1", "port": web_port},
            "mqtt": {"enabled": mqtt_port is not None, "host": "127.0.0.1",
                     "port": mqtt_port or 1883, "run_broker": False, "retry_seconds": 0.5},
            **({"ingest": ingest} if ingest else {}),
        })

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def command(self) -> list[str]:
        return [str(SELFDATA), "serve", "--config", str(self.config_path)]

    def start(self, timeout: float = 30.0, *, wait_mqtt: bool = True) -> "GatewayProcess":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SELFDATA_")}
        env["PYTHONPATH"] = str(REPO)
        log = open(self.log_path, "ab")
        log.write(f"\n----- start #{self.starts + 1}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.command(), cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1
        self.wait_ready(timeout, wait_mqtt=wait_mqtt and self.mqtt_port is not None)
        return self

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return json.load(r)
        except (OSError, ValueError):
            return None

    def wait_ready(self, timeout: float = 30.0, *, wait_mqtt: bool = False) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode} while "
                                   f"starting:\n{self.log_tail()}")
            health = self.health()
            if health and (not wait_mqtt or health.get("mqtt_connected")):
                return
            time.sleep(0.05)
        raise TimeoutError(f"gateway not ready within {timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; what was committed must survive."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit code of the clean shutdown."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        """Whatever state it is in, make sure it is gone (fixture teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def rss_kb(self) -> int:
        """Resident memory (VmRSS) of the running gateway, in KiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
