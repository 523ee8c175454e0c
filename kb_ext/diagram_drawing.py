"""Drawing the diagrams as SVG at build time: layouts per purpose, text measured conservatively.

Every diagram is drawn twice from the same spec: a wide layout for a column of about 688 px (desktop,
print) and a narrow one for a phone's column (about 340 px); ``kb-diagrams.css`` shows one or the
other by the width of the figure (a container query), so labels keep their size instead of a wide
drawing being scaled down. Every string goes through ``xml.etree.ElementTree``, which escapes it:
data is inert text, never markup. Colours are classes styled by ``kb-diagrams.css`` (light and dark
by CSS custom properties), so dark mode needs no re-render.

Text widths are estimated, not measured (no font files at build time): a per-character advance for
a wide sans-serif (DejaVu Sans, which Chromium on Debian uses for ``system-ui``; Arial, Segoe UI and
San Francisco are narrower), so an estimate errs on the wide side and lines wrap early rather than
spill out of their boxes. The browser tests check every label inside its box and no two overlapping.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]
Hrefs = dict[str, str]


@dataclass(frozen=True)
class Layout:
    name: str  # "wide" or "narrow"
    width: int  # the viewBox width, in px at scale 1
    size: float  # label font size, px
    small: float  # secondary text (axis labels, notes), px

    @property
    def line(self) -> float:
        return round(self.size * 1.3, 1)


WIDE = Layout("wide", 668, 14, 13)
NARROW = Layout("narrow", 338, 13, 12)
LAYOUTS = (WIDE, NARROW)

PAD = 8  # inside a box
GAP = 10  # between boxes


# ---------------------------------------------------------------- text


def advance(ch: str) -> float:
    """Advance of one character in em, on the wide side of DejaVu Sans (regular)."""
    if ch == " ":
        return 0.34
    if ch in "il.,:;'|!ı":
        return 0.32
    if ch in "jtfr()[]-/":
        return 0.45
    if ch in "mwMW–—%":
        return 0.98
    if ch.isupper():
        return 0.77
    if ch.isdigit():
        return 0.64
    return 0.62


def text_width(text: str, size: float, bold: bool = False) -> float:
    return sum(advance(ch) for ch in text) * size * (1.12 if bold else 1.0)


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` px; a word longer than a line stays whole (the tests would see it)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


# ---------------------------------------------------------------- SVG primitives


class Svg:
    def __init__(self, layout: Layout, label: str, name: str) -> None:
        self.layout = layout
        self.root = ET.Element("svg", {
            "xmlns": "http://www.w3.org/2000/svg", "class": f"kb-svg kb-svg-{layout.name} kb-svg-{name}",
            "role": "group", "aria-label": label})

    def finish(self, height: float) -> str:
        height = int(round(height + 4))  # 2 px around, so the outer strokes show whole
        self.root.set("viewBox", f"-2 -2 {self.layout.width + 4} {height}")
        self.root.set("width", str(self.layout.width + 4))
        self.root.set("height", str(height))
        return ET.tostring(self.root, encoding="unicode", short_empty_elements=True)


def el(parent: ET.Element, tag: str, cls: str | None = None, **attrs: Any) -> ET.Element:
    attributes = {k.rstrip("_").replace("_", "-"): (f"{v:g}" if isinstance(v, float) else str(v))
                  for k, v in attrs.items() if v is not None}
    if cls:
        attributes["class"] = cls
    return ET.SubElement(parent, tag, attributes)


def link(parent: ET.Element, href: str | None, title: str | None = None, cls: str = "kb-node") -> ET.Element:
    """An ``<a href>`` around an entry's box (a plain group when the entry has no page)."""
    group = el(parent, "a", cls, href=href) if href else el(parent, "g", cls)
    if title:
        el(group, "title").text = title
    return group


def text_lines(parent: ET.Element, lines: list[str], x: float, top: float, size: float, line: float,
               cls: str = "kb-t", anchor: str = "start") -> float:
    """Each line its own ``<text>``; returns the height used."""
    for index, content in enumerate(lines):
        baseline = top + index * line + (line - size) / 2 + size * 0.8
        t = el(parent, "text", cls, x=round(x, 1), y=round(baseline, 1), text_anchor=None if anchor == "start" else anchor)
        t.text = content
    return len(lines) * line


