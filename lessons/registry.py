"""Lessons: folders under ``lessons/content/``, discovered, never registered.

Theory of operation
-------------------
A lesson is a folder ``lessons/content/<id>/`` holding three files::

    lesson.yaml   order, bilingual title and summary, the presets it cites, its sources,
                  and the self-check questions (answer key included)
    en.md         the lesson in English
    zh.md         the same lesson in 简体中文

Each Markdown file is cut into **sections** by marker lines ``<!-- section: <id> -->``, each
followed by the section's ``## `` heading. Both languages must have the same section ids in
the same order, with the same preset and source markers in each, and the last two must be ``notice`` ("What to notice") and ``check``
(the self-check, whose questions come from ``lesson.yaml``). Inside a section two more markers
are understood (each on its own line; anything else is Markdown, LaTeX in ``$…$``/``$$…$$``):

* ``<!-- preset: <preset id> -->`` — a link that opens that preset in the Protocol Lab;
* ``<!-- source: <key> -->`` — a citation, rendered from ``sources[<key>]`` of ``lesson.yaml``;
* ``<!-- widget: <name> -->`` — an interactive piece drawn by ``ui/widgets/<name>.py`` (its
  ``render(key_prefix)``); the module must exist (``WIDGET_DIR``), so a typo fails the tests.

``lesson.yaml``::

    order: 1
    title: {en: ..., zh: ...}
    summary: {en: ..., zh: ...}
    presets: [raft-leader-crash, ...]     # every preset marker must be listed here
    sources: {lamport1978: "L. Lamport, Time, Clocks, and the Ordering of Events…, CACM 21(7), 1978"}
    self_check:
      - question: {en: ..., zh: ...}
        choices: [{en: ..., zh: ...}, ...]
        answer: 1                          # index into choices
        why: {en: ..., zh: ...}

Files are read with ``yaml.safe_load`` and bounded in size. A malformed lesson raises
``LessonError`` naming the file and the problem — a bug of ours, which the tests catch; adding
a lesson never means editing ``app.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

CONTENT_DIR = Path(__file__).parent / "content"
LANGS = ("en", "zh")
MAX_FILE_BYTES = 256 * 1024
LAST_SECTIONS = ("notice", "check")
_SECTION = re.compile(r"^<!-- section: ([a-z0-9-]+) -->\s*$")
_PRESET = re.compile(r"^<!-- preset: ([a-z0-9-]+) -->\s*$")
_SOURCE = re.compile(r"^<!-- source: ([A-Za-z0-9_-]+) -->\s*$")
_WIDGET = re.compile(r"^<!-- widget: ([a-z0-9_]+) -->\s*$")
# Widgets are Streamlit code, so they live in ui/; the registry only checks that one exists.
WIDGET_DIR = Path(__file__).resolve().parents[1] / "ui" / "widgets"


class LessonError(ValueError):
    """A lesson that cannot be read: which file, and what is wrong."""


@dataclass(frozen=True)
class Block:
    """One piece of a section: ``kind`` is ``markdown`` (``text``), ``preset``, ``source`` or ``widget`` (``ref``)."""

    kind: str
    text: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Question:
    question: Mapping[str, str]
    choices: tuple[Mapping[str, str], ...]
    answer: int
    why: Mapping[str, str]


@dataclass(frozen=True)
class Lesson:
    id: str
    order: int
    title: Mapping[str, str]
    summary: Mapping[str, str]
    presets: tuple[str, ...]
    sources: Mapping[str, str]
    self_check: tuple[Question, ...]
    sections: Mapping[str, tuple[Section, ...]]  # language -> sections in order


def _read(path: Path) -> str:
    if not path.is_file():
        raise LessonError(f"{path}: missing")
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise LessonError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    return data.decode("utf-8")


def _bilingual(value: Any, where: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or any(not isinstance(value.get(lang), str) or not value[lang].strip()
                                              for lang in LANGS):
        raise LessonError(f"{where}: needs non-empty 'en' and 'zh' texts")
    return {lang: value[lang] for lang in LANGS}


def parse_sections(text: str, where: str) -> tuple[Section, ...]:
    """The sections of one language's Markdown (see the module doc)."""
    sections: list[Section] = []
    current: tuple[str, str] | None = None
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush_text() -> None:
        if "".join(buffer).strip():
            blocks.append(Block("markdown", text="\n".join(buffer).strip("\n")))
        buffer.clear()

    def close() -> None:
        flush_text()
        if current is not None:
            sections.append(Section(current[0], current[1], tuple(blocks)))
        blocks.clear()

    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _SECTION.match(line)
        if m:
            close()
            heading = lines[i + 1] if i + 1 < len(lines) else ""
            if not heading.startswith("## "):
                raise LessonError(f"{where}: section '{m.group(1)}' must be followed by a '## ' heading")
            current = (m.group(1), heading[3:].strip())
            i += 2
            continue
        if current is None:
            if line.strip():
                raise LessonError(f"{where}: text before the first section marker")
        elif (p := _PRESET.match(line)) or (s := _SOURCE.match(line)) or (w := _WIDGET.match(line)):
            flush_text()
            blocks.append(Block("preset", ref=p.group(1)) if p else Block("source", ref=s.group(1)) if s
                          else Block("widget", ref=w.group(1)))
        else:
            buffer.append(line)
        i += 1
    close()
    ids = [s.id for s in sections]
    if len(set(ids)) != len(ids):
        raise LessonError(f"{where}: a section id appears twice")
    if tuple(ids[-2:]) != LAST_SECTIONS:
        raise LessonError(f"{where}: the last sections must be {', '.join(LAST_SECTIONS)}")
    return tuple(sections)


