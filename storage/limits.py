"""How long each kind of typed text may be: columns are sized to it, parsers refuse past it.

One number per fact, so what a command accepts is exactly what the database keeps.
Reasons and intel stop at 3,000 characters, the most one Slack section shows.
"""

from __future__ import annotations

REFERENCE = 200  # a lead or deal reference
NAME = 200  # a campaign, segment, competitor or intel subject
REASON = 3000  # why a lead was rated so, or a deal won or lost
INTEL_TEXT = 3000  # what a piece of field intel says
TERM = 100  # a glossary term
DEFINITION = 2500  # a glossary definition
TITLE = 300  # a collateral title
URL = 2000  # a collateral link, as Slack shows it
CARD_FIELD = 2000  # one curated field of a competitor card: four fit in one message
# A search: each word is one more condition (an FTS term, a LIKE pattern), so both the
# number of words and their length are bounded, whatever a command may carry.
SEARCH_WORDS = 10  # words (and tags) one search looks for
SEARCH_WORD = 100  # characters of each
