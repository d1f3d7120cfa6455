"""Share links: round trip, and every kind of hostile ``p``/``c`` is refused with a translatable key."""

import base64
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.edit import default_scenario, with_fault
from sim.scenario import ScenarioError
from ui import share
from ui.i18n import has


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_round_trip_is_exact():
    sc = with_fault(default_scenario("two-phase-commit"), None, {"type": "crash", "node": "tm"}, 5)
    text = share.encode(sc, 7)
    back, cursor = share.decode(text)
    assert back == sc and back.to_json() == sc.to_json() and cursor == 7
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**40), cursor=st.integers(0, 100_000), loss=st.floats(0, 1))
def test_round_trip_property(seed, cursor, loss):
    sc = default_scenario("logical-clocks").replace(seed=seed)
    sc = sc.replace(network=sc.network.__class__(latency=sc.network.latency, loss=loss))
    assert share.decode(share.encode(sc, cursor)) == (sc, cursor)


@pytest.mark.parametrize("text, key", [
    ("", "err.share_empty"),
    ("!!!", "err.share_garbled"),
    ("abc def", "err.share_garbled"),
    (_b64(b"this is not zlib at all"), "err.share_garbled"),
    (_b64(zlib.compress(b"\x00\xff junk")), "err.share_garbled"),
    (_b64(zlib.compress(b'{"s": 1}')), "err.share_garbled"),
    (_b64(zlib.compress(b'[1, 2, 3]')), "err.share_garbled"),
    (_b64(zlib.compress(b"[" * 100_000 + b"]" * 100_000)), "err.nested"),
    (_b64(zlib.compress(b'{"s": {"protocol": "nope"}, "c": 0}')), "err.unknown_protocol"),
    (_b64(zlib.compress(b'{"s": {"protocol": "ping"}, "c": -5}')), "err.cursor"),
    (_b64(zlib.compress(b" " * (2 * share.MAX_DECODED))), "err.share_too_big"),
    ("A" * (share.MAX_ENCODED + 1), "err.share_too_long"),
    (_b64(zlib.compress(b'{"s": {"protocol": "ping"}, "c": 0}')[:-4]), "err.share_garbled"),
])
def test_hostile_links_are_refused_with_a_translated_key(text, key):
    with pytest.raises(ScenarioError) as exc:
        share.decode(text)
    assert exc.value.key == key
    assert has("en", key) and has("zh", key)


def test_bomb_stops_at_the_limit():
    bomb = _b64(zlib.compress(b"0" * (50 * 1024 * 1024), 9))  # 50 MB of zeros in ~50 kB... too long anyway
    small_bomb = _b64(zlib.compress(b"0" * (5 * 1024 * 1024), 9))  # ~5 kB encoded, 5 MB inflated
    assert len(small_bomb) <= share.MAX_ENCODED
    for text in (bomb, small_bomb):
        with pytest.raises(ScenarioError) as exc:
            share.decode(text)
        assert exc.value.key in ("err.share_too_big", "err.share_too_long")


@pytest.mark.parametrize("c", ["-5", "abc", "99999999", "1e3", "٣", " 4", "9" * 40])
def test_bad_cursor_param(c):
    with pytest.raises(ScenarioError) as exc:
        share.parse_cursor(c)
    assert exc.value.key == "err.cursor" and exc.value.path == "c"


def test_good_cursor_param():
    assert share.parse_cursor("12") == 12 and share.parse_cursor(None) is None


def test_a_preset_link_carries_only_the_preset_id_and_restores_its_captions():
    from ui.lab_state import load_preset as lab_load_preset

    sc = lab_load_preset("two-phase-commit-coordinator-crash")
    assert sc.meta["captions"] and sc.meta["preset"] == "two-phase-commit-coordinator-crash"
    link = share.encode(sc, 7)
    full = base64.urlsafe_b64encode(zlib.compress(sc.to_json().encode(), 9))
    assert len(link) < len(full) / 2
    back, cursor = share.decode(link)
    assert (back, cursor) == (sc, 7)
    edited = sc.replace(meta={**sc.meta, "title": {"en": "mine", "zh": "我的"}})
    assert share.decode(share.encode(edited, 0))[0] == edited  # not the preset's meta: carried in full
