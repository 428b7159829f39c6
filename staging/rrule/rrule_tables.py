# Generates Tests/RRuleTests/rrule.json from the reference's RRuleSchedule (prefect==3.9.1 on
# Python 3.11: `get_dates` -> `_get_dates_generator` over `to_rrule()`, dateutil 2.9.0.post0):
#   ~/.cache/weir/compat-venv/bin/python scripts/rrule_tables.py > Tests/RRuleTests/rrule.json
#
# Times are microseconds since the epoch. A case whose get_dates raises records the exception's
# type in "error" (and no dates). The reference reads the clock in two places, which are pinned
# here to NOW (2026-03-07T12:34:56, the machine's local time being UTC): `rrule()` without a
# DTSTART starts at `datetime.now()` while validating (FREQ=HOURLY;INTERVAL=2;BYHOUR=3 is valid
# at odd hours only), and dateutil's parser fills the parts a date leaves out from today (and
# reads two-digit years around this year).
import asyncio, datetime, json, random, signal, sys, types, warnings
warnings.filterwarnings("ignore")

import dateutil.rrule as _rr
import dateutil.parser._parser as _pp
from prefect.server.schemas.schedules import RRuleSchedule
from prefect._internal.schemas.validators import validate_rrule_string

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
NOW = datetime.datetime(2026, 3, 7, 12, 34, 56)


class _Meta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, datetime.datetime)


class _FixedNow(datetime.datetime, metaclass=_Meta):
    @classmethod
    def now(cls, tz=None):
        if tz is None:
            return NOW
        return NOW.replace(tzinfo=UTC).astimezone(tz)


_fake = types.ModuleType("datetime")
_fake.__dict__.update(datetime.__dict__)
_fake.datetime = _FixedNow
_pp.datetime = _fake  # the parser's default date
_pp.DEFAULTPARSER.info._year = 2026
_pp.DEFAULTPARSER.info._century = 2000


class _Validating:
    """rrule() reads the clock only when validating (get_dates passes a DTSTART)."""

    def __enter__(self):
        _rr.datetime = _fake

    def __exit__(self, *a):
        _rr.datetime = datetime


def micros(dt):
    d = dt.astimezone(UTC)
    days = datetime.date(d.year, d.month, d.day).toordinal() - 719163
    return (days * 86400 + d.hour * 3600 + d.minute * 60 + d.second) * 1000000 + d.microsecond


def parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


class Timeout(Exception):
    pass


def _alarm(*a):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


def verdict(s):
    """(type, message) of validate_rrule_string's exception, or None."""
    with _Validating():
        try:
            validate_rrule_string(s)
            return None
        except Exception as e:  # ValueError, and what the validator lets through
            return (type(e).__name__, str(e))


def schedule(s, tz):
    kw = dict(rrule=s)
    if tz is not None:
        kw["timezone"] = tz
    with _Validating():
        return RRuleSchedule(**kw)


def get_dates(sched, n, start, end, timeout=0):
    if timeout:
        signal.alarm(timeout)
    try:
        return [micros(d) for d in asyncio.run(sched.get_dates(n=n, start=start, end=end))], None
    except Timeout:
        raise
    except Exception as e:
        return [], type(e).__name__
    finally:
        if timeout:
            signal.alarm(0)


