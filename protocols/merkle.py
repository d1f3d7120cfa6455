"""A Merkle (hash) tree over a fixed, ordered key space, as used for anti-entropy repair.

Theory of operation
-------------------
R. Merkle, "A Digital Signature Based on a Conventional Encryption Function", CRYPTO 1987:
a tree in which every leaf is the hash of a block of data and every inner node the hash of
its children's hashes, so two parties can compare the whole data by comparing one root hash,
and find *where* it differs by descending only into children whose hashes differ.
Dynamo (DeCandia et al., SOSP 2007, §4.7) and Cassandra's repair use it over key ranges: each
leaf covers a contiguous range of the key space; replicas exchange hashes top-down and then
exchange only the keys of differing leaves.

Here the key space is ``keys`` names ``k00`` .. ``k{keys-1}`` in order, the tree has ``depth``
levels below the root and ``fanout`` children per inner node, so ``fanout ** depth`` leaves,
leaf ``i`` covering an equal slice of the keys. A node is addressed ``(level, index)``, the
root ``(0, 0)``; the children of ``(l, i)`` are ``(l + 1, i * fanout + j)``. Hashes are
SHA-256 (``hashlib``, never Python's salted ``hash()``), so they are the same in every
process. Everything here is a pure function of its arguments.

``leaf_hash`` hashes the ``(key, version, value)`` triples of its range. The optional
``keys_only`` flag hashes key names alone: the bug variant of ``protocols.merkle_anti_entropy``
that makes replicas holding different values of the same keys look identical.

Deviations from the source
--------------------------
- Leaves cover fixed, (nearly) equal slices of a known key space (Dynamo's trees cover a node's
  key ranges on the consistent-hashing ring; Cassandra splits the token range). With more
  leaves than keys some leaves cover no key and hash the empty range.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Mapping

Store = Mapping[str, Mapping[str, Any]]  # key -> {"value", "ts", "origin"}


@functools.cache  # a pure function of an int: caching changes nothing but the cost
def key_names(keys: int) -> tuple[str, ...]:
    width = max(2, len(str(keys - 1)))
    return tuple(f"k{i:0{width}d}" for i in range(keys))


def n_leaves(fanout: int, depth: int) -> int:
    return fanout ** depth


def leaf_range(index: int, keys: int, fanout: int, depth: int) -> tuple[int, int]:
    """Key positions ``[lo, hi)`` covered by leaf ``index``."""
    leaves = n_leaves(fanout, depth)
    return index * keys // leaves, (index + 1) * keys // leaves


def node_range(level: int, index: int, keys: int, fanout: int, depth: int) -> tuple[int, int]:
    """Key positions ``[lo, hi)`` covered by tree node ``(level, index)``."""
    span = fanout ** (depth - level)  # leaves under it
    lo, _ = leaf_range(index * span, keys, fanout, depth)
    _, hi = leaf_range(index * span + span - 1, keys, fanout, depth)
    return lo, hi


def children(level: int, index: int, fanout: int) -> list[tuple[int, int]]:
    return [(level + 1, index * fanout + j) for j in range(fanout)]


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(4, "big"))  # length-prefixed: ("ab","c") never hashes like ("a","bc")
        h.update(p)
    return h.hexdigest()


def entry_bytes(key: str, entry: Mapping[str, Any], keys_only: bool = False) -> bytes:
    if keys_only:
        return key.encode()
    return f"{key}|{entry.get('ts', 0)}|{entry.get('origin', '')}|{entry.get('value')!r}".encode()


def leaf_hash(store: Store, names: tuple[str, ...], lo: int, hi: int, keys_only: bool = False) -> str:
    return _digest([entry_bytes(k, store[k], keys_only) for k in names[lo:hi] if k in store])


def build_tree(store: Store, keys: int, fanout: int, depth: int, keys_only: bool = False) -> list[list[str]]:
    """The tree as levels of hex digests: ``tree[0] == [root]``, ``tree[depth]`` the leaves."""
    names = key_names(keys)
    leaves = [leaf_hash(store, names, *leaf_range(i, keys, fanout, depth), keys_only=keys_only)
              for i in range(n_leaves(fanout, depth))]
    levels = [leaves]
    while len(levels[0]) > 1:
        below = levels[0]
        levels.insert(0, [_digest([h.encode() for h in below[i:i + fanout]]) for i in range(0, len(below), fanout)])
    return levels


def differing_nodes(a: list[list[str]], b: list[list[str]]) -> set[tuple[int, int]]:
    """Every ``(level, index)`` whose hash differs between two trees of the same shape."""
    return {(lvl, i) for lvl, (ra, rb) in enumerate(zip(a, b)) for i, (x, y) in enumerate(zip(ra, rb)) if x != y}


def descent(a: list[list[str]], b: list[list[str]], fanout: int) -> list[tuple[int, int]]:
    """The nodes a top-down comparison visits: the root, then the children of every differing
    inner node (breadth first). A leaf in it whose hash differs is a range to exchange."""
    depth = len(a) - 1
    out, frontier = [], [(0, 0)]
    while frontier:
        out += frontier
        frontier = [c for (lvl, i) in frontier if lvl < depth and a[lvl][i] != b[lvl][i]
                    for c in children(lvl, i, fanout)]
    return out
