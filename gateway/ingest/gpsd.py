"""Wire the gpsd receiver to ingest: the dongle's fixes belong to one configured device."""
from __future__ import annotations

import asyncio
import logging

from receivers.gpsd import GpsdReceiver

from .. import accounts
from .group_commit import Submission

log = logging.getLogger(__name__)


def start_gpsd(gw) -> GpsdReceiver | None:
    g = gw.config.gpsd
    member, _, name = g.device.partition("/")
    try:
        device = accounts.get_device(gw.store.conn, member, name)
    except accounts.AccountError as exc:
        log.error("gpsd is enabled but [gpsd] device = %r is not usable: %s", g.device, exc)
        return None

    async def sink(fixes):
        outcome = await gw.ingest.submit(Submission("gpsd", device, fixes=list(fixes)))
        if outcome.rejected:
            log.warning("gpsd: %d fixes refused", outcome.rejected)

    receiver = GpsdReceiver(g.host, g.port, sink, interval_s=g.interval_s,
                            distance_m=g.distance_m, still_interval_s=g.still_interval_s,
                            still_speed_ms=g.still_speed_ms, max_backoff_s=g.max_backoff_s)
    gw._tasks.append(asyncio.create_task(receiver.run(), name="gpsd"))
    log.info("gpsd: fixes from %s:%d go to %s", g.host, g.port, device.username)
    return receiver
