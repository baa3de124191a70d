"""`/competitor`: cards, edits, aliases and the list, through signed requests on SQLite and
PostgreSQL; and the same competitor names in intel, deals, agendas and Home."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from core.competitors import competitor_key, nearest_names
from handlers.competitor import FORM, SHARE
from handlers.competitor.parse import CompetitorError, parse_aliases, parse_name
from scheduler.agenda import build_agenda
from storage.db import alembic_config, make_engine, session_scope
from storage.models import CompetitorAlias, CompetitorCard, IntelPost, WinLoss
from tests.clock import SetClock
from tests.factories import add_collateral, add_intel, add_result, add_vote, make_cadence
from tests.fake_slack import FakeSlack
from tests.forms import block_action, check_blocks, check_view, text_value, view_submission
from tests.slack_client import SignedSlack, reply_text

DAY = timedelta(days=1)


def blocks_of(response: httpx.Response) -> list[dict[str, Any]]:
    data = response.json()
    assert "response_type" not in data or data["response_type"] == "ephemeral"
    blocks: list[dict[str, Any]] = data["blocks"]
    return blocks


def shown(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def share_button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    (button,) = actions["elements"]
    assert button["action_id"] == SHARE and button["text"]["text"] == "Share in channel"
    return dict(button)


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# Names


@pytest.mark.parametrize(
    "typed", ["Acme", "acme", "ACME", "  Acme ", "competitor:Acme", "Competitor: ACME"]
)
def test_one_key_whatever_the_spelling(typed: str) -> None:
    """Case, spacing and a leading `competitor:` make no difference to the key."""
    assert competitor_key(typed) == "acme"
    assert competitor_key("Acme   Corp") == competitor_key("acme corp") == "acme corp"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_parsers_refuse_only_with_their_error(text: str) -> None:
    """Whatever is typed, the parsers return a name or refuse with CompetitorError."""
    for parse in (parse_name, parse_aliases):
        with contextlib.suppress(CompetitorError):
            parse(text)
    assert competitor_key(competitor_key(text)) == competitor_key(text)


def test_parse_names_and_aliases() -> None:
    """Names are unquoted and unescaped; an alias line gives the competitor and its spellings."""
    assert parse_name('"Acme &amp; Sons"') == "Acme & Sons"
    request = parse_aliases("Acme = Acme Corp, AcmeSoft")
    assert (request.name, request.aliases) == ("Acme", ("Acme Corp", "AcmeSoft"))
    for bad in ("Acme Acme Corp", "Acme =", "= Acme Corp", "Acme = ACME, acme"):
        with pytest.raises(CompetitorError):
            parse_aliases(bad)


def test_nearest_names() -> None:
    """A misspelt name finds the known one; an unrelated one finds nothing."""
    known = ["Acme", "Initech", "Globex Corp"]
    assert nearest_names("Acmee", known) == ["Acme"]
    assert nearest_names("globex  CORP", known)[0] == "Globex Corp"
    assert nearest_names("Zyxwvut", known) == []


# The card


async def test_card_gathers_intel_deals_and_collateral(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """Three intel posts, a loss and a win in any case, and collateral tagged #acme make one
    ephemeral card: 3 posts with links, 1 win, 1 loss, 50%, the loss reason, the collateral."""
    start = clock.now
    for i, text in enumerate(["cut list price 20% in EMEA", "new CEO", "launched an AI add-on"]):
        clock.now = start.replace(hour=9 + i)
        await slack.command("/intel", f"competitor:Acme {text}", user=f"U{i + 1}", channel="C5")
    clock.now = start
    await slack.command(
        "/winloss", "loss D1 competitor:acme amount:$48,000 price was 30% higher", user="U2"
    )
    await slack.command("/winloss", "win D2 competitor:ACME loved the onboarding", user="U3")
    await slack.command(
        "/collateral", "add https://example.com/acme-battlecard.pdf Acme battlecard #acme"
    )
    announced = slack_api.sent("chat.postMessage")
    assert len(announced) == 1  # the collateral announcement, and nothing else

    response = await slack.command("/competitor", "Acme")
    blocks = blocks_of(response)
    check_blocks(blocks)
    card = shown(blocks)
    assert "Competitor: Acme" in card
    assert "*Intel, last 90 days:* 3 posts, newest first" in card
    for i, text in enumerate(["cut list price 20% in EMEA", "new CEO", "launched an AI add-on"]):
        assert f"{text} — <@U{i + 1}> · Nov 16, 2026 · in <#C5>" in card
    assert card.index("launched an AI add-on") < card.index("new CEO")  # newest first
    assert "1 won · 1 lost · win rate *50%* · amount lost $48,000" in card
    assert "price was 30% higher" in card
    assert "<https://example.com/acme-battlecard.pdf|Acme battlecard>" in card
    assert "nobody has reviewed this card yet" in card
    share_button(blocks)
    assert len(slack_api.sent("chat.postMessage")) == 1  # the card was not posted


async def test_card_links_to_the_original_message(slack: SignedSlack, engine: Engine) -> None:
    """A post saved from a message links to it; collateral is ordered most helpful first."""
    link = "https://example.slack.com/archives/C1/p1700000000000001"
    with session_scope(engine) as s:
        at = datetime(2026, 11, 1, tzinfo=UTC)
        add_intel(session=s, subject="Acme", text="from a thread", permalink=link, at=at)
        weak = add_collateral(session=s, title="Weak deck", tags=["acme"], at=at)
        strong = add_collateral(session=s, title="Strong deck", tags=["acme", "emea"], at=at)
        add_collateral(session=s, title="Untagged deck", tags=["acmesoft"], at=at)
        add_vote(session=s, collateral_id=strong, user_id="U1", at=at)
        add_vote(session=s, collateral_id=strong, user_id="U2", at=at)
        add_vote(session=s, collateral_id=weak, user_id="U1", vote="not_helpful", at=at)
    card = shown(blocks_of(await slack.command("/competitor", "acme")))
    assert f"<{link}|original message>" in card
    assert card.index("Strong deck") < card.index("Weak deck")
    assert "Untagged deck" not in card


async def test_unknown_name_suggests_the_nearest(slack: SignedSlack, engine: Engine) -> None:
    """`/competitor Acmee` suggests Acme; with no competitor known it says how to start."""
    first = reply_text(await slack.command("/competitor", "Acmee"))
    assert "knows no competitor called “Acmee” yet" in first
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme", at=datetime(2026, 11, 1, tzinfo=UTC))
        add_result(session=s, competitor="Initech", at=datetime(2026, 11, 1, tzinfo=UTC))
    reply = reply_text(await slack.command("/competitor", "Acmee"))
    assert "Did you mean *Acme*?" in reply and "Initech" not in reply
    assert count(engine, CompetitorCard) == 0


async def test_share_posts_exactly_the_card(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Share in channel posts the card, as shown, for everyone, saying who shared it; nothing
    else reaches the channel."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme Corp", at=datetime(2026, 11, 10, tzinfo=UTC))
        add_result(
            session=s,
            outcome="loss",
            competitor="acme  corp",
            at=datetime(2026, 11, 10, tzinfo=UTC),
        )
    blocks = blocks_of(await slack.command("/competitor", "acme corp", channel="C3"))
    button = share_button(blocks)
    assert slack_api.sent("chat.postMessage") == []
    click = block_action(SHARE, button["value"], channel="C3", message_ts="1700000000.000001")
    click["container"]["is_ephemeral"] = True
    response = await slack.interaction(click)
    assert response.status_code == 200
    (posted,) = await slack_api.sent_soon("chat.postMessage")
    assert posted["channel"] == "C3"
    check_blocks(posted["blocks"])
    without_button = [b for b in blocks if b["type"] != "actions"]
    context = without_button[1]["elements"][0]["text"]
    without_button[1]["elements"][0]["text"] = context + " · Shared by <@U2>"
    assert posted["blocks"] == without_button
    assert "Acme Corp" in posted["text"]
    assert slack_api.sent("chat.postEphemeral") == []
    assert [c.method for c in slack_api.calls] == ["chat.postMessage"]


async def test_share_refused_by_slack_tells_the_clicker(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack will not post the card, only the clicker hears why."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme", at=datetime(2026, 11, 10, tzinfo=UTC))
    button = share_button(blocks_of(await slack.command("/competitor", "Acme")))
    slack_api.fail("chat.postMessage", 500, times=5)
    click = block_action(SHARE, button["value"], channel="C1", message_ts="1700000000.000001")
    await slack.interaction(click)
    (told,) = await slack_api.sent_soon("chat.postEphemeral", within=15)
    assert told["user"] == "U2" and "not shared" in told["text"]


async def test_card_of_500_posts_and_200_deals_fits(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """However much data there is, the card stays within Block Kit's limits, lists cut with
    "and N more"; shared, it still fits."""
    long = "x" * 2980
    with session_scope(engine) as s:
        for i in range(500):
            add_intel(
                session=s,
                subject="Acme",
                text=f"{i} <!channel> {long}",
                author="U9",
                permalink="https://example.slack.com/archives/C1/p" + "1" * 400,
                at=clock.now - timedelta(minutes=i + 1),
            )
        for i in range(200):
            add_result(
                session=s,
                outcome="loss" if i % 2 else "win",
                deal=f"D{i}",
                competitor="ACME",
                amount=Decimal("999999999.99"),
                reason=f"reason {i} " + "y" * 2900,
                at=clock.now - timedelta(minutes=i + 1),
            )
        for i in range(30):
            add_collateral(
                session=s,
                title=f"Deck {i} " + "<@U1>" * 40,
                url="https://example.com/" + "z" * 1900,
                tags=["acme"],
                at=clock.now,
            )
        long_text = {field: "w" * 2000 for field in ("why_win", "why_lose", "pitch", "answer")}
        s.add(
            CompetitorCard(
                team_id="T1",
                competitor_key="acme",
                name="Acme",
                reviewed_by="U1",
                reviewed_at=clock.now,
                **long_text,
            )
        )
        for i in range(40):
            s.add(
                CompetitorAlias(
                    team_id="T1",
                    alias_key=f"acme {i}",
                    alias=f"Acme {i}" + "v" * 150,
                    competitor_key="acme",
                    created_by="U1",
                )
            )
    blocks = blocks_of(await slack.command("/competitor", "Acme"))
    check_blocks(blocks)
    card = shown(blocks)
    assert "500 posts" in card and "and 495 more posts" in card
    assert "100 won · 100 lost · win rate *50%*" in card
    assert "and 25 more items" in card and "and 30 more" in card
    assert "<!channel>" not in card and "&lt;@U1&gt;" in card
    assert "<@U1>" not in card.replace("by <@U1>", "")
    button = share_button(blocks)
    click = block_action(SHARE, button["value"], channel="C1", message_ts="1700000000.000001")
    await slack.interaction(click)
    (posted,) = await slack_api.sent_soon("chat.postMessage")
    check_blocks(posted["blocks"])


# Editing


def submit_card(name: str, *, user: str = "U7", **fields: str) -> dict[str, Any]:
    values = {"name": text_value(name)}
    values |= {field: text_value(text) for field, text in fields.items()}
    return view_submission(FORM, values, user=user, metadata='{"channel_id": "C1"}')


async def test_edit_saves_four_fields_and_shows_the_reviewer(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """`/competitor edit Acme` opens the form; saving stores the four fields with who reviewed
    the card and when; editing again opens the form prefilled; past 90 days it is stale."""
    assert (await slack.command("/competitor", "edit Acme")).status_code == 200
    (opened,) = slack_api.sent("views.open")
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM
    fields = {
        "why_win": "Onboarding in days",
        "why_lose": "They undercut <!here> on price",
        "pitch": "All-in-one suite",
        "answer": "Show the three-year cost",
    }
    response = await slack.interaction(submit_card("acme", **fields))
    assert response.json()["response_action"] == "update"
    assert "Saved the card of *acme*" in json.dumps(response.json()["view"])

    card = shown(blocks_of(await slack.command("/competitor", "ACME")))
    for label, text in zip(
        ("Why we win", "Why we lose", "Their pitch", "How to answer"),
        ("Onboarding in days", "They undercut &lt;!here&gt; on price", "All-in-one suite"),
        strict=False,
    ):
        assert f"*{label}*\\n{text}" in card
    assert "Show the three-year cost" in card
    assert "Reviewed by <@U7> on 16 Nov 2026" in card and "Stale" not in card

    slack_api.reset()
    await slack.command("/competitor", "edit ACME")
    (opened,) = slack_api.sent("views.open")
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in opened["view"]["blocks"]
        if b["type"] == "input"
    }
    assert initial == {"name": "acme", **fields}

    clock.advance(timedelta(days=91))
    card = shown(blocks_of(await slack.command("/competitor", "acme")))
    assert "*Stale:* Reviewed by <@U7> on 16 Nov 2026, over 90 days ago" in card


async def test_form_refuses_a_card_without_a_name(slack: SignedSlack, engine: Engine) -> None:
    """`/competitor` alone opens the form; a form without a name is refused beside it."""
    assert (await slack.command("/competitor", "")).status_code == 200
    response = await slack.interaction(submit_card("  ", why_win="fast"))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"name": "Which competitor? Give its name, like `Acme`."},
    }
    assert count(engine, CompetitorCard) == 0


# Aliases and the list


async def test_alias_joins_earlier_spellings_everywhere(
    slack: SignedSlack, engine: Engine, clock: SetClock
) -> None:
    """After `/competitor alias Acme = Acme Corp`, intel and deals stored before under
    "Acme Corp" count on Acme's card and in the list; the stored rows stay as they were."""
    clock.now -= timedelta(days=5)
    await slack.command("/intel", 'competitor:"Acme Corp" opened an office in Berlin')
    await slack.command("/intel", 'competitor:"Acme   Corp" hired our VP sales')
    await slack.command("/winloss", 'loss D9 competitor:"Acme Corp" price')
    clock.now += timedelta(days=5)
    await slack.command("/intel", "competitor:Acme cut list price 20% in EMEA")
    await slack.command("/intel", "competitor:Initech new logo")
    before = reply_text(await slack.command("/competitor", "list"))
    assert "*Acme Corp* — 2 intel posts · 1 deal" in before
    assert "*Acme* — 1 intel post · 0 deals" in before

    reply = reply_text(await slack.command("/competitor", "alias Acme = Acme Corp, AcmeSoft"))
    assert "“Acme Corp”, “AcmeSoft” now count as *Acme* everywhere" in reply

    card = shown(blocks_of(await slack.command("/competitor", "Acme")))
    assert "3 posts" in card and "opened an office in Berlin" in card
    assert "0 won · 1 lost" in card and "Also known as Acme Corp, AcmeSoft" in card
    # An alias opens the same card.
    assert "3 posts" in shown(blocks_of(await slack.command("/competitor", "ACME CORP")))
    after = reply_text(await slack.command("/competitor", "list"))
    assert "*Acme* — 3 intel posts · 1 deal · win rate 0%" in after
    assert "Acme Corp" not in after
    assert after.index("*Acme*") < after.index("*Initech*")  # most active first
    with Session(engine) as session:
        keys = session.scalars(select(IntelPost.subject_key).order_by(IntelPost.id)).all()
        deal_key = session.scalars(select(WinLoss.competitor_key)).one()
    assert keys == ["acme corp", "acme corp", "acme", "initech"] and deal_key == "acme corp"

    again = reply_text(await slack.command("/competitor", "alias acme = ACME corp"))
    assert "“Acme Corp” was already counted as *Acme*." in again
    # Aliasing the competitor itself under another name brings its aliases and its card.
    await slack.interaction(submit_card("Acme", why_win="Onboarding in days"))
    await slack.command("/competitor", "alias Acme Group = Acme")
    card = shown(blocks_of(await slack.command("/competitor", "acmesoft")))
    assert "Competitor: Acme Group" in card and "3 posts" in card
    assert "Onboarding in days" in card and "Reviewed by <@U7>" in card
    listed = reply_text(await slack.command("/competitor", "list"))
    assert "*Acme Group* — 3 intel posts" in listed and "*Acme*" not in listed
    assert count(engine, CompetitorCard) == 1


