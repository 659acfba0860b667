"""Calendar helpers: every rule date is a KST calendar date (SPEC 2); instants are aware datetimes."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
ONE_DAY = timedelta(days=1)


def kst_date(instant: datetime) -> date:
    """The Seoul calendar date of an aware instant."""
    return instant.astimezone(KST).date()


def kst_midnight(day: date) -> datetime:
    """The instant a KST calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=KST)
