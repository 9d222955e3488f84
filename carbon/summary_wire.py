"""The city link's wire format: what a box sends the city's aggregator, and what comes back.

One definition for both ends. The box builds and signs with it; the aggregator validates and
verifies with it; neither needs anything else to agree on the bytes. Pure standard library:
this module says *which bytes* are signed (`signing_bytes`), never how (Ed25519 lives in the
box's and the aggregator's own code, with `cryptography`).

Rules that make one canonical form possible: every number on the wire is an integer in a unit
its name states (metres, grams), so there is no float formatting to agree on; strings are
plain ASCII from fixed patterns; objects have a fixed key set (no extra keys); the canonical
form is JSON with sorted keys, no whitespace, UTF-8. See docs/aggregator.md.
"""
import base64
import binascii
import functools
import hashlib
import json
import re
from datetime import date

from carbon.communes import COMMUNES
from carbon.modes import MODES

WIRE_VERSION = 1
MAX_MESSAGE_BYTES = 4096          # a full summary envelope is ~700 bytes
DOMAIN = "selfdata-city-link-v1"  # signatures of one message type never verify as another

# --- what a summary holds -------------------------------------------------------------------

FAMILIES = ("active", "public_transport", "car", "two_wheeler", "plane", "unknown")
# Every engine mode has exactly one family. e-bike is pedalled (and counts as cycling for the
# forfait mobilités durables); an e-scooter is motorised, hence with the two-wheelers; the sea
# bus is public transport; km the engine could not classify stay apart rather than guessed.
FAMILY_OF_MODE = {
    "walk": "active", "run": "active", "bike": "active", "e-bike": "active",
    "e-scooter": "two_wheeler", "motorcycle": "two_wheeler",
    "car": "car", "carpool": "car",
    "bus": "public_transport", "tram": "public_transport", "train": "public_transport",
    "metro": "public_transport", "boat": "public_transport",
    "plane": "plane",
    "unknown": "unknown",
}
assert set(FAMILY_OF_MODE) == set(MODES), "every engine mode needs a family"
LOW_CARBON_FAMILIES = ("active", "public_transport")

# The fields a study may ask for, with what each says in words. `factor_version` always goes
# (a figure without its factor table cannot be explained), and the envelope carries the month.
FIELDS = {
    "trips": "number of trips started in the month",
    "distance_m": "metres travelled in each mode family",
    "co2e_g": "grams of CO2e emitted in each mode family",
    "avoided_co2e_g": "grams of CO2e avoided compared with the same distance alone by car",
    "bike_days": "days with a commute mainly by bike (forfait mobilités durables)",
    "commune": "INSEE code of the commune of home (only if the member ticked it)",
}
ALWAYS_SENT = ("factor_version",)
MAX_METRES = 100_000_000          # 100,000 km in a month: beyond any traveller
MAX_GRAMS = 100_000_000           # 100 t CO2e
MAX_TRIPS = 10_000

MONTH_RE = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
STUDY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
VERSION_RE = re.compile(r"^[0-9A-Za-z._-]{1,20}$")
PSEUDONYM_RE = re.compile(r"^c[a-z2-7]{24}$")
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{22,43}$")
TOKEN_RE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$")
STANDING_STUDY_ID = "carbon-monthly"


class WireError(ValueError):
    """A message that is not what the wire format allows: `code` for machines, words for people."""

    def __init__(self, code: str, message: str, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.code, self.where, self.words = code, where, message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self), "where": self.where}


# --- canonical bytes ------------------------------------------------------------------------

