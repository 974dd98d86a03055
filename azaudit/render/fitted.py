"""A plain-text table that fits a width: ``azaudit checks`` and ``azaudit frameworks`` on an
80-column terminal. The widest wrappable columns give up width first, down to a floor; text then
wraps inside its cell instead of the terminal wrapping every line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tabulate import tabulate

GAP = 2  # tabulate's "simple" format puts two spaces between columns
HEADER_PADDING = 2  # and makes a column two characters wider than its header (tabulate.MIN_PADDING)
FLOOR = 12  # a wrapped column keeps at least this many characters (or its own width, if less)


def fitted_table(
    rows: Sequence[Sequence[str]], headers: Sequence[str], width: int, wrappable: Mapping[int, int] | None = None
) -> str:
    """``rows`` under ``headers`` as a tabulate "simple" table no wider than ``width`` when the
    columns in ``wrappable`` (index: their floor, else :data:`FLOOR`) can shrink that far;
    columns not named never wrap."""
    widths = [max([len(str(h)) + HEADER_PADDING, *(len(str(row[i])) for row in rows)]) for i, h in enumerate(headers)]
    floors = {i: min(widths[i], floor) for i, floor in (wrappable or {}).items()}
    excess = sum(widths) + GAP * (len(widths) - 1) - width
    while excess > 0:
        shrinkable = [i for i, floor in floors.items() if widths[i] > floor]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    limits: list[int | None] = [widths[i] if i in floors else None for i in range(len(headers))]
    header_limits: list[int | None] = [None if limit is None else limit - HEADER_PADDING for limit in limits]
    # tabulate's stubs say Iterable[int], but it takes None for a column that never wraps
    return tabulate(rows, headers=headers, maxcolwidths=limits, maxheadercolwidths=header_limits)  # type: ignore[arg-type]
