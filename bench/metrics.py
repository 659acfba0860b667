"""Measuring helpers: queries and SQL time per chunk, peak memory, percentiles."""

import gc
import math
import re
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC_STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class QueryMeter:
    """A `connection.execute_wrapper`: counts queries and the time spent in them, and cuts them into chunks
    at each `chunk_done()` (the jobs' `on_chunk` callback, or the raw baseline's loop)."""

    queries: int = 0
    sql_seconds: float = 0.0
    chunk_queries: list[int] = field(default_factory=list)
    chunk_seconds: list[float] = field(default_factory=list)
    _mark_queries: int = 0
    _mark_time: float = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql_seconds += time.perf_counter() - started
            self.queries += 1

    def start(self) -> None:
        self._mark_queries = self.queries
        self._mark_time = time.perf_counter()

    def chunk_done(self, _rows: int = 0) -> None:
        now = time.perf_counter()
        self.chunk_queries.append(self.queries - self._mark_queries)
        self.chunk_seconds.append(now - self._mark_time)
        self._mark_queries, self._mark_time = self.queries, now

    def queries_per_chunk(self) -> str:
        """The typical count (median), and the range when chunks differ (the first one also creates the run)."""
        if not self.chunk_queries:
            return "-"
        typical = self.typical_queries_per_chunk()
        low, high = min(self.chunk_queries), max(self.chunk_queries)
        return str(typical) if low == high else f"{typical} ({low}-{high})"

    def typical_queries_per_chunk(self) -> int | None:
        """The median count of queries per chunk (None before any chunk): what `--json` gives as q_per_chunk."""
        return int(statistics.median(self.chunk_queries)) if self.chunk_queries else None

    def chunk_ms_first_last(self) -> tuple[float, float]:
        """Mean chunk time of the first and of the last tenth of the chunks: equal when the cost is linear."""
        times = self.chunk_seconds
        if not times:
            return 0.0, 0.0
        tenth = max(1, len(times) // 10)
        return 1000 * statistics.fmean(times[:tenth]), 1000 * statistics.fmean(times[-tenth:])


def _status_kib(key: str) -> int | None:
    try:
        match = re.search(rf"^{key}:\s+(\d+) kB", PROC_STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


class PeakMemory:
    """Peak resident memory of this process during a block, above what it held at the start (MiB).

    Linux lets a process reset its high-water mark (`/proc/self/clear_refs` <- 5), so each block gets its own
    peak at no cost to the code being measured (tracemalloc would slow the ORM down and skew the ratio).
    Elsewhere falls back to the growth of `ru_maxrss`, which only shows a new overall peak.
    """

    def __enter__(self) -> "PeakMemory":
        gc.collect()
        self.exact = True
        try:
            CLEAR_REFS.write_text("5")
        except OSError:
            self.exact = False
        self.start_kib = _status_kib("VmRSS") if self.exact else None
        self.start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.start_kib is None:
            self.exact = False
        self.mib = 0.0
        return self

    def __exit__(self, *exc) -> None:
        peak_kib = _status_kib("VmHWM") if self.exact else None
        if peak_kib is not None:
            self.mib = max(0, peak_kib - self.start_kib) / 1024
        else:
            self.mib = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.start_maxrss) / 1024


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]
