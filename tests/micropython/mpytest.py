# A minimal test harness for scripts run INSIDE MicroPython (there is no pytest there).
# This directory is on MICROPYPATH for every run from tests/mpy.py, so a script just does:
#
#     import mpytest
#     from steadydose.profile import GABAPENTIN, HARD
#     mpytest.check(GABAPENTIN.max_dose.classify(1201) == HARD, "1201 mg is over the hard bound")
#     mpytest.check_eq(GABAPENTIN.max_dose.classify(1200), 0, "1200 mg is fine")
#     mpytest.summary()   # prints "N passed, N failed"; exits with status 1 if any failed
#
# and the pytest side calls run_micropython(script), which fails with the output on a non-zero exit.
# For differential tests: payload() reads the JSON sent on stdin, emit(obj) prints one JSON line
# (mpy_json parses the last line), run_cases(func) does both for a batch of argument lists.
# Plain MicroPython 1.29: %-formatting, no typing, nothing the unix port and the Pico lack.
# ruff: noqa: UP031

import json
import sys

_passed = 0
_failed = 0


def check(cond, msg=""):
    # Count one check; print a FAIL line (not raise) so one run reports every failure. -> bool(cond)
    global _passed, _failed
    if cond:
        _passed += 1
        return True
    _failed += 1
    print("FAIL:", msg)
    return False


def check_eq(got, want, msg=""):
    return check(got == want, "%s: got %r, want %r" % (msg, got, want))


def check_raises(exc_type, fn, *args, **kwargs):
    # fn(*args, **kwargs) must raise exc_type (or a subclass).
    try:
        fn(*args, **kwargs)
    except exc_type:
        return check(True)
    except Exception as e:  # any other exception is the failure being reported
        return check(False, "%r raised %s(%s), want %s" % (fn, type(e).__name__, e, exc_type.__name__))
    return check(False, "%r did not raise %s" % (fn, exc_type.__name__))


def counts():
    return _passed, _failed


def reset():
    global _passed, _failed
    _passed = 0
    _failed = 0


def summary(exit=True):
    # Print "N passed, N failed"; with exit=True a failure ends the process with status 1. -> failed
    print("%d passed, %d failed" % (_passed, _failed))
    if exit and _failed:
        sys.exit(1)
    return _failed


def payload():
    # The JSON value sent on stdin (mpy_json / mpy_call).
    return json.loads(sys.stdin.read())


def emit(obj):
    # Print obj as one JSON line; mpy_json returns the last line printed.
    print(json.dumps(obj))


def run_cases(func, cases=None):
    # Call func(*args) for each args list (default: payload()["cases"]) and emit
    # {"results": [...]}: each the return value, or {"__raised__": exception class name}.
    if cases is None:
        cases = payload()["cases"]
    results = []
    for args in cases:
        try:
            results.append(func(*args))
        except Exception as e:  # the exception is the result being compared
            results.append({"__raised__": type(e).__name__})
    emit({"results": results})
