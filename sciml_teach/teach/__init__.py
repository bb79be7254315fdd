"""The teacher's kit: a student release graded with nbgrader, attempts recorded locally, and the
command line that writes and summarises them (``python -m sciml_teach.teach release|progress``).

:mod:`.release` turns the lessons into an nbgrader course (answer cells, hidden autograder tests,
the worked solutions inside ``### BEGIN SOLUTION`` regions) and a student copy without them;
:mod:`.attempts` appends each checked answer to a small local file and sums a folder of them;
:mod:`.cli` is the command line. Nothing here reaches the network. See docs/teaching.md.
"""