def _questions(raw: Any, where: str) -> tuple[Question, ...]:
    if not isinstance(raw, list) or not raw:
        raise LessonError(f"{where}: self_check needs at least one question")
    out = []
    for k, q in enumerate(raw):
        at = f"{where}: self_check[{k}]"
        if not isinstance(q, Mapping):
            raise LessonError(f"{at}: not a mapping")
        choices = q.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            raise LessonError(f"{at}: needs at least two choices")
        answer = q.get("answer")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise LessonError(f"{at}: answer must index a choice")
        out.append(Question(_bilingual(q.get("question"), at + ".question"),
                            tuple(_bilingual(c, f"{at}.choices") for c in choices), answer,
                            _bilingual(q.get("why"), at + ".why")))
    return tuple(out)


def load_lesson(lesson_id: str) -> Lesson:
    """One lesson by id (its folder name); ``LessonError`` if it is missing or malformed."""
    if not re.fullmatch(r"[a-z0-9-]+", lesson_id or ""):
        raise LessonError(f"{lesson_id!r}: not a lesson id")
    folder = CONTENT_DIR / lesson_id
    meta_path = folder / "lesson.yaml"
    meta = yaml.safe_load(_read(meta_path))
    if not isinstance(meta, Mapping):
        raise LessonError(f"{meta_path}: not a mapping")
    order = meta.get("order")
    if isinstance(order, bool) or not isinstance(order, int):
        raise LessonError(f"{meta_path}: order must be an integer")
    presets = meta.get("presets") or []
    sources = meta.get("sources") or {}
    if not isinstance(presets, list) or not all(isinstance(p, str) for p in presets):
        raise LessonError(f"{meta_path}: presets must be a list of preset ids")
    if not isinstance(sources, Mapping) or not all(isinstance(v, str) for v in sources.values()):
        raise LessonError(f"{meta_path}: sources must map keys to citations")
    sections = {lang: parse_sections(_read(folder / f"{lang}.md"), str(folder / f"{lang}.md")) for lang in LANGS}
    for lang, secs in sections.items():
        for sec in secs:
            for b in sec.blocks:
                if b.kind == "preset" and b.ref not in presets:
                    raise LessonError(f"{folder / (lang + '.md')}: preset '{b.ref}' is not listed in lesson.yaml")
                if b.kind == "source" and b.ref not in sources:
                    raise LessonError(f"{folder / (lang + '.md')}: source '{b.ref}' is not in lesson.yaml")
                if b.kind == "widget" and not (WIDGET_DIR / f"{b.ref}.py").is_file():
                    raise LessonError(f"{folder / (lang + '.md')}: no widget ui/widgets/{b.ref}.py")
    shapes = {lang: [(sec.id, [(b.kind, b.ref) for b in sec.blocks if b.kind != "markdown"]) for sec in secs]
              for lang, secs in sections.items()}
    if shapes["en"] != shapes["zh"]:
        raise LessonError(f"{folder}: en.md and zh.md differ in their sections, presets or sources")
    return Lesson(id=lesson_id, order=order, title=_bilingual(meta.get("title"), f"{meta_path}: title"),
                  summary=_bilingual(meta.get("summary"), f"{meta_path}: summary"), presets=tuple(presets),
                  sources=dict(sources), self_check=_questions(meta.get("self_check"), str(meta_path)),
                  sections=sections)


def lesson_ids() -> set[str]:
    """The ids of the lessons present (folders with a ``lesson.yaml``), without reading them."""
    if not CONTENT_DIR.is_dir():
        return set()
    return {p.name for p in CONTENT_DIR.iterdir() if (p / "lesson.yaml").is_file()}


def list_lessons() -> list[Lesson]:
    """Every lesson, by ``order`` then id."""
    lessons = [load_lesson(name) for name in sorted(lesson_ids())]
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.id))
