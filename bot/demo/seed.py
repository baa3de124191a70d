"""`--seed`: a realistic two quarters in the demo workspace, the same every time.

The records go in through the storage functions, each at its own instant in the two
quarters before the demo's start (so the quarterly agenda has a previous quarter to compare
with): lead ratings with reasons, handoffs with their SLA outcomes, intel about three
competitors, deals won and lost, collateral with votes, glossary terms and both cadences.
Then `warm_up` does, through the running app, what makes the first look busy: the clock's
run at the last monthly agenda, a collateral announcement voted on, fresh lead cards.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from bot.demo import cast
from bot.demo.workspace import Message

if TYPE_CHECKING:
    from bot.demo.web import Demo
from core.meetings import MONTHLY, QUARTERLY, Schedule, cadence_fields, parse_day_rule
from handlers.handoff.hook import token_hash
from handlers.winloss.parse import parse_money
from storage.cadences import set_cadence
from storage.collateral import NewCollateral, cast_vote, save_collateral
from storage.db import session_scope
from storage.glossary import define_term
from storage.handoffs import accept, reject, update_setup
from storage.intake import Incoming, NewHandoff, Received, receive_many
from storage.intel import NewIntel, save_intel
from storage.leads import NewRating, RatingWrite, save_ratings
from storage.models import LeadRating
from storage.winloss import NewResult, save_result

TEAM = cast.TEAM
# The two quarters between the planning meetings: from 13 Oct 2025 and from 13 Jan 2026.
FIRST_DAY = datetime(2025, 10, 13, tzinfo=UTC)
SECOND_QUARTER = datetime(2026, 1, 13, tzinfo=UTC)
SEED = 2026

REPS = ("U0DEMOREP", "U0DEMOSAM", "U0DEMOJO")
MARKETERS = ("U0DEMOMKT", "U0DEMOKIM")
EVERYONE = (*REPS, *MARKETERS, cast.LEAD.id)
# Campaign -> how good its leads tend to be (1-5), and the quarters it ran in (0: last).
CAMPAIGNS = {
    "Q4 trade show": (3.2, (0,)),
    "Hotel summit": (4.1, (0, 1)),
    "Retail ebook": (2.4, (0, 1)),
    "Partner referral": (4.4, (0, 1)),
    "Q1 webinar": (3.5, (1,)),
}
COMPANIES = (
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Litware",
    "Adatum",
    "Proseware",
    "Lucerne",
    "Humongous",
    "Woodgrove",
    "Alpine Ski House",
    "Coho Winery",
    "Fourth Coffee",
    "Margie's Travel",
    "Trey Research",
    "Blue Yonder",
    "Relecloud",
    "VanArsdel",
    "Bellows College",
)
GOOD = (
    "budget approved for this year, wants a pilot in Q2",
    "decision maker on the call, clear pain with their current tool",
    "ready to buy, asked for security docs and pricing",
    "strong fit: 40 hotels, all on spreadsheets today",
)
MIDDLING = (
    "interested but the timeline is next fiscal year",
    "good fit, but we only reached an analyst so far",
    "needs a partner integration we do not have yet",
)
POOR = (
    "student downloading the ebook for a thesis, no buying intent",
    "contact left the company last month and nobody took over",
    "two-person shop, far below our minimum deal size",
    "already signed a three-year contract with Acme",
)
INTEL = (
    ("competitor", "Acme", "cut list price 20% in EMEA for new logos"),
    ("competitor", "Acme", "is bundling onboarding for free through June"),
    ("competitor", "Acme", "announced an AI forecasting add-on at their user conference"),
    ("competitor", "Acme", "reps are telling prospects our SSO is an extra cost"),
    ("competitor", "Globex", "opened an office in Berlin and is hiring ten AEs"),
    ("competitor", "Globex", "offers a free migration from spreadsheets"),
    ("competitor", "Globex", "lost two hotel chains to us after a failed rollout"),
    ("competitor", "Initech", "was acquired by a private equity firm; roadmap frozen"),
    ("competitor", "Initech", "is discounting 40% to keep renewals"),
    ("customer", "Northwind", "wants SSO before renewal in May"),
    ("customer", "Contoso", "asked for a Salesforce sync of lead ratings"),
    ("customer", "Fabrikam", "expanding to 12 more sites if the pilot works"),
    ("prospect", "Tailspin", "comparing us with Acme and Globex, decision in April"),
    ("prospect", "Wingtip", "security review requires SOC 2 type II"),
    ("market", None, "hotel groups are delaying software purchases until summer"),
    ("market", None, "procurement wants monthly billing more often than last year"),
)
DEALS = (
    ("win", "Hotel summit", None, "48000", "fastest rollout of the three vendors"),
    ("win", "Partner referral", "Acme", "$36,500", "our onboarding and the partner's push"),
    ("loss", "Retail ebook", "Acme", "$52,000", "price was 30% higher than Acme's offer"),
    ("loss", "Q4 trade show", "Globex", "€18,400", "Globex already ran their other sites"),
    ("win", "Q1 webinar", "Initech", "€1,200.50", "Initech's roadmap freeze scared them"),
    ("loss", "Q1 webinar", "Acme", "$27,000", "price was 30% higher than Acme's offer"),
    ("win", "Hotel summit", "Globex", "$61,000", "better reporting for regional managers"),
    ("loss", "Retail ebook", None, None, "no budget after their merger"),
    ("win", "Partner referral", None, "$22,750", "the partner's reference customer sold it"),
    ("loss", "Hotel summit", "Acme", "$44,000", "Acme bundled free onboarding"),
    ("win", "Q1 webinar", "Acme", "$39,900", "SSO included in our standard plan"),
    ("loss", "Q1 webinar", "Globex", "£15,000", "they wanted a free migration"),
)
COLLATERAL = (
    ("Hotel case study", "https://example.com/hotel-case-study.pdf", ("hotels", "case-study")),
    ("Acme battlecard", "https://example.com/battlecards/acme.pdf", ("acme", "battlecard")),
    ("ROI calculator", "https://example.com/roi-calculator.xlsx", ("roi", "pricing")),
    ("Security whitepaper", "https://example.com/security.pdf", ("security", "sso")),
    ("Retail one-pager", "https://example.com/retail-one-pager.pdf", ("retail",)),
    ("Globex comparison", "https://example.com/battlecards/globex.pdf", ("globex", "battlecard")),
)
TERMS = (
    ("MQL", "Marketing Qualified Lead: scored 60+ by marketing and handed over in #lead-handoff."),
    ("SQL", "Sales Qualified Lead: a rep accepted the lead and booked a first call."),
    ("ICP", "Ideal Customer Profile: hotel and retail groups with 10+ sites."),
    ("BANT", "Budget, Authority, Need, Timing: the four criteria reps mark with +/-."),
    ("SLA", "A handed-over lead is accepted or rejected within 4 working hours."),
    ("Win rate", "Deals won divided by deals won or lost, in the period."),
)
CRITERIA = ("budget", "authority", "need", "timing")


def already_seeded(engine: Engine) -> bool:
    with Session(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(LeadRating).where(col(LeadRating.team_id) == TEAM)
        )
    return bool(count)


def seed(engine: Engine, *, value: int = SEED) -> None:
    """Store the demo's two quarters; the same `value` always stores the same records."""
    rng = random.Random(value)
    with session_scope(engine) as session:
        _cadences(session)
        _handoffs(session, rng)
        _ratings(session, rng)
        _intel(session, rng)
        _deals(session, rng)
        _collateral(session, rng)
        _terms(session, rng)


