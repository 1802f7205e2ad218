# A month of dosing the way the device runs it, for heap budgets (-X heapsize=...): boot from stored
# records (the plan was validated when it was loaded), then wake at each time-driven step, the patient
# pressing TAKE when the dose is ready. Records go to a sink, as they go to flash on the device.
# Prints "heaprun ok <records> <dispensed> <peak bytes>" or dies with MemoryError.

import gc
import sys

from steadydose.controller import Controller
from steadydose.journal import MemoryPlans, rebuild

PLAN = (
    '{"format": "steadydose.plan/1", "plan_id": "heap", "version": 1,'
    ' "medication": {"name": "gabapentin", "unit_mg": 300},'
    ' "posix_tz": "GMT0BST,M3.5.0/1,M10.5.0", "start_date": "2026-03-01",'
    ' "limits": {"max_daily_mg": 1800},'
    ' "steps": [{"doses": [{"time": "08:00", "mg": 600}, {"time": "14:00", "mg": 600},'
    ' {"time": "21:00", "mg": 600}]}], "taper": {"step_mg": 300, "step_days": 7, "min_days": 7}}'
)
START = 68299200  # 2026-03-01T12:00:00Z in device time


class Sink:
    def __init__(self):
        self.n = 0

    def append(self, rec):
        self.n += 1


def main(days):
    import json

    plans = MemoryPlans()
    plans.put(json.loads(PLAN))
    boot = [{"t": START, "e": 0, "event": "refilled", "doses": 28},
            {"t": START, "e": 0, "event": "plan_loaded", "plan_id": "heap", "version": 1}]
    st = rebuild(boot, plans)
    del boot
    c = Controller(st, Sink())
    t = START
    peak = 0
    gc.collect()

    def run(acts):
        q = list(acts)
        while q:
            a = q.pop(0)
            if a[0] == "move":
                q.extend(c.motor_done(t, t - START))

    run(c.power_on(t, 0))
    end = START + days * 86400
    while t < end:
        nd = c.next_due()
        if nd is None:
            break
        t = nd
        run(c.tick(t, t - START))
        if c.shown is not None and c.shown[0] == "dose_ready":
            run(c.take(t, t - START))
        if st.supply < 3:
            run(c.refill(t, t - START, 28))
        if t > START + days * 43200 and st.taper is None:
            run(c.request_stop(t, t - START))  # half way: ask to stop, the taper starts
        used = gc.mem_alloc()
        if used > peak:
            peak = used
    print("heaprun ok", c.journal.n, len(st.dispensed), peak)


main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
