import math
import struct

import pytest
import torch

import sciml_teach as st


def test_the_numbers_a_learner_must_know():
    f16, bf16 = st.format_facts("float16"), st.format_facts("bfloat16")
    assert f16["max"] == 65504
    assert f16["smallest_normal"] == pytest.approx(6.1e-5, rel=0.01)
    assert f16["smallest_subnormal"] == pytest.approx(5.96e-8, rel=0.01)
    assert f16["ulp_of_1"] == pytest.approx(9.77e-4, rel=0.01)
    assert bf16["ulp_of_1"] == pytest.approx(7.81e-3, rel=0.01)
    assert bf16["max"] == pytest.approx(torch.finfo(torch.float32).max, rel=0.01)


@pytest.mark.parametrize("x", [1.0, 0.1, 3.0, 1000.0, 1e-20, 123456.0])
def test_float32_ulp_matches_nextafter(x):
    # independent reference: the distance to the next float32 found by torch.nextafter
    t = torch.tensor(x, dtype=torch.float32)
    expected = (torch.nextafter(t, torch.tensor(math.inf)) - t).item()
    assert st.ulp(x, "float32") == expected


def test_float16_ulp_and_rounding():
    assert st.ulp(1.0, "float16") == 2**-10
    assert st.ulp(1024.0, "float16") == 1.0
    assert st.round_to(70000.0, "float16") == math.inf
    assert st.round_to(1e-8, "float16") == 0.0
    assert st.round_to(1e-8, "bfloat16") > 0


def test_updates_that_round_away():
    assert not st.update_survives(1.0, 2e-4, "float16")
    assert st.update_survives(1.0, 6e-4, "float16")
    assert not st.update_survives(1.0, 1e-3, "bfloat16")
    assert st.smallest_surviving_update(1.0, "float16") == 2**-11


@pytest.mark.parametrize("x", [0.1, -2.5, 65504.0, 1e-6])
def test_float32_bit_fields_match_struct(x):
    word = format(struct.unpack(">I", struct.pack(">f", x))[0], "032b")  # independent encoder
    sign, exponent, mantissa = st.bit_fields(x, "float32")
    assert sign + exponent + mantissa == word
    assert (len(exponent), len(mantissa)) == (8, 23)


def test_float16_bit_fields_decode_to_the_stored_value():
    sign, exponent, mantissa = st.bit_fields(0.1, "float16")
    value = (-1) ** int(sign) * (1 + int(mantissa, 2) / 2**10) * 2 ** (int(exponent, 2) - 15)
    assert value == st.round_to(0.1, "float16")


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="float16"):
        st.format_facts("float8")


def test_describe_lists_every_format():
    rows = st.describe(0.1)
    assert [r["format"] for r in rows] == list(st.DTYPES)
    assert rows[1]["relative_error"] > rows[0]["relative_error"]
