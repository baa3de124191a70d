"""`/intel` and the "Save as field intel" shortcut: post what the field hears, and search it."""

from __future__ import annotations

import re
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.services import Services
from handlers import intel_views
from handlers.common import SORRY_STORAGE, plural, team_of, usage_reply
from handlers.intel_views import SUBJECT_LIMIT, TEXT_LIMIT, Origin
from handlers.text import TextError, Word, escape, first_word, unescape, words
from storage.intel import KINDS, NewIntel, save_intel, search_intel, search_terms
from storage.models import utcnow

KIND_LIST = ", ".join(f"`{kind}:`" for kind in KINDS)
USAGE = (
    "*Post field intel:* `/intel KIND:SUBJECT what you learned`, for example "
    "`/intel competitor:Acme cut list price 20% in EMEA` or "
    '`/intel customer:"Globex Corp" wants SSO before renewal`.\n'
    f"Kinds: {KIND_LIST} (`market:` may have no subject: `/intel market: buyers are delaying`). "
    "Quote a subject with spaces.\n"
    "*Search:* `/intel search WORDS` · *Form:* `/intel` on its own · "
    "*From a message:* its ⋯ menu, *Save as field intel*"
)
SEARCH_USAGE = "`/intel search WORDS`, for example `/intel search price EMEA`"
SEARCH_LIMIT = 20
_GROUP = re.compile(r"<[^<>]*>")  # Slack's markup: never split, as in handlers.text


