"""What a member and the household choose for the page: language, time zone, the bike-days
target, and the household's name, time zone and language (first-run setup, settings).

A member's choices live in ``members.settings`` (key ``"page"``) beside their vehicle; the
household's in the ``settings`` table (key ``"household"``). Values are checked here, so
the page and the command line refuse the same things with the same words.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from .members import AccountError, member_settings, set_member_settings

LANGUAGES = ("en", "fr")
DEFAULT_BIKE_DAYS_TARGET = 100        # what many employers' forfait mobilités durables asks
HOUSEHOLD_KEY = "household"
PAGE_KEY = "page"


def check_timezone(name: str) -> str:
    name = (name or "").strip()
    if name not in _zones():
        raise AccountError("unknown time zone %(name)r: use a name like Europe/Paris", name=name)
    ZoneInfo(name)
    return name


def _zones() -> set:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES = None


def check_language(code: str) -> str:
    code = (code or "").strip().lower()
    if code not in LANGUAGES:
        raise AccountError("language must be one of %(languages)s", languages=", ".join(LANGUAGES))
    return code


def member_preferences(conn, member_id: int) -> dict:
    """{"language": None|code, "timezone": None|name, "bike_days_target": int}."""
    page = member_settings(conn, member_id).get(PAGE_KEY, {})
    return {"language": page.get("language"), "timezone": page.get("timezone"),
            "bike_days_target": int(page.get("bike_days_target") or DEFAULT_BIKE_DAYS_TARGET)}


def set_member_preferences(conn, member_id: int, *, language: str | None = None,
                           timezone: str | None = None,
                           bike_days_target: int | None = None) -> dict:
    settings = member_settings(conn, member_id)
    page = settings.get(PAGE_KEY, {})
    if language is not None:
        page["language"] = check_language(language)
    if timezone is not None:
        page["timezone"] = check_timezone(timezone)
    if bike_days_target is not None:
        target = int(bike_days_target)
        if not 1 <= target <= 366:
            raise AccountError("the bike-days target is between 1 and 366 days")
        page["bike_days_target"] = target
    settings[PAGE_KEY] = page
    set_member_settings(conn, member_id, settings)
    return member_preferences(conn, member_id)


def household(store, config) -> dict:
    """{"name", "timezone", "language"}: what setup or the admin chose, else the config's."""
    saved = store.get_setting(HOUSEHOLD_KEY) or {}
    return {"name": saved.get("name") or "",
            "timezone": saved.get("timezone") or config.gateway.timezone,
            "language": saved.get("language") or "fr"}


def set_household(store, *, name: str | None = None, timezone: str | None = None,
                  language: str | None = None) -> dict:
    """Runs in the caller's transaction (``store.transaction()``)."""
    saved = store.get_setting(HOUSEHOLD_KEY) or {}
    if name is not None:
        name = name.strip()
        if len(name) > 60:
            raise AccountError("a household name has at most 60 characters")
        saved["name"] = name
    if timezone is not None:
        saved["timezone"] = check_timezone(timezone)
    if language is not None:
        saved["language"] = check_language(language)
    store.set_setting(HOUSEHOLD_KEY, saved)
    return saved
