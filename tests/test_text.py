"""The slash-command text grammar, on strings as Slack sends them."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.text import (
    Command,
    TextError,
    Word,
    escape,
    first_word,
    link_url,
    parse_command,
    unescape,
    words,
)

LEAD_OPTIONS = ("campaign", "segment")
LEAD_FLAGS = ("budget", "authority", "need", "timing")


# unescape


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("R&amp;D &lt;3", "R&D <3"),
        ("a &gt; b", "a > b"),
        ("&amp;lt;", "&lt;"),
        ("&amp;amp;", "&amp;"),
        ("&quot; &nbsp; &#39;", "&quot; &nbsp; &#39;"),
        ("no markup at all", "no markup at all"),
    ],
)
def test_unescape_decodes_the_three_entities_once(raw: str, plain: str) -> None:
    """Only &amp;, &lt; and &gt; are decoded, and only one level deep."""
    assert unescape(raw) == plain


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<https://x.com>", "https://x.com"),
        ("<https://x.com|Hotel case study>", "Hotel case study (https://x.com)"),
        ("<https://x.com|https://x.com>", "https://x.com"),
        ("<https://x.com|>", "https://x.com"),
        ("<mailto:a@b.com|a@b.com>", "a@b.com"),
        ("<http://example.com|example.com>", "example.com"),
        ("<https://x.com/?a=1&amp;b=2|Q&amp;A>", "Q&A (https://x.com/?a=1&b=2)"),
        ("see <https://x.com|the deck> now", "see the deck (https://x.com) now"),
    ],
)
def test_unescape_turns_links_into_plain_text(raw: str, plain: str) -> None:
    """Links become their URL, or their label followed by the URL in brackets."""
    assert unescape(raw) == plain


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<@U123|ana>", "@ana"),
        ("<@U123>", "@U123"),
        ("<@U123|>", "@U123"),
        ("<#C1|general>", "#general"),
        ("<#C1>", "#C1"),
        ("<#C1|>", "#C1"),
        ("<!here>", "@here"),
        ("<!here|here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S1|@sales-team>", "@sales-team"),
        ("<!subteam^S1>", "@S1"),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<!something>", "@something"),
    ],
)
def test_unescape_turns_mentions_into_plain_text(raw: str, plain: str) -> None:
    """User, channel and special mentions become their readable names."""
    assert unescape(raw) == plain


@pytest.mark.parametrize("raw", ["<foo>", "<>", "<@>", "<#>", "<!>", "<|x>", "<not a link>"])
def test_unescape_keeps_unknown_angle_groups_literal(raw: str) -> None:
    """An angle-bracket group that is no Slack markup is kept as typed."""
    assert unescape(raw) == raw


def test_unescape_leaves_unpaired_brackets_alone() -> None:
    """A stray < or > is not markup and comes through unchanged."""
    assert unescape("a < b > c <d") == "a < b > c <d"
    assert unescape("x <y <@U1> z") == "x <y @U1 z"


# link_url


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("<https://x.com/a.pdf>", "https://x.com/a.pdf"),
        ("<https://x.com/a.pdf|Hotel case study>", "https://x.com/a.pdf"),
        ("<https://x.com/?a=1&amp;b=2|Q&amp;A>", "https://x.com/?a=1&b=2"),
        ("<mailto:a@b.com|a@b.com>", "mailto:a@b.com"),
        ("https://x.com/?a=1&amp;b=2", "https://x.com/?a=1&b=2"),
        ("  <http://x.com>  ", "http://x.com"),
    ],
)
def test_link_url_returns_the_url_of_a_link_token(raw: str, url: str) -> None:
    """A link token, with or without a label, or a bare URL gives its decoded URL."""
    assert link_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    ["<@U123|ana>", "<#C1|general>", "<!here>", "<foo>", "example", "", "a <https://x.com>"],
)
def test_link_url_is_none_for_anything_else(raw: str) -> None:
    """Mentions, plain words and several tokens are not links."""
    assert link_url(raw) is None


# escape


def test_escape_encodes_ampersand_and_angle_brackets() -> None:
    """&, < and > are encoded, & first so nothing is double-encoded."""
    assert escape("R&D <3 a>b &lt;") == "R&amp;D &lt;3 a&gt;b &amp;lt;"


def test_escape_defuses_mentions_from_unescaped_text() -> None:
    """A mention typed as escaped text cannot come back alive on display."""
    plain = unescape("&lt;!channel&gt; &lt;@U1&gt;")
    assert plain == "<!channel> <@U1>"
    assert escape(plain) == "&lt;!channel&gt; &lt;@U1&gt;"


def test_escape_reverses_entity_decoding() -> None:
    """Escaping the plain text of entity-only input gives the input back."""
    raw = "a &amp; b &lt; c &gt; d &amp;amp;"
    assert escape(unescape(raw)) == raw


# words


def test_words_split_on_whitespace_with_offsets() -> None:
    """Each word records its value and where it sits in the raw text."""
    text = "  stats\tdays:7\n  x "
    assert words(text) == [
        Word(value="stats", key=None, start=2, end=7, raw="stats"),
        Word(value="7", key="days", start=8, end=14, raw="days:7"),
        Word(value="x", key=None, start=17, end=18, raw="x"),
    ]


def test_words_of_blank_text_are_empty() -> None:
    """Empty and whitespace-only text has no words."""
    assert words("") == []
    assert words(" \n\t ") == []


def test_words_keep_links_with_spaced_labels_whole() -> None:
    """A link whose label contains spaces or quotes is one word."""
    text = 'add <https://x.com/a.pdf|Hotel "case" study> #hotels'
    found = words(text)
    assert [w.value for w in found] == [
        "add",
        'Hotel "case" study (https://x.com/a.pdf)',
        "#hotels",
    ]
    assert found[1].raw == '<https://x.com/a.pdf|Hotel "case" study>'
    assert text[found[1].start : found[1].end] == found[1].raw


def test_words_unescape_values_but_keep_raw() -> None:
    """Values are plain text while raw is the Slack-escaped slice."""
    (word,) = words("R&amp;D")
    assert (word.value, word.raw) == ("R&D", "R&amp;D")


def test_words_group_double_quotes() -> None:
    """A double-quoted phrase is one word without its quotes."""
    found = words('"Q3 webinar" next')
    assert [(w.value, w.raw) for w in found] == [("Q3 webinar", '"Q3 webinar"'), ("next", "next")]


def test_words_group_quoted_option_values() -> None:
    """A quoted value after a key is one word; the key is lower-cased."""
    (word,) = words('Campaign:"Q3 webinar"')
    assert (word.key, word.value, word.text) == ("campaign", "Q3 webinar", "Campaign:Q3 webinar")


@pytest.mark.parametrize("text", ["“Q3 webinar”", '“Q3 webinar"', '"Q3 webinar”', "”Q3 webinar”"])
def test_words_accept_typographic_quotes(text: str) -> None:
    """Curly quotes, as phones type them, group like straight ones."""
    assert [w.value for w in words(text)] == ["Q3 webinar"]


def test_words_keep_text_after_a_closing_quote() -> None:
    """Characters right after a closing quote belong to the same word."""
    assert [w.value for w in words('he said "great product", then left')] == [
        "he",
        "said",
        "great product,",
        "then",
        "left",
    ]


def test_words_treat_inner_quotes_as_literal() -> None:
    """A quote inside a word is a plain character, not an opening quote."""
    assert [w.value for w in words("a 12\" screen it's")] == ["a", '12"', "screen", "it's"]


@pytest.mark.parametrize(
    ("text", "snippet"),
    [('lead "Q3 webinar', '"Q3 webinar'), ('campaign:"Q3', '"Q3'), ("“R&amp;D", "“R&D")],
)
def test_words_reject_an_unclosed_quote(text: str, snippet: str) -> None:
    """An opening quote without a closing one is an error quoting the text."""
    with pytest.raises(TextError) as caught:
        words(text)
    assert str(caught.value) == f"A quote is not closed: {snippet}"


def test_words_shorten_a_long_unclosed_quote_in_the_error() -> None:
    """The error shows at most forty characters of the unclosed text."""
    with pytest.raises(TextError) as caught:
        words('"' + "x" * 100)
    assert str(caught.value) == "A quote is not closed: " + '"' + "x" * 38 + "…"


def test_words_read_key_value_shapes() -> None:
    """Keys start with a letter, values may be empty, and URLs are not keys."""
    found = words("market: days:7 10:00 https://x.com a_b-1:v <https://y.com> 1a:b")
    assert [(w.key, w.value) for w in found] == [
        ("market", ""),
        ("days", "7"),
        (None, "10:00"),
        (None, "https://x.com"),
        ("a_b-1", "v"),
        (None, "https://y.com"),
        (None, "1a:b"),
    ]


def test_words_keep_a_quoted_key_value_literal() -> None:
    """Quoting a whole key:value word makes it a plain word."""
    (word,) = words('"campaign:x y"')
    assert (word.key, word.value) == (None, "campaign:x y")


# parse_command


def test_parse_command_reads_the_spec_lead_example() -> None:
    """The /lead example splits into reference, score, options, flags and reason."""
    text = 'ACME-42 2 campaign:"Q3 webinar" -budget +need contact left the company'
    command = parse_command(text, positional=2, options=LEAD_OPTIONS, flags=LEAD_FLAGS)
    assert command == Command(
        positional=("ACME-42", "2"),
        options={"campaign": "Q3 webinar"},
        flags={"budget": False, "need": True},
        rest="contact left the company",
    )


def test_parse_command_finds_options_and_flags_anywhere() -> None:
    """Options and flags are taken from any position, case-insensitively."""
    text = "+NEED contact CAMPAIGN:Webinar left SEGMENT:smb the -Budget company"
    command = parse_command(text, positional=1, options=LEAD_OPTIONS, flags=LEAD_FLAGS)
    assert command.positional == ("contact",)
    assert command.options == {"campaign": "Webinar", "segment": "smb"}
    assert command.flags == {"need": True, "budget": False}
    assert command.rest == "left the company"


def test_parse_command_leaves_unknown_options_and_flags_in_rest() -> None:
    """Unrecognised key:value and +x words are ordinary text."""
    text = "deal-7 amount:48000 +x price was 30% higher -y"
    command = parse_command(text, positional=1, options=["campaign"], flags=["need"])
    assert command == Command(
        positional=("deal-7",),
        options={},
        flags={},
        rest="amount:48000 +x price was 30% higher -y",
    )


def test_parse_command_rejects_a_repeated_option() -> None:
    """Giving the same option twice is an error naming it."""
    with pytest.raises(TextError, match=r"^Give campaign: only once\.$"):
        parse_command("campaign:a Campaign:b", options=["campaign"])


def test_parse_command_lets_the_last_repeated_flag_win() -> None:
    """A flag given twice takes its last value."""
    assert parse_command("+need x -need", flags=["need"]).flags == {"need": False}


def test_parse_command_returns_fewer_positional_words_when_missing() -> None:
    """Positional words are as many as there are; callers check the count."""
    command = parse_command("+need", positional=2, flags=["need"])
    assert command == Command(positional=(), options={}, flags={"need": True}, rest="")
    assert parse_command("ACME-42", positional=2).positional == ("ACME-42",)


def test_parse_command_takes_positional_words_after_options() -> None:
    """Positional words are the first words that are not options or flags."""
    command = parse_command(
        "campaign:x ACME-42 -budget 4/5 why", positional=2, options=LEAD_OPTIONS, flags=LEAD_FLAGS
    )
    assert command.positional == ("ACME-42", "4/5")
    assert command.rest == "why"


def test_parse_command_unquotes_and_unescapes_positional_words() -> None:
    """A quoted positional phrase is one value, plain text without quotes."""
    command = parse_command('"Globex &amp; Co" 3 slow', positional=2)
    assert command.positional == ("Globex & Co", "3")
    assert command.rest == "slow"


def test_parse_command_keeps_an_unknown_key_in_a_positional_word() -> None:
    """A key:value word taken as positional keeps its key as typed."""
    assert parse_command("Foo:bar x", positional=1).positional == ("Foo:bar",)


def test_parse_command_unescapes_rest_and_keeps_its_quotes() -> None:
    """The rest is plain text, quoted words verbatim and links readable."""
    text = 'x R&amp;D &lt;3 said "so  slow" see <https://x.com|the deck> <@U1|ana>'
    command = parse_command(text, positional=1)
    assert command.rest == 'R&D <3 said "so  slow" see the deck (https://x.com) @ana'


def test_parse_command_collapses_spaces_only_where_words_were_taken() -> None:
    """Removed words leave one space; untouched spacing and newlines stay."""
    text = "a  +need  b   c\n-budget\nd\n\n+need e"
    assert parse_command(text, flags=LEAD_FLAGS).rest == "a b   c\nd\n\ne"


def test_parse_command_strips_the_rest() -> None:
    """The rest has no leading or trailing whitespace."""
    assert parse_command("  ACME  \n  why not  \n", positional=1).rest == "why not"


def test_parse_command_does_not_read_quoted_flags_or_options() -> None:
    """Quoting a word keeps it from being read as a flag or option."""
    command = parse_command('"+need" "campaign:x"', options=LEAD_OPTIONS, flags=LEAD_FLAGS)
    assert (command.options, command.flags) == ({}, {})
    assert command.rest == '"+need" "campaign:x"'


def test_parse_command_keeps_an_empty_option_value() -> None:
    """An option with nothing after the colon has an empty value."""
    command = parse_command("market: prices up", options=["market"])
    assert (command.options, command.rest) == ({"market": ""}, "prices up")


def test_parse_command_raises_text_error_on_unclosed_quotes() -> None:
    """An unclosed quote surfaces as TextError."""
    with pytest.raises(TextError, match=r"^A quote is not closed"):
        parse_command('ACME "oops', positional=1)


# first_word


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("stats days:7", ("stats", "days:7")),
        ("  STATS  \n days:7  campaign:x \n", ("stats", "days:7  campaign:x")),
        ("help", ("help", "")),
        ("", ("", "")),
        ("  \n ", ("", "")),
        ("add &lt;x&gt;", ("add", "&lt;x&gt;")),
    ],
)
def test_first_word_splits_off_the_lowered_first_word(text: str, split: tuple[str, str]) -> None:
    """The first word comes back lower-cased and the raw remainder stripped."""
    assert first_word(text) == split


# properties

# fmt: off
_PIECES = st.sampled_from(
    [
        "<", ">", "|", '"', "“", "”", "&amp;", "&lt;", "&gt;", "&", ":", "+", "-", " ", "\n",
        "\t", "@", "#", "!", "^", "//", "https:", "<!channel>", "<!here>", "<@U1>", "<@U1|a b>",
        "<#C1|x>", "<https://x.com|a b>", "campaign:", "need", "é", "💬", "\u00a0",
    ]
)
# fmt: on
_SLACKY = st.lists(_PIECES | st.text(max_size=3), max_size=30).map("".join)
_ANY = _SLACKY | st.text()


@settings(max_examples=300, deadline=None)
@given(text=_ANY, positional=st.integers(min_value=0, max_value=3))
def test_parsers_return_or_raise_text_error(text: str, positional: int) -> None:
    """words and parse_command either return consistent values or raise TextError."""
    try:
        found = words(text)
        command = parse_command(text, positional=positional, options=LEAD_OPTIONS, flags=LEAD_FLAGS)
    except TextError as error:
        assert str(error).startswith(("A quote is not closed: ", "Give "))
        return
    assert all(text[w.start : w.end] == w.raw and w.raw.strip() == w.raw for w in found)
    assert all(a.end < b.start for a, b in itertools.pairwise(found))
    assert len(command.positional) <= positional
    assert command.rest == command.rest.strip()


@settings(max_examples=300, deadline=None)
@given(text=_ANY)
def test_plain_text_functions_never_raise(text: str) -> None:
    """unescape, escape, link_url and first_word accept any text."""
    assert isinstance(unescape(text), str)
    assert isinstance(escape(text), str)
    assert link_url(text) is None or isinstance(link_url(text), str)
    head, rest = first_word(text)
    assert head == head.lower().strip() and rest == rest.strip()


@settings(max_examples=300, deadline=None)
@given(text=_ANY)
def test_escaped_text_has_no_live_markup(text: str) -> None:
    """After escape nothing can be a link or mention, whatever was unescaped."""
    shown = escape(unescape(text))
    assert "<" not in escape(text) and ">" not in escape(text)
    assert not any(live in shown for live in ("<!channel>", "<!here>", "<@U", "<", ">"))


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_unescape_inverts_escape(text: str) -> None:
    """Plain text survives a round trip through escape and unescape."""
    assert unescape(escape(text)) == text
