"""The admin's adverse-impact page (People analytics): the report of analytics.adverse_impact for
the category and cycles chosen, shaped for the template with bars drawn on the server (plain HTML,
nothing loaded from elsewhere), and the same numbers as CSV."""

from dataclasses import dataclass

from promotions.cycles.calibration import csv_text

STAGE_TITLES = {
    "nomination": "Nomination: nominated of eligible",
    "approval": "Approval: approved of decided",
    "overall": "Overall: approved of eligible",
}
CSV_HEADER = (
    "stage",
    "group",
    "selected",
    "pool",
    "rate",
    "impact_ratio",
    "four_fifths",
    "fisher_p",
    "shortfall",
    "suppressed",
)


@dataclass(frozen=True)
class Bar:
    group: dict
    width: float  # percent of the chart's width (the rate)

    @property
    def label(self) -> str:
        if self.group["suppressed"]:
            return "suppressed"
        rate = self.group["rate"]
        return "—" if rate is None else f"{rate * 100:.1f} %"


@dataclass(frozen=True)
class StageView:
    stage: str
    title: str
    bars: list[Bar]
    line: float | None  # four fifths of the highest published rate, percent; None: none

    @property
    def flagged(self) -> list[str]:
        return [bar.group["group"] for bar in self.bars if bar.group["four_fifths"]]


def stage_views(report: dict) -> list[StageView]:
    views = []
    for stage in report["stages"]:
        rates = [g["rate"] for g in stage["groups"] if g["rate"] is not None]
        best = max(rates, default=None)
        bars = [
            Bar(group=g, width=0.0 if g["rate"] is None else g["rate"] * 100)
            for g in stage["groups"]
        ]
        views.append(
            StageView(
                stage=stage["stage"],
                title=STAGE_TITLES[stage["stage"]],
                bars=bars,
                line=None if not best else best * 80,
            )
        )
    return views


def report_csv(report: dict) -> str:
    rows = [
        [
            stage["stage"],
            g["group"],
            *("" if g[cell] is None else str(g[cell]) for cell in CSV_HEADER[2:]),
        ]
        for stage in report["stages"]
        for g in stage["groups"]
    ]
    return csv_text(rows, header=CSV_HEADER)
