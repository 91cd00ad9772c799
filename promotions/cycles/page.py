"""What the admin's page of one cycle shows the committee and HR: the calibration board and the
statistics (both read by promotions.cycles.calibration), shaped for the template as small typed
objects, with the charts drawn here on the server as inline SVG (pygal). Nothing on the page loads
from elsewhere, and the charts carry no script: pygal's own, an address on the internet by default,
is left out (`js=[]`), and so are the script of its configuration and its comments."""

import re
from dataclasses import dataclass, field

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from ladder.models import Criterion, Level, Track
from promotions import blind
from promotions.cycles.calibration import RATINGS, calibration_board, cycle_stats
from promotions.models import Cycle, PromotionState, Rating

# The outcomes charted, with their colours (dark enough for white figures printed on them).
OUTCOMES = (
    ("approved", "Approved", "#2e7d32"),
    ("rejected", "Rejected", "#b71c1c"),
    ("withdrawn", "Withdrawn", "#616161"),
    ("open", "Open", "#1565c0"),
)
APPROVAL_COLOUR = "#2e7d32"
FONT = '"Segoe UI", system-ui, Roboto, "Helvetica Neue", Arial, sans-serif'
# Drawn at the width they are shown at in the main column at 1280 px, so that their text is the
# size of the page's; narrower windows scale them down.
CHART_WIDTH = 860
LABELS = dict(Rating.choices)
# pygal always writes its configuration as a script (for its tooltips, which need its script
# from the internet) and comments naming its web site: neither is wanted on the page.
SVG_EXTRAS = re.compile(r"<!--.*?-->|<script\b[^>]*/>|<script\b[^>]*>.*?</script>", re.DOTALL)


@dataclass(frozen=True)
class RatingCell:
    """How many rated one criterion not yet, meets, exceeds; None: not in this packet."""

    counts: dict[str, int] | None

    @property
    def parts(self) -> list[tuple[str, int]]:
        """The non-zero counts, best first: [("exceeds", 1), ("meets", 2)]."""
        if not self.counts:
            return []
        return [(LABELS[r], self.counts[r]) for r in reversed(RATINGS) if self.counts[r]]


@dataclass(frozen=True)
class BoardRow:
    promotion_id: int
    name: str
    username: str | None
    from_level: str
    months_in_level: int | None  # None while blind
    nominated_by: str | None
    state: str
    packet_version: int
    recused: bool  # the viewer is the candidate, the nominator or their manager: no votes shown
    blind: bool  # a blind cycle before the viewer's vote: `name` is a pseudonym, no username
    votes: dict[str, int] | None
    ratings: list[RatingCell] = field(default_factory=list)  # one per criterion of the group


@dataclass(frozen=True)
class BoardGroup:
    level: str
    track: str
    criteria: list[str]  # the titles of the criteria rated, in the level's order
    rows: list[BoardRow]


@dataclass(frozen=True)
class StatsRow:
    label: str
    suppressed: bool
    cells: dict

    @property
    def approval_rate(self) -> str:
        rate = self.cells["approval_rate"]
        return "—" if rate is None else f"{rate * 100:.0f} %"

    @property
    def median_days(self) -> str:
        days = self.cells["median_days_to_decision"]
        return "—" if days is None else f"{days:g}"


@dataclass(frozen=True)
class Breakdown:
    key: str  # level, track, organisation
    title: str
    rows: list[StatsRow]
    chart: SafeString | None  # None: every group of it is suppressed


@dataclass(frozen=True)
class CyclePage:
    cycle: Cycle
    board: list[BoardGroup]
    candidates: int
    min_group: int
    totals: StatsRow
    breakdowns: list[Breakdown]
    approval_chart: SafeString | None
    organisations_hidden: bool = False  # a blind cycle, for anyone but HR (cycle_stats)


def cycle_page(*, cycle: Cycle, viewer) -> CyclePage:
    calibration = calibration_board(cycle=cycle, viewer=viewer)
    stats = cycle_stats(cycle=cycle, viewer=viewer)
    levels = Level.objects.in_bulk(field_name="code")
    criteria = {
        (level, code): (order, title)
        for level, code, order, title in Criterion.objects.filter(
            level__code__in=[group["to_level"] for group in calibration["groups"]]
        ).values_list("level__code", "code", "order", "title")
    }
    states = dict(PromotionState.choices)
    tracks = dict(Track.choices)
    board = []
    for group in calibration["groups"]:
        level = group["to_level"]
        rated = {code for row in group["candidates"] for code in row["ratings"] or {}}
        codes = sorted(rated, key=lambda code: (criteria.get((level, code), (999, code)), code))
        board.append(
            BoardGroup(
                level=_title(levels, level),
                track=tracks.get(group["track"], group["track"]),
                criteria=[criteria.get((level, code), (0, code))[1] for code in codes],
                rows=[_board_row(row, codes, levels, states) for row in group["candidates"]],
            )
        )
    breakdowns = [
        _breakdown("level", "By target level", stats["by_level"], lambda c: _title(levels, c)),
        _breakdown("track", "By track", stats["by_track"], lambda t: tracks.get(t, t)),
        _breakdown("organisation", "By organisation", stats["by_organisation"], str),
    ]
    return CyclePage(
        cycle=cycle,
        board=board,
        candidates=sum(len(group.rows) for group in board),
        min_group=stats["min_group"],
        totals=StatsRow("Whole cycle", stats["totals"]["suppressed"], stats["totals"]),
        breakdowns=breakdowns,
        approval_chart=approval_chart(breakdowns),
        organisations_hidden=cycle.blind_review and blind.may_be_blind(viewer),
    )


