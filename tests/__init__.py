# Test package: helpers are imported as `from tests.mpy import ...` (see tests/mpy.py).
