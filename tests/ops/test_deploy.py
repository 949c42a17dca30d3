"""The rendered k8s manifests keep the promises of the deployment (k8s/check validates schemas)."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from django.conf import settings

from ops.server import procfile_command
from tests.helpers import ROOT

# Renders every overlay with kubectl/kustomize (a process per overlay).
pytestmark = pytest.mark.processes

OVERLAYS = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.is_dir())
APP = "gongzhima"
APP_IMAGE = "registry.example.org/gongzhima/app"


def kubectl() -> str:
    """The pinned kubectl k8s/check installs, else one on PATH; CI must have one."""
    pinned = ROOT / ".cache" / "ops-tools" / "kubectl"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("kubectl")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("kubectl is required in CI (k8s/check installs it)")
    pytest.skip("no kubectl to render the manifests (run k8s/check once)")


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> list[dict]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(ROOT / "k8s" / "overlays" / request.param)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs: list[dict]) -> dict[str, dict]:
    return {
        d["metadata"]["name"]: d for d in docs if d["kind"] in {"Deployment", "StatefulSet", "Job"}
    }


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def ours(name: str) -> bool:
    return name.startswith(APP)


def runs_the_app(workload: dict) -> bool:
    """Ours and running the app's image (PgBouncer and the backup are ours, not the app)."""
    return any(c["image"].startswith(APP_IMAGE) for c in pod_spec(workload)["containers"])


def test_no_secret_values_only_references(rendered):
    assert not of_kind(rendered, "Secret"), "a Secret with values is in the repository"
    for name, workload in workloads(rendered).items():
        for container in containers(workload):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] == "gongzhima-secrets", name
            for var in container.get("env", []):
                assert "value" not in var or not any(
                    word in var["name"] for word in ("SECRET", "PASSWORD", "TOKEN")
                ), f"{name}: {var['name']} set in plain text"


def test_every_container_is_sized_and_locked_down(rendered):
    for name, workload in workloads(rendered).items():
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in containers(workload):
            where = f"{name}/{container['name']}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security["readOnlyRootFilesystem"] is True, where


def test_web_is_probed_and_drains(rendered):
    web = of_kind(rendered, "Deployment")["gongzhima-web"]
    (container,) = pod_spec(web)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod_spec(web)["terminationGracePeriodSeconds"] > pause + 10
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_web_runs_the_procfile_command_sized_by_its_cpu_limit(rendered):
    """One server command everywhere (Procfile, the image, every overlay); k8s hands the
    container's CPU limit to it, which sizes the worker processes."""
    web = of_kind(rendered, "Deployment")["gongzhima-web"]
    (container,) = pod_spec(web)["containers"]
    procfile = procfile_command("web")
    assert container["command"] == procfile
    cmd = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")
    )
    assert json.loads(cmd.removeprefix("CMD ")) == procfile
    cpu = next(e for e in container["env"] if e["name"] == "CPU_LIMIT")
    assert cpu["valueFrom"]["resourceFieldRef"] == {
        "containerName": "web",
        "resource": "limits.cpu",
        "divisor": "1",
    }
    assert "WEB_CONCURRENCY" not in {e["name"] for e in container["env"]}


def test_exactly_one_scheduler(rendered):
    scheduler = of_kind(rendered, "Deployment")["gongzhima-scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    # A rollout may run two for a moment: the lock (ops/singleton.py) keeps one standing by,
    # and the lock is a session's, so the scheduler bypasses the transaction pooler.
    (container,) = pod_spec(scheduler)["containers"]
    assert {"name": "DATABASE_POOLER", "value": ""} in container["env"]
    targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    assert "gongzhima-scheduler" not in targets


def test_every_queue_has_a_worker_and_every_worker_scales(rendered):
    deployments = of_kind(rendered, "Deployment")
    consumed = []
    for deployment in deployments.values():
        command = pod_spec(deployment)["containers"][0].get("command", [])
        if "task_worker" in command:
            consumed += command[command.index("--queue-name") + 1].split(",")
            assert "--no-reload" in command
    # Each queue in exactly one Deployment, as in Procfile: one place to scale it.
    assert sorted(consumed) == sorted(settings.TASK_QUEUES), "a queue without, or with two, workers"
    targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    budgets = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for b in of_kind(rendered, "PodDisruptionBudget").values()
    }
    for name, deployment in deployments.items():
        if not ours(name):
            continue
        if runs_the_app(deployment) and name != "gongzhima-scheduler":
            assert name in targets, f"{name} has no autoscaler"
        component = deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        assert component in budgets, f"{name} has no disruption budget"


def test_migrations_run_before_the_pods_start(rendered):
    job = of_kind(rendered, "Job")["gongzhima-migrate"]
    assert pod_spec(job)["containers"][0]["command"][-2:] == ["migrate", "--noinput"]
    for name, deployment in of_kind(rendered, "Deployment").items():
        if runs_the_app(deployment):
            init = pod_spec(deployment)["initContainers"]
            assert "wait_for_migrations" in init[0]["command"], name


def test_only_web_is_reachable(rendered):
    services = of_kind(rendered, "Service")
    assert [name for name in services if ours(name)] == ["gongzhima-pgbouncer", "gongzhima-web"]
    assert services["gongzhima-pgbouncer"]["spec"].get("type", "ClusterIP") == "ClusterIP"
    (route,) = of_kind(rendered, "HTTPRoute").values()
    assert not of_kind(rendered, "Ingress"), "ingress-nginx is retired: the Gateway API routes"
    (parent,) = route["spec"]["parentRefs"]
    assert parent["kind"] == "Gateway" and parent["sectionName"] == "https"
    backends = {ref["name"] for rule in route["spec"]["rules"] for ref in rule["backendRefs"]}
    assert backends == {"gongzhima-web"}
    policies = of_kind(rendered, "NetworkPolicy")
    deny = policies["gongzhima-default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    opened = {
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component"): p
        for name, p in policies.items()
        if ours(name) and p["spec"].get("ingress")
    }
    assert sorted(opened) == ["pgbouncer", "web"], "only web accepts traffic from outside"
    (rule,) = opened["pgbouncer"]["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": APP}}}]
    sources = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in opened["web"]["spec"]["ingress"][0]["from"]
    }
    assert sources == {"gateway", parent["namespace"], "monitoring"}


