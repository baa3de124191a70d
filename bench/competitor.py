"""How long `/competitor Acme` takes to build its card on PostgreSQL: the queries and the
Block Kit, for a competitor with 500 intel posts and 200 deals, in a workspace with others.

    .venv/bin/python bench/competitor.py [--runs 50] [--noise 20000]

Seeds a fresh database (`harness.fresh_database`), then builds the card `--runs` times the
way the command does (`storage.competitors.card_data` in one session, then
`handlers.competitor.views.card_blocks`, serialised) and prints p50, p95 and max. The
target is under 300 ms at p95 (the exit code says); it also checks that every card stays
within Slack's limits. `TANDEM_BENCH_POSTGRES_URL` names the server (see bench/harness.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from harness import fresh_database
from sqlalchemy import insert, select
from sqlmodel import Session

from handlers.competitor.views import DAYS, NEWEST, card_blocks
from storage.collateral import NewCollateral, cast_vote, save_collateral
from storage.competitors import add_aliases, card_data
from storage.db import make_engine, migrate, session_scope
from storage.models import CompetitorCard, IntelPost, WinLoss

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEAM = "T1"
TARGET_MS = 300


def seed(url: str, *, noise: int) -> None:
    """500 intel posts and 200 deals about Acme (some under an alias), 40 tagged items with
    votes, a full card; and `noise` posts and deals about 50 other competitors."""
    engine = make_engine(url)
    migrate(engine)
    long = "cut list price 20% in EMEA, " * 100
    with session_scope(engine) as s:
        intel = [
            {
                "team_id": TEAM,
                "kind": "competitor",
                "subject": "Acme Corp" if i % 5 == 0 else "Acme",
                "subject_key": "acme corp" if i % 5 == 0 else "acme",
                "text": f"{i} {long}"[:3000],
                "author_id": f"U{i % 40}",
                "posted_by": f"U{i % 40}",
                "channel_id": "C1",
                "permalink": f"https://example.slack.com/archives/C1/p17000000{i:08d}",
                "created_at": NOW - timedelta(hours=i * 4),  # 500 posts over ~83 days
            }
            for i in range(500)
        ]
        intel += [
            {
                "team_id": TEAM if i % 3 else "T2",
                "kind": "competitor" if i % 4 else "customer",
                "subject": f"Rival {i % 50}",
                "subject_key": f"rival {i % 50}",
                "text": long[:500],
                "author_id": "U1",
                "posted_by": "U1",
                "created_at": NOW - timedelta(minutes=i * 7),
            }
            for i in range(noise)
        ]
        s.execute(insert(IntelPost), intel)
        deals = [
            {
                "team_id": TEAM,
                "outcome": "loss" if i % 3 else "win",
                "deal_ref": f"DEAL-{i}",
                "deal_key": f"deal-{i}",
                "competitor": "Acme Corp" if i % 4 == 0 else "Acme",
                "competitor_key": "acme corp" if i % 4 == 0 else "acme",
                "amount": Decimal(1000 + i),
                "reason": f"price was {i % 12}0% higher",
                "user_id": "U2",
                "reported_at": NOW - timedelta(days=i),
            }
            for i in range(200)
        ]
        deals += [
            {
                "team_id": TEAM,
                "outcome": "loss",
                "deal_ref": f"OTHER-{i}",
                "deal_key": f"other-{i}",
                "competitor": f"Rival {i % 50}",
                "competitor_key": f"rival {i % 50}",
                "reason": "timing",
                "user_id": "U2",
                "reported_at": NOW - timedelta(hours=i),
            }
            for i in range(noise // 4)
        ]
        s.execute(insert(WinLoss), deals)
        for i in range(40):
            item = NewCollateral(
                url=f"https://example.com/acme-{i}.pdf", title=f"Acme deck {i}", tags=("acme",)
            )
            found = save_collateral(
                session=s, team_id=TEAM, user_id="U3", item=item, channel_id="C1", now=NOW
            )
            assert found is not None
            for voter in range(i % 7):
                cast_vote(
                    session=s,
                    team_id=TEAM,
                    collateral_id=found,
                    user_id=f"U{voter}",
                    vote="helpful",
                    now=NOW,
                )
        add_aliases(
            session=s, team_id=TEAM, name="Acme", aliases=["Acme Corp"], user_id="U1", now=NOW
        )
    with session_scope(engine) as s:
        card = s.scalars(
            select(CompetitorCard).where(CompetitorCard.competitor_key == "acme")
        ).one()
        for field in ("why_win", "why_lose", "pitch", "answer"):
            setattr(card, field, "We win on onboarding. " * 90)
        card.reviewed_by, card.reviewed_at = "U1", NOW - timedelta(days=10)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def build(engine: object) -> tuple[float, list[dict[str, object]]]:
    start = time.perf_counter()
    with Session(engine) as session:  # type: ignore[call-overload]
        data = card_data(
            session=session,
            team_id=TEAM,
            name="acme",
            since=NOW - timedelta(days=DAYS),
            newest=NEWEST,
        )
    blocks = card_blocks(data, now=NOW, share_action="competitor_share")
    json.dumps(blocks, ensure_ascii=False)  # what the answer to Slack costs to write
    return (time.perf_counter() - start) * 1000, blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--noise", type=int, default=20000)
    args = parser.parse_args()
    url = fresh_database("tandem_bench_competitor")
    seed(url, noise=args.noise)
    engine = make_engine(url)
    build(engine)  # a warm pool, as a running app has
    times = []
    for _ in range(args.runs):
        took, blocks = build(engine)
        times.append(took)
        assert len(blocks) <= 50, len(blocks)
        for block in blocks:
            text = block.get("text")
            assert not isinstance(text, dict) or len(text["text"]) <= 3000
    engine.dispose()
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "500 posts" in shown and "67 won · 133 lost" in shown, shown[:2000]
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(
        f"card of 500 intel posts, 200 deals, 40 items ({args.noise:,} other rows): "
        f"{len(blocks)} blocks, {len(shown):,} bytes; {args.runs} runs: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
        f"(target < {TARGET_MS} ms at p95: {'met' if p95 < TARGET_MS else 'NOT met'}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    sys.exit(0 if p95 < TARGET_MS else 1)


if __name__ == "__main__":
    main()
