"""ISO 2859-1 Table I: the sample size code letter of every lot-size range at every inspection level.

Written here column by column (one string of 15 letters per level, in lot-size order), unlike the
data file's rows, and cross-checked with apparel-domain.md section 4.2 and ANSI/ASQ Z1.4-2008.
"""

from __future__ import annotations

import pytest

from seamline.quality import InspectionLevel, SamplingInputError, code_letter

RANGES = [
    (2, 8),
    (9, 15),
    (16, 25),
    (26, 50),
    (51, 90),
    (91, 150),
    (151, 280),
    (281, 500),
    (501, 1200),
    (1201, 3200),
    (3201, 10_000),
    (10_001, 35_000),
    (35_001, 150_000),
    (150_001, 500_000),
    (500_001, 10**9),  # "500 001 and over"
]

#           2-8 .. 500001+
LETTERS = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}


@pytest.mark.parametrize("level", list(LETTERS))
def test_every_lot_size_range_at_both_ends(level: str) -> None:
    assert len(LETTERS[level]) == len(RANGES)
    for (low, high), letter in zip(RANGES, LETTERS[level], strict=True):
        assert code_letter(low, level) == letter, (level, low)
        assert code_letter(high, level) == letter, (level, high)


def test_every_level_is_written_out() -> None:
    assert set(LETTERS) == {v.value for v in InspectionLevel}


def test_level_spellings_and_the_default() -> None:
    assert code_letter(1000) == "J"  # level II unless told otherwise (ISO 2859-1 10.1)
    assert code_letter(1000, "s3") == code_letter(1000, "S-3") == "E"
    assert code_letter(1000, "iii") == "K"


@pytest.mark.parametrize(("lot_size", "level"), [(1, "II"), (0, "II"), (-5, "I"), (10, "IV"), (10, "S-5")])
def test_a_lot_outside_table_one_or_an_unknown_level_is_refused(lot_size: int, level: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        code_letter(lot_size, level)
    assert caught.value.field in ("lot_size", "level")
    assert "allowed" in caught.value.message
