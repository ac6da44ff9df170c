"""What every benchmark script reports: summary rows and a result with its lines."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One line of the run_all summary table."""

    name: str
    measured: str
    reference: str
    ratio: float
    target: float
    ok: bool


@dataclass
class BenchResult:
    """What one benchmark run found: table rows, report lines, correctness."""

    rows: list[Row] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    correct: bool = True

    @property
    def passed(self) -> bool:
        """Every ratio within target and every correctness check true."""
        return self.correct and all(row.ok for row in self.rows)
