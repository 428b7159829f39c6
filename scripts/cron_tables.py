# Generates Tests/WeirModelsTests/Schedules/cron.json from the reference's CronSchedule (prefect==3.9.1 on
# Python 3.11: `get_dates` -> `_get_dates_generator` -> `_get_dates_whenever`, over the vendored
# croniter):
#   ~/.cache/weir/compat-venv/bin/python scripts/cron_tables.py > Tests/WeirModelsTests/Schedules/cron.json
# A case whose get_dates raises records the exception's type in "error" (and no dates).
import asyncio, datetime, json, sys, warnings
warnings.filterwarnings("ignore")
from prefect.server.schemas.schedules import CronSchedule
from prefect._internal.schemas.validators import validate_cron_string
UTC = datetime.timezone.utc
def iso(dt): return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

# (cron, day_or)
crons = [
    ("* * * * *", True), ("0 * * * *", True), ("*/15 * * * *", True), ("5,20,35 * * * *", True),
    ("10-40/10 * * * *", True), ("45 */2 * * *", True), ("30 2 * * *", True), ("0 1 * * *", True),
    ("15 1,2,3 * * *", True), ("0,30 1-3 * * *", True), ("45 1-2/1 * * *", True), ("0 9 * * mon-fri", True),
    ("0 9 * * MON,WED,FRI", True), ("0 0 * JAN,jul *", True), ("0 0 1 */3 *", True), ("0 12 15 * *", True),
    ("0 0 13 * 5", True), ("0 0 13 * 5", False), ("0 0 1-7 * 1", True), ("0 0 1-7 * 1", False),
    ("0 0 L * *", True), ("30 6 15,L * *", True), ("0 0 5-l/5 * *", True), ("0 0 29 2 *", True),
    ("0 0 * * 5#3", True), ("0 0 * * mon#1,fri#2", True), ("0 0 * * L5", True), ("0 0 * * mon-wed#2", True),
    ("0 0 * * 7", True), ("0 0 * * 5-7", True), ("0 0 * * sat-mon", True), ("0 0 * nov-feb *", True),
    ("0 0 1-31 * 1", True), ("0 0 * * 0-6", True), ("0 0 5-5 * *", True), ("10 3 * * ?", True),
    ("@hourly", True), ("@daily", True), ("@weekly", True), ("@monthly", True), ("@yearly", True),
    ("@annually", True), ("@midnight", True), ("@DAILY", True), ("0 0 15 * 1#2", True),
    ("0 0 30 2 *", True), ("*,5 * * * *", True), ("1-2,*/20 * * * *", True), ("7/20 * * * *", True),
    ("* * * * * */20", True), ("30 2 * * * 15", True), ("0 0 * * * 0", True), ("0 0 0 * * 0", True),
    ("0 0 1 * * 0 2026-2027", True), ("0 0 1 * * 0 2026", True), ("0 0 1 1 * 0 2099", True),
    ("0 0 13 * 5 0 *", False), ("  0   2  *  *  *  ", True), ("\u0663\u0660 * * * *", True),
    ("*/99999999999999999999 * * * *", True), ("0 0 1 1 * 0 2000-1950/7", True), ("0 0 * * mon#0000001", True),
    ("0 0 * * sun-sat#5", True), ("0 0 * * fri-mon#2", True), ("0 0 * * 0#1,1#1,2#1,3#1,4#1,5#1,6#1", True),
    ("0 0 * * *,1#2", True), ("5-3/100 * * * *", True), ("0 0 * 12-1/5 *", True),
]
zones = [None, "UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
starts = [
    "2026-01-01T00:00:00.000000Z", "2026-06-15T12:34:56.789000Z", "2026-05-31T23:59:59.000000Z",
    # US: 2026-03-08 07:00Z (gap), 2026-11-01 06:00Z (fold)
    "2026-03-08T05:50:00.000000Z", "2026-03-08T07:00:00.000000Z", "2026-03-08T07:10:00.000000Z",
    "2026-11-01T04:40:00.000000Z", "2026-11-01T06:00:00.000000Z", "2026-11-01T06:20:00.500000Z",
    # EU: 2026-03-29 01:00Z (gap), 2026-10-25 01:00Z (fold)
    "2026-03-29T00:20:00.000000Z", "2026-03-29T01:15:00.000000Z", "2026-10-25T00:10:00.000000Z",
    "2026-10-25T01:00:00.000000Z", "2026-10-25T01:30:00.250000Z",
    # Lord Howe: 2026-04-04 15:00Z (fold of 30 min), 2026-10-03 15:30Z (gap of 30 min)
    "2026-04-04T14:40:00.000000Z", "2026-04-04T15:10:00.000000Z", "2026-10-03T15:00:00.000000Z",
    "2026-10-03T15:30:00.000000Z", "2026-10-03T15:45:00.000000Z",
]
def parse(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))

def get_dates(sched, n, start, end):
    try:
        return [iso(d) for d in asyncio.run(sched.get_dates(n=n, start=parse(start), end=parse(end) if end else None))], None
    except Exception as e:
        return [], type(e).__name__

cases = []
for cron, day_or in crons:
    for z in zones:
        kw = dict(cron=cron, day_or=day_or)
        if z: kw["timezone"] = z
        sched = CronSchedule(**kw)
        for i, s in enumerate(starts):
            # Every start where the zone has a daylight saving change nearby, three elsewhere
            # (the table stays small enough for the repository).
            if i >= 3 and not (z == "America/New_York" and i <= 8 or z == "Europe/London" and 9 <= i <= 13
                               or z == "Australia/Lord_Howe" and i >= 14):
                continue
            variants = [(10, None), (10, iso(parse(s) + datetime.timedelta(hours=30)))]
            if i % 4 == 0:
                variants += [(None, None), (None, iso(parse(s) + datetime.timedelta(hours=2))), (0, None)]
            for n, end in variants:
                dates, err = get_dates(sched, n, s, end)
                c = {"cron": cron, "day_or": day_or, "timezone": z, "start": s, "end": end, "n": n, "dates": dates}
                if err: c["error"] = err
                cases.append(c)

