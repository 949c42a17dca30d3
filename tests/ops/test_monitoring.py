"""Monitoring as code names only what the app really exports (no promtool here: the PromQL is
tokenised for metric names and label matchers, then checked against a real /metrics scrape)."""

import json
import re

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ops import metrics as ops_metrics
from tests.helpers import ROOT

MONITORING = ROOT / "k8s" / "components" / "monitoring"
POD_IP_HOST = "10.42.0.17:8000"

# Named on purpose, with who exports them: everything else must come from the app.
EXTERNAL = {"kube_pod_status_ready": "kube-state-metrics"}

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}
KEYWORDS |= {"and", "or", "unless", "inf", "nan"}


def metric_selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched on it) for every selector of a PromQL expression."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values and strings
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges and subqueries
    expr = re.sub(r"\boffset\s+[0-9a-z]+", " ", expr)
    selectors = []
    for match in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?", expr):
        name, matchers, call = match.groups()
        if call or name.lower() in KEYWORDS:
            continue
        labels = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers or ""))
        selectors.append((name, labels))
    return selectors


def test_the_tokeniser_finds_metrics_not_functions_labels_or_durations():
    expr = (
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{status=~"5.."}[5m])))'
        " / on (x) group_left max(b offset 1h) > 2 and c"
    )
    assert metric_selectors(expr) == [("a_bucket", {"status"}), ("b", set()), ("c", set())]


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [rule for group in rules["spec"]["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", variable["query"]))
    return queries


@pytest.fixture
def exported(client, monkeypatch) -> dict[str, set[str]]:
    """Every sample name the app's /metrics can produce, with its label names."""
    monkeypatch.setattr(ops_metrics.STATE, "ttl", 0)
    client.get("/healthz", HTTP_HOST=POD_IP_HOST)  # so the request histogram has labels
    client.get("/", HTTP_HOST=POD_IP_HOST)
    text = client.get("/metrics", HTTP_HOST=POD_IP_HOST).content.decode()
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        labels = {label for sample in family.samples for label in sample.labels}
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, set()).update(labels)
    return names


@pytest.mark.django_db
@pytest.mark.parametrize(
    "where,expr",
    [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()]
    + [(f"dashboard query {i}", q) for i, q in enumerate(dashboard_queries())],
)
def test_every_query_names_metrics_the_app_exports(exported, where, expr):
    selectors = metric_selectors(expr)
    assert selectors, f"{where}: no metric in {expr!r}"
    for name, labels in selectors:
        if name in EXTERNAL:
            continue
        assert name in exported, f"{where}: {name} is not in /metrics"
        # A family without samples yet (e.g. no survey answered) has no labels to compare.
        if exported[name]:
            assert labels <= exported[name] | {"le"}, f"{where}: {name} has no {labels}"


def test_every_alert_has_a_runbook_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Alerts.**") :]
    for rule in alert_rules():
        target = rule["annotations"]["runbook"].rsplit("›", 1)[-1].strip()
        assert f"**{target}**" in section, f"no runbook for {rule['alert']} ({target})"
        assert rule["labels"]["severity"] in {"warning", "critical"}
