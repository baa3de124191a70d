"""`/collateral` through signed requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from core.text import TextError, escape
from handlers.collateral import FORM as FORM_ID
from handlers.collateral.parse import (
    CollateralError,
    parse_add,
    parse_find,
    parse_tags,
    parse_vote,
)
from handlers.collateral.views import not_announced
from storage.collateral import (
    NewCollateral,
    collateral_ranking,
    new_collateral,
    unvoted_collateral,
)
from storage.db import session_scope
from storage.models import Collateral, CollateralVote
from tests.factories import add_collateral, add_vote
from tests.fake_slack import TAKE_AND_DROP, FakeSlack
from tests.forms import (
    Payload,
    block_action,
    check_blocks,
    check_view,
    text_value,
    view_submission,
)
from tests.slack_client import SignedSlack, reply_text

EXAMPLE = "add https://example.com/hotel-case-study.pdf Hotel case study #hotels #case-study"


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def vote_click(
    posted: dict[str, Any], vote: str, *, user: str = "U2", team: str = "T1"
) -> dict[str, Any]:
    """The block_actions payload Slack sends when `user` clicks a button of `posted`."""
    buttons = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"]
    button = next(b for b in buttons if b["action_id"] == f"collateral_vote_{vote}")
    ts = "1699999999.000009"  # the clicked message; Tandem updates the one it stored
    return block_action(
        button["action_id"],
        button["value"],
        channel=posted["channel"],
        message_ts=ts,
        team=team,
        user=user,
    )


async def announce(slack: SignedSlack, slack_api: FakeSlack, **options: str) -> dict[str, Any]:
    """Share the SPEC example with `/collateral add`; the announcement Slack received."""
    await slack.command("/collateral", EXAMPLE, **options)
    (posted,) = slack_api.sent("chat.postMessage")
    return posted


def counts_shown(update: dict[str, Any]) -> str:
    context = next(b for b in update["blocks"] if b["type"] == "context")
    return str(context["elements"][0]["text"]).split(" · ", 1)[1]


# Parsing


def test_parse_example() -> None:
    """The SPEC example parses into a link, a title and lower-cased tags."""
    item = parse_add(EXAMPLE.removeprefix("add "))
    assert item == NewCollateral(
        url="https://example.com/hotel-case-study.pdf",
        title="Hotel case study",
        tags=("hotels", "case-study"),
    )


@pytest.mark.parametrize(
    "link",
    [
        "<https://example.com/a.pdf?x=1&amp;y=2>",
        "<https://example.com/a.pdf?x=1&amp;y=2|example.com/a.pdf?x=1&amp;y=2>",
        "https://example.com/a.pdf?x=1&amp;y=2",
    ],
)
def test_slack_link_forms(link: str) -> None:
    """A link arrives bare, in angle brackets, or with a label; the URL is the same."""
    assert parse_add(f"{link} Deck").url == "https://example.com/a.pdf?x=1&y=2"


def test_tags_anywhere() -> None:
    """Tags may stand anywhere after the link and are lower-cased once each."""
    item = parse_add("https://x.io/a #Hotels Hotel <#C1|case-study> case #HOTELS study")
    assert item.title == "Hotel case study"
    assert item.tags == ("hotels", "case-study")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("javascript:alert(1) Nice deck", "url"),
        ("<javascript:alert(1)> Nice deck", "url"),
        ("ftp://example.com/deck.pdf Deck", "url"),
        ("<mailto:a@example.com|a@example.com> Deck", "url"),
        ("https:///no-host Deck", "url"),
        ("example.com/deck Deck", "url"),
        ("", "url"),
        ("https://example.com/deck.pdf", "title"),
        ("https://example.com/deck.pdf #only #tags", "title"),
        ("https://example.com/deck.pdf " + "x" * 301, "title"),
        ("https://example.com/deck.pdf Deck " + " ".join(f"#t{n}" for n in range(11)), "tags"),
    ],
)
def test_bad_items(text: str, field: str) -> None:
    """Links that are not http(s) with a host, and missing titles, are refused by field."""
    with pytest.raises(CollateralError) as caught:
        parse_add(text)
    assert caught.value.field == field


def test_form_tags_and_find_and_votes() -> None:
    """The form's tags, find queries and button values parse; junk is refused."""
    assert parse_tags("#Hotels, case-study") == ("hotels", "case-study")
    with pytest.raises(CollateralError):
        parse_tags("#not/a/tag")
    query = parse_find("Hotel #Case-Study 100%")
    assert query.words == ("Hotel", "100%") and query.tags == ("case-study",)
    with pytest.raises(TextError):
        parse_find("")
    assert parse_vote("12:not_helpful") == (12, "not_helpful")
    assert parse_vote("12:love") is None and parse_vote("x:helpful") is None


