"""`/collateral`: marketing shares collateral in a channel, and reps say what works."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from logging import Logger
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.services import Services
from handlers import collateral_views as views
from handlers.common import SORRY_STORAGE, team_of, usage_reply
from handlers.text import TextError, escape, first_word, link_url, words
from storage.collateral import (
    VOTES,
    Announced,
    NewCollateral,
    cast_vote,
    discard_collateral,
    find_collateral,
    record_announcement,
    save_collateral,
)
from storage.models import utcnow

USAGE = (
    "*Share:* `/collateral add URL TITLE [#tag …]`, for example "
    "`/collateral add https://example.com/hotel-case-study.pdf Hotel case study #hotels "
    "#case-study`. Only http:// and https:// links. Tandem announces it in this channel with "
    "buttons *Helpful*, *Not helpful* and *Used in a deal*; one vote per person, "
    "clicking another button changes it.\n"
    "*Find:* `/collateral find WORDS` or `/collateral find #tag` · *Form:* `/collateral` on its own"
)
FIND_USAGE = "`/collateral find WORDS` or `/collateral find #tag`, e.g. `/collateral find hotel`"
FIND_LIMIT = 20
TITLE_LIMIT = 300
_MAX_TAGS = 10
_TAG = re.compile(r"#([^\W_][\w-]{0,49})")
_VOTE_VALUE = re.compile(r"([0-9]{1,18}):(" + "|".join(VOTES) + ")")


class CollateralError(ValueError):
    """Input that cannot be stored; `field` names the part that is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_url(url: str) -> str:
    """The URL if it is an http(s) link with a host; else a CollateralError."""
    shown = escape(url if len(url) <= 60 else url[:59] + "…")
    try:
        parts = urlsplit(url)
        web = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # such as an unclosed `[` of an IPv6 host
        web = False
    if not web or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise CollateralError(
            f"“{shown}” is not a web link: only http:// and https:// links can be shared.",
            field="url",
        )
    if len(views.link_target(url)) > views.URL_LIMIT:
        raise CollateralError(
            f"The link is too long ({views.URL_LIMIT:,} characters at most).", field="url"
        )
    return url


def build_collateral(*, url: str, title: str, tags: Iterable[str]) -> NewCollateral:
    """Check an item however it was entered, command or form."""
    url, title = check_url(url.strip()), " ".join(title.split())
    if not title:
        raise CollateralError("Give the item a title after the link.", field="title")
    if len(title) > TITLE_LIMIT:
        raise CollateralError(
            f"The title is too long ({TITLE_LIMIT} characters at most).", field="title"
        )
    unique = tuple(dict.fromkeys(tag.lower() for tag in tags))
    if len(unique) > _MAX_TAGS:
        raise CollateralError(f"Give at most {_MAX_TAGS} tags.", field="tags")
    return NewCollateral(url=url, title=title, tags=unique)


def parse_add(text: str) -> NewCollateral:
    """`URL TITLE [#tag …]` (after `add`) → an item; tags may stand anywhere after the URL."""
    try:
        found = words(text)
    except TextError as error:
        raise CollateralError(escape(str(error)), field="title") from None
    if not found:
        raise CollateralError("Start with the link, then the title.", field="url")
    url = link_url(found[0].raw) or found[0].text
    tags, title = [], []
    for word in found[1:]:
        tag = _TAG.fullmatch(word.text)
        if tag:
            tags.append(tag[1].lower())
        else:
            title.append(word.text)
    return build_collateral(url=url, title=" ".join(title), tags=tags)


def parse_tags(text: str) -> tuple[str, ...]:
    """The form's tags field: `#hotels #case-study`, `hotels, case-study` or a mix."""
    tags = []
    for part in text.replace(",", " ").split():
        tag = _TAG.fullmatch("#" + part.removeprefix("#"))
        if tag is None:
            raise CollateralError(
                f"“{escape(part)}” is not a tag: use letters, digits and dashes, like #case-study.",
                field="tags",
            )
        tags.append(tag[1].lower())
    return tuple(tags)


@dataclass(frozen=True)
class FindQuery:
    words: tuple[str, ...]
    tags: tuple[str, ...]
    text: str


def parse_find(text: str) -> FindQuery:
    """`WORDS|#tag …` → what titles must contain and which tags items must have."""
    found = [word.text for word in words(text)]
    if not found:
        raise TextError("What should I look for?")
    tags = tuple(m[1].lower() for m in map(_TAG.fullmatch, found) if m)
    plain = tuple(word for word in found if not _TAG.fullmatch(word))
    return FindQuery(words=plain[:10], tags=tags[:_MAX_TAGS], text=" ".join(found))


def parse_vote(value: str) -> tuple[int, str] | None:
    match = _VOTE_VALUE.fullmatch(value or "")
    return (int(match[1]), match[2]) if match else None


