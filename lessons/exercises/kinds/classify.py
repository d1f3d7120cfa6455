"""Placeholder: the 'classify' exercise kind (being written)."""


def make(spec, seed):
    raise NotImplementedError


def parse_answer(question, raw):
    raise NotImplementedError


def grade(question, answer):
    raise NotImplementedError


def answer_key(question):
    raise NotImplementedError
