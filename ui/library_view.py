"""The scenario library page: every preset of every protocol, searchable, each one a link into the
Lab at an exact state — for instructors preparing a class or slides.

Theory of operation
-------------------
The pure half (cards, search, grouping, tour steps, the bare URL) is ``lessons.library``;
this module draws it. The preset list is read once per process (``st.cache_data``: the 75 or
so YAML files take about a second to parse). A card shows the title, the protocol, the id,
whether it has a guided tour, and the description, then a choice of where the link opens
the run: the start, a step of the tour, or the end. The end needs the run's length, so only
that choice runs the preset (through the shared, cached ``ui.runner``). The link is
``ui.share.encode(scenario, cursor)`` — the preset travels as its id, so it stays short — and
is offered twice: a page link that opens the Lab in this tab, and the bare URL in a code
block (with a copy button) to paste into slides.

Session state: the search text (``library.search``) and each card's position choice
(``library.at.<preset id>``); nothing else.
"""

from __future__ import annotations

import streamlit as st

from lessons import library as lib
from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from ui import share
from ui.frame import page_file
from ui.lang import bound_t, current_lang, md_escape
from ui.runner import run_json

K = "library."
K_SEARCH = K + "search"
CAPTION_CHARS = 70


@st.cache_data(max_entries=1, show_spinner=False)
def library_entries() -> tuple[lib.Entry, ...]:
    return lib.entries(list_presets())


@st.cache_data(max_entries=1024, show_spinner=False)
def preset_link(preset_id: str, cursor: int) -> str:
    """The share blob of preset ``preset_id`` at step ``cursor`` (``ui.share.decode`` gives both back)."""
    return share.encode(load_preset(preset_id), cursor)


def final_step(preset_id: str) -> int:
    """The last step of the preset's run (the cursor the Lab shows at its end)."""
    return max(0, run_json(load_preset(preset_id).to_json()).n_steps - 1)


def _protocol_title(protocol: str, t) -> str:
    spec = REGISTRY.get(protocol)
    return t(spec.title_key) if spec is not None else protocol


def _position_label(pos: lib.Position, entry: lib.Entry, lang: str, t) -> str:
    if pos.kind == "start":
        return t("library.at.start")
    if pos.kind == "end":
        return t("library.at.end")
    caption = next((lib.text_in(s.text, lang) for s in entry.tour if s.step == pos.step), "")
    if len(caption) > CAPTION_CHARS:
        caption = caption[:CAPTION_CHARS].rstrip() + "…"
    return t("library.at.step", step=pos.step, caption=caption)


def _card(entry: lib.Entry, lang: str, base_url: str, t) -> None:
    with st.container(border=True, key=f"{K}card.{entry.id}"):
        st.markdown(f"**{md_escape(lib.text_in(entry.title, lang), 300)}**")
        tour = t("library.tour", n=len(entry.tour)) if entry.tour else t("library.no_tour")
        # ids are our own file stems ([a-z0-9-]): safe inside the code span as they are
        st.caption(t("library.meta", protocol=md_escape(_protocol_title(entry.protocol, t)), id=entry.id, tour=tour))
        description = lib.text_in(entry.description, lang)
        if description:
            st.markdown(md_escape(description, 4000))
        options = lib.positions(entry)
        pos = st.selectbox(t("library.position"), options, key=f"{K}at.{entry.id}",
                           format_func=lambda p: _position_label(p, entry, lang, t))
        cursor = final_step(entry.id) if pos.kind == "end" else int(pos.step)
        blob = preset_link(entry.id, cursor)
        st.page_link(page_file("lab"), label=t("library.open", step=cursor), icon=":material/science:",
                     query_params={"lang": lang, "p": blob})
        st.code(lib.lab_url(base_url, blob, lang), language=None, wrap_lines=True)


def library_page() -> None:
    t = bound_t()
    lang = current_lang()
    st.title(t("library.title"))
    st.markdown(t("library.intro"))
    everything = library_entries()
    titles = {e.protocol: _protocol_title(e.protocol, t) for e in everything}
    query = st.text_input(t("library.search"), key=K_SEARCH, placeholder=t("library.search_placeholder"),
                          max_chars=lib.MAX_QUERY_CHARS)
    found = lib.search(everything, query, lang, titles)
    if not found:
        st.info(t("library.nothing", query=md_escape(query, 80)))
        return
    groups = lib.group(found)
    st.caption(t("library.count", n=len(found), total=len(everything), protocols=len(groups)))
    base_url = getattr(st.context, "url", None) or ""
    for protocol, items in groups:
        with st.expander(t("library.group", protocol=titles[protocol], n=len(items)), expanded=bool(query.strip())):
            for entry in items:
                _card(entry, lang, base_url, t)