def box(parent: ET.Element, x: float, y: float, w: float, text: str, layout: Layout, *, href: str | None = None,
        title: str | None = None, cls: str = "kb-box", bold: bool = False, center: bool = False,
        min_height: float = 0, lines: list[str] | None = None) -> float:
    """A rectangle with wrapped text, linked when it stands for an entry; returns its height."""
    lines = lines or wrap(text, w - 2 * PAD, layout.size, bold)
    height = max(min_height, 2 * PAD + len(lines) * layout.line)
    group = link(parent, href, title)
    el(group, "rect", cls, x=round(x, 1), y=round(y, 1), width=round(w, 1), height=round(height, 1), rx=4)
    top = y + (height - len(lines) * layout.line) / 2
    text_lines(group, lines, x + w / 2 if center else x + PAD, top, layout.size, layout.line,
               "kb-t kb-b" if bold else "kb-t", "middle" if center else "start")
    return height


def box_height(text: str, w: float, layout: Layout, bold: bool = False) -> float:
    return 2 * PAD + len(wrap(text, w - 2 * PAD, layout.size, bold)) * layout.line


def heading(parent: ET.Element, text: str, x: float, y: float, w: float, layout: Layout) -> float:
    lines = wrap(text, w, layout.size + 1, True)
    return text_lines(parent, lines, x, y, layout.size + 1, round((layout.size + 1) * 1.3, 1), "kb-t kb-b kb-h")


def arrow(parent: ET.Element, x1: float, y1: float, x2: float, y2: float, cls: str = "kb-line") -> None:
    el(parent, "line", cls, x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1))
    if y2 > y1:  # arrowhead pointing down
        el(parent, "path", "kb-head", d=f"M{x2 - 5:g},{y2 - 8:g} L{x2:g},{y2:g} L{x2 + 5:g},{y2 - 8:g} Z")


def grid(parent: ET.Element, items: list[dict[str, Any]], x: float, y: float, w: float, columns: int,
         layout: Layout, hrefs: Hrefs, cls: str) -> float:
    """Cards in rows of ``columns``, each row as tall as its tallest card; returns the height used."""
    card_w = (w - (columns - 1) * GAP) / columns
    top = y
    for start in range(0, len(items), columns):
        row = items[start:start + columns]
        height = max(box_height(i["label"], card_w, layout) for i in row)
        for index, item in enumerate(row):
            box(parent, x + index * (card_w + GAP), top, card_w, item["label"], layout,
                href=hrefs.get(item.get("anchor", "")), title=item.get("title"), cls=cls, min_height=height)
        top += height + GAP
    return top - y - GAP


# ---------------------------------------------------------------- the diagrams


