"""Speed and memory measurements of Q-Arcade, as ratios against baselines run in the same invocation.

Run one from the repository root with ``python -m benchmarks.NAME`` (or ``python benchmarks/NAME.py``);
``benchmarks/README.md`` says what each measures.
"""