ZONES = [None, "UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
ORDINARY = ["2026-01-01T00:00:00.000000Z", "2026-06-15T12:34:56.789000Z", "2026-05-31T23:59:59.000000Z"]
DST = {
    # US: 2026-03-08 07:00Z (gap), 2026-11-01 06:00Z (fold)
    "America/New_York": ["2026-03-08T05:50:00.000000Z", "2026-03-08T06:30:00.000000Z", "2026-03-08T07:10:00.000000Z",
                         "2026-11-01T04:40:00.000000Z", "2026-11-01T05:30:00.000000Z", "2026-11-01T06:20:00.500000Z"],
    # EU: 2026-03-29 01:00Z (gap), 2026-10-25 01:00Z (fold)
    "Europe/London": ["2026-03-29T00:20:00.000000Z", "2026-03-29T01:15:00.000000Z", "2026-10-25T00:10:00.000000Z",
                      "2026-10-25T00:45:00.000000Z", "2026-10-25T01:30:00.250000Z"],
    # Lord Howe: 2026-04-04 15:00Z (fold of 30 min), 2026-10-03 15:30Z (gap of 30 min)
    "Australia/Lord_Howe": ["2026-04-04T14:10:00.000000Z", "2026-04-04T14:40:00.000000Z", "2026-04-04T15:10:00.000000Z",
                            "2026-10-03T15:00:00.000000Z", "2026-10-03T15:30:00.000000Z", "2026-10-03T15:45:00.000000Z"],
}
# A few starts far from 2026 for the rules that reach them.
FAR = ["2040-07-01T00:00:00.000000Z"]

# (rule, heavy): heavy rules walk many occurrences before 2026 in the reference, so they get
# only the starts where their zone changes its clocks.
RULES = [
    ("FREQ=DAILY", False),
    ("RRULE:FREQ=HOURLY;INTERVAL=5", False),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=30", False),
    ("FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=2;BYMINUTE=30", False),
    ("FREQ=YEARLY;BYMONTH=3,11;BYDAY=1SU,-1SU;BYHOUR=1,2,3", False),
    ("FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=0,30", False),
    ("FREQ=MINUTELY;INTERVAL=7;BYHOUR=1,2", True),
    ("FREQ=HOURLY;BYHOUR=0,1,2,3,4;BYDAY=SU", False),
    ("FREQ=YEARLY;BYEASTER=0,1,-2", False),
    ("FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO", False),
    ("FREQ=YEARLY;BYYEARDAY=1,100,-1;BYHOUR=12", False),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", False),
    ("FREQ=MONTHLY;BYDAY=+1MO,-1FR", False),
    ("FREQ=MONTHLY;BYDAY=MO(+2)", False),
    ("FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,SU", False),
    ("FREQ=WEEKLY;INTERVAL=2;WKST=MO;BYDAY=TU,SU", False),
    ("FREQ=DAILY;COUNT=3000", False),
    ("FREQ=DAILY;COUNT=2000", False),
    ("FREQ=DAILY;UNTIL=20261026T000000", False),
    ("FREQ=HOURLY;INTERVAL=3;BYSETPOS=1,-1;BYMINUTE=0,15,30", False),
    ("FREQ=MONTHLY;BYMONTHDAY=31", False),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15,-1;BYMONTH=2,3,10,11", False),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", False),
    ("FREQ=DAILY;BYMONTH=3,10;BYDAY=SU;BYHOUR=2;BYMINUTE=30", False),
    ("FREQ=YEARLY;BYMONTH=10;BYDAY=1SU;BYHOUR=2;BYMINUTE=0,15", False),
    ("FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;BYHOUR=1;BYMINUTE=45", False),
    ("FREQ=DAILY;BYHOUR=1;BYMINUTE=0,15,30,45", False),
    ("FREQ=MONTHLY;BYDAY=SU;BYSETPOS=2,-1;BYHOUR=2", False),
    ("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=1,2,3;BYSETPOS=1,3,-1", False),
    ("FREQ=YEARLY;BYWEEKNO=10,44;WKST=SU;BYDAY=SU;BYHOUR=1,2", False),
    ("FREQ=YEARLY;BYWEEKNO=53,-53,1;BYDAY=TH", False),
    ("freq=daily;interval=10;byhour=0,6,12,18;byminute=5", False),
    ("FREQ=DAILY;INTERVAL=-1", False),
    ("FREQ=HOURLY;BYHOUR=24", False),
    ("FREQ=HOURLY;UNTIL=20270101T000000Z", False),
    ("FREQ=YEARLY;BYEASTER=270", False),
    ("FREQ=MONTHLY;BYDAY=+5FR;COUNT=30", False),
    ("DTSTART:20260301T023000\nRRULE:FREQ=DAILY", False),
    ("DTSTART:20261020T013000\nFREQ=DAILY;COUNT=20", False),
    ("DTSTART:20260101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20261231T235959Z", False),
    ("DTSTART;TZID=America/New_York:20260305T013000\nRRULE:FREQ=HOURLY;INTERVAL=1;UNTIL=20260320T000000Z", False),
    ("DTSTART;TZID=Europe/London:20260320T000000\nRRULE:FREQ=MINUTELY;INTERVAL=45", False),
    ("DTSTART:20260307T000000\nRRULE:FREQ=SECONDLY;INTERVAL=1800", False),
    ("DTSTART:20260301T000000\nRRULE:FREQ=SECONDLY;INTERVAL=17;BYMINUTE=0,30;BYHOUR=1,2,3", True),
    ("DTSTART:20260101T000000\nRRULE:FREQ=MINUTELY;INTERVAL=90;BYHOUR=0,1,2,3,4,5", False),
    ("DTSTART:20250115T120000\nRRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15,-10", False),
    ("DTSTART:19000101T000000\nRRULE:FREQ=YEARLY;BYMONTH=3,10;BYMONTHDAY=-1,1;BYHOUR=1,2", False),
    ("DTSTART:19000101T000000\nRRULE:FREQ=DAILY;INTERVAL=3", False),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nEXDATE:20260309T000000,20260310T000000\nRDATE:20260308T023000,20260308T120000", False),
    ("DTSTART:20260101T100000\nRRULE:FREQ=WEEKLY;BYDAY=SU\nRRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=10,22\nEXRULE:FREQ=MONTHLY;BYDAY=1SU", False),
    ("RDATE:20260308T020000,20260308T030000,20261101T013000,20260405T013000,20261004T020000,20261025T010000,20260329T013000", False),
    ("DTSTART:20260301T000000\nRRULE:FREQ=HOURLY;BYHOUR=1,2,3\nEXDATE;TZID=America/New_York:20260308T020000", False),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY;BYHOUR=2,14;COUNT=200;BYSETPOS=-1", False),
    ("EXRULE:FREQ=DAILY", False),
    ("DTSTART:20260301T000000\nRDATE:20260310T120000.5,20261101T013000.25", False),
    ("DTSTART:20260310\nFREQ=DAILY;COUNT=5", False),
    ("DTSTART:2026-03-07T10:15:00\nFREQ=HOURLY;INTERVAL=7", False),
    ("DTSTART:20260301T000000Z\nFREQ=DAILY;BYHOUR=0,12;UNTIL=20260315T000000Z", False),
    ("DTSTART:20260307T233000\nFREQ=MINUTELY;INTERVAL=20;BYHOUR=23,0,1,2,3;COUNT=400", False),
    ("DTSTART:20260101T000000\nFREQ=HOURLY;BYMINUTE=0,30", False),
    ("DTSTART:20260102T000000\nFREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=1", False),
    ("DTSTART:20260102T000000\nFREQ=WEEKLY;INTERVAL=3;WKST=TH;BYDAY=SA,TH,MO", False),
    ("DTSTART:20260101T000000\nRRULE:FREQ=HOURLY;INTERVAL=25\nRRULE:FREQ=HOURLY;INTERVAL=25;BYMINUTE=30\nEXRULE:FREQ=DAILY;BYHOUR=1,2", False),
    ("DTSTART:20251231T235959\nFREQ=SECONDLY;INTERVAL=86399;BYSECOND=59,0", False),
    ("DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;BYDAY=-1SU,2MO;BYMONTH=3,11;BYSETPOS=-1,1\nRDATE:20260308T023000", False),
]

