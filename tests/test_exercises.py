import pytest

from sciml_teach import exercises


def test_right_wrong_and_missing_answers(capsys):
    assert exercises.check("01.1", 2048)
    assert "correct" in capsys.readouterr().out
    assert not exercises.check("01.1", 1024)
    out = capsys.readouterr().out
    assert "Hint" in out and "2048" not in out  # a hint, never the answer
    assert not exercises.check("01.3", None)
    assert "not answered" in capsys.readouterr().out


def test_every_exercise_rejects_a_wrong_answer():
    for exercise in exercises.EXERCISES.values():
        assert not exercise.is_correct("certainly wrong")


def test_unknown_exercise():
    with pytest.raises(ValueError, match="01.1"):
        exercises.check("99.9", 1)


def test_function_checkers_accept_the_library_and_reject_a_perturbed_field(capsys):
    import sciml_teach as st

    rd = st.ReactionDiffusion()

    def residual(model, v, x):  # lesson 04's residual with forward-mode derivatives
        return rd.residual(st.get_strategy("forward").fields(model, v, x, rd.requests), v, x)

    def zcs_field(model, v, x, request):
        return st.ZCS().fields(model, v, x, [request])[request]

    assert exercises.check("04.1", residual)
    assert exercises.check("05.4", zcs_field)
    capsys.readouterr()
    wrong = {"04.1": lambda m, v, x: residual(m, v, x) * (1 + 1e-4),
             "05.4": lambda m, v, x, r: zcs_field(m, v, x, r) + 1e-4,
             "05.4 ": lambda m, v, x, r: zcs_field(m, v, x, r)[:1]}  # wrong shape
    for exercise_id, fn in wrong.items():
        assert not exercises.check(exercise_id.strip(), fn)
        assert "Hint" in capsys.readouterr().out
    assert not exercises.check("04.1", lambda m, v, x: 1 / 0)  # an error is a wrong answer
    assert "Hint" in capsys.readouterr().out


def test_computed_answers_of_lessons_05_and_06(capsys):
    assert exercises.check("05.1", (4, 1)) and not exercises.check("05.1", (4, 2))
    assert exercises.check("06.1", 128) and not exercises.check("06.1", 256)
    assert exercises.check("06.4", 65520) and not exercises.check("06.4", 65505)
    out = capsys.readouterr().out
    for answer in ["(4, 1)", "128", "65520"]:
        assert answer not in out


def test_function_checkers_leave_the_random_state_alone():
    import torch

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    exercises.check("05.4", lambda m, v, x, r: None)
    assert torch.equal(torch.rand(3), expected)
