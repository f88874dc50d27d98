"""Writing a run's report files: matrix.json, matrix.html and summary.md side by side."""

from __future__ import annotations

from pathlib import Path

from conformance.outcome import Status
from conformance.report import html, summary
from conformance.report.matrix import Change, Matrix, write


def verdict(matrix: Matrix) -> str:
    failing = any(Status(r["status"]).failing for results in matrix["results"].values() for r in results.values())
    return "non-conformant" if failing else "conformant"


def write_reports(
    matrix: Matrix,
    directory: Path,
    *,
    notes: list[str] | None = None,
    regressions: list[Change] | None = None,
    improvements: list[Change] | None = None,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write(matrix, directory / "matrix.json")
    (directory / "matrix.html").write_text(html.render(matrix))
    (directory / "summary.md").write_text(
        summary.render(
            matrix, verdict=verdict(matrix), notes=notes or [], regressions=regressions, improvements=improvements
        )
    )