cases = []
for rule, heavy in RULES:
    for z in ZONES:
        sched = schedule(rule, z)
        starts = list(DST.get(z, []))
        if not heavy:
            starts = ORDINARY + starts
            if z in ("America/New_York", "Australia/Lord_Howe"):
                starts += FAR
        elif not starts:
            starts = ORDINARY[:1]
        runs = []
        for i, s in enumerate(starts):
            start = parse(s)
            variants = [(10, None), (10, start + datetime.timedelta(hours=30))]
            if i == 0:
                variants += [(None, None), (None, start + datetime.timedelta(days=3)), (0, None)]
            for n, end in variants:
                dates, err = get_dates(sched, n, start, end)
                run = [micros(start), micros(end) if end else None, n, dates]
                if err:
                    run.append(err)
                runs.append(run)
        cases.append({"rrule": rule, "timezone": z, "runs": runs})
print(len(cases), "rule/zone pairs", sum(len(c["runs"]) for c in cases), "runs", file=sys.stderr)

INVALID = [
    "", "  \n ", "FREQ", "FREQ=DAILY;", "FREQ=FOO", "FREQ=DAILY;BYDAY=XX", "FREQ=DAILY;BYDAY=0MO",
    "FREQ=DAILY;BYDAY=+MO", "FREQ=DAILY;BYDAY=MO(+1", "FREQ=DAILY;BYDAY=", "FREQ=DAILY;BYDAY=MO,", "FREQ=DAILY;FOO=1",
    "FREQ=DAILY;INTERVAL=x", "COUNT=1", "DTSTART:20260101T000000Z\nFREQ=DAILY;UNTIL=20260201T000000",
    "DTSTART:20260101T000000\nFREQ=DAILY;UNTIL=20260201T000000Z", "DTSTART:junk\nFREQ=DAILY", "FREQ=DAILY;UNTIL=junk",
    "DTSTART:20261301T000000\nFREQ=DAILY", "DTSTART:20260101T250000\nFREQ=DAILY", "DTSTART:20260101T000000",
    "RRULE:FREQ=DAILY:X", "FREQ=DAILY;BYHOUR=25", "FREQ=DAILY;BYMINUTE=60;BYHOUR=25", "FREQ=WEEKLY;BYSECOND=-1",
    "FREQ=DAILY;BYSETPOS=0", "FREQ=DAILY;BYSETPOS=400", "RRULE:RRULE:FREQ=DAILY", "FREQ=DA\u0130LY".lower(), "X-FOO:bar", "DTSTART;FOO=1:20260101T000000\nFREQ=DAILY",
    "DTSTART;TZID=America/New_York:20260101T000000Z\nFREQ=DAILY",
    "DTSTART:20260101T000000,20260102T000000\nFREQ=DAILY", "FREQ=DAILY;UNTIL=99999999999999999999999",
    "DTSTART:99999999999999999999999\nFREQ=DAILY", "FREQ=DAILY;UNTIL=2026-01-01T00:00:00", "RDATE;VALUE=DATE:20260101",
    "EXRULE;X=1:FREQ=DAILY", "FREQ=DAILY;WKST=XX", "FREQ=DAILY;BYDAY=MO(0)", "FREQ=DAILY\n X", "FREQ=DAILY==",
    "DTSTART:00000101T000000\nFREQ=DAILY", "FREQ=DAILY;UNTIL=2026Z",
    "DTSTART:20260101T000000EST\nFREQ=DAILY;UNTIL=20260102T000000Z", "DTSTART:2147483648\nFREQ=DAILY",
    "DTSTART:99999\nFREQ=DAILY", "FREQ=HOURLY;INTERVAL=2;BYHOUR=3", "FREQ=MINUTELY;INTERVAL=60;BYHOUR=1;BYMINUTE=30",
    "FREQ=SECONDLY;INTERVAL=2;BYSECOND=1,3", "DTSTART:20260101T000000\nFREQ=HOURLY;INTERVAL=4;BYHOUR=1,2,3",
    "DTSTART;VALUE=DATE;VALUE=DATE:20260101\nFREQ=DAILY", "EXDATE;TZID=Europe/London:20260101T000000Z\nFREQ=DAILY",
    "DTSTART:20260101T000000\nRDATE:2026-13-01", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nEXRULE:FREQ=NOPE",
    "DTSTART:20260101T000000\nRRULE;X=Y:FREQ=DAILY", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nRRULE:BYDAY=MO",
    "DTSTART:30FEB2026\nFREQ=DAILY", "DTSTART:20260101T000000 AM\nFREQ=DAILY", "DTSTART:AM5\nFREQ=DAILY",
    "DTSTART:INF\nFREQ=DAILY", "FREQ=DAILY;COUNT=1.5", "FREQ=DAILY;BYMONTH=1,,2", "FREQ=DAILY;BYDAY=MO(1",
    "FREQ=DAILY;BYDAY=12", "FREQ=YEARLY;BYDAY=+-1MO", ":FREQ=DAILY", "DTSTART;:20260101\nFREQ=DAILY",
    "FREQ=DAILY;BYHOUR=-1", "FREQ=DAILY;BYSECOND=60", "FREQ=MONTHLY;BYSETPOS=-367",
    "RRULE:FREQ=DAILY;UNTIL=20260101T000000Z\nDTSTART:20250101T000000",
    "FREQ=DAILY;UNTIL=20260101T0000000", "DTSTART:2026-02-30\nFREQ=DAILY", "DTSTART:12:61\nFREQ=DAILY",
    "FREQ=DAILY;UNTIL=20260101T000000+99:99\nDTSTART:20260101", "FREQ=DAILY\n" + "X" * 6600,
    "FREQ=DAILY;" + ";".join(["BYHOUR=1"] * 900),
]
invalid = []
for s in INVALID:
    v = verdict(s)
    if v is None:
        print("unexpectedly valid:", repr(s), file=sys.stderr)
        continue
    invalid.append({"rrule": s, "type": v[0], "message": v[1]})

