"""Auto-graded exercises: data under ``lessons/exercises/content/*.yaml``, one module per kind.

Theory of operation
-------------------
An **exercise** (``ExerciseSpec``) is a YAML entry: an id, a ``kind``, the lesson ``topic`` it
belongs to, a bilingual title, kind-specific ``params`` and optional bilingual hints. The
registry (``core.load_exercises``) discovers every file, so adding an exercise never means
editing code.

A **question** is an exercise made concrete by a **seed**: ``core.make_question(spec, seed)``
calls the kind's ``make``. The seed comes from the learner (``core.question_seed``: a hash of
the exercise id and the learner's seed) or from an assignment, so two learners get different
questions and one learner always gets the same one back. Everything below the UI is pure and
deterministic: the same (exercise, seed) gives the same question, byte for byte.

**Grading** never trusts the learner: ``core.grade(question, raw_answer)`` first parses the raw
answer (``AnswerError`` for a malformed one), then asks the project's own simulator and checkers
— what a record or a YAML file claims is never believed. ``answer_key(question)`` gives one
correct answer (computed, or for ``break`` a schedule kept in the YAML), which the tests feed
back through ``grade`` to prove key and grader agree.

Kinds (``lessons/exercises/kinds/<kind>.py``), each a module with
``make(spec, seed) -> Question``, ``parse_answer(question, raw) -> answer``,
``grade(question, answer) -> Feedback`` and ``answer_key(question) -> answer``:

========  ==========  ===============================================================
kind      form        what the learner does
========  ==========  ===============================================================
predict   choice      picks the next event / the next state of a run (simulator)
classify  models      ticks every model a generated history satisfies (checkers)
quorum    quorum      chooses N, R, W (and sync/async) for stated requirements
break     schedule    writes a fault schedule that makes a bug variant break an invariant
========  ==========  ===============================================================

The ``form`` tells the UI which widget to draw; ``Question.data`` carries what it needs
(documented on ``Question``). Progress records and assignments are in ``lessons.exercises.record``.
"""
