"""French and English: which one a request gets, its catalogue, and localised numbers,
dates and units (Babel).

English is the source language: every string in a template (``{% trans %}``, ``_()``) or
in code (``_()`` at call time, ``N_()`` where a string is only named for later) is a
msgid; French comes from ``webui/i18n/fr/LC_MESSAGES/messages.mo``, compiled from the
``.po`` beside it (``./dev catalogue`` extracts, updates and compiles; docs/web.md).

The language is, in order: the one the member chose (their settings, or the switch on
every page, remembered in a cookie), else the browser's ``Accept-Language``, else the
household's.

Babel (with ``decimal``, 1 MB resident) and the catalogue load when a page is first
rendered, or a browser's ``Accept-Language`` first read: phones report all day without
them (issue #8).
"""
from __future__ import annotations

import functools
from datetime import date, datetime, timezone
from pathlib import Path

CATALOGUE = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "fr")
COOKIE = "selfdata_lang"


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is only named; translated when shown."""
    return message


@functools.lru_cache(maxsize=None)
def translations(lang: str):
    """The language's ``babel.support.Translations`` (``NullTranslations`` for English)."""
    from babel.support import NullTranslations, Translations
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(CATALOGUE), [lang], domain="messages")


def translate(lang: str, message: str, **values) -> str:
    text = translations(lang).gettext(message)
    return text % values if values else text


def translate_plural(lang: str, singular: str, plural: str, n: int, **values) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def from_browser(header: str | None) -> str | None:
    """The first of our languages the browser asks for (``fr-FR,fr;q=0.9,en;q=0.8``)."""
    if not header:
        return None
    wanted = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag and weight > 0:
            wanted.append((weight, tag.strip().replace("_", "-")))
    ordered = [tag for _, tag in sorted(wanted, key=lambda w: -w[0])]
    from babel import negotiate_locale
    return negotiate_locale(ordered, LANGUAGES, sep="-")


def choose(*, cookie: str | None, member_choice: str | None, accept: str | None,
           household: str | None) -> str:
    for candidate in (member_choice, cookie):
        if candidate in LANGUAGES:
            return candidate
    return from_browser(accept) or (household if household in LANGUAGES else "en")


class Formatter:
    """Numbers, units, dates and times as a reader of ``lang`` writes them, in ``tz``."""

    def __init__(self, lang: str, tz):
        from babel import Locale
        self.lang, self.tz = lang, tz
        self.locale = Locale.parse(lang)

    def number(self, value: float, digits: int = 1) -> str:
        from babel.numbers import format_decimal
        return format_decimal(round(value, digits), format=f"#,##0.{'#' * digits}" if digits
                              else "#,##0", locale=self.locale)

    def km(self, metres: float | None) -> str:
        km = (metres or 0) / 1000
        return f"{self.number(km, 1 if km < 100 else 0)}\u00a0km"

    def co2(self, grams: float | None) -> str:
        """Grams under a kilogram, else kilograms, else tonnes: what people can picture."""
        g = grams or 0
        if g < 1000:
            return f"{self.number(g, 0)}\u00a0g"
        if g < 1_000_000:
            return f"{self.number(g / 1000, 1 if g < 100_000 else 0)}\u00a0kg"
        return f"{self.number(g / 1e6, 2)}\u00a0t"

    def duration(self, seconds: float | None) -> str:
        s = int(seconds or 0)
        hours, minutes = s // 3600, (s % 3600) // 60
        if hours:
            return f"{hours}\u00a0h\u00a0{minutes:02d}"
        return f"{max(minutes, 1) if s else 0}\u00a0min"

    def speed(self, metres: float, seconds: float) -> str:
        kmh = (metres / max(seconds, 1)) * 3.6
        return f"{self.number(kmh, 0 if kmh >= 10 else 1)}\u00a0km/h"

    def percent(self, share: float) -> str:
        from babel.numbers import format_percent
        return format_percent(share, locale=self.locale)

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def time(self, ts: float | None) -> str:
        from babel.dates import format_time
        return "" if ts is None else format_time(self.local(ts), "short", locale=self.locale)

    def day(self, value, form: str = "full") -> str:
        if isinstance(value, (int, float)):
            value = self.local(value).date()
        from babel.dates import format_date
        return format_date(value, form, locale=self.locale)

    def day_short(self, value: date) -> str:
        from babel.dates import format_date
        return format_date(value, "d MMM", locale=self.locale)

    def month(self, value: date) -> str:
        from babel.dates import format_date
        return format_date(value, "LLLL y", locale=self.locale)

    def weekday_letters(self) -> list[str]:
        names = self.locale.days["stand-alone"]["narrow"]
        return [names[i] for i in range(7)]

    def moment(self, ts: float | None) -> str:
        if ts is None:
            return ""
        from babel.dates import format_datetime
        return format_datetime(self.local(ts), "medium", locale=self.locale)

    def iso(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, timezone.utc).isoformat()