# Accepted however they look.
VALID = [
    "FREQ=DAILY;COUNT=3;UNTIL=20260101T000000", "FREQ=DAILY;BYDAY=MO(+1)", "FREQ=DAILY;BYDAY=MO;BYDAY=TU", "freq=daily",
    "FREQ=HOURLY;BYHOUR=25", "FREQ=DAILY;INTERVAL=99999999999999999999999999", "FREQ=DAILY;BYEASTER=1000",
    "DTSTART:10000101T000000\nFREQ=DAILY", "FREQ=DAILY;UNTIL=2026", "FREQ=DAILY;UNTIL=20260101T000000+0500",
    "FREQ=DAILY;UNTIL=20260101T000000EST", "FREQ=DAILY;BYWEEKDAY=MO", "EXRULE:FREQ=DAILY", "DTSTART:13PM\nFREQ=DAILY", "DTSTART:13AM\nFREQ=DAILY", "FREQ=HOURLY;INTERVAL=2;BYHOUR=2",
    "DTSTART;TZID=Nowhere/Special:20260101T000000Z\nFREQ=DAILY", "FREQ=DAILY;BYDAY=MO(1)(2)",
    "DTSTART;TZID=America/New_York;VALUE=DATE-TIME:20260101T000000Z\nFREQ=DAILY",
    "\u0131nterval=2;freq=daily", "FREQ=DAILY;INTERVAL=\u0661\u0662", "FREQ=DAILY;INTERVAL=1_0",
    "X" * 10 + "\n" if False else "FREQ=YEARLY;BYDAY=+99MO", "FREQ=DAILY;COUNT=-5", "FREQ=DAILY;INTERVAL=0",
]
valid = []
for s in VALID:
    v = verdict(s)
    if v is not None:
        print("unexpectedly invalid:", repr(s), v, file=sys.stderr)
    else:
        valid.append(s)

# Seeded random rules: the reference's verdict, and for valid ones 8 dates from a start.
rnd = random.Random(20260307)
FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FUZZ_STARTS = ["2026-03-07T12:00:00.000000Z", "2026-10-24T18:00:00.000000Z", "2026-04-04T09:00:00.000000Z",
               "2026-03-28T20:00:00.000000Z"]
TZIDS = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Nowhere/Else",
         "EST5EDT", "america/new_york", "GMT", "UTC+3", "Etc/GMT-14"]


def pick_list(values, k=(1, 4)):
    return ",".join(str(rnd.choice(values)) for _ in range(rnd.randint(*k)))


def rand_date(near, spread_days):
    d = near + datetime.timedelta(seconds=rnd.randint(-spread_days * 86400, spread_days * 86400))
    if rnd.random() < 0.5:
        d = d.replace(minute=rnd.choice([0, 15, 30, 45]), second=0)
    return d


def fmt_date(d, style=None):
    style = style or rnd.choice(["basic"] * 6 + ["basicZ"] * 2 + ["date", "iso", "isoZ", "offset"])
    if style == "basic":
        return d.strftime("%Y%m%dT%H%M%S")
    if style == "basicZ":
        return d.strftime("%Y%m%dT%H%M%SZ")
    if style == "date":
        return d.strftime("%Y%m%d")
    if style == "iso":
        return d.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "isoZ":
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    return d.strftime("%Y%m%dT%H%M%S") + rnd.choice(["+0530", "-0400", "+01:00"])