def _instant(rng: random.Random, quarter: int) -> datetime:
    """A working-hours instant in quarter 0 (13 Oct 2025 to 11 Jan 2026) or 1 (to the start)."""
    first = FIRST_DAY if quarter == 0 else SECOND_QUARTER
    last = SECOND_QUARTER - timedelta(days=2) if quarter == 0 else cast.START
    day = first + timedelta(days=rng.randrange((last - first).days))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day + timedelta(hours=rng.randrange(13, 22), minutes=rng.randrange(60))


def _cadences(session: Session) -> None:
    meetings = (
        ("monthly", cast.FIELD_INTEL.id, "first-tue", time(10), "America/New_York", MONTHLY, 2),
        ("quarterly", cast.PLANNING.id, "second-mon", time(9), "Europe/Berlin", QUARTERLY, 1),
    )
    for kind, channel, rule, at, zone, months, days in meetings:
        schedule = Schedule(parse_day_rule(rule), at, zone, months)
        set_cadence(
            session=session,
            team_id=TEAM,
            kind=kind,
            channel_id=channel,
            schedule=cadence_fields(schedule, timedelta(days=days)),
            set_by=cast.LEAD.id,
            now=FIRST_DAY - timedelta(days=20),
        )


def _score(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.9))))


def _reason(rng: random.Random, score: int) -> str:
    return rng.choice(POOR if score <= 2 else MIDDLING if score == 3 else GOOD)


