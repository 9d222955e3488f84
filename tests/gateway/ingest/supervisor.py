"""What systemd's `Restart=on-failure` does for the box, in a test: a thread that starts
`selfdata serve` again whenever it has died, and counts the restarts."""
from __future__ import annotations

import threading
import time

from gateway_process import GatewayProcess


class Supervisor(threading.Thread):
    def __init__(self, gateway: GatewayProcess, *, restart_delay: float = 0.2,
                 before_start=None):
        super().__init__(daemon=True, name="supervisor")
        self.gateway = gateway
        self.restart_delay = restart_delay
        self.before_start = before_start or (lambda: None)
        self.restarts = 0
        self.errors: list[str] = []
        self._halt = threading.Event()
        self.up = threading.Event()

    def run(self):
        while not self._halt.is_set():
            proc = self.gateway.proc
            if proc is None or proc.poll() is not None:
                if proc is not None:
                    self.up.clear()
                    time.sleep(self.restart_delay)
                    self.restarts += 1
                try:
                    self.before_start()
                    self.gateway.start(timeout=60)
                    self.up.set()
                except (RuntimeError, TimeoutError) as exc:   # tried again, as systemd would
                    self.errors.append(str(exc)[-2000:])
                    self.gateway.stop()
            time.sleep(0.02)

    def wait_up(self, timeout: float = 60.0) -> None:
        assert self.up.wait(timeout), f"the gateway did not come back: {self.errors[-1:]}"

    def stop(self):
        self._halt.set()
        self.join(30)
        self.gateway.stop()
