"""Studies: read from a TOML file, checked against the wire format, cached from the store."""
import time
import tomllib

from carbon import summary_wire as wire

CACHE_SECONDS = 10.0


def load_study_file(path) -> dict:
    """A study TOML file (see docs/aggregator.md) as a checked study definition."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    study = {key: data.get(key) for key in wire.STUDY_KEYS}
    period = data.get("period") or {}
    study["period"] = {k: v for k, v in period.items() if v is not None}
    return wire.check_study(study)


class StudyCache:
    """The published studies, re-read from the store at most every few seconds (the CLI adds
    studies while the server runs) and at once when a message names one not seen yet."""

    def __init__(self, store):
        self.store, self._studies, self._at = store, {}, -CACHE_SECONDS

    async def all(self) -> dict:
        if time.monotonic() - self._at > CACHE_SECONDS:
            await self.reload()
        return self._studies

    async def reload(self) -> None:
        self._studies, self._at = await self.store.studies(), time.monotonic()

    async def get(self, study_id: str):
        studies = await self.all()
        if study_id not in studies:
            await self.reload()
        return self._studies.get(study_id)


async def ensure_standing_study(store) -> None:
    """The cooperative's monthly carbon summary exists from the first start."""
    if wire.STANDING_STUDY_ID not in await store.studies():
        await store.put_study(wire.STANDING_STUDY)
