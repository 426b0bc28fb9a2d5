"""Time, in one place: naive UTC datetimes, and the hour rounding for reporters.

Anything a reporter does is stored rounded down to the hour (DESIGN.md §5), so
the database cannot be matched against office door logs or network captures.
"""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
