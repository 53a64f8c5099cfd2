"""Dates as a draft or a source writes them: where they stand, what they can mean, and whether
they can exist.

A date is read with every number it holds: "July 31, 2014", "31 July 2014", "31st of July",
"July 2014", "2014-07-31", "7/31/2014" and "31.07.2014". A numeric date such as "7/8/2014" has two
readings (month/day and day/month); an ISO date has one. A date is impossible when none of its
readings exists in the calendar: day 0 or 100, 31 April, 30 February, 29 February in a year that
is not a leap year, month 13.

A capitalised month name followed by a number of up to three digits is a date ("July 100" is an
impossible one); a three-digit number before a month name is a day only with an ordinal or a
year after it ("300 June marchers" is a count). A year beside a month name is one of
1800-2199, so that "on March 5 1500 people marched" reads as a date and a count. The grounding
check takes a date the sources write word for word as theirs, so "in June 45 people left"
copied from a source passes.

Not a date parser from a library (dateparser, dateutil): those read one date from a string,
guess the parts a text leaves out, and refuse or correct a date that cannot exist, while the
grounding check needs every date of a paragraph with exactly the parts it writes, including the
ones that cannot exist.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()
_MONTH_OF = {name.lower(): n for n, name in enumerate(MONTH_NAMES, 1)}
_MONTH_OF |= {name.lower()[:3]: n for n, name in enumerate(MONTH_NAMES, 1)}
_MONTH_OF["sept"] = 9
_MONTH = "|".join(sorted(_MONTH_OF, key=len, reverse=True))
# A year beside a month name: 1800-2199 ("On March 5 1500 people marched" gives no year 1500).
_YEAR = r"(?:1[89]|2[01])\d\d"

# "July 31", "Jul. 31st, 2014", "July 100 2014"
_MONTH_FIRST = re.compile(
    rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<day>\d{{1,3}})(?P<th>st|nd|rd|th)?(?![\d:])"
    rf"(?:,?\s+(?P<year>{_YEAR})(?!\d))?",
    re.I,
)
# "31 July", "31st of July, 2014"
_DAY_FIRST = re.compile(
    rf"(?<![\d,.$£€])(?P<day>\d{{1,3}})(?P<th>st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\b"
    rf"(?:\.?,?\s+(?P<year>{_YEAR})(?!\d))?",
    re.I,
)
# "July 2014"
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\b\.?,?\s+(?P<year>{_YEAR})(?!\d)", re.I)
# "2014-07-31"
_ISO = re.compile(r"(?<![\d/.-])(?P<year>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})(?![\d/-])")
# "7/31/2014", "31/7/14", "31.07.2014"
_SLASHED = re.compile(r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])")
_DOTTED = re.compile(r"(?<![\d.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<year>\d{4})(?![\d.])")

# (month, day, year); day or year None when the text does not write it.
Reading = tuple[int, int | None, int | None]


@dataclass(frozen=True)
class WrittenDate:
    """One date in a text: as written, where, and what it can mean."""

    text: str
    start: int
    end: int
    readings: tuple[Reading, ...]  # every way to read it, possible or not
    numeric: bool = False

    @property
    def possible(self) -> tuple[Reading, ...]:
        """The readings that exist in the calendar."""
        return tuple(r for r in self.readings if exists(*r))


def dates_in(text: str) -> list[WrittenDate]:
    """Every date written in `text`, in order; of two that overlap, the one that starts first
    (then the longer) is kept."""
    found = [*_named(text), *_numeric(text)]
    found.sort(key=lambda d: (d.start, d.start - d.end))
    kept: list[WrittenDate] = []
    for date in found:
        if not kept or date.start >= kept[-1].end:
            kept.append(date)
    return kept


def exists(month: int, day: int | None, year: int | None) -> bool:
    """Whether the date exists: a month 1-12 and a day within it (29 February without a year
    is allowed)."""
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    return 1 <= day <= days_in(month, year)


def days_in(month: int, year: int | None) -> int:
    """The number of days of a month; of February in a leap year when no year is given."""
    return calendar.monthrange(year if year else 2000, month)[1]


def why_impossible(date: WrittenDate) -> str:
    """Why a date with no possible reading cannot exist, for a review note."""
    month, day, year = date.readings[0]
    if date.numeric:
        months = sorted({m for m, _, _ in date.readings if not 1 <= m <= 12})
        if len(months) == len(date.readings):
            return f"no month {' or '.join(map(str, months))}"
        if len(date.readings) > 1:
            return "no such day, read as month/day or as day/month"
    if not 1 <= month <= 12:
        return f"no month {month}"
    if day == 0:
        return "no day 0"
    name = MONTH_NAMES[month - 1]
    if month == 2 and year and day == 29:
        return f"{year} is not a leap year"
    if month == 2 and year:
        return f"February {year} has {days_in(2, year)} days"
    most = days_in(month, None)
    return f"{name} has {'at most ' if month == 2 else ''}{most} days"


def _named(text: str) -> list[WrittenDate]:
    out = []
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for match in pattern.finditer(text):
            if not match.group("month")[0].isupper():
                continue  # "may" is a verb; a month name is capitalised
            day = match.group("day")
            if (
                pattern is _DAY_FIRST
                and len(day) == 3
                and not (match.group("th") or match.group("year"))
            ):
                continue  # "300 June marchers": a count before a month, not a day
            year = match.group("year")
            reading = (
                _MONTH_OF[match.group("month").lower()],
                int(day),
                int(year) if year else None,
            )
            out.append(WrittenDate(match.group(0), match.start(), match.end(), (reading,)))
    for match in _MONTH_YEAR.finditer(text):
        if match.group("month")[0].isupper():
            reading = (_MONTH_OF[match.group("month").lower()], None, int(match.group("year")))
            out.append(WrittenDate(match.group(0), match.start(), match.end(), (reading,)))
    return out


def _numeric(text: str) -> list[WrittenDate]:
    out = []
    for match in _ISO.finditer(text):
        reading = (int(match.group("a")), int(match.group("b")), int(match.group("year")))
        out.append(WrittenDate(match.group(0), match.start(), match.end(), (reading,), True))
    for pattern in (_SLASHED, _DOTTED):
        for match in pattern.finditer(text):
            a, b = int(match.group("a")), int(match.group("b"))
            year = _full_year(match.group("year"))
            readings = tuple(dict.fromkeys([(a, b, year), (b, a, year)]))
            out.append(WrittenDate(match.group(0), match.start(), match.end(), readings, True))
    return out


def _full_year(digits: str) -> int:
    """A year as written: "14" is 2014, "98" is 1998."""
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year
