"""Catalogs: same keys in English and 简体中文, no empty values, matching placeholders, and every key
the code uses (literal t("...")/translate(lang, "...") keys, error keys, SPEC *_key values) present."""

import random
import re
import string
from pathlib import Path

import pytest
import yaml

from protocols import REGISTRY
from ui.i18n import LANGS, catalog, has

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("app.py", "pages", "ui", "sim", "viz", "lessons", "protocols", "checkers")
           for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py"))]
KEY_CALL = re.compile(r"""\b(?:t|tr|translate\(\s*\w+\s*,)\(?\s*["']([a-z][\w\-]*(?:\.[\w\-]+)+)["']""")
ERR_KEY = re.compile(r"""["'](err\.[a-z0-9_.]+)["']""")
# checker explanations are Message("chk....", ...) built in the pure layers, rendered later
CHK_KEY = re.compile(r"""["'](chk\.[a-z0-9_.\-]+[a-z0-9_])["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_same_keys_in_every_file_pair():
    for en_file in sorted((ROOT / "ui/i18n/en").glob("*.yaml")):
        zh_file = ROOT / "ui/i18n/zh" / en_file.name
        assert zh_file.exists(), zh_file
        en = yaml.safe_load(en_file.read_text(encoding="utf-8"))
        zh = yaml.safe_load(zh_file.read_text(encoding="utf-8"))
        assert set(_flat(en)) == set(_flat(zh)), en_file.name


def _flat(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out.update(_flat(v, key) if isinstance(v, dict) else {key: v})
    return out


def test_catalogs_same_keys_no_empty_values_same_placeholders():
    en, zh = catalog("en"), catalog("zh")
    assert set(en) == set(zh), sorted(set(en) ^ set(zh))
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _placeholders(en[key]) == _placeholders(zh[key]), key


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        keys |= {k for k in KEY_CALL.findall(text) if not k.endswith(".")}
        keys |= set(ERR_KEY.findall(text))
        keys |= set(CHK_KEY.findall(text))
    for spec in REGISTRY.values():
        keys |= {spec.title_key, spec.summary_key}
        keys |= {p.help_key for p in spec.params if p.help_key}
        keys |= {b.description_key for b in spec.bugs} | {i.description_key for i in spec.invariants}
    # keys built with an f-string in the pages (one per option)
    keys |= {f"core.topic.{t}.{f}" for t in ("background", "concepts", "maths", "code", "bigdata", "tools",
                                               "trends", "faq") for f in ("title", "desc")}
    keys |= {f"lab.latency.{k}" for k in ("fixed", "uniform", "long_tail")}
    keys |= {f"lab.mode.{m}" for m in ("random", "manual")}
    keys |= {f"lab.end.{r}" for r in ("max_steps", "max_pending", "max_time", "stopped", "bad_choice")}
    keys |= {f"lab.faults.applied.{f}" for f in ("crash", "restart", "partition", "heal", "drop", "duplicate",
                                                  "delay")}
    keys |= {f"lab.controls.{n}" for n in ("loss", "duplicate", "reorder")}
    return keys


def test_extractor_finds_keys():
    keys = _used_keys()
    assert {"lab.title", "clocks.title", "core.home.title", "err.unknown_node", "err.share_garbled"} <= keys


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_title_is_translated(lang):
    from ui.frame import PAGES

    assert all(k in catalog(lang) for _stem, k, _icon in PAGES)


@pytest.mark.parametrize("lang", LANGS)
def test_every_used_key_exists(lang):
    missing = sorted(k for k in _used_keys() if k not in catalog(lang))
    assert not missing, missing


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_node_role_and_invariant_label_is_translated(lang):
    """Roles and invariant labels are looked up by computed keys, which the literal-key scan misses."""
    from protocols import REGISTRY

    for spec in REGISTRY.values():
        params = spec.resolve_params({})
        for node_id in spec.node_ids(params):
            node = spec.make_node(node_id, spec.node_ids(params), params, None, random.Random(0))
            assert has(lang, f"viz.role.{node.ROLE}"), (spec.id, node.ROLE)
        for inv in spec.invariants:
            assert inv.label_key and has(lang, inv.label_key), (spec.id, inv.name)


def test_a_message_argument_may_be_called_key():
    """Protocol notes name the key they touch (``{"key": "x"}``): translating them must not clash
    with the catalog key parameter (it crashed the event log of the quorum store's runs)."""
    from ui.i18n import translate, translator
    from viz.msc import _tr

    assert translate("en", "err.unknown_node", node="n1", key="x") == translate("en", "err.unknown_node", node="n1")
    assert translator("zh")("err.unknown_node", node="n1", key="x")
    assert _tr(translator("en"), "no.such.key", "fallback", key="x") == "fallback"
