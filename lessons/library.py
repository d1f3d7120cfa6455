"""The scenario library's pure half: every preset as a card, searchable, grouped by protocol, with
the steps of its tour — the page (``ui/library_view.py``) only draws them.

Theory of operation
-------------------
``entries(presets)`` turns ``lessons.presets.list_presets()`` into ``Entry`` values: id,
protocol, the bilingual title and description, and the tour (``TourStep``: each captioned
step once, in order). ``search(entries, query, lang, protocol_titles)`` keeps the entries
whose text contains EVERY word of the query (case- and width-insensitive, NFKC + casefold),
the text being the title and description in the reader's language, the protocol's id and
translated title, and the preset id; an empty query keeps everything. Chinese has no spaces,
so a Chinese query is one word matched as a substring. ``group(entries)`` keeps the order of
``list_presets`` (protocol, ``meta.order``, id) and gathers each protocol's entries.

A card opens the Lab at one of ``positions(entry)``: the start (step 0), a captioned step
of the tour, or the end (the run's last step, known only once the preset has run: the page
asks the cached runner for it). ``lab_url(page_url, blob, lang)`` is the bare link an
instructor pastes into slides: the app's ``/lab`` page with the share blob
(``ui.share.encode``) in ``p`` and the language in ``lang``.

No Streamlit, no share encoding (that lives in ``ui/``): plain data in, plain data out.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

LAB_PATH = "lab"
LIBRARY_PATH = "library"
MAX_QUERY_CHARS = 200


class TourStep(NamedTuple):
    step: int
    text: Mapping[str, str]  # language -> caption


class Entry(NamedTuple):
    id: str
    protocol: str
    title: Mapping[str, str]  # language -> text
    description: Mapping[str, str]
    tour: tuple[TourStep, ...]


class Position(NamedTuple):
    """Where a link opens the run: ``kind`` is ``start``, ``tour`` or ``end``; ``step`` is the
    cursor (``None`` for ``end``: the run's last step, known once it has run)."""

    kind: str
    step: int | None


def text_in(texts: Any, lang: str) -> str:
    """``texts[lang]``, else the English, else a plain string as it is, else ``""``."""
    if isinstance(texts, Mapping):
        value = texts.get(lang) or texts.get("en") or ""
        return value if isinstance(value, str) else str(value)
    return texts if isinstance(texts, str) else ""


def tour_steps(meta: Mapping[str, Any]) -> tuple[TourStep, ...]:
    """The captioned steps of a preset, once each (the last caption of a step wins), in order."""
    by_step: dict[int, Mapping[str, str]] = {}
    for c in meta.get("captions") or ():
        if isinstance(c, Mapping) and isinstance(c.get("step"), int) and not isinstance(c["step"], bool) \
                and c["step"] >= 0:
            by_step[c["step"]] = {k: v for k, v in c.items() if isinstance(v, str)}
    return tuple(TourStep(s, by_step[s]) for s in sorted(by_step))


def _texts(value: Any) -> Mapping[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
    return {"en": value} if isinstance(value, str) else {}


def entries(presets: Iterable[Any]) -> tuple[Entry, ...]:
    """One ``Entry`` per preset (anything with ``id``, ``protocol`` and ``meta``), order kept."""
    return tuple(Entry(id=p.id, protocol=p.protocol, title=_texts(p.meta.get("title")) or {"en": p.id},
                       description=_texts(p.meta.get("description")), tour=tour_steps(p.meta))
                 for p in presets)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def haystack(entry: Entry, lang: str, protocol_title: str = "") -> str:
    """Everything a query is matched against, normalised."""
    return _norm(" \n ".join((text_in(entry.title, lang), text_in(entry.description, lang), entry.protocol,
                              protocol_title, entry.id)))


def search(items: Sequence[Entry], query: str, lang: str,
           protocol_titles: Mapping[str, str] | None = None) -> list[Entry]:
    """The entries matching every word of ``query`` (at most ``MAX_QUERY_CHARS`` are read)."""
    words = _norm(str(query or "")[:MAX_QUERY_CHARS]).split()
    titles = protocol_titles or {}
    if not words:
        return list(items)
    return [e for e in items if all(w in haystack(e, lang, titles.get(e.protocol, "")) for w in words)]


def group(items: Iterable[Entry]) -> list[tuple[str, list[Entry]]]:
    """``[(protocol, its entries), ...]`` in order of first appearance."""
    out: dict[str, list[Entry]] = {}
    for e in items:
        out.setdefault(e.protocol, []).append(e)
    return list(out.items())


def positions(entry: Entry) -> list[Position]:
    """Start, every tour step (but step 0, which is the start), end."""
    return [Position("start", 0), *(Position("tour", s.step) for s in entry.tour if s.step > 0),
            Position("end", None)]


def lab_url(page_url: str | None, blob: str, lang: str) -> str:
    """The Lab's address carrying ``blob`` (``p``) and ``lang``, built from the library page's own
    URL (its query and fragment dropped, its last path segment replaced); relative if unknown."""
    base = str(page_url or "").split("#")[0].split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    if last == LIBRARY_PATH and "://" in base and head.count("/") >= 2:
        base = head
    elif "://" not in base:
        base = ""
    return f"{base}/{LAB_PATH}?lang={lang}&p={blob}"