def rand_rule(freq, start):
    parts = []
    if rnd.random() < 0.97:
        parts.append("FREQ=" + (freq if rnd.random() < 0.97 else rnd.choice(["FOO", "daily", "Weekly", ""])))
    if rnd.random() < 0.4:
        parts.append("INTERVAL=" + str(rnd.choice([1, 2, 2, 3, 4, 5, 7, 10, 13, 15, 25, 90, 0, -1, "x", "+2", "02"])))
    r = rnd.random()
    if r < 0.2:
        parts.append("COUNT=" + str(rnd.choice([1, 2, 5, 10, 30, 100, 500, 0, -3])))
    elif r < 0.35:
        u = rand_date(start, 40)
        parts.append("UNTIL=" + fmt_date(u, rnd.choice(["basic", "basic", "basicZ", "date", "junk"]) if rnd.random() < 0.95 else "basic").replace("junk", "2026XYZ"))
    if rnd.random() < 0.25:
        parts.append("BYMONTH=" + pick_list([1, 2, 3, 4, 6, 9, 10, 11, 12, 13, 0]))
    if rnd.random() < 0.2:
        parts.append("BYMONTHDAY=" + pick_list([1, 2, 7, 15, 28, 29, 30, 31, -1, -2, -31, 0, 32]))
    if rnd.random() < 0.1:
        parts.append("BYYEARDAY=" + pick_list([1, 60, 66, 100, 200, 300, 365, 366, -1, -100, -366, 0, 367]))
    if rnd.random() < 0.1:
        parts.append("BYWEEKNO=" + pick_list([1, 2, 10, 11, 14, 20, 40, 43, 44, 52, 53, -1, -52, 0, 54]))
    if rnd.random() < 0.35:
        items = []
        for _ in range(rnd.randint(1, 4)):
            d = rnd.choice(DAYS)
            k = rnd.random()
            if k < 0.6:
                items.append(d)
            elif k < 0.85:
                items.append(rnd.choice(["+1", "1", "2", "-1", "-2", "+3", "4", "5", "-5", "53", "0", "+"]) + d)
            elif k < 0.95:
                items.append(d + "(" + rnd.choice(["+1", "-1", "2", "0", ""]) + ")")
            else:
                items.append(rnd.choice(["XX", "M", "MOO", "1", ""]))
        parts.append(rnd.choice(["BYDAY=", "BYDAY=", "BYWEEKDAY="]) + ",".join(items))
    if rnd.random() < 0.35:
        parts.append("BYHOUR=" + pick_list([0, 1, 2, 3, 5, 9, 12, 13, 17, 22, 23, 24, -1]))
    if rnd.random() < 0.3:
        parts.append("BYMINUTE=" + pick_list([0, 1, 5, 15, 30, 45, 59, 60]))
    if rnd.random() < 0.2:
        parts.append("BYSECOND=" + pick_list([0, 1, 10, 30, 59, 60]))
    if rnd.random() < 0.15:
        parts.append("BYSETPOS=" + pick_list([1, 2, 3, -1, -2, 10, 0, 367, -366]))
    if rnd.random() < 0.15:
        parts.append("WKST=" + rnd.choice(DAYS + ["XX"]))
    if rnd.random() < 0.06:
        parts.append("BYEASTER=" + pick_list([0, 1, -1, -2, 7, 60, -60, 300, -400]))
    if rnd.random() < 0.03:
        parts.append(rnd.choice(["FOO=1", "X", "COUNT", "BYHOUR=", "=3", "UNTIL=2026-01-01T00:00:00"]))
    rnd.shuffle(parts)
    text = ";".join(parts)
    if rnd.random() < 0.1:
        text = text.lower()
    return text


def rand_rrule_string(start):
    freq = rnd.choice(FREQS)
    lines = []
    # High frequencies always get a DTSTART near the start (the reference walks every
    # occurrence from DTSTART, 2020 without one).
    need_dtstart = freq in ("MINUTELY", "SECONDLY") or (freq == "HOURLY" and rnd.random() < 0.8)
    if need_dtstart or rnd.random() < 0.6:
        near = start - datetime.timedelta(days=2 if freq in ("MINUTELY", "SECONDLY") else 60)
        d = rand_date(near, 1 if freq in ("MINUTELY", "SECONDLY") else 50)
        k = rnd.random()
        if k < 0.6:
            lines.append("DTSTART:" + fmt_date(d, "basic"))
        elif k < 0.75:
            lines.append("DTSTART:" + fmt_date(d, "basicZ"))
        elif k < 0.9:
            lines.append("DTSTART;TZID=" + rnd.choice(TZIDS) + ":" + fmt_date(d, rnd.choice(["basic", "basic", "basicZ"])))
        else:
            lines.append("DTSTART" + rnd.choice([";VALUE=DATE:" + fmt_date(d, "date"), ":" + fmt_date(d, "iso"), ":" + fmt_date(d)]))
    rule = rand_rule(freq, start)
    lines.append(("RRULE:" if lines or rnd.random() < 0.3 else "") + rule)
    if rnd.random() < 0.12:
        lines.append("RRULE:" + rand_rule(rnd.choice(FREQS[:5]), start))
    if rnd.random() < 0.08:
        lines.append("EXRULE:" + rand_rule(rnd.choice(FREQS[:5]), start))
    if rnd.random() < 0.15:
        lines.append("RDATE:" + ",".join(fmt_date(rand_date(start, 5), rnd.choice(["basic", "basic", "basicZ", "date"])) for _ in range(rnd.randint(1, 3))))
    if rnd.random() < 0.15:
        tz = ";TZID=" + rnd.choice(TZIDS) if rnd.random() < 0.3 else ""
        lines.append("EXDATE" + tz + ":" + ",".join(fmt_date(rand_date(start, 5), "basic") for _ in range(rnd.randint(1, 3))))
    if len(lines) > 1 and rnd.random() < 0.3:
        rnd.shuffle(lines)
    return rnd.choice(["\n", "\n", "\r\n", " "]).join(lines)


# Date strings as dateutil's parser reads them (DTSTART, UNTIL, RDATE).
DATE_ATOMS = ["2026", "03", "7", "07", "12", "31", "2026-03-07", "20260307", "20260307T1230", "260307",
              "120000", "1230", "T", "Z", "UTC", "GMT", "+05:30", "-0400", "+3", "MAR", "MARCH", "SAT", "AM", "PM",
              ".", ":", "-", "/", "5", "99", "13", "2026-02-30", "T23:59:59.123", "EST", "OF", "AT", "H", "M", "S",
              "X", "1970", "0001", "9999", "10000", "1.5", "INF", "20260307T123456", "2026.03.07", "\u0662\u0660\u0662\u0666"]


def rand_datestr():
    return "".join(rnd.choice(DATE_ATOMS) for _ in range(rnd.randint(1, 5)))


