"""The gateway's configuration: one TOML file, every setting with a safe default.

Where a setting comes from, later wins:
1. the defaults below (the demo household and development need nothing else);
2. the TOML file: ``--config PATH``, else ``$SELFDATA_CONFIG``, else the data dir's own
   ``gateway.toml`` (``--data-dir DIR`` or ``$SELFDATA_DATA_DIR``; `selfdata demo` writes one),
   else ``/etc/selfdata/gateway.toml`` when it exists;
3. environment variables ``SELFDATA_<SECTION>_<KEY>`` (``SELFDATA_WEB_PORT=8081``),
   plus the short ``SELFDATA_DATA_DIR``;
4. command-line options such as ``--data-dir`` and ``--port``.

Every setting is documented in ``docs/configuration.md``; ``selfdata config`` prints the
effective values.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/selfdata/gateway.toml")
SYSTEM_DATA_DIR = Path("/var/lib/selfdata")
# A data dir may carry its own configuration (`selfdata demo` writes one with its ports).
DATA_DIR_CONFIG = "gateway.toml"


class ConfigError(Exception):
    """A setting that cannot be used, with the file and key it came from."""


def _default_data_dir() -> str:
    if SYSTEM_DATA_DIR.is_dir() and os.access(SYSTEM_DATA_DIR, os.W_OK):
        return str(SYSTEM_DATA_DIR)
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(base, "selfdata")


@dataclass
class GatewaySection:
    data_dir: str = field(default_factory=_default_data_dir)
    timezone: str = "Europe/Paris"
    # The name announced by zeroconf: phones and browsers find http://<hostname>.local
    hostname: str = "selfdata"
    zeroconf: bool = True
    log_level: str = "INFO"


@dataclass
class WebSection:
    host: str = "0.0.0.0"
    port: int = 8080
    # What phones and QR codes are told to use; empty = http://<hostname>.local:<port>
    public_url: str = ""
    # --- the household page (issue #10, docs/web.md)
    # The map's tiles ({z}/{x}/{y}, optional {s}); the track draws without them too. Their
    # host is the only outside image source the CSP allows.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"
    # The OwnTracks web frontend's built `dist/` folder, served at /map/ when present.
    owntracks_frontend_dir: str = ""
    # --- hardening (issue #7, docs/security.md)
    # Host names this box answers to besides localhost, its own addresses, <hostname>,
    # <hostname>.local, selfdata.local and public_url's host (DNS rebinding); ["*"] = any.
    allowed_hosts: list = field(default_factory=list)
    # Mark cookies Secure even when the request did not arrive over HTTPS (behind a proxy).
    secure_cookies: bool = False
    # A session ends after this long unused, and this long after its login at the latest.
    session_idle_days: float = 14.0
    session_max_days: float = 90.0
    # Login backoff: free failures per address, then waits doubling up to the cap.
    login_failures_before_delay: int = 5
    login_max_delay_s: float = 300.0
    # Password checks (Argon2, ~19 MiB each) run at most this many at once; beyond
    # `login_queue` waiting, a login is answered 503 at once instead of piling up.
    login_parallel_checks: int = 2
    login_queue: int = 8
    # A connection must send a whole request head within this long of opening or of its
    # last answer, else it is closed (slow and idle clients). Longer than common clients'
    # own keep-alive (aiohttp's 15 s), so they close first and never race a close.
    idle_timeout_s: float = 20.0
    # A form or JSON body must arrive within this long.
    body_timeout_s: float = 30.0
    # Open connections at most (lowered to fit the open-file limit), and per address.
    max_connections: int = 1000
    max_connections_per_address: int = 32
    # Live `/ws/last` sockets per member and in all.
    websockets_per_member: int = 8
    websockets_max: int = 64
    # --- TLS (docs/security.md "TLS"): the box's own CA and certificate (gateway/tls).
    # "auto": HTTPS once a certificate can be made (the clock is set), plain HTTP until
    # then; "on": the same, but the gateway refuses to start without one; "off": none.
    tls: str = "off"
    https_port: int = 8443
    # With HTTPS served, plain HTTP only redirects to it; this keeps the phone endpoints
    # (/pub, OsmAnd's /?id=) answering over plain HTTP too, for trackers that cannot be
    # given the box's CA. Their credentials then cross the LAN in clear.
    plain_pub: bool = False


@dataclass
class MqttSection:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 1883
    # What phones are told to connect to; empty = <hostname>.local and `port`
    public_host: str = ""
    public_port: int = 0
    # The gateway's own broker account; its password is generated into the data dir. Its
    # persistent session is named after it: the broker binds client ids to usernames.
    username: str = "selfdata-gateway"
    # Ignored (kept so that older files still load): the session is the username's.
    client_id: str = ""
    # Run mosquitto as a child process from the generated files (demo, development, tests).
    # On the Pi the system mosquitto reads the same files and this stays false.
    run_broker: bool = False
    mosquitto_binary: str = "mosquitto"
    # Where the generated password file and ACL go (empty = <data_dir>/mosquitto).
    broker_files_dir: str = ""
    # How to make the system broker re-read them; empty = SIGHUP to the pid in pid_file.
    reload_command: str = ""
    pid_file: str = "/run/mosquitto/mosquitto.pid"
    # The broker saves what it holds every 30 min (it runs only while the gateway runs: a
    # systemd drop-in on the Pi, SIGTERM to the child broker). A broker that outlives the
    # gateway (an external one) must save after every change instead: true (more wear).
    broker_save_every_change: bool = False
    keepalive: int = 60
    retry_seconds: float = 5.0
    # --- TLS for phones: mosquitto's listener with the box's certificate (0 = none), made
    # when [web] tls is not "off"; phones are told this port and tls = true.
    tls_port: int = 8883
    # Plain MQTT on `port` for the LAN too (every address), besides loopback for the
    # gateway. Off: phones' passwords never cross the LAN in clear.
    lan_plain: bool = False


@dataclass
class GpsdSection:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 2947
    # The device whose fixes the dongle produces, as "member/device".
    device: str = ""
    # While moving keep a fix every `interval_s` seconds or `distance_m` metres, whichever
    # comes first; while still, one every `still_interval_s`.
    interval_s: float = 5.0
    distance_m: float = 25.0
    still_interval_s: float = 300.0
    still_speed_ms: float = 0.7
    max_backoff_s: float = 60.0


@dataclass
class IngestSection:
    # Group commit: one transaction per batch of up to `batch_max` writes, waiting at most
    # `batch_wait_ms` for a batch to fill. A fix is acknowledged only after its commit.
    batch_max: int = 2000
    batch_wait_ms: float = 2.0
    max_payload_bytes: int = 512 * 1024
    # Rejections kept for `selfdata doctor` and the member's page.
    keep_rejections: int = 10000
    # What one device may make the box store (gateway/ingest/quota.py). A fix keeps its
    # message as received ("raw") up to `max_raw_bytes`; a card's face (base64) is dropped
    # beyond `max_face_bytes`, its name kept.
    max_raw_bytes: int = 4096
    max_face_bytes: int = 64 * 1024
    # Messages (fixes or events): `device_burst` at once (a week's queue of one point every
    # 30 s), then `device_rate` a second; and at most `device_daily_bytes` stored a day.
    device_burst: int = 20000
    device_rate: float = 5.0
    device_daily_bytes: int = 32 * 1024 * 1024
    # The unit of `speed` in OsmAnd-protocol queries (receivers/osmand.py, "Speed"): "auto"
    # reads OsmAnd's own requests as m/s and the rest as knots (Traccar Client); "m/s" for
    # GPSLogger's %SPD, which nothing in its request tells apart; "kn", "km/h" to force one.
    osmand_speed_unit: str = "auto"


# --- trip pipeline (gateway/trips/): added by the trip engine's integration
@dataclass
class PipelineSection:
    # Compute trips live as fixes arrive (off: only `selfdata rebuild` and imports do).
    enabled: bool = True
    # Wait this long after a batch of fixes before computing, so a burst is handled once.
    debounce_s: float = 2.0
    # The stay or trip in progress (the open end of the day) is written at most this often
    # when a run only makes it longer; anything else is written at once. 0: at every run.
    progress_every_s: float = 0.0
    # The local bus network's factor in g CO2e per passenger-km; 0 = the factor table's
    # default (Base Carbone's urban bus for an agglomeration of 100,000-250,000: 147).
    bus_g_pkm: float = 0.0
    # The sea-bus or ferry: ADEME gives no value, so it is the network's (0 until set).
    boat_g_pkm: float = 0.0


# --- the city link (gateway/outbox/, docs/city-link.md)
@dataclass
class LinkSection:
    # Run the outbox in `selfdata serve` (nothing is ever sent for a member who did not
    # enrol and join a study; off: only `selfdata link send` sends).
    enabled: bool = True
    # A month is sent once it is over and this many days have passed (late fixes, corrections
    # made in the first days of the next month). The city publishes after its own, longer grace.
    grace_days: int = 5
    # How often the service looks for something to send, seconds.
    send_interval_s: float = 600.0
    # Each message waits a random moment in [0, jitter_s] before it first goes, drawn anew for
    # every member and month, so members of one box do not arrive at the city together.
    jitter_s: float = 6 * 3600.0
    # While the city is unreachable: exponential backoff from `backoff_min_s`, doubling up to
    # `backoff_max_s`, each delay drawn in [half, all] of its value.
    backoff_min_s: float = 60.0
    backoff_max_s: float = 6 * 3600.0
    # One request to the city, connection and answer, seconds.
    timeout_s: float = 30.0
    # How often the published studies are fetched again, seconds.
    studies_refresh_s: float = 86400.0
    # A correction of a month older than this (months) is no longer sent as a replacement.
    resend_months: int = 12
    # "Households like yours": how many recent months of published figures to fetch.
    compare_months: int = 6


# --- backups (gateway/backup/, docs/operations.md)
@dataclass
class BackupSection:
    # Where `selfdata backup` (and the nightly timer) writes when given no --to: a folder
    # (a USB stick's mount point, say); empty = <data_dir>/backups.
    dir: str = ""
    # Backups in that folder older than this many days are deleted after each new one
    # (the newest is always kept); 0 = keep every backup.
    keep_days: int = 7


@dataclass
class ImportsSection:
    # Each upload is imported by a child process the kernel holds to these limits (its
    # address space and processor time), so no file can take the service down with it.
    memory_mb: int = 256
    cpu_seconds: int = 7200
    # Imports running at once (an upload being received counts): more are refused.
    per_member: int = 1
    per_box: int = 2
    # The largest upload, and the free space an upload must leave on the data disk for the
    # phones' ingest.
    max_upload_mb: int = 4096
    disk_margin_mb: int = 200
    # How long one import transaction may hold the write lock phones' fixes wait for.
    transaction_ms: float = 100.0


@dataclass
class Config:
    gateway: GatewaySection = field(default_factory=GatewaySection)
    web: WebSection = field(default_factory=WebSection)
    mqtt: MqttSection = field(default_factory=MqttSection)
    gpsd: GpsdSection = field(default_factory=GpsdSection)
    ingest: IngestSection = field(default_factory=IngestSection)
    pipeline: PipelineSection = field(default_factory=PipelineSection)
    link: LinkSection = field(default_factory=LinkSection)
    imports: ImportsSection = field(default_factory=ImportsSection)
    backup: BackupSection = field(default_factory=BackupSection)
    source: str = "defaults"
    # Sections added by other capabilities (pipeline, aggregator...) as raw dicts.
    extra: dict = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(self.gateway.data_dir)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "selfdata.db"

    @property
    def backup_dir(self) -> Path:
        return Path(self.backup.dir or self.data_dir / "backups")

    @property
    def broker_dir(self) -> Path:
        return Path(self.mqtt.broker_files_dir or self.data_dir / "mosquitto")

    @property
    def public_host(self) -> str:
        return self.mqtt.public_host or f"{self.gateway.hostname}.local"

    @property
    def tls_dir(self) -> Path:
        """The box's CA and server certificate (gateway/tls), read by mosquitto too."""
        return self.data_dir / "tls"

    @property
    def tls_wanted(self) -> bool:
        return self.web.tls != "off"

    @property
    def public_url(self) -> str:
        if self.web.public_url:
            return self.web.public_url.rstrip("/")
        if self.tls_wanted:
            port = "" if self.web.https_port == 443 else f":{self.web.https_port}"
            return f"https://{self.gateway.hostname}.local{port}"
        return f"http://{self.gateway.hostname}.local:{self.web.port}"

    @property
    def mqtt_tls(self) -> bool:
        """Phones reach the broker over TLS (the 8883 listener exists)."""
        return self.tls_wanted and self.mqtt.tls_port > 0

    @property
    def phone_mqtt_port(self) -> int:
        """The broker port phones are told."""
        if self.mqtt.public_port:
            return self.mqtt.public_port
        return self.mqtt.tls_port if self.mqtt_tls else self.mqtt.port

    def as_dict(self) -> dict:
        out = {f.name: dataclasses.asdict(getattr(self, f.name)) for f in _SECTIONS}
        out.update(self.extra)
        return out


