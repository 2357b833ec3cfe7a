import pytest

from inventory.numbers import NumberSpecError, parse


def expand(text, **kw):
    spec = parse(text, **kw)
    out = list(spec.numbers)
    for r in spec.ranges:
        out += [r.format(v) for v in range(r.first, r.last + 1)]
    return out


def test_numbers_separated_by_commas_spaces_and_new_lines():
    assert expand("111, 112 113\n114\r\n115") == ["111", "112", "113", "114", "115"]


def test_range_is_inclusive():
    assert expand("111-115") == ["111", "112", "113", "114", "115"]


def test_range_keeps_its_width():
    assert expand("0098-0101") == ["0098", "0099", "0100", "0101"]


def test_range_keeps_its_plus():
    assert expand("+14155550100-+14155550102") == ["+14155550100", "+14155550101", "+14155550102"]


def test_range_with_spaces_around_the_dash():
    assert expand("111 - 113") == ["111", "112", "113"]


def test_ranges_of_different_lengths_without_padding_are_fine():
    assert expand("98-101") == ["98", "99", "100", "101"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("222-111", "“222-111” runs backwards"),
        ("+111-222", "both ends must have a leading + or neither"),
        ("0100-10000", "different widths"),
        ("12a", "“12a” is not a DID"),
        ("1-2-3", "“1-2-3” is not a range"),
        ("", "Enter at least one DID"),
        ("1-", "“1-” is not a range"),
    ],
)
def test_bad_input_is_refused_naming_the_entry(text, message):
    with pytest.raises(NumberSpecError) as exc:
        parse(text)
    assert message in str(exc.value)


def test_range_over_the_maximum_is_refused(settings):
    settings.DID_RANGE_MAX = 100
    with pytest.raises(NumberSpecError) as exc:
        parse("1-101")
    assert "“1-101” holds 101 numbers; the most one range may hold is 100" in str(exc.value)
    assert parse("1-100").total == 100


def test_default_maximum_is_a_million(settings):
    assert parse("1000000-1999999").total == 1_000_000
    with pytest.raises(NumberSpecError, match="1,000,001"):
        parse("1000000-2000000")
