"""One-time enrolment tokens, and enrolment: a token registers exactly one public key.

The token table holds only hashes and a used flag, with no link to the key enrolled and no
time: the city cannot tell which token (and so which person it handed a token to) became which
pseudonym from its own database.
"""
import hashlib
import secrets
import base64

from carbon import summary_wire as wire
from aggregator import keys
from aggregator.errors import Refused


def new_token() -> str:
    """120 random bits as six groups of four base32 letters: easy to type from paper."""
    text = base64.b32encode(secrets.token_bytes(15)).decode("ascii")
    return "-".join(text[i:i + 4] for i in range(0, 24, 4))


def token_hash(token: str) -> str:
    return hashlib.sha256(b"selfdata-token-v1\n" + token.encode("ascii")).hexdigest()


async def issue_tokens(store, count: int) -> list:
    tokens = [new_token() for _ in range(count)]
    await store.add_tokens([token_hash(t) for t in tokens])
    return tokens


_REFUSALS = {
    "token_unknown": "this token was never issued by this aggregator",
    "token_used": "this token has already enrolled a key; each token enrols one key only",
    "key_taken": "this public key is already enrolled",
}


async def enrol(store, message: dict) -> str:
    """Check an enrolment request and spend its token; the new contributor's pseudonym."""
    public_key = wire.check_enrol(message)
    if not keys.verify(message["public_key"], message):
        raise Refused("bad_signature", "the request is not signed by the key it enrols", "sig")
    pseudonym = wire.pseudonym_of(public_key)
    outcome = await store.enrol(token_hash(message["token"]), pseudonym, message["public_key"])
    if outcome != "ok":
        raise Refused(outcome, _REFUSALS[outcome], "token" if outcome != "key_taken" else "public_key")
    return pseudonym