async def test_aliases_stay_in_their_workspace(slack: SignedSlack, engine: Engine) -> None:
    """An alias in one workspace joins nothing in another."""
    await slack.command("/intel", 'competitor:"Acme Corp" news', team="T1")
    await slack.command("/intel", "competitor:Acme news", team="T1")
    await slack.command("/competitor", "alias Acme = Acme Corp", team="T2")
    card = shown(blocks_of(await slack.command("/competitor", "Acme", team="T1")))
    assert "1 post" in card and "Also known as" not in card


async def test_bad_alias_changes_nothing(slack: SignedSlack, engine: Engine) -> None:
    """An alias line without `=` gets the right form back and stores nothing."""
    reply = reply_text(await slack.command("/competitor", "alias Acme Acme Corp"))
    assert "/competitor alias Acme = Acme Corp, AcmeSoft" in reply
    assert count(engine, CompetitorAlias) == 0


async def test_list_counts_the_last_90_days(
    slack: SignedSlack, engine: Engine, clock: SetClock
) -> None:
    """The list shows every competitor seen; its figures cover the last 90 days only."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Hooli", at=clock.now - timedelta(days=120))
        add_result(session=s, competitor="Hooli", at=clock.now - timedelta(days=120))
        add_result(session=s, deal="D2", competitor="Initech", at=clock.now - DAY)
    reply = reply_text(await slack.command("/competitor", "list"))
    assert "*2 competitors*, last 90 days, most active first" in reply
    assert "*Initech* — 0 intel posts · 1 deal · win rate 100%" in reply
    assert "*Hooli* — 0 intel posts · 0 deals · win rate —" in reply


async def test_help_and_empty_list(slack: SignedSlack) -> None:
    """`help` shows the usage; an empty list says how to start."""
    assert "/competitor edit Acme" in reply_text(await slack.command("/competitor", "help"))
    assert "No competitor named yet" in reply_text(await slack.command("/competitor", "list"))


# The same names in intel, deals, agendas and Home


async def test_intel_and_winloss_store_one_key(slack: SignedSlack, engine: Engine) -> None:
    """However a name is typed in `/intel` and `/winloss`, the same key is stored."""
    await slack.command("/intel", 'competitor:"  ACME   Corp " news')
    await slack.command("/winloss", 'loss D1 competitor:"competitor:acme corp" price')
    with Session(engine) as session:
        post = session.scalars(select(IntelPost)).one()
        deal = session.scalars(select(WinLoss)).one()
    assert (post.subject, post.subject_key) == ("ACME Corp", "acme corp")
    assert (deal.competitor, deal.competitor_key) == ("acme corp", "acme corp")


def test_monthly_agenda_joins_aliases_and_lists_stale_cards(engine: Engine) -> None:
    """The monthly agenda counts aliased spellings as one competitor, and lists the stale
    cards of competitors named that month; the quarterly agenda lists none."""
    now = datetime(2026, 3, 1, 15, tzinfo=UTC)  # two days before the 3 March meeting
    named = datetime(2026, 2, 10, tzinfo=UTC)
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme", author="U1", at=named)
        add_intel(session=s, subject="Acme Corp", author="U2", at=named)
        add_result(session=s, outcome="loss", competitor="ACME CORP", at=named)
        add_intel(session=s, subject="Initech", at=named)
        add_intel(session=s, subject="Globex", at=named)
        add_intel(session=s, subject="Hooli", at=named - timedelta(days=60))
        s.add(
            CompetitorAlias(
                team_id="T1",
                alias_key="acme corp",
                alias="Acme Corp",
                competitor_key="acme",
                created_by="U1",
            )
        )
        for key, name, reviewed in (
            ("acme", "Acme", None),  # as `/competitor alias` leaves it
            ("initech", "Initech", named - timedelta(days=100)),
            ("globex", "Globex", named - timedelta(days=10)),
            ("hooli", "Hooli", None),
        ):
            s.add(
                CompetitorCard(
                    team_id="T1",
                    competitor_key=key,
                    name=name,
                    reviewed_by="U1" if reviewed else None,
                    reviewed_at=reviewed,
                )
            )
        cadence = make_cadence(session=s, kind="monthly", now=named - timedelta(days=200))
        agenda = build_agenda(
            session=s, cadence=cadence, occurrence=datetime(2026, 3, 3, 15, tzinfo=UTC), now=now
        )
        quarterly = make_cadence(session=s, kind="quarterly", now=named - timedelta(days=200))
        planning = build_agenda(
            session=s,
            cadence=quarterly,
            occurrence=datetime(2026, 4, 13, 7, tzinfo=UTC),
            now=datetime(2026, 4, 12, 7, tzinfo=UTC),
        )
    thread = "\n".join(shown(reply) for reply in agenda.thread)
    assert "*Acme* — 2 mentions, by <@U1>, <@U2>" in thread
    assert "*Acme* (1 loss)" in thread
    assert "*Acme Corp*" not in thread and "ACME CORP" not in thread
    stale = next(shown(r) for r in agenda.thread if "Competitor cards to review" in shown(r))
    assert "*Acme* — never reviewed (3 mentions)" in stale
    assert "*Initech* — last reviewed 2 Nov 2025 (1 mention)" in stale
    assert "Globex" not in stale and "Hooli" not in stale
    assert "Competitor cards to review" not in "\n".join(shown(r) for r in planning.thread)
    assert "*Acme* — 2 mentions" in "\n".join(shown(r) for r in planning.thread)


async def test_home_counts_aliases_as_one_competitor(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """Home's most active competitors count every spelling of one competitor together."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme Corp", at=clock.now - DAY)
        add_intel(session=s, subject="acme", at=clock.now - DAY)
        add_result(session=s, outcome="win", competitor="Acme Corp", at=clock.now - DAY)
        add_intel(session=s, subject="Initech", at=clock.now - DAY)
    await slack.command("/competitor", "alias Acme = Acme Corp")
    event = {
        "type": "app_home_opened",
        "user": "U5",
        "channel": "D5",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
    await slack.event(event)
    (published,) = slack_api.sent("views.publish")
    home = shown(published["view"]["blocks"])
    assert "*Acme*: 2 intel posts · 1 deal · win rate *100%*" in home
    assert home.index("*Acme*") < home.index("*Initech*")


def test_migration_gives_earlier_rows_the_one_key(tmp_path: Any) -> None:
    """Rows stored before the competitor key are given it by the migration that brings it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.exec_driver_sql(
            "INSERT INTO intel_post (team_id, kind, subject, subject_key, text, author_id, "
            "posted_by, created_at) VALUES "
            "('T1', 'competitor', 'competitor: ACME  Corp', 'competitor: acme  corp', 'x', "
            "'U1', 'U1', '2026-01-01 00:00:00'), "
            "('T1', 'customer', 'Globex  Corp', 'globex  corp', 'x', 'U1', 'U1', "
            "'2026-01-01 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO win_loss (team_id, outcome, deal_ref, deal_key, competitor, "
            "competitor_key, reason, user_id, reported_at) VALUES ('T1', 'loss', 'D1', 'd1', "
            "'Acme   Corp', 'acme   corp', 'price', 'U1', '2026-01-01 00:00:00')"
        )
        connection.commit()
        command.upgrade(config, "head")
        connection.commit()
        rows = connection.exec_driver_sql(
            "SELECT subject, subject_key FROM intel_post ORDER BY id"
        ).all()
        deal = connection.exec_driver_sql("SELECT competitor, competitor_key FROM win_loss").one()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("ACME Corp", "acme corp"),
        ("Globex  Corp", "globex  corp"),
    ]
    assert tuple(deal) == ("Acme Corp", "acme corp")