def test_not_in_channel_explained() -> None:
    """Slack's refusals are explained to the author in words."""
    assert "/invite @Tandem" in not_announced("not_in_channel", "C9")
    assert "<#C9>" in not_announced("not_in_channel", "C9")
    assert "archived" in not_announced("is_archived", "C9")
    assert "Nothing was shared" in not_announced("fatal_error", "C9")


# Sharing


async def test_add_announces_and_confirms(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """`add` stores the item, announces it with three buttons, and confirms to the author."""
    response = await slack.command("/collateral", EXAMPLE, channel="C7")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "Announced" in response.text and "<#C7>" in response.text
    (posted,) = slack_api.sent("chat.postMessage")
    assert posted["channel"] == "C7"
    check_blocks(posted["blocks"])
    shown = texts(posted["blocks"])
    assert "<https://example.com/hotel-case-study.pdf|Hotel case study>" in shown
    assert "`#hotels` `#case-study`" in shown and "<@U1>" in shown
    labels = [
        e["text"]["text"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Helpful", "Not helpful", "Used in a deal"]
    assert counts_shown(posted) == "0 helpful · 0 not helpful · 0 used in a deal"
    with Session(engine) as session:
        (item,) = session.scalars(select(Collateral)).all()
    assert item.tags == " hotels case-study " and item.team_id == "T1"
    assert item.channel_id == "C7" and item.message_ts


@pytest.mark.parametrize(
    "text",
    [
        "add javascript:alert(1) Click me",
        "add ftp://example.com/a.pdf Deck",
        "add <mailto:a@example.com|a@example.com> Deck",
        "add https://example.com/a.pdf",
        "publish https://example.com/a.pdf Deck",
    ],
)
async def test_bad_add_stores_nothing(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, text: str
) -> None:
    """Bad input is answered with the right form; nothing is stored or posted."""
    response = await slack.command("/collateral", text)
    assert response.status_code == 200
    assert "/collateral add URL TITLE" in reply_text(response)
    assert slack_api.sent("chat.postMessage") == []
    assert count(engine, Collateral) == 0


async def test_mentions_in_titles_stay_text(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """Mentions typed into a title are shown as text, never as live mentions."""
    text = "add https://example.com/a <!channel> &lt;!here&gt; <@U999|bob> &lt;@U998&gt; deck"
    response = await slack.command("/collateral", text)
    (posted,) = slack_api.sent("chat.postMessage")
    for shown in (texts(posted["blocks"]), posted["text"], response.text):
        for live in ("<!channel>", "<!here>", "<@U999", "<@U998"):
            assert live not in shown
    assert "&lt;!here&gt;" in texts(posted["blocks"])


async def test_longest_item_fits(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """The longest link and title allowed make valid blocks whose links are never cut."""
    url = "https://example.com/" + "a" * 1980
    title = "&<>" * 100
    tags = " ".join(f"#{n}" + "t" * 48 for n in range(10))
    response = await slack.command("/collateral", f"add {url} {escape(title)} {tags}")
    assert "Announced" in response.text
    found = await slack.command("/collateral", "find #0" + "t" * 48)
    (posted,) = slack_api.sent("chat.postMessage")
    for blocks in (posted["blocks"], found.json()["blocks"]):
        check_blocks(blocks)
        linked = next(b["text"]["text"] for b in blocks if url in json.dumps(b))
        assert linked.count("<") == linked.count(">") and "|&amp;&lt;&gt;" in linked
    too_long = await slack.command("/collateral", f"add {url}a Deck")
    assert "too long" in too_long.text


async def test_failed_post_keeps_nothing(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack refuses the announcement the author is told and the item is not kept."""
    slack_api.fail("chat.postMessage", 400)
    response = await slack.command("/collateral", EXAMPLE)
    assert "Nothing was shared" in response.text
    assert count(engine, Collateral) == 0


# Voting


async def test_votes_count_once_per_person(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Two people click Helpful and one changes to Not helpful: the counts are 1 and 1."""
    posted = await announce(slack, slack_api, channel="C7")
    for user, vote in (("U2", "helpful"), ("U3", "helpful"), ("U3", "not_helpful")):
        response = await slack.interaction(vote_click(posted, vote, user=user))
        assert response.status_code == 200
    updates = slack_api.sent("chat.update")
    assert len(updates) == 3
    with Session(engine) as session:
        (item,) = session.scalars(select(Collateral)).all()
    assert {(u["channel"], u["ts"]) for u in updates} == {("C7", item.message_ts)}
    for update in updates:
        check_blocks(update["blocks"])
    assert counts_shown(updates[-1]) == "1 helpful · 1 not helpful · 0 used in a deal"
    assert count(engine, CollateralVote) == 2
    receipts = slack_api.sent("chat.postEphemeral")
    assert receipts[-1]["user"] == "U3" and "(was Helpful)" in receipts[-1]["text"]


async def test_votes_stay_in_their_workspace(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """A click from another workspace on this item counts nothing and changes no message."""
    posted = await announce(slack, slack_api, team="T1")
    await slack.interaction(vote_click(posted, "helpful", team="T2"))
    assert count(engine, CollateralVote) == 0
    assert slack_api.sent("chat.update") == []
    (told,) = slack_api.sent("chat.postEphemeral")
    assert "no longer" in told["text"]


# Finding


async def test_find_by_words_and_tags(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`find` matches title words in any case and whole tags, with links and counts."""
    await slack.command("/collateral", EXAMPLE)
    await slack.command("/collateral", "add https://example.com/roi ROI 100% calculator #hotel")
    posted = slack_api.sent("chat.postMessage")
    await slack.interaction(vote_click(posted[0], "used"))

    response = await slack.command("/collateral", "find HOTEL case")
    check_blocks(response.json()["blocks"])
    found = reply_text(response)
    assert "Hotel case study" in found and "1 used in a deal" in found
    assert "ROI" not in found
    tagged = reply_text(await slack.command("/collateral", "find #hotel"))
    assert "ROI 100% calculator" in tagged and "Hotel case study" not in tagged
    # `%` and `_` are literal characters, not wildcards.
    assert "Hotel case" not in reply_text(await slack.command("/collateral", "find %"))
    assert "No collateral matches" in reply_text(await slack.command("/collateral", "find _"))
    other = reply_text(await slack.command("/collateral", "find hotel", team="T2"))
    assert "No collateral matches" in other


async def test_find_newest_first_limited(slack: SignedSlack, db: Any) -> None:
    """`find` lists the newest 20 matches first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(22):
        await db.write(
            add_collateral,
            title=f"Deck {n:02d}",
            url=f"https://x.io/{n}",
            at=start + timedelta(hours=n),
        )
    response = await slack.command("/collateral", "find deck")
    blocks = response.json()["blocks"]
    check_blocks(blocks)
    found = reply_text(response)
    assert found.index("Deck 21") < found.index("Deck 20")
    assert "Deck 01" not in found and "Deck 02" in found
    assert "newest 20" in found


async def test_help_and_modal(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`help` shows the usage; `/collateral` alone opens the form with a channel picker."""
    assert "/collateral add URL TITLE" in reply_text(await slack.command("/collateral", "help"))
    await slack.command("/collateral", "", channel="C7")
    (opened,) = slack_api.sent("views.open")
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM_ID
    picker = opened["view"]["blocks"][-1]["element"]
    assert picker["type"] == "conversations_select"
    assert picker["default_to_current_conversation"] is True


def form_submission(
    *, url: str, title: str, tags: str = "", channel: str = "C8", view_id: str = "V42"
) -> Payload:
    values = {
        "url": {"type": "url_text_input", "value": url},
        "title": text_value(title),
        "tags": text_value(tags or None),
        "channel": {"type": "conversations_select", "selected_conversation": channel},
    }
    return view_submission(FORM_ID, values, view_id=view_id)


async def test_form_announces_in_the_chosen_channel(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Submitting the form shares the item in the channel picked, like `add` does."""
    submission = form_submission(url="https://x.io/deck", title="<!here> Deck", tags="#Hotels")
    response = await slack.interaction(submission)
    assert response.json()["response_action"] == "update"
    check_view(response.json()["view"])
    (posted,) = slack_api.sent("chat.postMessage")
    assert posted["channel"] == "C8"
    announced = texts(posted["blocks"])
    assert "&lt;!here&gt; Deck" in announced and "`#hotels`" in announced
    assert count(engine, Collateral) == 1


@pytest.mark.parametrize(
    ("url", "title", "tags", "field"),
    [
        ("javascript:alert(1)", "Deck", "", "url"),
        ("https://x.io/deck", "  ", "", "title"),
        ("https://x.io/deck", "Deck", "#a/b", "tags"),
    ],
)
async def test_form_errors_name_the_field(
    slack: SignedSlack, engine: Engine, url: str, title: str, tags: str, field: str
) -> None:
    """Bad form input is refused next to the field, and nothing is stored."""
    response = await slack.interaction(form_submission(url=url, title=title, tags=tags))
    assert response.json()["response_action"] == "errors"
    assert field in response.json()["errors"]
    assert count(engine, Collateral) == 0


async def test_form_post_failure_can_be_retried(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """If the announcement fails the form says so by the channel, and the same form can retry."""
    slack_api.fail("chat.postMessage", 400)
    response = await slack.interaction(form_submission(url="https://x.io/d", title="Deck"))
    assert response.json()["response_action"] == "errors"
    assert "Nothing was shared" in response.json()["errors"]["channel"]
    assert count(engine, Collateral) == 0
    response = await slack.interaction(form_submission(url="https://x.io/d", title="Deck"))
    assert response.json()["response_action"] == "update"
    assert count(engine, Collateral) == 1


# Sums for agendas and the Home tab


def test_aggregations_are_scoped_and_bounded(engine: Engine) -> None:
    """New, ranked and unvoted items count only the period's votes in one workspace."""
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    since, until = t0, t0 + timedelta(days=30)
    day = timedelta(days=1)

    with session_scope(engine) as session:
        add, vote = partial(add_collateral, session=session), partial(add_vote, session=session)
        old = add(title="old", at=t0 - 60 * day)
        loved = add(title="loved", at=t0 + day)
        used = add(title="used", at=t0 + 2 * day)
        add(title="quiet", at=t0 + 3 * day)
        add(title="later", at=until + day)
        add(title="elsewhere", team_id="T2", at=t0 + day)
        vote(collateral_id=old, user_id="U1", vote="helpful", at=t0 - 5 * day)  # before the period
        for user in ("U1", "U2"):
            vote(collateral_id=loved, user_id=user, vote="helpful", at=t0 + 4 * day)
        vote(collateral_id=used, user_id="U1", vote="used", at=t0 + 4 * day)
        vote(collateral_id=used, user_id="U2", vote="not_helpful", at=t0 + 4 * day)

    with Session(engine) as session:
        period: dict[str, Any] = {"team_id": "T1", "since": since, "until": until, "limit": 10}
        fresh = new_collateral(session=session, **period)
        ranking = collateral_ranking(session=session, **period)
        unvoted = unvoted_collateral(session=session, **period)
    assert [c.title for c in fresh] == ["quiet", "used", "loved"]
    assert [(s.title, s.helpful, s.not_helpful, s.used) for s in ranking] == [
        ("loved", 2, 0, 0),
        ("used", 0, 1, 1),
    ]
    assert [c.title for c in unvoted] == ["quiet", "old"]


async def test_slow_slack_still_answers_in_time(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack is slow to announce, the sharer is answered in time and the item lands later."""
    release = slack_api.hold("CSLOW")
    started = time.monotonic()
    response = await slack.command(
        "/collateral", "add https://example.com/deck.pdf Deck #sales", channel="CSLOW"
    )
    assert time.monotonic() - started < 2.9
    assert "Not announced yet" in reply_text(response)
    release.set()
    (announced,) = await slack_api.sent_soon("chat.postMessage")
    assert announced["channel"] == "CSLOW"
    assert count(engine, Collateral) == 1
    await asyncio.sleep(0.3)
    assert slack_api.sent("chat.postEphemeral") == []  # it worked: nothing more to tell


async def test_announcement_refused_after_the_answer_is_told_as_it_is(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Five 429s in a row: the sharer is first told the announcement is not in yet and may
    fail, never that it will appear; when Slack gives up, the item goes and they are told."""
    slack_api.fail("chat.postMessage", 429, retry_after=1, times=5)
    response = await slack.command(
        "/collateral", "add https://example.com/deck.pdf Deck #sales", channel="CBUSY"
    )
    answer = reply_text(response)
    assert "Not announced yet" in answer and "will appear" not in answer
    (told,) = await slack_api.sent_soon("chat.postEphemeral", within=10)
    assert (told["channel"], told["user"]) == ("CBUSY", "U1")
    assert told["text"].startswith("Nothing was shared") and "ratelimited" in told["text"]
    assert slack_api.sent("chat.postMessage") == []
    assert count(engine, Collateral) == 0


async def test_announcement_whose_answer_was_lost_keeps_the_item(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Slack takes the announcement but the connection drops before it answers: it is not
    posted again, the item stays (its buttons work), and the sharer is told it may be there."""
    slack_api.fail("chat.postMessage", TAKE_AND_DROP)
    response = await slack.command("/collateral", EXAMPLE, channel="C5")
    assert "may or may not be there" in reply_text(response)
    assert len(slack_api.sent("chat.postMessage")) == 1
    assert count(engine, Collateral) == 1


async def test_slow_count_update_does_not_hold_the_click(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """A click is answered in time while Slack is slow to update the counts; the update follows."""
    posted = await announce(slack, slack_api, channel="C7")
    release = slack_api.hold("C7")
    started = time.monotonic()
    response = await slack.interaction(vote_click(posted, "helpful"))
    assert response.status_code == 200
    assert time.monotonic() - started < 2.9
    assert count(engine, CollateralVote) == 1
    release.set()
    (update,) = await slack_api.sent_soon("chat.update")
    assert counts_shown(update) == "1 helpful · 0 not helpful · 0 used in a deal"