fuzz = []
seen = set()
skipped = 0
while len(fuzz) < 1500:
    start_text = rnd.choice(FUZZ_STARTS)
    start = parse(start_text)
    tz = rnd.choice(ZONES)
    if len(fuzz) < 1000:
        s = rand_rrule_string(start)
    else:
        k = rnd.random()
        if k < 0.5:
            s = "DTSTART:" + rand_datestr() + "\nRRULE:FREQ=" + rnd.choice(["DAILY", "WEEKLY", "MONTHLY"]) + ";COUNT=400"
        elif k < 0.8:
            s = "FREQ=DAILY;UNTIL=" + rand_datestr()
        else:
            s = "DTSTART:20260301T000000\nRDATE:" + rand_datestr() + "," + rand_datestr()
    if s in seen:
        continue
    seen.add(s)
    v = verdict(s)
    entry = {"rrule": s, "timezone": tz, "start": micros(start)}
    if v is not None:
        entry["type"], entry["message"] = v
    else:
        try:
            entry["dates"], err = get_dates(schedule(s, tz), 8, start, None, timeout=3)
        except Timeout:
            skipped += 1
            continue
        if err:
            entry["error"] = err
    fuzz.append(entry)
print(sum("message" not in f for f in fuzz), "fuzz valid of", len(fuzz), "(", skipped, "timed out and left out)", file=sys.stderr)

