#!/usr/bin/env python3
"""How fast hostile workbooks are refused, as ratios to reading an ordinary file.

The floor is a real teachers file of 500 rows read in the same run. Each hostile file (built
as in tests/test_hostile_imports.py: a declared A1:XFD1048576 with one far row, a row of
16,384 cells, 400,000 blank rows, 2 million styled empty cells) is read through
`imports.read_rows` with the teachers' headers; the script prints the median time, the ratio
to the floor and how the reading ended. Usage: .venv/bin/python bench/hostile_imports.py [--rounds N]
"""
import argparse
import io
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from test_hostile_imports import blank_flood, huge_dimension, huge_row, wide_rows  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402

from app import create_app, imports  # noqa: E402
from app.teachers.services import IMPORT_HEADERS  # noqa: E402
from helpers import xlsx  # noqa: E402


def read(payload):
    """Seconds to read (or refuse) `payload`, and how it ended."""
    data = payload if isinstance(payload, bytes) else payload.getvalue()
    started = time.perf_counter()
    try:
        rows = imports.read_rows(FileStorage(io.BytesIO(data), filename="f.xlsx"), IMPORT_HEADERS)
        outcome = f"read, {len(rows)} rows"
    except imports.ImportRefused as exc:
        outcome = "refused: " + str(exc)[:70]
    return time.perf_counter() - started, outcome, len(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "IMPORT_READ_SECONDS": 30})
    ordinary = [(f"Учитель {n}", "учитель", "математика", 5, "первая", "нет") for n in range(500)]
    files = {"ordinary 500 rows (floor)": lambda: xlsx(IMPORT_HEADERS, ordinary),
             "declared A1:XFD1048576, one far row": lambda: huge_dimension(IMPORT_HEADERS),
             "one row of 16,384 cells": lambda: huge_row(IMPORT_HEADERS),
             "400,000 blank rows": lambda: blank_flood(IMPORT_HEADERS),
             "2,000 rows × 1,000 styled empty cells": lambda: wide_rows(IMPORT_HEADERS)}
    with app.test_request_context():
        results = {}
        for name, make in files.items():
            payload = make()
            timings = [read(payload) for _ in range(args.rounds)]
            results[name] = (statistics.median(t for t, _o, _s in timings), timings[0][1], timings[0][2])
    floor = results["ordinary 500 rows (floor)"][0]
    print(f"{'file':42} {'bytes':>10} {'median ms':>10} {'× floor':>8}  outcome")
    for name, (seconds, outcome, size) in results.items():
        print(f"{name:42} {size:>10,} {seconds * 1000:>10.1f} {seconds / floor:>8.1f}  {outcome}")


if __name__ == "__main__":
    main()
