"""How quickly the terminal UI answers: launch -> first paint, -> first question, and (--keys) key latency.

    python benchmarks/tui_bench.py [--runs 3] [--store DIR] [--json] [--keys]

The measuring code is tui/bench.py, which `interviewer bench` also runs; see its docstring.
"""

from tui.bench import main

if __name__ == "__main__":
    main()
