"""Time, in one place: naive UTC datetimes, and the hour rounding.

Anything a reporter does is stored rounded down to the hour (DESIGN.md §5), so
the database cannot be matched against office door logs or network captures.
And so is anything the team does (DESIGN.md §3, the time rule): an exact team time
next to a reporter's row would date the reporter through order. Where a function
needs a team action's exact time, it is sealed (cases.team.sealed_times).
"""

from datetime import UTC, date, datetime, timedelta, tzinfo


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def to_next_hour(moment: datetime) -> datetime:
    """`moment` rounded up to the hour: for a "not again before" time that must not come sooner."""
    hour = to_hour(moment)
    return hour if hour == moment else hour + timedelta(hours=1)


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of a stored UTC time in `zone`: what a reporter is shown, never an hour."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()
