# The decision core alone (timebase, regimen, schedule, gate, journal State) deciding a month of TAKE
# presses every 15 minutes, for the 64K heap budget. Prints "gaterun ok <dispensed> <refused>".

import sys

from steadydose import gate
from steadydose.journal import MemoryPlans, State
from steadydose.regimen import parse_plan
from steadydose.schedule import Schedule

PLAN = {
    "format": "steadydose.plan/1", "plan_id": "heap", "version": 1,
    "medication": {"name": "gabapentin", "unit_mg": 300},
    "posix_tz": "GMT0BST,M3.5.0/1,M10.5.0", "start_date": "2026-03-01",
    "limits": {"max_daily_mg": 1800},
    "steps": [{"days": 7, "doses": [{"time": "08:00", "mg": 300}, {"time": "21:00", "mg": 300}]},
              {"doses": [{"time": "08:00", "mg": 600}, {"time": "14:00", "mg": 600}, {"time": "21:00", "mg": 600}]}],
}
START = 68299200  # 2026-03-01T12:00:00Z


def main(days):
    sched = Schedule(parse_plan(PLAN))
    st = State(MemoryPlans())
    given = refused = 0
    t = START
    while t < START + days * 86400:
        d = gate.decide(sched, st, t, t - START, True, False, 28)
        if d.ok:
            st.apply({"t": t, "e": t - START, "event": "dispensed", "slot": d.slot.name, "mg": d.slot.mg,
                      "units": d.slot.units})
            st.supply = 28
            given += 1
        else:
            refused += 1
        t += 900
    print("gaterun ok", given, refused)


main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