def _criteria(rng: random.Random, score: int) -> dict[str, bool]:
    named = rng.sample(CRITERIA, rng.randrange(1, 4))
    return {name: rng.random() < (score - 1) / 4 for name in named}


def _ratings(session: Session, rng: random.Random) -> None:
    writes = []
    for number in range(1, 49):
        campaign = rng.choice(list(CAMPAIGNS))
        mean, quarters = CAMPAIGNS[campaign]
        score = _score(rng, mean)
        rating = NewRating(
            lead_ref=f"LEAD-{100 + number}",
            score=score,
            campaign=campaign,
            segment=rng.choice(("enterprise", "mid-market", "smb")),
            criteria=_criteria(rng, score),
            reason=_reason(rng, score),
        )
        writes.append(
            RatingWrite(TEAM, rng.choice(REPS), rating, _instant(rng, rng.choice(quarters)))
        )
    save_ratings(session, writes)


def _handoffs(session: Session, rng: random.Random) -> None:
    update_setup(
        session=session,
        team_id=TEAM,
        now=FIRST_DAY,
        channel_id=cast.LEADS.id,
        sla_minutes=240,
        token_hash=token_hash(cast.HOOK_SECRET),
        set_by=cast.LEAD.id,
    )
    for number in range(1, 25):
        campaign = rng.choice([c for c, (_, q) in CAMPAIGNS.items() if 1 in q])
        at = _instant(rng, 1)
        company = rng.choice(COMPANIES)
        lead = NewHandoff(
            lead_ref=f"HS-{2000 + number}",
            name=f"{rng.choice(('Dana', 'Alex', 'Priya', 'Tom', 'Ines', 'Marco'))} "
            f"{rng.choice(('Ruiz', 'Nguyen', 'Schmidt', 'Okoro', 'Larsen', 'Rossi'))}",
            company=company,
            email=f"buyer{number}@{company.split()[0].lower()}.example",
            campaign=campaign,
            segment=rng.choice(("enterprise", "mid-market")),
            score=float(rng.randrange(55, 98)),
            url=f"https://crm.example.com/leads/{2000 + number}",
            notes=rng.choice(("asked for a demo", "downloaded the ROI calculator", "")) or None,
        )
        incoming = Incoming(
            token_hash=token_hash(cast.HOOK_SECRET),
            lead=lead,
            idempotency_key=None,
            now=at,
            due=lambda setup, at=at: at + timedelta(minutes=setup.sla_minutes),  # type: ignore[misc]
            card_lease=timedelta(minutes=1),
        )
        (received,) = receive_many(session, [incoming])
        assert isinstance(received, Received)
        fate = rng.random()
        taker = rng.choice(REPS)
        if fate < 0.55:  # accepted, mostly within the 4-hour SLA
            delay = timedelta(minutes=rng.choice((12, 25, 40, 75, 150, 200, 300, 420)))
            accept(
                session=session,
                team_id=TEAM,
                handoff_id=received.handoff_id,
                user_id=taker,
                now=at + delay,
            )
        elif fate < 0.8:
            score = 1
            reject(
                session=session,
                team_id=TEAM,
                handoff_id=received.handoff_id,
                user_id=taker,
                reason=_reason(rng, score),
                unmet=tuple(rng.sample(CRITERIA, 2)),
                now=at + timedelta(minutes=rng.randrange(20, 200)),
            )
        # else: still open, and past its SLA: the clock reminds the channel.


def _intel(session: Session, rng: random.Random) -> None:
    for number, (kind, subject, text) in enumerate(INTEL * 2):
        quarter = 1 if number % 3 else 0
        if number >= len(INTEL) and kind != "competitor":
            continue  # the second round: competitors only, more of them lately
        save_intel(
            session=session,
            team_id=TEAM,
            intel=NewIntel(kind=kind, subject=subject, text=text),
            author_id=rng.choice(EVERYONE),
            posted_by=rng.choice(EVERYONE),
            now=_instant(rng, quarter),
        )


