"""Bar charts as inline SVG, drawn on the server (no JavaScript, no CDN).

Only presentation attributes are used (no ``style`` attributes), so the console's
Content-Security-Policy needs no ``unsafe-inline``. Every label is escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_COLOURS = ("#2f5d8a", "#4f7f3a", "#a8652a", "#7a4a8c", "#8a2f3f", "#3f7f7f")


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 640,
    label_width: int = 230,
    bar_height: int = 22,
    colour: str | None = None,
    empty: str = "No data",
) -> Markup:
    """A horizontal bar chart with a label and a count on each bar.

    Args:
        items: ``(label, value)`` pairs, drawn top to bottom.
        title: The accessible title of the chart.
        width: Total width in pixels.
        label_width: Width of the label column.
        bar_height: Height of one bar.
        colour: One colour for every bar; by default the bars cycle through a
            small palette.
        empty: What an empty chart says (in the page's language).

    Returns:
        The ``<svg>`` element, safe to insert into a template.
    """
    gap = 8
    height = max(1, len(items)) * (bar_height + gap) + gap
    top = max((value for _, value in items), default=0) or 1
    plot = width - label_width - 60
    parts = [
        # Scales to its container (no fixed size); the text scales with it.
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append(
            f'<text x="0" y="{bar_height}" font-size="14" fill="#555">'
            f"{escape(empty)}</text>"
        )
    for index, (label, value) in enumerate(items):
        y = gap + index * (bar_height + gap)
        length = round(plot * value / top) if value else 0
        fill = colour or BAR_COLOURS[index % len(BAR_COLOURS)]
        text_y = y + bar_height * 0.7
        parts.append(
            f'<text x="{label_width - 8}" y="{text_y:.1f}" font-size="13" '
            f'text-anchor="end" fill="#222">{escape(_shorten(label))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{max(length, 1)}" '
            f'height="{bar_height}" fill="{fill}" rx="2"><title>{escape(label)}: '
            f"{value}</title></rect>"
        )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{text_y:.1f}" font-size="13" '
            f'fill="#222">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _width(char: str) -> int:
    # A Chinese character is about as wide as two Latin letters.
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _shorten(label: str, limit: int = 34) -> str:
    """``label`` cut to about ``limit`` Latin letters' width, with an ellipsis."""
    if sum(_width(c) for c in label) <= limit:
        return label
    kept, used = [], 0
    for char in label:
        if used + _width(char) > limit - 1:
            break
        kept.append(char)
        used += _width(char)
    return "".join(kept) + "…"
