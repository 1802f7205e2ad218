"""Benchmarks: each `benchmarks/bench_*.py` has a `main()` that prints its figures (simulated days per
second, heap high-water mark, flash writes per dose, ...). They never assert times; `python -m benchmarks`
(or `./dev bench`) runs them all. Importing a bench module must do no work; `main()` does it."""