def draw_delegation(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    svg = Svg(layout, spec["label"], "delegation")
    y = 0.0
    for section in spec["sections"]:
        y += heading(svg.root, section["title"], 0, y, layout.width, layout) + 4
        columns = section["columns"][layout.name]
        y += grid(svg.root, section["items"], 0, y, layout.width, columns, layout, hrefs, section["class"]) + 18
    return svg.finish(y - 18)


def draw_measures(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    """Each theme a panel: its title, then its measures as numbered rows; two columns on a wide screen."""
    svg = Svg(layout, spec["label"], "measures")
    columns = 2 if layout is WIDE else 1
    col_w = (layout.width - (columns - 1) * 16) / columns
    badge = 26
    text_w = col_w - badge - 8 - PAD

    tops = [0.0] * columns
    for theme in spec["themes"]:
        column = tops.index(min(tops))
        x, y = column * (col_w + 16), tops[column]
        y += box(svg.root, x, y, col_w, theme["title"], layout, href=hrefs.get(theme["anchor"]),
                 title=f"Theme: {theme['title']}", cls="kb-box kb-theme", bold=True) + 6
        for measure in theme["measures"]:
            lines = wrap(measure["text"], text_w, layout.size)
            height = max(badge, len(lines) * layout.line)
            group = link(svg.root, hrefs.get(measure["anchor"]), f"Measure {measure['number']}")
            el(group, "rect", "kb-row", x=round(x, 1), y=round(y - 2, 1), width=round(col_w, 1), height=round(height + 4, 1), rx=3)
            el(group, "circle", "kb-badge", cx=round(x + badge / 2, 1), cy=round(y + badge / 2, 1), r=badge / 2)
            num = el(group, "text", "kb-t kb-b kb-badge-t", x=round(x + badge / 2, 1), y=round(y + badge / 2 + layout.small * 0.36, 1),
                     text_anchor="middle")
            num.text = str(measure["number"])
            text_lines(group, lines, x + badge + 8, y + (height - len(lines) * layout.line) / 2, layout.size, layout.line)
            y += height + 6
        tops[column] = y + 14
    return svg.finish(max(tops) - 14)


def draw_timeline(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    """Dated events down a line in date order, each at its date; events without a date in a box apart."""
    svg = Svg(layout, spec["label"], "timeline")
    wide = layout is WIDE
    when_w = 150 if wide else 0
    axis_x = when_w + (14 if wide else 8)
    card_x = axis_x + 16
    card_w = layout.width - card_x
    y = 0.0
    axis_top = None
    for event in spec["dated"]:
        title_lines = wrap(event["title"], card_w - 2 * PAD, layout.size)
        when_lines = wrap(event["when"], when_w if wide else card_w - 2 * PAD, layout.small, True)
        if wide:
            height = max(2 * PAD + len(title_lines) * layout.line, len(when_lines) * round(layout.small * 1.3, 1) + 4)
            text_lines(svg.root, when_lines, when_w, y + PAD - 2, layout.small, round(layout.small * 1.3, 1),
                       "kb-t kb-b kb-when", "end")
            group = link(svg.root, hrefs.get(event["anchor"]), event["title"])
            el(group, "rect", "kb-box kb-event", x=card_x, y=round(y, 1), width=round(card_w, 1), height=round(height, 1), rx=4)
            text_lines(group, title_lines, card_x + PAD, y + PAD, layout.size, layout.line)
        else:
            when_h = len(when_lines) * round(layout.small * 1.3, 1)
            height = 2 * PAD + when_h + 2 + len(title_lines) * layout.line
            group = link(svg.root, hrefs.get(event["anchor"]), event["title"])
            el(group, "rect", "kb-box kb-event", x=card_x, y=round(y, 1), width=round(card_w, 1), height=round(height, 1), rx=4)
            text_lines(group, when_lines, card_x + PAD, y + PAD, layout.small, round(layout.small * 1.3, 1), "kb-t kb-b kb-when")
            text_lines(group, title_lines, card_x + PAD, y + PAD + when_h + 2, layout.size, layout.line)
        el(svg.root, "circle", "kb-dot", cx=axis_x, cy=round(y + PAD + layout.line / 2, 1), r=5)
        if axis_top is None:
            axis_top = y + PAD + layout.line / 2
        axis_bottom = y + PAD + layout.line / 2
        y += height + GAP
    if axis_top is not None:
        axis = el(svg.root, "line", "kb-line kb-axis", x1=axis_x, y1=round(axis_top, 1), x2=axis_x, y2=round(axis_bottom, 1))
        svg.root.remove(axis)
        svg.root.insert(0, axis)  # under the dots
    if spec["undated"]:
        y += 14
        x0 = card_x if wide else 0
        y += heading(svg.root, spec["undated_title"], x0, y, layout.width - x0, layout) + 4
        for event in spec["undated"]:
            y += box(svg.root, x0, y, layout.width - x0, event["title"], layout, href=hrefs.get(event["anchor"]),
                     title=event["title"], cls="kb-box kb-event kb-undated") + GAP
    return svg.finish(y - GAP)


def nice_step(top: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 6:
            return step
    return 1000


def draw_chart(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    """Bars on a proportional time axis; actual values solid, the target outlined; values labelled."""
    svg = Svg(layout, spec["label"], "chart")
    wide = layout is WIDE
    size, small = layout.size, layout.small
    y = heading(svg.root, spec["title"], 0, 0, layout.width, layout) + 6
    # legend
    lx = 0.0
    for cls, text in (("kb-bar kb-actual", spec["actual_label"]), ("kb-bar kb-target", spec["target_label"])):
        el(svg.root, "rect", cls, x=lx + 1, y=round(y + 2, 1), width=14, height=12)
        t = el(svg.root, "text", "kb-t kb-small", x=lx + 20, y=round(y + 13, 1))
        t.text = text
        lx += 20 + text_width(text, small) + 18
    y += 26
    left, right = (46 if wide else 34), (40 if wide else 30)
    plot_top, plot_h = y + small * 1.3 + 16, (260 if wide else 220)
    bottom = plot_top + plot_h
    points = spec["points"]
    top_value = max(p["value"] for p in points)
    step = nice_step(top_value)
    y_max = (int(top_value // step) + 1) * step
    years = [p["year"] for p in points]
    first, last = min(years) - 0.6, max(years) + 0.6
    px = lambda year: left + (year - first) / (last - first) * (layout.width - left - right)  # noqa: E731
    py = lambda value: bottom - value / y_max * plot_h  # noqa: E731
    axis_label = el(svg.root, "text", "kb-t kb-small", x=0, y=round(y + small, 1))
    axis_label.text = spec["unit"]
    for value in range(0, y_max + 1, step):
        el(svg.root, "line", "kb-grid", x1=left, y1=round(py(value), 1), x2=layout.width - right, y2=round(py(value), 1))
        t = el(svg.root, "text", "kb-t kb-small", x=left - 6, y=round(py(value) + small * 0.35, 1), text_anchor="end")
        t.text = str(value)
    for year in range(min(years), max(years) + 1):  # a tick every year: the axis is proportional
        el(svg.root, "line", "kb-tick", x1=round(px(year), 1), y1=bottom, x2=round(px(year), 1), y2=bottom + 5)
    bar_w = 40 if wide else 26
    for point in points:
        cx = px(point["year"])
        group = link(svg.root, hrefs.get(point["anchor"]), point["title"])
        kind = "kb-target" if point["target"] else "kb-actual"
        el(group, "rect", f"kb-bar {kind}", x=round(cx - bar_w / 2, 1), y=round(py(point["value"]), 1),
           width=bar_w, height=round(bottom - py(point["value"]), 1))
        value_lines = [point["short"], *(["target"] if point["target"] else [])]
        text_lines(group, value_lines, cx, py(point["value"]) - 4 - len(value_lines) * round(size * 1.2, 1), size,
                   round(size * 1.2, 1), "kb-t kb-b", "middle")
        year = el(svg.root, "text", "kb-t kb-small", x=round(cx, 1), y=round(bottom + 8 + small, 1), text_anchor="middle")
        year.text = str(point["year"])
    el(svg.root, "line", "kb-axis-line", x1=left, y1=bottom, x2=layout.width - right, y2=bottom)
    y = bottom + 8 + small + 16
    source_lines = wrap(spec["source"], layout.width, small)
    y += text_lines(svg.root, source_lines, 0, y, small, round(small * 1.3, 1), "kb-t kb-small kb-source")
    return svg.finish(y)


def draw_team(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    """The team on top and its segments below, a small tree; a child marked ``dashed`` is drawn beside
    them in a dashed box with no line to the team (the text does not say that it belongs to it)."""
    svg = Svg(layout, spec["label"], "team")
    wide = layout is WIDE
    team = spec["team"]
    children = spec["children"]
    if wide:
        team_w = 320
        tx = (layout.width - team_w) / 2
        team_h = box(svg.root, tx, 0, team_w, team["label"], layout, href=hrefs.get(team["anchor"]), title=team["title"],
                     cls="kb-box kb-focus", bold=True, center=True)
        child_w = (layout.width - 2 * 24) / 3
        child_y = team_h + 46
        heights = [box_height(c["label"], child_w, layout) for c in children]
        height = max(heights)
        el(svg.root, "line", "kb-line", x1=layout.width / 2, y1=team_h, x2=layout.width / 2, y2=team_h + 20)
        solid = [i for i, c in enumerate(children) if not c.get("dashed")]
        centre = lambda i: i * (child_w + 24) + child_w / 2  # noqa: E731
        el(svg.root, "line", "kb-line", x1=centre(min(solid)), y1=team_h + 20, x2=centre(max(solid)), y2=team_h + 20)
        for index, child in enumerate(children):
            cx = index * (child_w + 24)
            if not child.get("dashed"):
                arrow(svg.root, cx + child_w / 2, team_h + 20, cx + child_w / 2, child_y, "kb-line")
            box(svg.root, cx, child_y, child_w, child["label"], layout, href=hrefs.get(child.get("anchor", "")),
                title=child.get("title"), cls="kb-box kb-dashed" if child.get("dashed") else "kb-box", min_height=height)
        return svg.finish(child_y + height)
    team_h = box(svg.root, 0, 0, layout.width, team["label"], layout, href=hrefs.get(team["anchor"]), title=team["title"],
                 cls="kb-box kb-focus", bold=True)
    y = team_h + 14
    indent = 26
    trunk = el(svg.root, "line", "kb-line", x1=10, y1=team_h, x2=10, y2=team_h)
    for child in children:
        h = box_height(child["label"], layout.width - indent, layout)
        mid = y + h / 2
        if not child.get("dashed"):
            trunk.set("y2", f"{mid:g}")
            el(svg.root, "line", "kb-line", x1=10, y1=round(mid, 1), x2=indent, y2=round(mid, 1))
        box(svg.root, indent, y, layout.width - indent, child["label"], layout, href=hrefs.get(child.get("anchor", "")),
            title=child.get("title"), cls="kb-box kb-dashed" if child.get("dashed") else "kb-box")
        y += h + GAP
    return svg.finish(y - GAP)


def draw_ecosystem(spec: Spec, layout: Layout, hrefs: Hrefs) -> str:
    """One small top-down view per organisation that others relate to: who, how (the label), to whom."""
    svg = Svg(layout, spec["label"], "ecosystem")
    wide = layout is WIDE
    y = 0.0

    def panel(target: dict[str, Any], x: float, top: float, w: float, draw: bool = True) -> float:
        groups = target["groups"]
        col_gap = 12
        col_w = (w - (len(groups) - 1) * col_gap) / len(groups)
        chip_min = 150
        bottoms = []
        for index, group in enumerate(groups):
            gx = x + index * (col_w + col_gap)
            inner = col_w - 2 * 6
            per_row = max(1, min(len(group["sources"]), int((inner + 8) // (chip_min + 8))))
            chip_w = (inner - (per_row - 1) * 8) / per_row
            gy = top
            if len(group["sources"]) > 1:
                if draw:
                    el(svg.root, "rect", "kb-group", x=round(gx, 1), y=round(top, 1), width=round(col_w, 1), height=0, rx=6)
                gy += 6
            else:
                chip_w, per_row = col_w, 1
            for r in range(0, len(group["sources"]), per_row):
                chips = group["sources"][r:r + per_row]
                h = max(box_height(c["label"], chip_w, layout) for c in chips)
                for k, chip in enumerate(chips):
                    cx = gx + (6 if len(group["sources"]) > 1 else 0) + k * (chip_w + 8)
                    if draw:
                        box(svg.root, cx, gy, chip_w, chip["label"], layout, href=hrefs.get(chip["anchor"]),
                            title=chip["label"], min_height=h)
                gy += h + 8
            gy = gy - 8 + (6 if len(group["sources"]) > 1 else 0)
            if draw and len(group["sources"]) > 1:
                rect = [e for e in svg.root if e.tag == "rect" and e.get("class") == "kb-group" and e.get("height") == "0"][-1]
                rect.set("height", f"{gy - top:g}")
            bottoms.append(gy)
        label_lines = [wrap(g["label"], col_w - 2 * PAD - 4, layout.small) for g in groups]
        label_h = max(len(lines) for lines in label_lines) * round(layout.small * 1.3, 1) + 8
        target_y = max(bottoms) + 16 + label_h + 16
        for index, group in enumerate(groups):
            gx = x + index * (col_w + col_gap) + col_w / 2
            if draw:
                arrow(svg.root, gx, bottoms[index], gx, target_y)
                lines = label_lines[index]
                lw = max(text_width(line, layout.small) for line in lines) + 2 * 6
                ly = max(bottoms) + 16
                el(svg.root, "rect", "kb-label-bg", x=round(gx - lw / 2, 1), y=round(ly, 1), width=round(lw, 1),
                   height=round(label_h, 1), rx=3)
                text_lines(svg.root, lines, gx, ly + 4, layout.small, round(layout.small * 1.3, 1),
                           "kb-t kb-small kb-rel", "middle")
        target_w = min(w, max(200, text_width(target["label"], layout.size, True) + 2 * PAD + 4))
        th = box_height(target["label"], target_w, layout, True)
        if draw:
            box(svg.root, x + (w - target_w) / 2, target_y, target_w, target["label"], layout,
                href=hrefs.get(target["anchor"]), title=target["label"], cls="kb-box kb-focus", bold=True, center=True)
        return target_y + th - top

    big = [t for t in spec["targets"] if sum(len(g["sources"]) for g in t["groups"]) > 1]
    small = [t for t in spec["targets"] if t not in big]
    for target in big:
        y += panel(target, 0, y, layout.width) + 30
    per_row = 2 if wide else 1
    w = (layout.width - (per_row - 1) * 30) / per_row
    for start in range(0, len(small), per_row):
        row = small[start:start + per_row]
        height = max(panel(t, 0, y, w, draw=False) for t in row)
        for index, target in enumerate(row):
            panel(target, index * (w + 30), y, w)
        y += height + 30
    return svg.finish(y - 30)


DRAWERS: dict[str, Callable[[Spec, Layout, Hrefs], str]] = {
    "delegation": draw_delegation,
    "measures": draw_measures,
    "timeline": draw_timeline,
    "chart": draw_chart,
    "team": draw_team,
    "ecosystem": draw_ecosystem,
}


def draw(kind: str, spec: Spec, hrefs: Hrefs) -> str:
    """Both renderings, wide and narrow, as one HTML fragment."""
    drawer = DRAWERS[kind]
    return "".join(drawer(spec, layout, hrefs) for layout in LAYOUTS)
