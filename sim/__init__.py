# The CPython simulator of the whole device: virtual clock and hardware, patient models, scenarios.
