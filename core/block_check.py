"""What Slack would refuse in a message's or a view's blocks, said the way Slack says it.

The tests hold every payload the app sends to these checks, and the demo's stand-in Slack
refuses what fails them, as Slack would (`invalid_blocks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from core.blocks import MESSAGE_BLOCKS, SECTION_LIMIT, VIEW_BLOCKS


def block_problems(
    blocks: Sequence[Mapping[str, Any]], *, limit: int = MESSAGE_BLOCKS
) -> list[str]:
    """Why Slack would refuse these blocks; empty when it would take them."""
    if not blocks:
        return ["no blocks"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks, more than the {limit} Slack takes")
    for number, block in enumerate(blocks):
        where = f"block {number} ({block.get('type', 'no type')})"
        try:
            parsed = Block.parse(dict(block))
            if parsed is None:
                raise SlackObjectFormationError("not a block")
            parsed.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
            problems.append(f"{where}: {error}")
            continue
        text = block.get("text")
        section = block.get("type") == "section" and isinstance(text, Mapping)
        if section and len(str(text.get("text", ""))) > SECTION_LIMIT:  # type: ignore[union-attr]
            problems.append(f"{where}: text over {SECTION_LIMIT:,} characters")
    return problems


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Why Slack would refuse this modal or Home tab; empty when it would take it."""
    try:
        View(**dict(view)).validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
        return [f"view: {error}"]
    return block_problems(view.get("blocks") or [], limit=VIEW_BLOCKS)
