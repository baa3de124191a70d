"""Who and what the demo workspace has: its people, channels, and the instant it starts at.

The demo keeps its own time, starting at `START` (just after a quarter ended), so the same
seed always gives the same workspace and the agendas due next have a full quarter to show.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.demo.workspace import Channel, Person

TEAM = "T0DEMO"
START = datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
# The webhook secret `--seed` sets up for `POST /hooks/leads` (the page's handoff form
# sends it; `/handoff token` on the page replaces it, as in Slack).
HOOK_SECRET = "tdm_demo-handoff-secret"

REP = Person("U0DEMOREP", "Riley Chen", "Account Executive", "rep")
MARKETER = Person("U0DEMOMKT", "Maya Okafor", "Demand Generation", "marketer", tz="Europe/London")
# The team lead also administers the workspace, so `/tandem forget` can be tried too.
LEAD = Person("U0DEMOLEAD", "Lee Alvarez", "Head of Sales", "team lead", admin=True)
# Others who rated, posted and voted in the seeded quarter.
COLLEAGUES = (
    Person("U0DEMOSAM", "Sam Patel", "Account Executive", "rep", tz="America/Chicago"),
    Person("U0DEMOJO", "Jo Müller", "Sales Development", "rep", tz="Europe/Berlin"),
    Person("U0DEMOKIM", "Kim Tanaka", "Product Marketing", "marketer", tz="America/Los_Angeles"),
)
ACTORS = (REP, MARKETER, LEAD)  # whom the page lets you act as
PEOPLE = (*ACTORS, *COLLEAGUES)

SALES = Channel("C0DEMOSALES", "sales", "Deals, wins and losses")
MARKETING = Channel("C0DEMOMKTG", "marketing", "Campaigns and collateral")
LEADS = Channel("C0DEMOLEADS", "lead-handoff", "Leads from marketing, within the SLA")
FIELD_INTEL = Channel("C0DEMOINTEL", "field-intel", "The monthly field-intelligence meeting")
PLANNING = Channel("C0DEMOPLAN", "planning", "The quarterly sales & marketing planning")
CHANNELS = (SALES, MARKETING, LEADS, FIELD_INTEL, PLANNING)
