"""The printed tables."""

from bench.harness import JobResult
from bench.pages import PageResult, with_floor_ratios


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(cell).rjust(width) if index in right else str(cell).ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _mib(value: float) -> str:
    return "<0.1" if value < 0.1 else f"{value:.1f}"


def lifecycle_table(results: list[JobResult]) -> str:
    headers = [
        "job",
        "rows",
        "job s",
        "raw s",
        "job/raw",
        "job rows/s",
        "q/chunk job",
        "q/chunk raw",
        "job SQL time",
        "job ms/chunk first->last",
        "peak MiB job",
        "peak MiB raw",
        "check job/raw",
        "same writes",
    ]
    rows = []
    for result in results:
        first, last = result.orm.meter.chunk_ms_first_last()
        rows.append(
            [
                result.job,
                f"{result.rows:,}",
                f"{result.orm.seconds:.2f}",
                f"{result.raw.seconds:.2f}",
                f"{result.ratio:.1f}x",
                f"{result.rows / result.orm.seconds:,.0f}" if result.orm.seconds else "-",
                result.orm.meter.queries_per_chunk(),
                result.raw.meter.queries_per_chunk(),
                f"{100 * result.orm.sql_share:.0f}%",
                f"{first:.0f} -> {last:.0f}",
                _mib(result.orm.peak_mib),
                _mib(result.raw.peak_mib),
                f"{result.orm.check.label} / {result.raw.check.label}",
                "yes" if result.same_writes else "NO",
            ]
        )
    return table(headers, rows, right=set(range(1, 12)))


def pages_table(results: list[PageResult]) -> str:
    headers = [
        "page", "path", "clients", "requests", "req/s", "x floor", "p50 ms", "p99 ms", "errors", "queries/page", "note"
    ]  # fmt: skip
    ratios = with_floor_ratios(results)
    rows = []
    for result in results:
        queries = "-" if result.queries is None else str(result.queries)
        if result.skipped:
            rows.append(
                [result.name, result.path, "-", "-", "-", "-", "-", "-", "-", queries, f"skipped: {result.skipped}"]
            )
            continue
        ratio = ratios[result.name]
        rows.append(
            [
                result.name,
                result.path,
                str(result.clients),
                f"{result.requests:,}",
                f"{result.rps:.1f}",
                "-" if ratio is None else f"{ratio:.2f}",
                f"{result.p50_ms:.1f}",
                f"{result.p99_ms:.1f}",
                str(result.errors),
                queries,
                f"first error: {result.first_error}" if result.errors else "",
            ]
        )
    return table(headers, rows, right=set(range(2, 10)))


def figures_json(jobs: list[JobResult], pages: list[PageResult], documents=None) -> str:
    """The figures as JSON (`--json PATH`): one object per job and per page, in the printed tables' order, and
    the billing documents' rendering (bench/documents.py) when it ran. Each page carries its requests per second
    over the floor's (`rps_vs_floor`, the page named "floor": the login page, issue 17)."""
    import json

    ratios = with_floor_ratios(pages)

    return json.dumps(
        {
            **(
                {
                    "documents": {
                        "pdfs": documents.rows,
                        "per_second": round(documents.per_second, 2),
                        "peak_mib": round(documents.peak_mib, 1),
                    }
                }
                if documents is not None
                else {}
            ),  # fmt: skip
            "jobs": [
                {
                    "job": result.job,
                    "rows": result.rows,
                    "job_s": round(result.orm.seconds, 3),
                    "raw_s": round(result.raw.seconds, 3),
                    "peak_mib": round(result.orm.peak_mib, 1),
                    "same_writes": result.same_writes,
                    "q_per_chunk": {
                        "job": result.orm.meter.typical_queries_per_chunk(),
                        "raw": result.raw.meter.typical_queries_per_chunk(),
                    },
                }
                for result in jobs
            ],
            "pages": [
                {
                    "page": result.name,
                    "rps": round(result.rps, 1),
                    "rps_vs_floor": ratios[result.name],
                    "p50_ms": round(result.p50_ms, 1),
                    "p99_ms": round(result.p99_ms, 1),
                    "errors": result.errors,
                }
                for result in pages
                if not result.skipped
            ],
        },
        indent=2,
    )
