# Snapshot of journal.State as a JSON-ready object, and back (pure core: no I/O).
# Used by storage.py to compact the journal: the snapshot holds the state rebuilt from every record up
# to a point, so those records can leave the flash. state_from_obj(state_to_obj(st)) must give a State
# equal to `st` in every attribute (tests/test_storage.py checks this over real runs), so the state
# after "snapshot + later records" is the state after "all records".
#
# The copy is generic (every attribute in st.__dict__ except the derived ones), so a field added to
# State later is carried without editing this file; the round-trip test fails if its value does not
# survive JSON (a set, an object...).
# Derived fields are rebuilt by State's own methods: `base` from the plan store by (plan_id, version),
# `plan` and `sched` by State._set_plan / State._taper_started (so they follow journal.py as it changes).
# Proposed to move into journal.py as State.snapshot() / State.from_snapshot(obj, plans).

from steadydose import journal
from steadydose.journal import State

FORMAT = 1
# not copied: the plan store, the derived plan fields, configuration, and `staged` (plans accepted while
# the motor turned, held in RAM until the move ends: never durable, and empty between inputs)
_DERIVED = ("plans", "base", "plan", "sched", "clock_jump_s", "staged")


def base_ref(st):
    """[plan_id, version] of the state's prescriber plan, or None."""
    if st.base is None:
        return None
    return [st.base.plan_id, st.base.version]


def state_to_obj(st, ref=None):
    """A JSON-ready copy of State `st`. `ref`: [plan_id, version] of the base plan when the caller
    knows it better than st.base (a plan whose file could not be read leaves st.base None)."""
    fields = {}
    tuples = []
    for k in st.__dict__:
        if k in _DERIVED:
            continue
        v = st.__dict__[k]
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            tuples.append(k)  # e.g. doses: [(elapsed, mg)]; JSON makes them lists
        fields[k] = v
    if ref is None:
        ref = base_ref(st)
    return {"format": FORMAT, "base": ref, "tuples": tuples, "fields": fields}


def state_from_obj(obj, plans, clock_jump_s=300):
    """The State a snapshot object describes. Raises ValueError on an unknown snapshot format.
    A base plan the store cannot give leaves base/plan/sched None (the caller reports it)."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError("unknown snapshot format")
    st = State(plans, clock_jump_s)
    fields = obj["fields"]
    for k in fields:
        setattr(st, k, fields[k])
    for k in obj.get("tuples", ()):
        setattr(st, k, [tuple(x) for x in fields[k]])
    ref = obj.get("base")
    if ref is not None:
        raw = plans.get(ref[0], ref[1])
        st.base = journal.parse_plan(raw) if raw is not None else None
    # the derived plan, by State's own code (as _plan_loaded / _taper_started / _discontinued left it)
    taper = st.taper
    st.taper = None
    st.plan = None
    st.sched = None
    if st.base is not None and not st.discontinued:
        st._set_plan(st.base, st.since)
        if taper is not None:
            st._taper_started(taper)
    st.taper = taper
    return st
