"""Dates in tasks: the engine's clock and time zone, and dates in customers' answers.

"Returnable within 30 days of delivery" depends on what today is, and today depends on where:
one instant is two dates in Berlin and Los Angeles. A task reads one `TaskClock`: its time zone
is UTC unless the host sets one (`TaskEngine(time_zone="Europe/Berlin")` or the environment
variable ``SPECAGENT_TIME_ZONE``), and its time comes from the engine's injectable clock, so a
test can pin "today". `today` is the date in that zone; a date-time from the API (which carries
its offset) is turned into that zone before its date is taken (`days_since`); a date-time
written without an offset is read as a time in that zone.

Customers write dates in many ways. An answer is read as a date when it holds exactly one date
in a form that cannot be misread: ISO (`2026-11-02`, `2026/11/02`), a month name with day and
year (`2 November 2026`, `Nov 2nd, 2026`), or `today` / `yesterday` / `tomorrow`. `02/11/2026`
is the 2nd of November in Europe and February 11th in the US, so numeric day-month forms are
asked again with an example instead of guessed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIME_ZONE_ENV = "SPECAGENT_TIME_ZONE"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_FORMS = (
    re.compile(r"(?<![\d/.-])(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})(?![\d/])"),
    re.compile(rf"(?<![\w]){_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}(?!\d)"),
    re.compile(rf"(?<![\w]){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)"),
)
_RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1}
_RELATIVE_WORDS = re.compile(r"(?<!\w)(today|yesterday|tomorrow)(?!\w)")
# Day and month as numbers only (02/11/2026, 2.11.26): which is which depends on the country.
_NUMERIC_DAY_MONTH = re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![\d/])")
_DATE_TIME = re.compile(
    r"(?<![\d-])(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r"\s*(Z|[+-]\d{2}:?\d{2})?(?![\d:])",
    re.IGNORECASE,
)


def time_zone(zone: str | dt.tzinfo | None = None) -> dt.tzinfo:
    """The tasks' time zone: `zone`, else ``$SPECAGENT_TIME_ZONE``, else UTC. An unknown
    name is a `ValueError` when the engine is made, not a wrong date later."""
    if isinstance(zone, dt.tzinfo):
        return zone
    name = zone if zone is not None else os.environ.get(TIME_ZONE_ENV, "").strip()
    if not name or name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (from {'time_zone=' if zone else TIME_ZONE_ENV});"
            " use an IANA name such as 'Europe/Berlin', or 'UTC'"
        ) from None


@dataclass(frozen=True, slots=True)
class TaskClock:
    """What `today` and `now` are for a task step: the engine's clock, read in its zone."""

    zone: dt.tzinfo = dt.UTC
    clock: Callable[[], float] = field(default=time.time)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), self.zone)

    def today(self) -> dt.date:
        return self.now().date()

    def local(self, value: dt.datetime) -> dt.datetime:
        """`value` in the tasks' zone; one without an offset is taken to be in it already."""
        if value.tzinfo is None:
            return value.replace(tzinfo=self.zone)
        return value.astimezone(self.zone)

    def date_of(self, value: dt.date) -> dt.date:
        """The calendar date of a date, or of a date-time in the tasks' zone."""
        if isinstance(value, dt.datetime):
            return self.local(value).date()
        return value

    def days_since(self, value: dt.date) -> int:
        """Whole calendar days from `value` to today (0: today, 1: yesterday, -1: tomorrow)."""
        return (self.today() - self.date_of(value)).days


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def find_dates(text: str, today: dt.date) -> tuple[list[dt.date], bool]:
    """The dates written in `text`, and whether it holds a numeric day/month form that cannot
    be read without knowing the country (02/11/2026)."""
    cleaned = _clean(text)
    found: list[tuple[int, dt.date]] = []
    taken: list[tuple[int, int]] = []
    for form in _DATE_FORMS:
        for match in form.finditer(cleaned):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            month = match.group("month")
            number = int(month) if month.isdigit() else _MONTHS[month]
            try:
                day = dt.date(int(match.group("year")), number, int(match.group("day")))
            except ValueError:
                continue  # 2026-02-30: no such date, so not a date here
            taken.append(match.span())
            found.append((match.start(), day))
    for match in _RELATIVE_WORDS.finditer(cleaned):
        found.append((match.start(), today + dt.timedelta(days=_RELATIVE[match.group(1)])))
    ambiguous = any(
        not any(start <= match.start() < end for start, end in taken)
        for match in _NUMERIC_DAY_MONTH.finditer(cleaned)
    )
    unique = list(dict.fromkeys(day for _, day in sorted(found, key=lambda item: item[0])))
    return unique, ambiguous


def find_date_times(text: str, clock: TaskClock) -> list[dt.datetime]:
    """The ISO date-times in `text` (`2026-11-02 14:30`, `2026-11-02T14:30:00+01:00`), each
    with an offset: one written without is taken to be in the tasks' zone."""
    found = []
    for match in _DATE_TIME.finditer(unicodedata.normalize("NFKC", text)):
        day, clock_time, offset = match.groups()
        if len(clock_time.split(":")[0]) == 1:
            clock_time = "0" + clock_time
        written = f"{day}T{clock_time}{(offset or '').upper()}"
        try:
            value = dt.datetime.fromisoformat(written)
        except ValueError:
            continue
        found.append(clock.local(value))
    return list(dict.fromkeys(found))


def parse_iso_date(value: str) -> dt.date | None:
    """A JSON date (`2026-11-02`), or None for anything else."""
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def parse_iso_date_time(value: str) -> dt.datetime | None:
    """A JSON date-time (`2026-11-02T10:00:00Z`), or None for anything else."""
    if len(value) < 16 or value[10] not in "Tt ":
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