# Corners: dateutil's date parser (partial dates, names, offsets, TZID lookups: files, POSIX TZ
# strings), numbers beyond C's, intervals of 0 and below, dateutil's exceptions while iterating.
EDGE = [
    'DTSTART:20260101T000000+99999999999:00\nFREQ=DAILY',
    'DTSTART:20260101T000000+2400000000:00\nFREQ=DAILY',
    'DTSTART;TZID=UTC+3:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=America/New_York1:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=XYZ:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=EST5EDT,M3.2.0/2,M11.1.0/2:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=GMT-5:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=GMT+0:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=posix/America/New_York:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=right/UTC:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=zone.tab:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=iso3166.tab:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=ABC,1:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=AAA3BBB:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=AAA3BBB,J60/2,J300:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=AAA3BBB,J400,J300:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=J1:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=:UTC:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=Europe/London;TZID=Nowhere:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;TZID=Nowhere;TZID=Europe/London:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART;tzid=Europe/London:20260101T000000\nFREQ=DAILY;UNTIL=20260402T000000',
    'DTSTART:20260101T000000.123456Z\nFREQ=DAILY;UNTIL=20260402T000000Z',
    'DTSTART:JAN-05-2026\nFREQ=DAILY',
    'DTSTART:05-JAN-2026\nFREQ=DAILY',
    'DTSTART:2026/01/05\nFREQ=DAILY',
    'DTSTART:01/05/2026\nFREQ=DAILY',
    'DTSTART:13/05/2026\nFREQ=DAILY',
    'DTSTART:1.5.2026\nFREQ=DAILY',
    'DTSTART:12H30M\nFREQ=DAILY',
    'DTSTART:T12\nFREQ=DAILY',
    'DTSTART:MONDAY\nFREQ=DAILY',
    'DTSTART:MON\nFREQ=DAILY',
    'DTSTART:JAN\nFREQ=DAILY',
    'DTSTART:2026JAN05\nFREQ=DAILY',
    'DTSTART:5JAN\nFREQ=DAILY',
    'DTSTART:10AM\nFREQ=DAILY',
    'DTSTART:20260105T10AM\nFREQ=DAILY',
    'DTSTART:20260105T1030PM\nFREQ=DAILY',
    'FREQ=DAILY;UNTIL=20260405T103000GMT+3',
    'FREQ=DAILY;UNTIL=20260405T103000UTC',
    'FREQ=DAILY;UNTIL=20260405T103000Z;BYHOUR=5',
    'DTSTART:20260105T10.5H\nFREQ=DAILY',
    'DTSTART:20260105T10:30.5\nFREQ=DAILY',
    'DTSTART:2026-01-05T10:30:15.5\nFREQ=DAILY',
    'DTSTART:26-01-05\nFREQ=DAILY',
    'DTSTART:99-01-05\nFREQ=DAILY',
    'DTSTART:2026-W01\nFREQ=DAILY',
    'DTSTART:2026-001\nFREQ=DAILY',
    'DTSTART:20260105T103000-0130\nFREQ=DAILY;UNTIL=20260405T000000Z',
    'DTSTART:20260105T103000+05\nFREQ=DAILY;UNTIL=20260405T000000Z',
    'DTSTART:FEB29\nFREQ=YEARLY',
    'DTSTART:31\nFREQ=MONTHLY',
    'DTSTART:20260105T103000AM\nFREQ=DAILY',
    'DTSTART:SEPT-2026\nFREQ=MONTHLY',
    'DTSTART:2026.01.05\nFREQ=DAILY',
    'DTSTART:1230\nFREQ=DAILY',
    'DTSTART:0001\nFREQ=DAILY',
    'DTSTART:20260105T103000.1234567\nFREQ=DAILY',
    'DTSTART:20260105 T103000\nFREQ=DAILY',
    'DTSTART:2026-01-05T10:30:00+05:30\nFREQ=DAILY;UNTIL=20260401T000000Z',
    'DTSTART:2026-01-05T10:30:00(EST)\nFREQ=DAILY',
    'DTSTART:2026-01-05T10:30:00-05:00(EST)\nFREQ=DAILY',
    'FREQ=MONTHLY;BYDAY=+6MO',
    'FREQ=MONTHLY;BYDAY=+55MO',
    'FREQ=YEARLY;BYDAY=+56MO',
    'FREQ=YEARLY;BYDAY=+54MO;BYMONTH=1',
    'FREQ=YEARLY;BYDAY=-60MO',
    'FREQ=YEARLY;BYDAY=-56MO',
    'FREQ=YEARLY;BYMONTH=13;BYDAY=1MO',
    'FREQ=YEARLY;BYMONTH=-11;BYDAY=1MO',
    'FREQ=YEARLY;BYMONTH=-12,2;BYDAY=-1SU',
    'FREQ=YEARLY;BYEASTER=-400',
    'FREQ=YEARLY;BYEASTER=-373',
    'FREQ=YEARLY;BYEASTER=-300',
    'FREQ=WEEKLY;BYEASTER=-100,270',
    'FREQ=MONTHLY;INTERVAL=-1',
    'FREQ=YEARLY;INTERVAL=-1;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY=1,15',
    'FREQ=WEEKLY;INTERVAL=-2',
    'FREQ=HOURLY;INTERVAL=-5',
    'FREQ=MINUTELY;INTERVAL=-7;BYDAY=SU',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;INTERVAL=-3;BYMINUTE=5',
    'DTSTART:20260307T000000\nFREQ=DAILY;INTERVAL=0',
    'DTSTART:20260308T000000\nFREQ=YEARLY;INTERVAL=0;BYMONTH=3,4;BYMONTHDAY=8,9,10',
    'DTSTART:20260307T100000\nFREQ=HOURLY;INTERVAL=0',
    'DTSTART:20260307T100000\nFREQ=HOURLY;INTERVAL=0;BYDAY=SA',
    'DTSTART:20260307T100000\nFREQ=MINUTELY;INTERVAL=0;BYHOUR=10',
    'DTSTART:20260307T100000\nFREQ=MINUTELY;INTERVAL=0;BYHOUR=11',
    'FREQ=DAILY;INTERVAL=99999999999999999999999999',
    'FREQ=HOURLY;INTERVAL=99999999999999999999999999;BYHOUR=0,1,2',
    'DTSTART:20260307T000000\nFREQ=MINUTELY;INTERVAL=99999999999999999999999999',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;INTERVAL=9999999999999999999999999',
    'FREQ=DAILY;BYHOUR=99999999999',
    'FREQ=DAILY;BYHOUR=99999999999999999999',
    'FREQ=DAILY;BYHOUR=-99999999999',
    'FREQ=DAILY;COUNT=99999999999999999999999',
    'DTSTART:20260307T000000\nFREQ=HOURLY;BYMINUTE=60',
    'DTSTART:20260307T000000\nFREQ=HOURLY;BYMINUTE=0;BYHOUR=25,3',
    'DTSTART:20260307T000000\nFREQ=MINUTELY;BYSECOND=60',
    'DTSTART:20260307T000000\nFREQ=MINUTELY;BYMINUTE=70',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;BYSECOND=75',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;BYHOUR=30',
    'DTSTART:20260307T000000\nFREQ=MINUTELY;BYHOUR=30',
    'DTSTART:20260307T000000\nFREQ=MINUTELY;INTERVAL=60;BYHOUR=5;BYMINUTE=0',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;INTERVAL=3600;BYHOUR=5;BYMINUTE=0,1',
    'DTSTART:20260307T000000\nFREQ=SECONDLY;INTERVAL=7200;BYHOUR=5',
    'DTSTART:99991231T000000\nFREQ=WEEKLY',
    'DTSTART:99991231T000000\nFREQ=WEEKLY;BYSETPOS=1,2,3;BYDAY=MO,TU,WE,TH,FR,SA,SU',
    'DTSTART:99991231T230000\nFREQ=HOURLY',
    'FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO,TU,WE,TH,FR,SA,SU;WKST=SU',
    'FREQ=YEARLY;BYWEEKNO=-1,53;WKST=TH',
    'DTSTART:00010101T000000\nFREQ=YEARLY;BYWEEKNO=2',
    'DTSTART:00010101T000000\nFREQ=DAILY;COUNT=10',
    'DTSTART:20260308T023000\nFREQ=DAILY;COUNT=3\nEXDATE:20260308T023000',
    'DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nRRULE:FREQ=DAILY;BYHOUR=0\nRDATE:20260308T000000,20260308T000000',
    'DTSTART:20260101T000000\nRRULE:FREQ=MONTHLY;BYDAY=+60MO\nRDATE:20260308T000000',
    'DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nEXRULE:FREQ=MONTHLY;BYDAY=+60MO',
    'DTSTART:20260101T000000\nRRULE:FREQ=DAILY;BYHOUR=1;INTERVAL=-1\nRDATE:20260308T000000',
    'DTSTART:20260101T000000\nFREQ=MONTHLY;BYMONTHDAY=0;COUNT=40',
    'DTSTART:20260101T000000\nFREQ=YEARLY;BYMONTHDAY=0',
    'DTSTART:20260101T000000\nFREQ=YEARLY;BYSETPOS=1',
    'DTSTART:20260101T000000\nFREQ=YEARLY;BYSETPOS=-1;BYMONTH=3',
    'DTSTART:20260101T000000\nFREQ=YEARLY;BYYEARDAY=-366,366',
    'DTSTART:20260101T000000\nFREQ=WEEKLY;BYYEARDAY=-1,1,2;WKST=TH',
    'DTSTART:20260101T000000\nFREQ=WEEKLY;BYMONTHDAY=1,2;WKST=FR;BYSETPOS=-1',
]
edge = []
for s in EDGE:
    start = parse("2026-03-07T12:00:00.000000Z")
    v = verdict(s)
    entry = {"rrule": s, "timezone": "America/New_York", "start": micros(start)}
    if v is not None:
        entry["type"], entry["message"] = v
    else:
        try:
            entry["dates"], err = get_dates(schedule(s, "America/New_York"), 8, start, None, timeout=10)
        except Timeout:
            print("edge: the reference did not finish", repr(s), file=sys.stderr)
            continue
        if err:
            entry["error"] = err
    edge.append(entry)