def test_the_app_trusts_exactly_the_gateway_hop(rendered):
    config = of_kind(rendered, "ConfigMap")["gongzhima-config"]["data"]
    assert config["TRUSTED_PROXY_COUNT"] == "1"


def test_web_workers_and_pgbouncer_spread_over_zones_and_nodes(rendered):
    for name, deployment in of_kind(rendered, "Deployment").items():
        if not ours(name):
            continue
        spread = pod_spec(deployment)["topologySpreadConstraints"]
        keys = {c["topologyKey"] for c in spread}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, name
        for constraint in spread:
            # Spread among the Deployment's own pods: its component label is in the match.
            assert "app.kubernetes.io/component" in constraint["matchLabelKeys"], name
            selector = constraint["labelSelector"]["matchLabels"]
            assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def all_images(docs: list[dict]) -> set[str]:
    images = set()
    for doc in docs:
        spec = doc.get("spec", {})
        template = spec.get("jobTemplate", {}).get("spec", spec).get("template")
        if template:
            pod = template["spec"]
            images |= {c["image"] for c in pod.get("initContainers", []) + pod["containers"]}
    return images


def test_production_runs_images_by_digest(rendered, request):
    images = all_images(rendered)
    assert any(image.startswith(APP_IMAGE) for image in images), images
    if "prod" in request.node.callspec.id:
        for image in images:
            assert re.search(r"@sha256:[0-9a-f]{64}$", image), f"{image} is not pinned by digest"


def test_sessions_that_pgbouncer_cannot_carry_go_to_postgresql_directly(rendered):
    config = of_kind(rendered, "ConfigMap")["gongzhima-config"]["data"]
    assert config["DATABASE_POOLER"] == "gongzhima-pgbouncer:5432"
    direct = {"name": "DATABASE_POOLER", "value": ""}
    job = of_kind(rendered, "Job")["gongzhima-migrate"]
    assert direct in pod_spec(job)["containers"][0]["env"], "migrations through PgBouncer"
    pgbouncer = pod_spec(of_kind(rendered, "Deployment")["gongzhima-pgbouncer"])["containers"][0]
    settings_of = {var["name"]: var.get("value") for var in pgbouncer["env"]}
    assert settings_of["POOL_MODE"] == "transaction"


def test_the_connection_budget_at_the_autoscalers_maximum(rendered):
    """What README.md writes down: clients fit PgBouncer, PgBouncer's servers fit PostgreSQL."""
    deployments = of_kind(rendered, "Deployment")
    maximum = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
        for h in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    clients = 0
    for name, replicas in maximum.items():
        (container,) = pod_spec(deployments[name])["containers"]
        pool = {var["name"]: var.get("value") for var in container.get("env", [])}["DB_POOL_MAX"]
        clients += replicas * int(pool)
    pgbouncer = deployments["gongzhima-pgbouncer"]
    env = {var["name"]: var.get("value") for var in pod_spec(pgbouncer)["containers"][0]["env"]}
    replicas = pgbouncer["spec"]["replicas"]
    # Clients may all land on one PgBouncer pod (the Service balances connections, not load).
    assert clients <= int(env["MAX_CLIENT_CONN"]), clients
    servers = replicas * int(env["MAX_DB_CONNECTIONS"])
    direct = 2 * 2 + 1 + 1  # scheduler (pool + lock) twice in a rollout, migration, backup
    assert servers + direct <= 90, "PostgreSQL's default max_connections is 100 (3 reserved)"


def test_a_nightly_backup_dumps_postgresql_itself(rendered):
    (cron,) = of_kind(rendered, "CronJob").values()
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"][-1] == "/scripts/pg-backup.sh"
    (url,) = [var for var in container["env"] if var["name"] == "DATABASE_URL"]
    assert url["valueFrom"]["secretKeyRef"]["name"] == "gongzhima-secrets"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    scripts = of_kind(rendered, "ConfigMap")
    assert any("pg-backup.sh" in cm.get("data", {}) for cm in scripts.values())


def test_workers_and_the_scheduler_are_probed_by_their_heartbeat(rendered):
    for name, deployment in of_kind(rendered, "Deployment").items():
        command = pod_spec(deployment)["containers"][0].get("command", [])
        if not runs_the_app(deployment) or name == "gongzhima-web":
            continue
        assert "task_worker" in command or "scheduler" in command, f"{name}: {command}"
        probe = pod_spec(deployment)["containers"][0]["livenessProbe"]["exec"]["command"]
        assert probe[:3] == ["python", "-m", "ops.heartbeat"], name
        assert int(probe[probe.index("--max-age") + 1]) >= 60, name


def test_routing_workers_scale_on_their_queues_age_not_cpu_alone(rendered):
    hpa = of_kind(rendered, "HorizontalPodAutoscaler")["gongzhima-routing-worker"]
    external = [m["external"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    assert [(e["metric"]["name"], e["metric"]["selector"]["matchLabels"]) for e in external] == [
        ("gongzhima_task_queue_oldest_ready_age_seconds", {"queue": "routing"})
    ]