def _deals(session: Session, rng: random.Random) -> None:
    for number, (outcome, campaign, competitor, amount, reason) in enumerate(DEALS):
        money = parse_money(amount) if amount else None
        result = NewResult(
            outcome=outcome,
            deal_ref=f"DEAL-{300 + number}",
            competitor=competitor,
            amount=money[0] if money else None,
            campaign=campaign,
            reason=reason,
            currency=money[1] if money else None,
        )
        quarter = 0 if CAMPAIGNS[campaign][1] == (0,) else 1 if number % 4 else 0
        save_result(
            session=session,
            team_id=TEAM,
            user_id=rng.choice(REPS),
            result=result,
            now=_instant(rng, quarter),
        )


def _collateral(session: Session, rng: random.Random) -> None:
    for number, (title, url, tags) in enumerate(COLLATERAL):
        at = _instant(rng, 1 if number % 2 else 0)
        found = save_collateral(
            session=session,
            team_id=TEAM,
            user_id=rng.choice(MARKETERS),
            item=NewCollateral(url=url, title=title, tags=tags),
            channel_id=cast.MARKETING.id,
            now=at,
        )
        assert found is not None
        if title == "Retail one-pager":
            continue  # nobody voted: the agenda asks about it
        for voter in rng.sample(EVERYONE, rng.randrange(2, len(EVERYONE))):
            vote = rng.choices(("helpful", "not_helpful", "used"), weights=(5, 1, 2))[0]
            cast_vote(
                session=session,
                team_id=TEAM,
                collateral_id=found,
                user_id=voter,
                vote=vote,
                now=at + timedelta(days=rng.randrange(1, 20)),
            )


def _terms(session: Session, rng: random.Random) -> None:
    for term, definition in TERMS:
        define_term(
            session=session,
            team_id=TEAM,
            user_id=rng.choice(EVERYONE),
            term=term,
            definition=definition,
            now=_instant(rng, 1),
        )


# -- the first messages, through the running app --------------------------------------------

LAST_MONTHLY_AGENDA = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # for Tue 3 March, 10:00 New York
FRESH_LEADS = (
    {
        "lead": "HS-2101",
        "name": "Dana Ruiz",
        "company": "Acme Hotels Group",
        "email": "dana@acmehotels.example",
        "campaign": "Q1 webinar",
        "segment": "enterprise",
        "score": 87,
        "url": "https://crm.example.com/leads/2101",
        "notes": "asked for a demo",
    },
    {
        "lead": "HS-2102",
        "name": "Tom Larsen",
        "company": "Fourth Coffee",
        "campaign": "Partner referral",
        "segment": "mid-market",
        "score": 74,
        "url": "https://crm.example.com/leads/2102",
        "notes": "*urgent* <!channel> call me",
    },
)


def button(message: Message, label: str) -> dict[str, Any]:
    """The action payload of the button labelled `label` in `message`."""
    for block in message.blocks or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") != "button":
                continue
            if element["text"]["text"].startswith(label):
                return {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block.get("block_id", ""),
                    "value": element.get("value", ""),
                    "text": element["text"],
                }
    raise LookupError(f"no button {label} in the message")


async def warm_up(demo: Demo) -> None:
    """Post the demo's first messages through the app, as its people would have."""
    import asyncio

    side, workspace = demo.side, demo.workspace
    await demo.run_clock(LAST_MONTHLY_AGENDA)
    await demo.run_clock(cast.START)
    await side.command(
        user=cast.MARKETER.id,
        channel=cast.MARKETING.id,
        command="/collateral",
        text="add https://example.com/hotel-pricing-guide-2026.pdf Hotel pricing guide 2026 "
        "#hotels #pricing",
    )
    announced = _last(workspace.messages, lambda m: m.channel == cast.MARKETING.id)
    if announced is not None:
        for user, label in (
            (cast.REP.id, "Helpful"),
            ("U0DEMOSAM", "Used"),
            ("U0DEMOJO", "Helpful"),
        ):
            await side.click(
                user=user,
                action=button(announced, label),
                channel=announced.channel,
                ts=announced.ts,
            )
    for lead in FRESH_LEADS:
        await side.hand_over(secret=cast.HOOK_SECRET, lead=lead)
    for _ in range(50):  # the cards are posted just after the webhook answers
        card = _last(workspace.messages, lambda m: "HS-2101" in m.text)
        if card is not None:
            await side.click(
                user=cast.REP.id, action=button(card, "Accept"), channel=card.channel, ts=card.ts
            )
            break
        await asyncio.sleep(0.1)


def _last(messages: list[Message], wanted: Callable[[Message], bool]) -> Message | None:
    return next((m for m in reversed(messages) if wanted(m) and m.only_for is None), None)
