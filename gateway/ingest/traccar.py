"""OsmAnd, Traccar Client and GPSLogger reports into a submission: the query string or form
(``?id=member/device&lat=..&lon=..``) or a Traccar Client 9+ JSON body, parsed by
``receivers.osmand``. The web layer reads the request and checks the device's credentials;
this module says who the report claims to be from and what of it can be stored.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from carbon.fix import Fix
from receivers import osmand

from ..accounts import Device
from ..model import Rejection
from .group_commit import Submission

SOURCE = "osmand"
MAX_JSON_BYTES = osmand.MAX_JSON_BYTES


@dataclass
class Report:
    username: str                   # the device the report names ("" when unreadable)
    fixes: list[Fix] = field(default_factory=list)
    refused: list[osmand.Rejected] = field(default_factory=list)
    raw: str = ""                   # kept beside each fix; never the device's secret


def read_report(params: dict, body: bytes | None, speed_unit: str = osmand.AUTO) -> Report:
    """A report from its query/form parameters or its JSON body (never raises: what cannot be
    used is in ``refused``). ``speed_unit``: of a query's ``speed`` (``ingest.
    osmand_speed_unit``; the JSON body's is m/s)."""
    try:
        if body is not None:
            traccar = osmand.parse_json(body)
            username = f"{traccar.user}/{traccar.device}" if traccar.user else traccar.device
            fixes = [e for e in traccar.entries if not isinstance(e, osmand.Rejected)]
            refused = [e for e in traccar.entries if isinstance(e, osmand.Rejected)]
        else:
            username = params.get("id", "")
            fixes, refused = [osmand.parse_params(params, speed_unit=speed_unit)], []
    except osmand.Rejected as exc:
        username, fixes, refused = params.get("id", ""), [], [exc]
    raw = body.decode("utf-8", "replace") if body is not None else json.dumps(
        {k: v for k, v in params.items() if k != "secret"})  # the secret is never kept
    return Report(username, fixes, refused, raw)


def is_from(report: Report, device: Device) -> bool:
    """Whether the authenticated device may send this report: the one it names, or any
    when it names nobody (an unreadable body: the Basic-auth device answers for it)."""
    return not report.username or device.username == report.username.strip().lower()


def to_submission(report: Report, device: Device) -> Submission:
    for fix in report.fixes:
        fix.raw = report.raw
    return Submission(SOURCE, device, fixes=report.fixes, rejections=[
        Rejection(SOURCE, r.reason, report.raw.encode(), device.id) for r in report.refused])
