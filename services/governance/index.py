"""Computing the index (指数计算) from raw indicator values: plain functions, no database.

Normalisation is min–max across the tenant's townships (极差标准化), to 0–100: the best
township on an indicator scores 100 and the worst 0, with "lower is better" indicators turned
round. It needs no targets a county would have to agree on first, keeps every indicator on one
scale whatever its unit (hours, %, per 10,000), and makes a weight mean what it says. Its limits,
handled explicitly: when every township has the same value (or there is a single township)
nobody is behind, so all score 100; a township without a value (e.g. nothing rated this month)
is not scored on that indicator, and its other indicators carry the weight (weights are
renormalised over what the township has), so missing data neither rewards nor punishes it.

Weights are relative to siblings at every level (dimension, sub-index, indicator); an item's
share of the index is the product of its share at each level. Ranks are competition ranks
("1, 1, 3"), best first.
"""

from dataclasses import dataclass, field
from typing import Any

HIGHER, LOWER = "higher", "lower"
DIMENSION, SUB_INDEX, INDICATOR = "dimension", "sub_index", "indicator"
BOTTOM = 3  # "ranked in the bottom three" (排名后三位)


@dataclass
class Node:
    code: str
    name: str
    level: str
    weight: float
    parent: str | None = None
    direction: str = HIGHER
    source: str = ""
    measure: str = ""
    children: list["Node"] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "weight": self.weight,
            "parent": self.parent,
            "direction": self.direction,
            "source": self.source,
            "measure": self.measure,
        }


def build_tree(nodes: list[Node]) -> list[Node]:
    """The dimensions, each with its children attached (input in display order)."""
    by_code = {n.code: n for n in nodes}
    for n in nodes:
        n.children = []
    roots = []
    for n in nodes:
        if n.parent is None:
            roots.append(n)
        elif n.parent in by_code:
            by_code[n.parent].children.append(n)
    return roots


def normalise(values: dict[int, float | None], direction: str) -> dict[int, float | None]:
    """Min–max to 0–100 across townships (best 100), see the module's docstring."""
    known = {t: v for t, v in values.items() if v is not None}
    if not known:
        return dict.fromkeys(values)
    low, high = min(known.values()), max(known.values())
    scores: dict[int, float | None] = dict.fromkeys(values)
    for town, value in known.items():
        share = 1.0 if high == low else (value - low) / (high - low)
        scores[town] = 100 * (share if direction == HIGHER or high == low else 1 - share)
    return scores


def _weighted(pairs: list[tuple[float, float | None]]) -> float | None:
    known = [(w, s) for w, s in pairs if s is not None and w > 0]
    total = sum(w for w, _s in known)
    return sum(w * s for w, s in known) / total if total else None


def competition_ranks(scores: dict[int, float | None]) -> dict[int, int | None]:
    """1 for the best; ties share a rank, the next rank skips ("1, 1, 3"); None unscored."""
    known = sorted(((round(s, 6), t) for t, s in scores.items() if s is not None), reverse=True)
    ranks: dict[int, int | None] = dict.fromkeys(scores)
    for position, (score, town) in enumerate(known, start=1):
        previous = known[position - 2] if position > 1 else None
        ranks[town] = (
            ranks[previous[1]] if previous is not None and previous[0] == score else position
        )
    return ranks


def shares(roots: list[Node]) -> dict[str, float]:
    """Each node's share of the whole index: the product of its weight shares down the tree."""
    result: dict[str, float] = {}

    def walk(siblings: list[Node], above: float) -> None:
        total = sum(n.weight for n in siblings)
        for n in siblings:
            result[n.code] = above * (n.weight / total if total else 0.0)
            walk(n.children, result[n.code])

    walk(roots, 1.0)
    return result


