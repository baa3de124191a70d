"""Small pieces agendas are written with: numbers, trends, topics and thread replies."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.blocks import MESSAGE_BLOCKS, Block, header

UP, DOWN, LEVEL = "▲", "▼", "="


def number(value: float, *, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def trend(
    current: float | None,
    previous: float | None,
    *,
    shown: Callable[[float | None], str] = lambda v: number(v or 0),
) -> str:
    """` ▲ from 8` beside a measure: how it moved since the previous quarter."""
    if previous is None:
        return "" if current is None else " (new this quarter)"
    if current is None:
        return f" (last quarter {shown(previous)})"
    if round(current, 6) == round(previous, 6):
        return f" {LEVEL} same as last quarter"
    arrow = UP if current > previous else DOWN
    return f" {arrow} from {shown(previous)}"


def topic(title: str, parts: Iterable[list[Block]]) -> list[Block]:
    """A thread message's blocks: its header, then each part."""
    blocks = [header(title)]
    for part in parts:
        blocks.extend(part)
    return blocks


def messages(topics: Iterable[list[Block]]) -> list[list[Block]]:
    """One thread reply per topic, a long topic split into replies of at most 50 blocks."""
    replies: list[list[Block]] = []
    for blocks in topics:
        for start in range(0, len(blocks), MESSAGE_BLOCKS):
            replies.append(blocks[start : start + MESSAGE_BLOCKS])
    return replies