class IntelError(ValueError):
    """A post that cannot be stored; `field` names the part that is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def build_intel(*, kind: str, subject: str | None, text: str) -> NewIntel:
    """Check a post however it was entered: command, form or message shortcut."""
    kind, subject, text = kind.strip().lower(), (subject or "").strip() or None, text.strip()
    if kind not in KINDS:
        raise IntelError(f"Pick a kind of intel: {KIND_LIST}.", field="kind")
    if subject is None and kind != "market":
        raise IntelError(
            f"Say which {kind} it is about: `{kind}:Acme`, or quoted with spaces "
            f'`{kind}:"Globex Corp"`.',
            field="subject",
        )
    if subject is not None and len(subject) > SUBJECT_LIMIT:
        raise IntelError(
            f"The subject is too long ({SUBJECT_LIMIT} characters at most).", field="subject"
        )
    if not text:
        raise IntelError("What did you learn? Write it after the subject.", field="text")
    if len(text) > TEXT_LIMIT:
        raise IntelError(f"That is too long ({TEXT_LIMIT:,} characters at most).", field="text")
    return NewIntel(kind=kind, subject=subject, text=text)


def first_word_of(text: str) -> Word | None:
    """The first word of raw text; the free text after it may hold a stray quote."""
    groups = [m.span() for m in _GROUP.finditer(text)]
    # Whitespace inside a quote or a `<…>` group never ends a word, so the first cut
    # whose prefix parses ends the first word; past a subject's length there is no point.
    cuts = [
        i
        for i, c in enumerate(text[: SUBJECT_LIMIT + 100])
        if c.isspace() and not _inside(i, groups)
    ]
    for cut in [*cuts, len(text)]:
        try:
            found = words(text[:cut])
        except TextError:
            continue
        if found:
            return found[0]
    words(text)  # raises the grammar's own error
    return None


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in spans)


def parse_intel(text: str) -> NewIntel:
    """`KIND:SUBJECT text` (the subject quoted if it has spaces) → a post."""
    try:
        first = first_word_of(text)
    except TextError as error:
        raise IntelError(str(error), field="subject") from None
    if first is None or first.key is None:
        raise IntelError(
            f"Start with the kind and subject, like `competitor:Acme`. Kinds: {KIND_LIST}.",
            field="kind",
        )
    if first.key not in KINDS:
        # The key is letters, digits, `_` and `-` only, so it is safe to show back.
        raise IntelError(f"“{first.key}” is not a kind of intel. Kinds: {KIND_LIST}.", field="kind")
    return build_intel(kind=first.key, subject=first.value, text=unescape(text[first.end :]))


def confirmation(intel: NewIntel, *, permalink: bool = False) -> str:
    """The ephemeral receipt for a stored post."""
    label = intel_views.kind_label(intel.kind).lower()
    about = f" about *{escape(intel.subject)}*" if intel.subject else ""
    kept = " with a link to the message" if permalink else ""
    return f"Saved {label} intel{about}{kept}. Find it with `/intel search`."


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    @app.command("/intel")
    async def intel_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        if not text:
            await ack()
            origin = Origin(channel_id=command.get("channel_id") or None)
            await client.views_open(
                trigger_id=command["trigger_id"], view=intel_views.intel_form(origin=origin)
            )
            return
        if verb == "help":
            await ack(text=USAGE)
            return
        if verb == "search":
            await _search(ack=ack, context=context, text=rest)
            return
        try:
            intel = parse_intel(text)
        except IntelError as error:
            await ack(text=usage_reply(str(error), USAGE))
            return
        user_id = command["user_id"]
        try:
            await db.write(
                save_intel,
                team_id=team_of(context),
                intel=intel,
                author_id=user_id,
                posted_by=user_id,
                channel_id=command.get("channel_id") or None,
                now=utcnow(),
            )
        except SQLAlchemyError:
            logger.exception("could not store an intel post")
            await ack(text=SORRY_STORAGE)
            return
        await ack(text=confirmation(intel))

    async def _search(*, ack: AsyncAck, context: AsyncBoltContext, text: str) -> None:
        query = unescape(text).strip()
        terms = search_terms(query.split())
        if not terms:
            await ack(text=usage_reply("What should I look for?", SEARCH_USAGE))
            return
        posts = await db.read(
            search_intel, team_id=team_of(context), words=terms, limit=SEARCH_LIMIT
        )
        await ack(
            text=f"{plural(len(posts), 'intel post')} matching “{escape(query)}”",
            blocks=intel_views.search_blocks(posts, query=query, limit=SEARCH_LIMIT),
        )

    @app.shortcut("save_as_intel")
    async def save_as_intel(
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = shortcut.get("message") or {}
        origin = Origin(
            channel_id=(shortcut.get("channel") or {}).get("id"),
            message_ts=shortcut.get("message_ts") or message.get("ts"),
            # A bot's message has no `user`; the person saving it stands in as its author.
            author_id=message.get("user") or shortcut["user"]["id"],
        )
        await client.views_open(
            trigger_id=shortcut["trigger_id"],
            view=intel_views.intel_form(origin=origin, text=unescape(message.get("text") or "")),
        )

    @app.view(intel_views.FORM_ID)
    async def intel_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        try:
            intel = build_intel(**intel_views.read_form(view))
        except IntelError as error:
            await ack(response_action="errors", errors={error.field: str(error)})
            return
        origin = intel_views.read_origin(view)
        user_id = body["user"]["id"]
        permalink = None
        if origin.channel_id and origin.message_ts:
            permalink = await _permalink(client, origin, logger)
        try:
            await db.write(
                save_intel,
                team_id=team_of(context),
                intel=intel,
                author_id=origin.author_id or user_id,
                posted_by=user_id,
                channel_id=origin.channel_id,
                permalink=permalink,
                now=utcnow(),
                # Slack may deliver one submission twice; the view id makes it one post.
                receipt=f"view:{view['id']}",
            )
        except IntegrityError:
            logger.info("intel form %s was already stored by a concurrent request", view["id"])
        except SQLAlchemyError:
            logger.exception("could not store an intel post from the form")
            await ack(response_action="errors", errors={"text": SORRY_STORAGE})
            return
        await ack(
            response_action="update",
            view=intel_views.saved(confirmation(intel, permalink=permalink is not None)),
        )


async def _permalink(client: AsyncWebClient, origin: Origin, logger: Logger) -> str | None:
    """The message's link; a post is still worth keeping when Slack will not give one."""
    try:
        response = await client.chat_getPermalink(
            channel=origin.channel_id or "", message_ts=origin.message_ts or ""
        )
    except (SlackApiError, SlackClientError):
        logger.warning("no permalink for %s/%s", origin.channel_id, origin.message_ts)
        return None
    link = response.get("permalink")
    return str(link) if link else None