@dataclass(frozen=True)
class Outcome:
    """What became of a share: announced (`item`), a repeat, or refused (`problem`)."""

    item: Announced | None = None
    repeat: bool = False
    problem: str | None = None


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def share(
        *,
        client: AsyncWebClient,
        logger: Logger,
        team_id: str,
        user_id: str,
        channel_id: str,
        item: NewCollateral,
        receipt: str | None = None,
    ) -> Outcome:
        """Store, announce, remember the announcement; an item that cannot be announced goes."""
        try:
            collateral_id = await db.write(
                save_collateral,
                team_id=team_id,
                user_id=user_id,
                item=item,
                channel_id=channel_id,
                now=utcnow(),
                receipt=receipt,
            )
        except IntegrityError:
            # Another process stored the same receipt first.
            return Outcome(repeat=True)
        if collateral_id is None:
            return Outcome(repeat=True)
        shown = Announced(
            id=collateral_id,
            title=item.title,
            url=item.url,
            tags=item.tags,
            author_id=user_id,
            channel_id=channel_id,
            message_ts=None,
            counts=dict.fromkeys(VOTES, 0),
        )
        try:
            posted = await client.chat_postMessage(
                channel=channel_id,
                text=views.announcement_text(shown),
                blocks=views.announcement(shown),
            )
        except Exception as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else None
            if code is None:
                logger.exception("could not announce collateral")
            try:
                await db.write(
                    discard_collateral,
                    team_id=team_id,
                    collateral_id=collateral_id,
                    receipt=receipt,
                )
            except SQLAlchemyError:
                logger.exception("could not take back collateral that was not announced")
            return Outcome(problem=views.not_announced(code, channel_id))
        try:
            await db.write(
                record_announcement,
                team_id=team_id,
                collateral_id=collateral_id,
                channel_id=posted["channel"],
                message_ts=posted["ts"],
            )
        except SQLAlchemyError:
            # Votes still work: they fall back to the clicked message's own channel and ts.
            logger.exception("could not remember where collateral was announced")
        return Outcome(item=shown)

    @app.command("/collateral")
    async def collateral_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        channel_id = command.get("channel_id", "")
        if not text:
            await ack()
            await client.views_open(
                trigger_id=command["trigger_id"],
                view=views.collateral_form(channel_id=channel_id),
            )
        elif verb == "find":
            await _find(ack=ack, context=context, text=rest)
        elif verb == "help":
            await ack(text=USAGE)
        elif verb != "add":
            await ack(text=usage_reply("Start with `add` or `find`.", USAGE))
        else:
            try:
                item = parse_add(rest)
            except CollateralError as error:
                await ack(text=usage_reply(str(error), USAGE))
                return
            try:
                outcome = await share(
                    client=client,
                    logger=logger,
                    team_id=team_of(context),
                    user_id=command["user_id"],
                    channel_id=channel_id,
                    item=item,
                )
            except SQLAlchemyError:
                logger.exception("could not store collateral")
                await ack(text=SORRY_STORAGE)
                return
            if outcome.item is not None:
                await ack(text=views.confirmation(outcome.item))
            else:
                await ack(text=outcome.problem or views.REPEATED)

    async def _find(*, ack: AsyncAck, context: AsyncBoltContext, text: str) -> None:
        try:
            query = parse_find(text)
        except TextError as error:
            await ack(text=usage_reply(escape(str(error)), FIND_USAGE))
            return
        found = await db.read(
            find_collateral,
            team_id=team_of(context),
            words=query.words,
            tags=query.tags,
            limit=FIND_LIMIT,
        )
        await ack(
            text=f"Collateral matching {escape(query.text)}: {len(found)}",
            blocks=views.find_blocks(found, query=query.text, limit=FIND_LIMIT),
        )

    @app.view(views.FORM_ID)
    async def collateral_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        values = views.read_form(view)
        try:
            item = build_collateral(
                url=values["url"], title=values["title"], tags=parse_tags(values["tags"])
            )
        except CollateralError as error:
            await ack(response_action="errors", errors={error.field: str(error)})
            return
        try:
            outcome = await share(
                client=client,
                logger=logger,
                team_id=team_of(context),
                user_id=body["user"]["id"],
                channel_id=values["channel"],
                item=item,
                receipt=f"view:{view['id']}",
            )
        except SQLAlchemyError:
            logger.exception("could not store collateral from the form")
            await ack(response_action="errors", errors={"title": SORRY_STORAGE})
            return
        if outcome.problem is not None:
            await ack(response_action="errors", errors={"channel": outcome.problem})
        elif outcome.repeat or outcome.item is None:
            await ack(response_action="update", view=views.saved(views.REPEATED))
        else:
            await ack(response_action="update", view=views.saved(views.confirmation(outcome.item)))

    @app.action(re.compile(r"^collateral_vote_(helpful|not_helpful|used)$"))
    async def collateral_voted(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        container = body.get("container") or {}
        channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
        user_id = body["user"]["id"]

        async def tell(text: str) -> None:
            try:
                await client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            except SlackApiError:
                logger.exception("could not answer a collateral vote")

        parsed = parse_vote(action.get("value", ""))
        if parsed is None:
            await ack()
            return
        try:
            result = await db.write(
                cast_vote,
                team_id=team_of(context),
                collateral_id=parsed[0],
                user_id=user_id,
                vote=parsed[1],
                now=utcnow(),
            )
        except SQLAlchemyError:
            logger.exception("could not store a collateral vote")
            await ack()
            await tell(SORRY_STORAGE)
            return
        await ack()
        if result is None:
            await tell(views.GONE)
            return
        item = result.item
        try:
            await client.chat_update(
                channel=item.channel_id or channel_id,
                ts=item.message_ts or container.get("message_ts", ""),
                text=views.announcement_text(item),
                blocks=views.announcement(item),
            )
        except SlackApiError:
            logger.exception("could not update the counts of a collateral announcement")
        await tell(views.vote_receipt(item, vote=result.vote, previous=result.previous))