def canonical(obj) -> bytes:
    """The one byte form of a message: sorted keys, no whitespace, UTF-8, integers only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def signing_bytes(message: dict) -> bytes:
    """What a signature covers: a domain tag naming the message type, then the canonical form
    of the message without its signature."""
    unsigned = {k: v for k, v in message.items() if k != "sig"}
    return _domain_tag(message) + canonical(unsigned)


def _domain_tag(message: dict) -> bytes:
    return f"{DOMAIN}:{message.get('type', '')}\n".encode("ascii")


def signed_json(unsigned: dict, sign) -> str:
    """The message with its signature, as JSON text, from one canonical encoding: `sign` (the
    signer's own code: bytes -> signature) gets exactly `signing_bytes(unsigned)`. The text is
    that canonical form with "sig" appended (not itself canonical; a reader parses it and checks
    the signature through `signing_bytes`, as for any message)."""
    if "sig" in unsigned:
        raise ValueError("the message is already signed")
    text = canonical(unsigned)
    sig = sign(_domain_tag(unsigned) + text)
    return (text[:-1] + (b',"sig":"' if unsigned else b'"sig":"') + b64(sig).encode("ascii")
            + b'"}').decode("utf-8")


def digest(message: dict) -> str:
    """Hex SHA-256 of the signed bytes: how receipts and replays name a message."""
    return hashlib.sha256(signing_bytes(message)).hexdigest()


# binascii straight, rather than base64's wrappers: a summary's intake decodes three of these
# and encodes two (a few microseconds each, of some 500).
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")


def b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def unb64(text: str, size: int, where: str) -> bytes:
    if not isinstance(text, str) or not _B64URL_RE.fullmatch(text):
        raise WireError("bad_value", "expected unpadded base64url", where)
    try:
        data = binascii.a2b_base64(text.encode("ascii").translate(_FROM_URL) + b"=" * (-len(text) % 4))
    except ValueError:     # binascii.Error: a length no base64 text has
        raise WireError("bad_value", "expected unpadded base64url", where) from None
    if len(data) != size or b64(data) != text:
        raise WireError("bad_value", f"expected {size} bytes in canonical base64url", where)
    return data


def pseudonym_of(public_key: bytes) -> str:
    """A contributor's name at the city: derived from their public key alone, so the box can
    check it and nothing about the member or the box goes into it."""
    h = hashlib.sha256(b"selfdata-pseudonym-v1\n" + public_key).digest()[:15]
    return "c" + base64.b32encode(h).decode("ascii").lower()


# --- parsing --------------------------------------------------------------------------------

def _no_float(text):
    raise WireError("bad_value", f"numbers are integers on the wire, got {text}")


def _no_constant(text):
    raise WireError("bad_value", f"{text} is not a number")


def _unique_keys(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):    # a key given twice: name the first one repeated
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise WireError("malformed", f"duplicate key {key!r}")
            seen.add(key)
    return obj


def parse(raw: bytes) -> dict:
    """Bytes from the network into a message object, or a WireError saying why not."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise WireError("too_large", f"{len(raw)} bytes, the limit is {MAX_MESSAGE_BYTES}")
    try:
        text = raw.decode("utf-8")
        obj = json.loads(text, parse_float=_no_float, parse_constant=_no_constant,
                         object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise WireError("malformed", "not UTF-8") from None
    except json.JSONDecodeError as e:
        raise WireError("malformed", f"not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:    # a few kB of "[[[[..." nests deeper than the decoder recurses
        raise WireError("malformed", "nested too deeply") from None
    if not isinstance(obj, dict):
        raise WireError("malformed", "a message is a JSON object")
    return obj


# --- field checks ---------------------------------------------------------------------------

def _int(value, where: str, low: int, high: int) -> int:
    if type(value) is not int:
        raise WireError("bad_value", f"expected an integer, got {type(value).__name__}", where)
    if not low <= value <= high:
        raise WireError("bad_value", f"{value} is outside {low}..{high}", where)
    return value


def _match(value, pattern: re.Pattern, where: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise WireError("bad_value", f"expected {what}, got {value!r}", where)
    return value


def _keys(obj, required, optional, where: str) -> None:
    if not isinstance(obj, dict):
        raise WireError("bad_value", "expected an object", where)
    missing = [k for k in required if k not in obj]
    if missing:
        raise WireError("missing_field", f"missing {', '.join(sorted(missing))}", where)
    extra = sorted(set(obj) - set(required) - set(optional))
    if extra:
        raise WireError("unknown_field", f"not part of the wire format: {', '.join(extra)}", where)


def check_month(value, where: str = "month") -> str:
    return _match(value, MONTH_RE, where, "a month as YYYY-MM")


def month_is_over(month: str, today: date) -> bool:
    year, mon = int(month[:4]), int(month[5:])
    return (today.year, today.month) > (year, mon)


def _families(value, where: str, limit: int) -> dict:
    _keys(value, FAMILIES, (), where)
    for f in FAMILIES:
        v = value[f]
        if type(v) is not int or not 0 <= v <= limit:
            _int(v, f"{where}.{f}", 0, limit)     # raises, naming the field (built only then)
    return {f: value[f] for f in FAMILIES}


_FIELD_SET, _ALWAYS_SET = frozenset(FIELDS), frozenset(ALWAYS_SENT)
_BODY_KEYS = _FIELD_SET | _ALWAYS_SET
_BODY_KEY_TUPLE = tuple(FIELDS) + tuple(ALWAYS_SENT)


def check_body(body, month: str, asked=None) -> dict:
    """A summary body: its fields are exactly ALWAYS_SENT plus some of FIELDS (those `asked`
    when the study is known), each well-typed and in range."""
    if not isinstance(body, dict):
        raise WireError("bad_value", "expected an object", "body")
    extra = sorted(body.keys() - _BODY_KEYS)
    if extra:
        raise WireError("unknown_field", f"not part of the wire format: {', '.join(extra)}", "body")
    not_asked = sorted(body.keys() - (_FIELD_SET if asked is None else set(asked)) - _ALWAYS_SET)
    if not_asked:
        raise WireError("field_not_asked", f"the study did not ask for {', '.join(not_asked)}", "body")
    # A known study's summaries carry every field it asked for (the commune only if ticked).
    required = ALWAYS_SENT if asked is None else tuple(ALWAYS_SENT) + tuple(
        f for f in asked if f != "commune")
    _keys(body, required, _BODY_KEY_TUPLE, "body")
    _match(body["factor_version"], VERSION_RE, "body.factor_version", "a factor table version")
    if "trips" in body:
        _int(body["trips"], "body.trips", 0, MAX_TRIPS)
    for name, limit in (("distance_m", MAX_METRES), ("co2e_g", MAX_GRAMS)):
        if name in body:
            _families(body[name], f"body.{name}", limit)
    if "avoided_co2e_g" in body:
        _int(body["avoided_co2e_g"], "body.avoided_co2e_g", 0, MAX_GRAMS)
    if "bike_days" in body:
        _int(body["bike_days"], "body.bike_days", 0, _days_in(month))
    if "commune" in body:
        if body["commune"] not in COMMUNES:
            raise WireError("bad_value", f"{body['commune']!r} is not a commune of the agglomeration",
                            "body.commune")
    return body


@functools.lru_cache(maxsize=64)
def _days_in(month: str) -> int:
    year, mon = int(month[:4]), int(month[5:])
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return (nxt - date(year, mon, 1)).days


# --- messages -------------------------------------------------------------------------------

SIG_BYTES, KEY_BYTES = 64, 32
ENVELOPE_KEYS = ("v", "type", "pseudonym", "study", "month", "revision", "body", "sig")
DELETE_KEYS = ("v", "type", "pseudonym", "study", "months", "nonce", "sig")
REVOKE_KEYS = ("v", "type", "pseudonym", "nonce", "delete", "sig")
ENROL_KEYS = ("v", "type", "token", "public_key", "sig")
MAX_DELETE_MONTHS = 120


def _head(msg: dict, kind: str, keys) -> None:
    if msg.get("v") != WIRE_VERSION:
        raise WireError("bad_version", f"wire version {msg.get('v')!r}, this side speaks {WIRE_VERSION}", "v")
    if msg.get("type") != kind:
        raise WireError("bad_type", f"expected a {kind} message, got {msg.get('type')!r}", "type")
    _keys(msg, keys, (), "")
    unb64(msg["sig"], SIG_BYTES, "sig")


def check_envelope_head(msg: dict) -> dict:
    """A signed summary's envelope without its body: who (pseudonym), for which study and
    month, which revision. (The aggregator checks the body once it knows the study.)"""
    _head(msg, "summary", ENVELOPE_KEYS)
    _match(msg["pseudonym"], PSEUDONYM_RE, "pseudonym", "a contributor pseudonym")
    _match(msg["study"], STUDY_ID_RE, "study", "a study id")
    check_month(msg["month"])
    _int(msg["revision"], "revision", 1, 1_000_000)
    return msg


def check_envelope(msg: dict, asked=None) -> dict:
    """A whole signed summary: its envelope and its body."""
    check_envelope_head(msg)
    check_body(msg["body"], msg["month"], asked)
    return msg


def check_delete(msg: dict) -> dict:
    """A signed deletion request: one study or all ("*"), some months or all ("*")."""
    _head(msg, "delete", DELETE_KEYS)
    _match(msg["pseudonym"], PSEUDONYM_RE, "pseudonym", "a contributor pseudonym")
    if msg["study"] != "*":
        _match(msg["study"], STUDY_ID_RE, "study", "a study id or \"*\"")
    months = msg["months"]
    if months != "*":
        if not isinstance(months, list) or not 1 <= len(months) <= MAX_DELETE_MONTHS:
            raise WireError("bad_value", f"expected \"*\" or 1..{MAX_DELETE_MONTHS} months", "months")
        for i, m in enumerate(months):
            check_month(m, f"months[{i}]")
    _match(msg["nonce"], NONCE_RE, "nonce", "a random nonce (base64url, 16-32 bytes)")
    return msg


def check_revoke(msg: dict) -> dict:
    """A contributor's own signed revocation of their key, optionally deleting everything."""
    _head(msg, "revoke", REVOKE_KEYS)
    _match(msg["pseudonym"], PSEUDONYM_RE, "pseudonym", "a contributor pseudonym")
    _match(msg["nonce"], NONCE_RE, "nonce", "a random nonce (base64url, 16-32 bytes)")
    if type(msg["delete"]) is not bool:
        raise WireError("bad_value", "expected true or false", "delete")
    return msg


def check_enrol(msg: dict) -> bytes:
    """An enrolment: a one-time token and the public key it registers (self-signed, proving the
    sender holds the private key). Returns the public key bytes."""
    _head(msg, "enrol", ENROL_KEYS)
    _match(msg["token"], TOKEN_RE, "token", "an enrolment token (XXXX-XXXX-XXXX-XXXX-XXXX-XXXX)")
    return unb64(msg["public_key"], KEY_BYTES, "public_key")


# --- building (the box's side) --------------------------------------------------------------

def body_for_study(full_body: dict, asked) -> dict:
    """Only what the study asked for (plus the factor version); a commune the member did not
    tick (None) is left out rather than sent empty."""
    keep = set(asked) | set(ALWAYS_SENT)
    return {k: v for k, v in full_body.items() if k in keep and v is not None}


def envelope(pseudonym: str, study: str, month: str, revision: int, body: dict) -> dict:
    """An unsigned summary envelope; sign `signing_bytes(env)` and set env["sig"] = b64(sig)."""
    return {"v": WIRE_VERSION, "type": "summary", "pseudonym": pseudonym, "study": study,
            "month": month, "revision": revision, "body": body}


def delete_request(pseudonym: str, nonce: str, study: str = "*", months="*") -> dict:
    return {"v": WIRE_VERSION, "type": "delete", "pseudonym": pseudonym, "study": study,
            "months": months, "nonce": nonce}


def revoke_request(pseudonym: str, nonce: str, delete: bool = False) -> dict:
    return {"v": WIRE_VERSION, "type": "revoke", "pseudonym": pseudonym, "nonce": nonce,
            "delete": delete}


def enrol_request(token: str, public_key: bytes) -> dict:
    return {"v": WIRE_VERSION, "type": "enrol", "token": token, "public_key": b64(public_key)}


# --- receipts (the aggregator's side, checked by the box) ------------------------------------

RECEIPT_STATUSES = ("stored", "deleted", "revoked")   # a replacement is "stored" at a higher revision
RECEIPT_KEYS = ("v", "type", "aggregator", "for", "digest", "pseudonym", "status", "study",
                "month", "revision", "count", "sig")


def receipt(aggregator_key: bytes, for_type: str, message_digest: str, pseudonym: str,
            status: str, study=None, month=None, revision=None, count=None) -> dict:
    """An unsigned receipt: the aggregator signs it with its own key. It names the message it
    answers by digest and says what was done; no time finer than the summary's month."""
    return {"v": WIRE_VERSION, "type": "receipt", "aggregator": b64(aggregator_key),
            "for": for_type, "digest": message_digest, "pseudonym": pseudonym, "status": status,
            "study": study, "month": month, "revision": revision, "count": count}


def check_receipt(msg: dict) -> dict:
    _head(msg, "receipt", RECEIPT_KEYS)
    unb64(msg["aggregator"], KEY_BYTES, "aggregator")
    if msg["status"] not in RECEIPT_STATUSES:
        raise WireError("bad_value", f"unknown status {msg['status']!r}", "status")
    _match(msg["digest"], re.compile(r"^[0-9a-f]{64}$"), "digest", "a hex SHA-256")
    return msg


# --- studies --------------------------------------------------------------------------------

STUDY_KEYS = ("id", "title", "purpose", "fields", "period", "k", "runs_it")
MIN_K = 5


def _text(value, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise WireError("bad_value", f"expected words (1..{limit} characters)", where)
    return value


def check_study(study: dict) -> dict:
    """A study the city publishes: purpose in words, fields asked for, period, k, who runs it."""
    _keys(study, STUDY_KEYS, (), "study")
    _match(study["id"], STUDY_ID_RE, "study.id", "lowercase letters, digits and dashes (3-40)")
    _text(study["title"], "study.title", 120)
    _text(study["purpose"], "study.purpose", 4000)
    _text(study["runs_it"], "study.runs_it", 300)
    fields = study["fields"]
    if not isinstance(fields, list) or not fields or len(set(fields)) != len(fields):
        raise WireError("bad_value", "expected a non-empty list of distinct fields", "study.fields")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise WireError("bad_value", f"unknown fields {', '.join(unknown)}; "
                        f"a study may ask for {', '.join(FIELDS)}", "study.fields")
    period = study["period"]
    _keys(period, ("from",), ("to",), "study.period")
    check_month(period["from"], "study.period.from")
    if period.get("to") is not None:
        check_month(period["to"], "study.period.to")
        if period["to"] < period["from"]:
            raise WireError("bad_value", "the period ends before it starts", "study.period")
    _int(study["k"], "study.k", MIN_K, 10_000)
    return study


def month_in_study(study: dict, month: str) -> bool:
    period = study["period"]
    return period["from"] <= month and (period.get("to") is None or month <= period["to"])


STANDING_STUDY = {
    "id": STANDING_STUDY_ID,
    "title": "Monthly carbon summary / Bilan carbone mensuel",
    "purpose": ("The cooperative's standing study: each month, the km and CO2e per mode family, "
                "trips, bike-to-work days and avoided CO2e of its members, published per commune "
                "only over at least k contributors, to count what the territory saves."),
    "fields": list(FIELDS),
    "period": {"from": "2026-01"},
    "k": 10,
    "runs_it": "Ville de La Rochelle, carbon cooperative",
}


# --- the same in words (the box's preview before anything is sent) ---------------------------

FAMILY_WORDS = {
    "en": {"active": "walking and cycling", "public_transport": "public transport", "car": "car",
           "two_wheeler": "motorbike and e-scooter", "plane": "plane", "unknown": "unclassified"},
    "fr": {"active": "marche et vélo", "public_transport": "transports en commun", "car": "voiture",
           "two_wheeler": "deux-roues motorisé", "plane": "avion", "unknown": "non classé"},
}
_WORDS = {
    "en": {"month": "Month", "trips": "Trips", "distance_m": "Distance", "co2e_g": "CO2e emitted",
           "avoided_co2e_g": "CO2e avoided", "bike_days": "Days biking to work",
           "commune": "Commune of home", "factor_version": "Emission factor table"},
    "fr": {"month": "Mois", "trips": "Déplacements", "distance_m": "Distance", "co2e_g": "CO2e émis",
           "avoided_co2e_g": "CO2e évité", "bike_days": "Jours de vélo pour aller au travail",
           "commune": "Commune du domicile", "factor_version": "Table des facteurs d'émission"},
}


def _num(value: float, lang: str) -> str:
    text = f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def describe(envelope_or_body: dict, lang: str = "en") -> list:
    """What a summary says, one line per field, in French or English: the preview a member
    reads beside the JSON before agreeing to send it."""
    lang = lang if lang in _WORDS else "en"
    words, families = _WORDS[lang], FAMILY_WORDS[lang]
    body = envelope_or_body.get("body", envelope_or_body)
    lines = [f"{words['month']}: {envelope_or_body['month']}"] if "month" in envelope_or_body else []
    for field in ("trips", "distance_m", "co2e_g", "avoided_co2e_g", "bike_days", "commune",
                  "factor_version"):
        if field not in body:
            continue
        value = body[field]
        if field == "distance_m":
            text = ", ".join(f"{families[f]} {_num(v / 1000, lang)} km" for f, v in value.items() if v)
        elif field == "co2e_g":
            text = ", ".join(f"{families[f]} {_num(v / 1000, lang)} kg" for f, v in value.items() if v)
        elif field == "avoided_co2e_g":
            text = f"{_num(value / 1000, lang)} kg"
        elif field == "commune":
            text = f"{COMMUNES[value][0]} ({value})"
        else:
            text = str(value)
        lines.append(f"{words[field]}: {text or '0'}")
    return lines