invalid_strings = [
    "", "* * * *", "* * * * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
    "* * * 0 *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "1,,2 * * * *", "1, * * * *",
    "-1 * * * *", "5-70 * * * *", "a * * * *", "* * * * funday", "* * * jan-foo *", "* * * * mon#6",
    "* * * * mon#0", "* * * * 1#2,3", "* * * * 1-3#2", "? * * * *", "* * ?5 * *", "H * * * *",
    "h(0-5) * * * *", "R * * * *", "* r * * *", "* * * * * R", "@daily ", "@every", "@reboot",
    "* * L-5 * *", "* * l/2 * *", "* * * * L", "0 0 * * 7 0", "0 0 0 * * * 2026", "0 0 * * * 60",
    "* * * * * * 1969", "* * * * * * 2100", "1/2/3 * * * *", "*/5/2 * * * *", "* * * * 1#", "R(5-2) * * * *",
    "R/0 * * * *", "1-2-3 * * * *", "*/x * * * *", "\u00b9 * * * *", "0 0 1 1 * 0 1960-1950/200",
    "0 0 * * *,1#2,3",
]
invalid = []
for s in invalid_strings:
    try:
        validate_cron_string(s)
        print("unexpectedly valid:", repr(s), file=sys.stderr)
    except ValueError as e:
        invalid.append({"cron": s, "message": str(e)})
# Random expressions the reference accepts (every random draw is valid): dates vary per call.
random_valid = ["R/5 * * * *", "r(0-10) * * * *", "R(10-20)/5 * * * *", "0 r(1-5) * * *"]
for s in random_valid:
    for _ in range(20): validate_cron_string(s)
valid_extra = ["0 0 * * * 0", "0-7 * * * *", "5 4 * * sun#1", "\u0663 * * * *", "* * * * \u0661#\u0662",
               "0 0 * * * 0 *", "@wee\u212aly", "* * ? * ?", "0 0 1 1 * 0 1970-2099/7",
               "1\u00a0* * * *", "0 0 * * 1-7", "0 0 * * * 0 1970-2099"]
for s in valid_extra: validate_cron_string(s)
# Seeded random strings from cron's vocabulary (no `R`, whose draws are random): the
# reference's verdict, and for valid ones 8 dates from 2026-03-07 in America/New_York.
import random
rnd = random.Random(20260307)
good = ["*", "0", "1", "2", "3", "5", "6", "7", "12", "15", "29", "30", "31", "mon", "FRI", "sun", "sat", "jan", "Dec", "l"]
weird = ["?", "L", "13", "23", "24", "32", "59", "60", "00", "007", "feb", "foo", "h", "1970", "2026", "2099",
         "2100", "\u0663", "\uff15", "\u00b2"]
weird_rate = 0.2
def atom(): return rnd.choice(weird if rnd.random() < weird_rate else good)
def fuzz_item():
    k = rnd.random()
    a = atom()
    if k < 0.3: return a
    if k < 0.55: return a + "-" + atom()
    if k < 0.7: return a + "/" + rnd.choice(["0", "1", "2", "3", "5", "7", "15", "100", "x", ""])
    if k < 0.8: return a + "-" + atom() + "/" + rnd.choice(["1", "2", "3", "5", "0", "40"])
    if k < 0.9: return a + "#" + rnd.choice(["0", "1", "2", "3", "5", "6", "", "l"])
    return rnd.choice(["l", "L"]) + rnd.choice(["0", "1", "5", "6", "7", "8", ""])
def fuzz_field():
    return ",".join(fuzz_item() for _ in range(rnd.choice([1, 1, 1, 2, 3])))
fuzz = []
tz_start = parse("2026-03-07T12:00:00.000000Z")
seen = set()
while len(fuzz) < 3000:
    if len(fuzz) >= 1500: weird_rate = 0.0  # then mostly valid strings
    count = rnd.choice([4, 5, 5, 5, 5, 6, 6, 7, 7, 8] if weird_rate else [5, 5, 5, 6, 7])
    fields = []
    for i in range(count):
        plain = {0: ["0", "30", "*/20"], 1: ["0", "2", "*"], 2: ["*", "1", "15"], 3: ["*"], 4: ["*", "1"],
                 5: ["0", "*"], 6: ["*", "2026"]}.get(i, ["*"])
        fields.append(fuzz_field() if rnd.random() < 0.3 else rnd.choice(plain))
    cron = " ".join(fields)
    if cron in seen: continue
    seen.add(cron)
    day_or = rnd.random() < 0.7
    entry = {"cron": cron, "day_or": day_or, "message": None, "dates": []}
    try:
        validate_cron_string(cron)
    except ValueError as e:
        entry["message"] = str(e)
    if entry["message"] is None:
        sched = CronSchedule(cron=cron, day_or=day_or, timezone="America/New_York")
        entry["dates"], err = get_dates(sched, 8, "2026-03-07T12:00:00.000000Z", None)
        if err: entry["error"] = err
    fuzz.append(entry)
print(sum(f["message"] is None for f in fuzz), "fuzz valid", file=sys.stderr)

json.dump({"cases": cases, "fuzz": fuzz, "invalid": invalid, "random_valid": random_valid, "valid": valid_extra}, sys.stdout,
          separators=(",", ":"), sort_keys=True, ensure_ascii=False)
print(len(cases), "cases", len(invalid), "invalid", file=sys.stderr)