def compute(
    nodes: list[Node], townships: dict[int, str], raw: dict[str, dict[int, float | None]]
) -> dict[str, Any]:
    """Scores, index, ranks and explanations of every township, as JSON-ready data.

    `raw` holds each indicator's value per township (None: no value). The result's keys are
    strings (JSON objects), township ids included.
    """
    roots = build_tree(nodes)
    towns = list(townships)
    scores: dict[str, dict[int, float | None]] = {}

    def score(node: Node) -> dict[int, float | None]:
        if node.level == INDICATOR:
            scores[node.code] = normalise(
                {t: raw.get(node.code, {}).get(t) for t in towns}, node.direction
            )
        else:
            below = [(child.weight, score(child)) for child in node.children]
            scores[node.code] = {t: _weighted([(w, s[t]) for w, s in below]) for t in towns}
        return scores[node.code]

    index = {t: _weighted([(root.weight, score(root)[t]) for root in roots]) for t in towns}
    ranks = {code: competition_ranks(values) for code, values in scores.items()}
    index_ranks = competition_ranks(index)
    weight_shares = shares(roots)
    explanations = {
        t: explain(t, roots, scores, ranks, index_ranks, weight_shares, len(towns)) for t in towns
    }

    def rounded(values: dict[int, float | None]) -> dict[str, float | None]:
        return {str(t): (round(v, 2) if v is not None else None) for t, v in values.items()}

    return {
        "townships": [{"id": t, "name": townships[t]} for t in towns],
        "nodes": [n.as_json() for n in nodes],
        "raw": {code: {str(t): v for t, v in values.items()} for code, values in raw.items()},
        "scores": {code: rounded(values) for code, values in scores.items()},
        "index": rounded(index),
        "ranks": {code: {str(t): r for t, r in rs.items()} for code, rs in ranks.items()},
        "index_ranks": {str(t): r for t, r in index_ranks.items()},
        "explanations": {str(t): e for t, e in explanations.items()},
    }


def _gap(code: str, town: int, scores: dict, weight_shares: dict[str, float]) -> float:
    """How much the township lost on `code` against the best township, in index points."""
    mine = scores[code].get(town)
    best = max((s for s in scores[code].values() if s is not None), default=None)
    if mine is None or best is None:
        return 0.0
    return (best - mine) * weight_shares.get(code, 0.0)


def explain(
    town: int,
    roots: list[Node],
    scores: dict,
    ranks: dict,
    index_ranks: dict,
    weight_shares: dict[str, float],
    total: int,
) -> dict[str, Any]:
    """Why the township stands where it does: the sub-index that cost it most against the best
    township (largest weighted gap), the indicators of that sub-index that cost most, and how
    many of them rank in the bottom three. Plain values; texts.py words them."""
    sub_indexes = [s for d in roots for s in d.children]
    gaps = [(_gap(s.code, town, scores, weight_shares), s) for s in sub_indexes]
    gap, weakest = max(gaps, key=lambda pair: pair[0], default=(0.0, None))
    result: dict[str, Any] = {
        "rank": index_ranks.get(town),
        "total": total,
        "lowest": total > 1
        and index_ranks.get(town)
        == max((r for r in index_ranks.values() if r is not None), default=None),
        "sub_index": None,
        "indicators": [],
        "bottom": min(BOTTOM, total - 1),
        "bottom_count": 0,
    }
    if weakest is None or gap <= 0.005 or total < 2:
        return result
    leaves = [
        (_gap(leaf.code, town, scores, weight_shares), leaf)
        for leaf in weakest.children
        if leaf.level == INDICATOR
    ]
    costly = [leaf for g, leaf in sorted(leaves, key=lambda p: -p[0]) if g > 0.005]
    bottom = result["bottom"]
    in_bottom = [
        leaf
        for _g, leaf in leaves
        if ranks[leaf.code].get(town) is not None
        and ranks[leaf.code][town] > total - bottom
        and ranks[leaf.code][town] > 1  # all equal: nobody is in the bottom
    ]
    result.update(
        sub_index=weakest.name,
        indicators=[leaf.name for leaf in costly[:BOTTOM]],
        bottom_count=len(in_bottom),
    )
    return result
