"""Exercise checkers accept every usual form of a right answer and say which form they expect
(issue 25, item 3): lesson 01's format question and lesson 02's subnormal."""
import pytest
import torch

from sciml_teach import exercises


@pytest.mark.parametrize("answer", ["bfloat16", "bf16", "BF16", " BFloat16 ", "torch.bfloat16",
                                    torch.bfloat16])
def test_01_3_accepts_every_name_of_bfloat16(answer, capsys):
    assert exercises.check("01.3", answer)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["float16", "fp16", "half", torch.float16, torch.float32, 1e-9,
                                    "bfloat", ""])
def test_01_3_rejects_other_formats_and_names_the_expected_form(answer, capsys):
    assert not exercises.check("01.3", answer)
    hint = capsys.readouterr().out
    assert "Hint" in hint and "torch dtype" in hint and "bfloat16" not in hint  # never the answer


def test_01_3_question_states_the_form():
    question = exercises.EXERCISES["01.3"].question
    assert "name" in question and "torch dtype" in question


def test_02_2_takes_the_number_in_any_numeric_form():
    exact = 2.0**-24
    assert exercises.check("02.2", exact) and exercises.check("02.2", torch.tensor(exact))
    assert not exercises.check("02.2", 2.0**-14)                      # the smallest *normal*
