"""Every command parser refuses bad input with an error naming the part that is wrong."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.cadence.parse import CadenceError, parse_set
from handlers.common import InputError
from handlers.intel.parse import IntelError, parse_intel
from handlers.lead.parse import RatingError, parse_rating
from handlers.winloss.parse import ResultError, parse_result
from tests.forms import refused_field

# (parser, its error, the text typed after the command, the field the error names)
REFUSED = [
    (parse_set, CadenceError, "", "kind"),
    (parse_set, CadenceError, "weekly first-tue 10:00", "kind"),
    (parse_set, CadenceError, "monthly", "rule"),
    (parse_set, CadenceError, "monthly first-tux 10:00", "rule"),
    (parse_set, CadenceError, "monthly first-tue", "time"),
    (parse_set, CadenceError, "monthly first-tue 25:00", "time"),
    (parse_set, CadenceError, "monthly first-tue 10:00 Mars/Olympus", "zone"),
    (parse_set, CadenceError, "monthly first-tue 10:00 UTC agenda:2w", "agenda"),
    (parse_set, CadenceError, "monthly first-tue 10:00 UTC agenda:0d", "agenda"),
    (parse_set, CadenceError, "monthly first-tue 10:00 UTC months:1,4,7,10", "months"),
    (parse_set, CadenceError, "quarterly first-tue 10:00 UTC months:13", "months"),
    (parse_set, CadenceError, "quarterly first-tue 10:00 UTC months:1,2,3,4", "months"),
    (parse_set, CadenceError, "monthly first-tue 10:00 UTC every week", "kind"),
    (parse_intel, IntelError, "rumor:x y", "kind"),
    (parse_intel, IntelError, "Acme cut prices", "kind"),
    (parse_intel, IntelError, "competitor:Acme", "text"),
    (parse_intel, IntelError, "competitor: cut prices", "subject"),
    (parse_intel, IntelError, 'customer:"Globex Corp wants SSO', "subject"),
    (parse_rating, RatingError, "ACME-42 1 bad", "reason"),
    (parse_rating, RatingError, "ACME-42 6 great lead really", "score"),
    (parse_rating, RatingError, "ACME-42 five great lead really", "score"),
    (parse_rating, RatingError, "4 great lead really", "lead"),
    (parse_rating, RatingError, "ACME-42", "score"),
    (parse_rating, RatingError, '"ACME 42 4 unclosed', "lead"),
    (parse_result, ResultError, "loss DEAL-8", "reason"),
    (parse_result, ResultError, "loss DEAL-8 amount:lots too pricey", "amount"),
    (parse_result, ResultError, "loss DEAL-8 amount:1,2,3 too pricey", "amount"),
    (parse_result, ResultError, "loss DEAL-8 amount:4.999 too pricey", "amount"),
    (parse_result, ResultError, "loss DEAL-8 amount:1000000000000 too pricey", "amount"),
    (parse_result, ResultError, "maybe DEAL-8 who knows", "outcome"),
    (parse_result, ResultError, "DEAL-8", "outcome"),
    (parse_result, ResultError, "loss", "deal"),
]


@pytest.mark.parametrize(("parse", "error", "text", "field"), REFUSED)
def test_bad_input_names_the_part_that_is_wrong(
    parse: Callable[[str], object], error: type[InputError], text: str, field: str
) -> None:
    """Bad `/cadence set`, `/intel`, `/lead` and `/winloss` text is refused, naming the part."""
    assert refused_field(parse, error, text) == field
