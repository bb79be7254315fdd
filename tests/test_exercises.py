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