_SECTIONS = [f for f in dataclasses.fields(Config) if f.name not in ("source", "extra")]


def _coerce(value, default, where: str):
    """Convert a TOML or environment value to the type of the default, or say why not."""
    kind = type(default)
    if kind is list:
        return _coerce_list(value, where)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if kind is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if kind in (int, float):
                return kind(text)
        except ValueError:
            raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")


def _coerce_list(value, where: str) -> list:
    """A list of strings: a TOML array, or comma-separated text from the environment."""
    if isinstance(value, str):
        value = [part for part in (p.strip() for p in value.split(",")) if part]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"{where}: expected a list of strings, got {value!r}")


def _apply(cfg: Config, section: str, key: str, value, where: str) -> None:
    sec = getattr(cfg, section)
    if not hasattr(sec, key):
        raise ConfigError(f"{where}: unknown setting [{section}] {key}")
    value = _coerce(value, getattr(sec, key), where)
    choices = CHOICES.get((section, key))
    if choices and value not in choices:
        raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
    setattr(sec, key, value)


# Settings that take one of a few words.
CHOICES = {("web", "tls"): ("auto", "on", "off"),
           ("ingest", "osmand_speed_unit"): ("auto", "kn", "m/s", "km/h")}


def load(path: str | os.PathLike | None = None, env: dict | None = None, *,
         data_dir: str | os.PathLike | None = None) -> Config:
    """The configuration from ``path``, else ``$SELFDATA_CONFIG``, else the ``gateway.toml``
    of the data dir given (``data_dir`` or ``$SELFDATA_DATA_DIR``) when it has one, else
    /etc/selfdata/gateway.toml when it exists; the environment on top."""
    env = os.environ if env is None else env
    cfg = Config()
    path = (path or env.get("SELFDATA_CONFIG")
            or _own_config(data_dir or env.get("SELFDATA_DATA_DIR"))
            or (SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None))
    if path:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such configuration file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        known = {f.name for f in _SECTIONS}
        for section, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
            if section not in known:
                cfg.extra[section] = values
                continue
            for key, value in values.items():
                _apply(cfg, section, key, value, f"{path} [{section}] {key}")
        cfg.source = str(path)
    _apply_env(cfg, env)
    return cfg


def _own_config(data_dir) -> Path | None:
    if not data_dir:
        return None
    path = Path(data_dir) / DATA_DIR_CONFIG
    return path if path.is_file() else None


def _apply_env(cfg: Config, env) -> None:
    if env.get("SELFDATA_DATA_DIR"):
        cfg.gateway.data_dir = env["SELFDATA_DATA_DIR"]
    for name, value in env.items():
        if not name.startswith("SELFDATA_") or name in ("SELFDATA_CONFIG", "SELFDATA_DATA_DIR"):
            continue
        rest = name[len("SELFDATA_"):].lower()
        section, _, key = rest.partition("_")
        if section in {f.name for f in _SECTIONS} and key:
            _apply(cfg, section, key, value, f"environment {name}")


def to_toml(sections: dict) -> str:
    """Sections of plain values as TOML (what `selfdata config` prints, what `selfdata demo`
    writes into its data dir): readable back by ``load``."""
    lines = []
    for name, values in sections.items():
        lines += ["" if lines else None, f"[{name}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)  # numbers as they are; a JSON string is a TOML basic string
