# Generates Tests/WeirModelsTests/Schedules/interval.json from the reference's IntervalSchedule
# (prefect==3.9.1 on Python 3.11, which computes with pendulum):
#   python scripts/schedule_tables.py > Tests/WeirModelsTests/Schedules/interval.json
import asyncio, datetime, json, sys
from prefect.server.schemas.schedules import IntervalSchedule
UTC = datetime.timezone.utc
def iso(dt): return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
intervals = [1, 59.5, 60, 900, 3600, 5400, 86400, 90000, 82800, 172800, 604800, 2592000]
zones = [None, "UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo"]
anchors = ["2026-01-01T00:00:00+00:00", "2026-03-07T07:30:00+00:00", "2026-03-28T01:30:00+00:00", "2026-10-03T15:45:00+00:00", "2025-06-15T09:30:00+00:00", "2026-03-08T06:30:00+00:00", "2026-10-25T01:30:00+00:00", "2027-01-01T12:00:00+00:00"]
starts = ["2026-03-07T12:00:00+00:00", "2026-10-24T23:59:59.500000+00:00", "2026-11-01T05:00:00+00:00", "2026-06-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"]
cases = []
k = 0
for i in intervals:
    for z in zones:
        for a in anchors:
            for s in starts:
                k += 1
                if k % 3 and not (z in ("America/New_York", "Australia/Lord_Howe") and i in (3600, 86400, 90000)):
                    continue  # a third of the grid, and all of it where DST matters most
                kw = dict(interval=datetime.timedelta(seconds=i), anchor_date=datetime.datetime.fromisoformat(a))
                if z: kw["timezone"] = z
                sched = IntervalSchedule(**kw)
                start = datetime.datetime.fromisoformat(s)
                end = start + datetime.timedelta(days=40)
                dates = list(sched._get_dates_generator(n=8, start=start, end=end))
                cases.append({"interval": i, "anchor": a, "timezone": z, "stored_timezone": sched.timezone, "start": s, "end": iso(end), "n": 8, "dates": [iso(d) for d in dates]})
json.dump(cases, sys.stdout, indent=0, sort_keys=True)
print(len(cases), file=sys.stderr)
