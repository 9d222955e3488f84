"""A small client that plays the box in these tests: its own Ed25519 key per member, the wire
module for every byte it sends (what the real box will do in gateway/outbox/)."""
import secrets

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from carbon import summary_wire as wire


def full_body(month="2026-07", commune="17300", km_active=40, km_car=100, trips=30, bike_days=5):
    """A plausible month: metres and grams per family, in the wire's integer units."""
    metres = dict.fromkeys(wire.FAMILIES, 0)
    metres.update(active=km_active * 1000, car=km_car * 1000, public_transport=20_000)
    grams = dict.fromkeys(wire.FAMILIES, 0)
    grams.update(active=km_active * 5, car=km_car * 142, public_transport=20 * 147)
    body = {"factor_version": "2026-07", "trips": trips, "distance_m": metres, "co2e_g": grams,
            "avoided_co2e_g": km_active * 142, "bike_days": bike_days}
    if commune is not None:
        body["commune"] = commune
    return body


class Member:
    """One household member's link to one aggregator."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession):
        self.url, self.session = base_url, session
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes_raw()
        self.pseudonym = wire.pseudonym_of(self.public)
        self.aggregator_key = None

    def sign(self, message: dict) -> dict:
        return {**message, "sig": wire.b64(self.key.sign(wire.signing_bytes(message)))}

    async def post(self, path: str, payload) -> tuple:
        data = payload if isinstance(payload, bytes) else wire.canonical(payload)
        async with self.session.post(self.url + path, data=data,
                                     headers={"Content-Type": "application/json"}) as r:
            return r.status, await r.json()

    async def enrol(self, token: str) -> tuple:
        status, answer = await self.post("/enrol", self.sign(wire.enrol_request(token, self.public)))
        if status == 200:
            assert answer["pseudonym"] == self.pseudonym
            self.aggregator_key = wire.unb64(answer["aggregator_key"], 32, "aggregator_key")
        return status, answer

    def summary(self, month="2026-07", revision=1, study=wire.STANDING_STUDY_ID, body=None, **kw) -> dict:
        return self.sign(wire.envelope(self.pseudonym, study, month, revision,
                                       body if body is not None else full_body(month, **kw)))

    async def send(self, envelope: dict) -> tuple:
        return await self.post("/summaries", envelope)

    async def delete(self, study="*", months="*") -> tuple:
        nonce = wire.b64(secrets.token_bytes(16))
        return await self.post("/delete", self.sign(wire.delete_request(self.pseudonym, nonce, study, months)))

    async def revoke(self, delete=False) -> tuple:
        nonce = wire.b64(secrets.token_bytes(16))
        return await self.post("/revoke", self.sign(wire.revoke_request(self.pseudonym, nonce, delete)))

    def receipt_is_genuine(self, receipt: dict, message: dict) -> bool:
        """The box's check of a receipt: the aggregator's signature, over the message we sent."""
        wire.check_receipt(receipt)
        if receipt["digest"] != wire.digest(message) or receipt["aggregator"] != wire.b64(self.aggregator_key):
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.aggregator_key).verify(
                wire.unb64(receipt["sig"], 64, "sig"), wire.signing_bytes(receipt))
            return True
        except Exception:
            return False
