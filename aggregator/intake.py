"""Intake of signed summaries, deletion requests and revocations.

Order of checks: shape first (cheap, reveals nothing), then the study, then the key and its
signature, and only then anything about what is stored, so a forger learns nothing about a
contributor's revisions.
"""
import asyncio
import hashlib
import json
from datetime import date

from carbon import summary_wire as wire
from aggregator import keys
from aggregator.batcher import contribution_writer
from aggregator.errors import Refused
from aggregator.store.schema import FAMILY_COLUMNS


def figures_of(body: dict) -> tuple:
    """The body as the contributions table's figure columns (None where the study did not ask)."""
    metres, grams = body.get("distance_m"), body.get("co2e_g")
    return ((body.get("commune"), body.get("trips"), body.get("bike_days"), body.get("avoided_co2e_g"))
            + tuple(metres[f] if metres else None for f in FAMILY_COLUMNS)
            + tuple(grams[f] if grams else None for f in FAMILY_COLUMNS))


class Intake:
    def __init__(self, store, key, studies, counters, today=date.today):
        self.store, self.key, self.studies, self.counters, self.today = store, key, studies, counters, today
        self.writer = contribution_writer(store)
        self.keys = None   # pseudonym -> public key (base64url), loaded on first use
        self._loading = None   # the one load of every key, that concurrent first requests share
        self.public_key = keys.public_bytes(key)
        self.key_b64 = wire.b64(self.public_key)

    async def _signed_by_enrolled(self, message: dict, state, signed: bytes | None = None) -> None:
        if state is None:
            raise Refused("unknown_key", "no key is enrolled under this pseudonym", "pseudonym")
        if state[1]:
            raise Refused("revoked_key", "this contributor's key was revoked", "pseudonym")
        if not keys.verify(state[0], message, signed):
            raise Refused("bad_signature", "the signature does not match the enrolled key "
                          "(forged, or the message was changed after signing)", "sig")

    async def _study_for(self, message: dict) -> dict:
        study = await self.studies.get(message["study"])
        if study is None:
            raise Refused("unknown_study", f"no study {message['study']!r} is published here", "study")
        month = message["month"]
        if not wire.month_in_study(study, month):
            raise Refused("outside_study", f"{month} is outside the study's period", "month")
        if not wire.month_is_over(month, self.today()):
            raise Refused("month_not_over", f"{month} is not over yet: summaries go once a month closes",
                          "month")
        return study

    def _unsigned_receipt(self, message, status, message_digest=None, **fields) -> dict:
        return wire.receipt(self.public_key, message["type"], message_digest or wire.digest(message),
                            message["pseudonym"], status, **fields)

    def _receipt(self, message, status, message_digest=None, **fields) -> dict:
        return keys.sign(self.key, self._unsigned_receipt(message, status, message_digest, **fields))

    async def _key_of(self, pseudonym: str):
        """The enrolled public key, from memory (keys never change; the store is asked only
        for a pseudonym not seen yet). Revocation is not cached: the write checks it."""
        if self.keys is None:
            # Loaded once: the many requests that arrive before the first load ends wait for
            # it instead of each reading every key again.
            if self._loading is None:
                self._loading = asyncio.ensure_future(self.store.public_keys())
            try:
                keys_now = await asyncio.shield(self._loading)
            except Exception:
                self._loading = None    # the next request tries again
                raise
            if self.keys is None:
                self.keys = keys_now
        key = self.keys.get(pseudonym)
        if key is None:
            row = await self.store.contributor(pseudonym)
            if row is not None:
                key = self.keys[pseudonym] = row[0]
        return key

    async def summary(self, message: dict) -> str:
        """Store one signed summary (or replace it by a higher revision); its signed receipt, as
        the JSON text that is also stored (for a replay's answer).
        The happy path costs one batched write: the key comes from memory and the database
        refuses a revoked key or a revision that is not newer; only a refusal reads the stored
        state, to say exactly why."""
        wire.check_envelope_head(message)
        study = await self._study_for(message)
        wire.check_body(message["body"], message["month"], asked=study["fields"])
        p, s, m, rev = message["pseudonym"], message["study"], message["month"], message["revision"]
        signed = wire.signing_bytes(message)      # once: verification, digest, receipt
        digest = hashlib.sha256(signed).hexdigest()
        key = await self._key_of(p)
        if key is None:
            raise Refused("unknown_key", "no key is enrolled under this pseudonym", "pseudonym")
        if not keys.verify(key, message, signed):
            raise Refused("bad_signature", "the signature does not match the enrolled key "
                          "(forged, or the message was changed after signing)", "sig")
        receipt = keys.signed_text(self.key, self._unsigned_receipt(
            message, "stored", digest, study=s, month=m, revision=rev))
        row = (p, s, m, rev, digest, receipt) + figures_of(message["body"])
        if not await self.writer.submit(row):
            state = await self.store.intake_state(p, s, m)
            await self._signed_by_enrolled(message, state, signed)   # revoked since?
            self._check_revision(message, state, digest)
            raise Refused("revision_backwards", "a newer revision arrived meanwhile", "revision")
        self.counters.ok("stored")
        return receipt

    @staticmethod
    def _check_revision(message: dict, state, digest: str) -> None:
        stored_rev, stored_digest, stored_receipt = state[2], state[3], state[4]
        if stored_rev is None:
            return
        rev = message["revision"]
        if rev == stored_rev and stored_digest == digest:
            # The same signed summary again: refused, but with the receipt it already got, so
            # a box that lost our first answer can close its outbox entry.
            raise Refused("replay", "this exact summary was already received", "",
                          {"receipt": json.loads(stored_receipt)})
        if rev == stored_rev:
            raise Refused("revision_conflict", f"revision {rev} is already stored with other "
                          "figures; a correction needs a higher revision", "revision")
        if rev < stored_rev:
            raise Refused("revision_backwards", f"revision {rev} is older than the stored "
                          f"revision {stored_rev}", "revision")

    async def _control(self, message: dict) -> str:
        """Signature and one-time nonce of a deletion or revocation request."""
        p = message["pseudonym"]
        await self._signed_by_enrolled(message, await self.store.contributor(p))
        if not await self.store.use_nonce(p, message["nonce"]):
            raise Refused("replay", "this signed request was already applied", "nonce")
        return p

    async def delete(self, message: dict) -> dict:
        """Clear the figures of the contributions named, at once."""
        wire.check_delete(message)
        p = await self._control(message)
        study = None if message["study"] == "*" else message["study"]
        months = None if message["months"] == "*" else message["months"]
        count = await self.store.delete_contributions(p, study, months)
        self.counters.ok("deleted")
        return self._receipt(message, "deleted", study=study, count=count)

    async def stop(self) -> None:
        await self.writer.stop()

    async def revoke(self, message: dict) -> dict:
        """The contributor's own revocation (and, if asked, deletion of everything first)."""
        wire.check_revoke(message)
        p = await self._control(message)
        count = await self.store.delete_contributions(p, None, None) if message["delete"] else 0
        await self.store.revoke(p)
        self.counters.ok("revoked")
        return self._receipt(message, "revoked", count=count)
