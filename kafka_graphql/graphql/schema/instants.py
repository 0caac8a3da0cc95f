"""Kafka timestamps as `DateTime` values, including those no Python `datetime` can hold.

Kafka stores a record's timestamp as any 64-bit count of milliseconds, and another producer may
write year 10000 or year -5000 (brokers before 4.0 accept any timestamp by default). Python's
`datetime` stops at years 1 and 9999, so such a record would fail to serialize and, with it,
the page it is on. Those instants are written as JavaScript's `Date.prototype.toISOString` writes
them (ISO 8601's expanded years): year 0 as `0000`, others outside 1 to 9999 with a sign and six
digits (`+010000-01-01T00:00:00.000Z`), more digits beyond year 999,999 (which only int64
reaches, not JavaScript).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_MS_PER_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OutOfRangeInstant(datetime):
    """A `datetime` clamped to the nearest one Python holds, carrying the real instant in `ms`;
    the DateTime scalar serializes `ms` (`expanded_iso`)."""

    ms: int

    def __new__(cls, ms: int) -> OutOfRangeInstant:
        nearest = datetime.max if ms > 0 else datetime.min
        instant = super().__new__(
            cls,
            nearest.year,
            nearest.month,
            nearest.day,
            nearest.hour,
            nearest.minute,
            nearest.second,
            nearest.microsecond,
            tzinfo=UTC,
        )
        instant.ms = ms
        return instant


def instant(ms: int) -> datetime:
    """The DateTime value of `ms` milliseconds since the epoch, whatever int64 holds. Exact: a
    float of seconds (`fromtimestamp(ms / 1000)`) turns some milliseconds into the one before."""
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return OutOfRangeInstant(ms)


def expanded_iso(ms: int) -> str:
    """`ms` since the epoch as `Date.prototype.toISOString` writes it (proleptic Gregorian, UTC):
    `YYYY-MM-DDTHH:MM:SS.mmmZ`, with `±YYYYYY` for years outside 0 to 9999."""
    days, in_day = divmod(ms, _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    hours, rest = divmod(in_day, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    # JavaScript's rule: four digits for years 0 to 9999, else a sign and at least six.
    written = f"{year:04d}" if 0 <= year <= 9999 else f"{'-' if year < 0 else '+'}{abs(year):06d}"
    return f"{written}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Year, month, day of a count of days since 1970-01-01, for any integer (Howard Hinnant's
    `civil_from_days`, http://howardhinnant.github.io/date_algorithms.html)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day