# Far from DTSTART: each occurrence the reference walks costs it ~5 microseconds; these take it
# 5-30 seconds, so they run once.
FAR_RULES = [
    ("DTSTART:19000101T000000\nRRULE:FREQ=SECONDLY;INTERVAL=997", "America/New_York", "2026-03-08T06:55:00.000000Z"),
    ("DTSTART:19000101T000000\nRRULE:FREQ=MINUTELY;INTERVAL=13;COUNT=6000000", "Europe/London", "2026-03-29T00:40:00.000000Z"),
    ("DTSTART:19700101T000000\nRRULE:FREQ=MINUTELY;INTERVAL=7;BYDAY=SU;BYHOUR=1,2;COUNT=700000", "America/New_York", "2026-03-01T00:00:00.000000Z"),
    ("DTSTART:18000101T000000\nRRULE:FREQ=HOURLY;INTERVAL=5;BYMONTH=3,10", "Australia/Lord_Howe", "2026-10-03T14:00:00.000000Z"),
    ("RRULE:FREQ=SECONDLY;INTERVAL=61;BYHOUR=2;BYMINUTE=30,31", "America/New_York", "2026-03-07T00:00:00.000000Z"),
    ("DTSTART:00010101T000000\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=1,23", "UTC", "2026-01-01T00:00:00.000000Z"),
    # A set whose rule walks a million hours before the start.
    ("DTSTART:19000101T000000\nRRULE:FREQ=HOURLY\nEXDATE:20260308T010000,20260308T030000\nRDATE:20260308T023000,20260308T023001",
     "America/New_York", "2026-03-08T05:00:00.000000Z"),
]
far = []
for s, tz, st in FAR_RULES:
    start = parse(st)
    sched = schedule(s, tz)
    for n, end in [(10, None)]:
        dates, err = get_dates(sched, n, start, end)
        run = {"rrule": s, "timezone": tz, "start": micros(start), "n": n, "dates": dates}
        if err:
            run["error"] = err
        far.append(run)
        print("far", repr(s), len(dates), err, file=sys.stderr)

# The reference computes occurrences 10 at a time (`cache=True`): an exception raised while
# computing the batch holding the last occurrence it uses surfaces, one raised later does not.
# BYEASTER=266 indexes past the end of 2030's table (Easter is late that year).
BATCH_RULES = [
    ("DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;BYEASTER=0,1,2,3,4,5,266", "UTC"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY;BYEASTER=0,1,266;BYHOUR=1,2,3", "America/New_York"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=HOURLY;INTERVAL=7;BYEASTER=0,1,2,266", "Europe/London"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY;BYEASTER=-1,0,1,266;BYHOUR=0,12", "UTC"),
]
batches = []
for s, tz in BATCH_RULES:
    sched = schedule(s, tz)
    runs = []
    for st in ["2026-01-01T00:00:00.000000Z", "2026-06-01T00:00:00.000000Z", "2027-06-01T00:00:00.000000Z"]:
        start = parse(st)
        for n in [1, 2, 5, 9, 10, 11, 12, 15, 19, 20, 21, 25, 30]:
            dates, err = get_dates(sched, n, start, None)
            run = [micros(start), None, n, dates]
            if err:
                run.append(err)
            runs.append(run)
    batches.append({"rrule": s, "timezone": tz, "runs": runs})

# Beyond the reference: SECONDLY from 1900 walks billions of occurrences. Its dates are those of
# the same rule from a DTSTART a whole number of weeks later (every interval below divides a
# week, so the phase is the same), which the reference computes at once.
EQUIVALENT = [
    ("DTSTART:19000101T000000\nRRULE:FREQ=SECONDLY;INTERVAL=7", "DTSTART:20260105T000000\nRRULE:FREQ=SECONDLY;INTERVAL=7",
     "America/New_York", "2026-03-08T06:59:50.000000Z"),
    ("DTSTART:19000101T000000\nRRULE:FREQ=SECONDLY;BYDAY=MO,TU;BYMINUTE=0,30;BYSECOND=5,6",
     "DTSTART:20260105T000000\nRRULE:FREQ=SECONDLY;BYDAY=MO,TU;BYMINUTE=0,30;BYSECOND=5,6", "Europe/London", "2026-03-10T10:00:00.000000Z"),
    ("DTSTART:19000101T000000\nRRULE:FREQ=SECONDLY;INTERVAL=1;BYSETPOS=1", "DTSTART:20260105T000000\nRRULE:FREQ=SECONDLY;INTERVAL=1;BYSETPOS=1",
     "UTC", "2026-06-01T00:00:00.000000Z"),
    ("DTSTART:19000101T000000\nRRULE:FREQ=MINUTELY;INTERVAL=3;BYHOUR=1,2", "DTSTART:20260105T000000\nRRULE:FREQ=MINUTELY;INTERVAL=3;BYHOUR=1,2",
     "America/New_York", "2026-11-01T04:00:00.000000Z"),
]
equivalent = []
for s, eq, tz, st in EQUIVALENT:
    start = parse(st)
    dates, err = get_dates(schedule(eq, tz), 10, start, None)
    equivalent.append({"rrule": s, "same_as": eq, "timezone": tz, "start": micros(start), "n": 10, "dates": dates})

json.dump({"now": micros(NOW.replace(tzinfo=UTC)), "cases": cases, "invalid": invalid, "valid": valid, "fuzz": fuzz,
           "edge": edge, "far": far, "equivalent": equivalent, "batches": batches},
          sys.stdout, separators=(",", ":"), ensure_ascii=False)
print(len(invalid), "invalid", len(valid), "valid", file=sys.stderr)
