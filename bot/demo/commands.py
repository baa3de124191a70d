"""The slash commands and shortcuts of manifest.yml, for the page's composer.

The manifest is not part of the installed package, so its commands are repeated here;
tests/test_demo.py fails when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    command: str
    description: str
    usage_hint: str


COMMANDS = (
    Command(
        "/lead",
        "Rate a lead marketing handed you, and say why",
        'ACME-42 4 campaign:"Q3 webinar" +budget -timing reason · stats · help',
    ),
    Command(
        "/intel",
        "Post field intelligence, or search it",
        "competitor:Acme cut list price 20% in EMEA · search WORDS · help",
    ),
    Command(
        "/winloss",
        "Report a won or lost deal, and why",
        "loss DEAL-7 competitor:Acme amount:48000 reason · help",
    ),
    Command(
        "/collateral",
        "Share marketing collateral, or find it",
        "add URL TITLE #tag · find WORDS|#tag · help",
    ),
    Command(
        "/cadence",
        "Set when the field-intel and planning meetings happen",
        "set monthly first-tue 10:00 America/New_York agenda:2d · list · next · off · preview",
    ),
    Command(
        "/handoff",
        "Take leads from marketing in a channel, within an SLA",
        "set sla:4h hours:mon-fri 09:00-18:00 · status · token · notify URL · stats · off",
    ),
    Command(
        "/glossary",
        "One vocabulary for sales and marketing",
        "MQL · set MQL = Marketing Qualified Lead · list",
    ),
    Command(
        "/competitor",
        "One card per competitor, from everything both teams collected",
        "Acme · edit Acme · alias Acme = Acme Corp, AcmeSoft · list · help",
    ),
    Command(
        "/tandem",
        "Export the workspace's records as CSV, or forget a person",
        "export [days:N] · forget @name · help",
    ),
)
# Message shortcuts: (name, callback_id).
SHORTCUTS = (("Save as field intel", "save_as_intel"),)