def _board_row(row: dict, codes: list[str], levels: dict[str, Level], states: dict) -> BoardRow:
    ratings = row["ratings"] or {}
    return BoardRow(
        promotion_id=row["promotion"],
        name=row["candidate"]["name"],
        username=row["candidate"]["username"],
        from_level=_title(levels, row["from_level"]),
        months_in_level=row["months_in_level"],
        nominated_by=row["nominated_by"],
        state=states.get(row["state"], row["state"]),
        packet_version=row["packet_version"],
        recused=row["recused"],
        blind=row["blind"],
        votes=row["votes"],
        ratings=[RatingCell(ratings.get(code)) for code in codes],
    )


def _title(levels: dict[str, Level], code: str) -> str:
    level = levels.get(code)
    return level.title if level else code


def _breakdown(key: str, title: str, groups: list[dict], label) -> Breakdown:
    rows = [StatsRow(label(group[key]), group["suppressed"], group) for group in groups]
    return Breakdown(key=key, title=title, rows=rows, chart=outcomes_chart(title, rows))


# --- Charts --------------------------------------------------------------------------------------


def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        font_family=FONT,
        background="transparent",
        plot_background="transparent",
        foreground="#333333",
        foreground_strong="#1f1f1f",
        foreground_subtle="#d6d6d6",
        colors=colours,
        title_font_size=17,
        label_font_size=14,
        major_label_font_size=14,
        legend_font_size=14,
        value_font_size=14,
        tooltip_font_size=14,
        opacity="1",
        opacity_hover="1",
        # The figures printed on the bars: white on the dark colours above.
        value_colors=("#ffffff",) * len(colours),
        guide_stroke_color="#d6d6d6",
        major_guide_stroke_color="#bdbdbd",
    )


def _config(*, title: str, bars: int, colours: tuple[str, ...], **options) -> dict:
    return {
        "title": title,
        "style": _style(colours),
        "width": CHART_WIDTH,
        "height": 110 + 46 * bars,
        "js": [],  # by default a script from the internet: never here
        "disable_xml_declaration": True,  # inline in the page
        "print_values": True,
        "print_zeroes": False,
        # Long names (an organisation's head) would squeeze the plot: the tables have them whole.
        "truncate_label": 34,
        "truncate_legend": -1,
        "margin": 12,
        "spacing": 14,
        **options,
    }


def _inline(chart) -> SafeString:
    svg = chart.render(is_unicode=True)
    # pygal escapes every text it writes (XML); a script's text holds no "<" but its end tag.
    return mark_safe(SVG_EXTRAS.sub("", svg))  # noqa: S308


def outcomes_chart(title: str, rows: list[StatsRow]) -> SafeString | None:
    """The published groups' nominations, one bar each, split by outcome."""
    shown = [row for row in rows if not row.suppressed]
    if not shown:
        return None
    chart = pygal.HorizontalStackedBar(
        **_config(
            title=f"Outcomes {title[0].lower()}{title[1:]}",
            bars=len(shown),
            colours=tuple(colour for _, _, colour in OUTCOMES),
            legend_at_bottom=True,
            legend_at_bottom_columns=len(OUTCOMES),
            value_formatter=lambda value: f"{value:g}",
        )
    )
    shown.reverse()  # pygal draws the first bar at the bottom: the table's order, top down
    chart.x_labels = [row.label for row in shown]
    for key, label, _ in OUTCOMES:
        chart.add(label, [row.cells[key] or None for row in shown])
    return _inline(chart)


def approval_chart(breakdowns: list[Breakdown]) -> SafeString | None:
    """The approval rate (approved of decided) of every published group with a decision."""
    bars = [
        (f"{row.label} ({breakdown.key})", row.cells["approval_rate"])
        for breakdown in breakdowns
        for row in breakdown.rows
        if not row.suppressed and row.cells["approval_rate"] is not None
    ]
    if not bars:
        return None
    chart = pygal.HorizontalBar(
        **_config(
            title="Approval rate of decided promotions (%)",
            bars=len(bars),
            colours=(APPROVAL_COLOUR,),
            show_legend=False,
            range=(0, 100),
            print_zeroes=True,  # 0 % is a result, not a missing bar
            value_formatter=lambda value: f"{value:.0f} %",
        )
    )
    bars.reverse()  # the first at the top
    chart.x_labels = [label for label, _ in bars]
    chart.add("Approval rate", [round(rate * 100, 1) for _, rate in bars])
    return _inline(chart)
