"""The Helm chart (deploy/helm/motcua) against Kubernetes' schemas and against the code.

No cluster here: the chart is rendered with ``helm template`` for the default values and
for ``ci/large-values.yaml`` (every switch on), every object is validated the way the API
server would (Kubernetes' own kinds with kubernetes-validate, strictly; KEDA's and the
Prometheus operator's against their published CRD schemas), ``helm lint`` runs on both,
and what the chart says is checked against what the code does: the processes, the
paths they serve, the consumer groups and partitions, the settings, the dashboards.
Helm comes from deploy/helm/tooling.py (built once from the Go module proxy, cached).
"""

from __future__ import annotations

import base64
import copy
import importlib
import importlib.util
import json
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import faust
import jsonschema
import kubernetes_validate
import pytest
import yaml
from psycopg_pool import ConnectionPool
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from motcua.identity import generate_keypair
from motcua.kafka import TOPICS
from motcua.kafka._durability import FULL_REPLICATION, Durability
from motcua.provision import ProvisionSettings
from services.deadlines.settings import DeadlinesSettings
from services.intake.settings import IntakeSettings
from services.ratings.settings import RatingsSettings
from services.reporting.consumer import TOPIC_NAMES as REPORTING_TOPICS
from services.reporting.settings import ReportingSettings
from tests.conftest import ROOT
from tests.scripts import load_script

CHART = ROOT / "deploy" / "helm" / "motcua"
LARGE_VALUES = CHART / "ci" / "large-values.yaml"
CRD_SCHEMAS = ROOT / "deploy" / "helm" / "crd-schemas"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DOCS = ROOT / "docs" / "kubernetes.md"
RELEASE = "motcua"
KUBE_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())
"""The oldest Kubernetes Chart.yaml accepts and the newest kubernetes-validate knows."""
VALUE_SETS = ("small", "large")
# The first run on a machine builds helm (a few minutes of Go, more on a busy machine):
# longer than the suite's 300 s per test, once.
pytestmark = pytest.mark.timeout(1200)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "deadlines": DeadlinesSettings,
    "deadlines-web": DeadlinesSettings,
    "ratings": RatingsSettings,
    "reporting": ReportingSettings,
}
NOT_SETTINGS = {
    "MOTCUA_DB_PASSWORD": "the role's password, expanded into DATABASE_URL by the kubelet",
    "FORWARDED_ALLOW_IPS": "uvicorn's own: which proxies' X-Forwarded-For to believe",
}
GROUPS = {
    "intake": IntakeSettings().inbound_group_id,
    "deadlines": DeadlinesSettings().app_id,
    "ratings": RatingsSettings().ratings_group_id,
    "reporting": ReportingSettings().reporting_group_id,
}
"""The consumer group each process joins, as its code names it by default."""
PARTITIONS = {spec.name: spec.partitions for spec in TOPICS}


def _load_tooling() -> ModuleType:
    return load_script("deploy/helm/tooling.py")


TOOLING = _load_tooling()


def _service_processes() -> dict[str, tuple[str, int]]:
    """docker-compose's long-running service processes: name → (module, HTTP port)."""
    return {
        name: (service["command"][2], int(service["environment"]["HTTP_PORT"]))
        for name, service in COMPOSE.items()
        if service.get("command", [])[:2] == ["python", "-m"]
        and "HTTP_PORT" in service.get("environment", {})
    }


PROCESSES = _service_processes()


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return Path(TOOLING.helm_binary())
    except TOOLING.HelmUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def value_args(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The defaults with the one thing an install must give (the officers' key pair, made
    here as an operator would), and the large set."""
    keys = tmp_path_factory.mktemp("officer-token")
    private_pem, public_pem = generate_keypair()
    (keys / "officer-token.pem").write_bytes(private_pem)
    (keys / "officer-token.pub.pem").write_bytes(public_pem)
    small = [
        f"--set-file=secrets.officerToken.privateKey={keys / 'officer-token.pem'}",
        f"--set-file=secrets.officerToken.publicKey={keys / 'officer-token.pub.pem'}",
    ]
    return {"small": small, "large": [f"--values={LARGE_VALUES}"]}


def _helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def rendered(helm: Path, value_args: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, args in value_args.items():
        done = _helm(
            helm, "template", RELEASE, str(CHART), f"--kube-version={KUBE_VERSIONS[-1]}", *args
        )
        assert done.returncode == 0, f"helm template ({name}) failed:\n{done.stderr}"
        out[name] = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    return out


def _of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployments by process (their component label)."""
    return {
        o["metadata"]["labels"]["app.kubernetes.io/component"]: o
        for o in _of_kind(objects, "Deployment").values()
    }


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _pod_containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


# --- schemas ---------------------------------------------------------------------------


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The API server prunes fields a structural schema does not declare: a misspelt field
    would vanish silently, so here it is an error (as kubernetes-validate's strict mode)."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → the served version's openAPIV3Schema, from the vendored CRDs."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRD_SCHEMAS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version["served"]:
                schema = _strict(version["schema"]["openAPIV3Schema"])
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def test_the_vendored_crds_are_the_kinds_the_chart_renders(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    custom = {
        (o["apiVersion"], o["kind"])
        for objects in rendered.values()
        for o in objects
        if "." in o["apiVersion"].split("/")[0]
        and not o["apiVersion"].split("/")[0].endswith("k8s.io")
    }
    assert custom == set(crd_schemas()) & custom
    assert {
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    } <= custom


@pytest.mark.parametrize("values", VALUE_SETS)
def test_every_object_validates_against_its_schema(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    for obj in rendered[values]:
        where = f"{values}: {obj['kind']} {obj['metadata']['name']}"
        schema = crd_schemas().get((obj["apiVersion"], obj["kind"]))
        if schema is not None:
            errors = list(jsonschema.Draft7Validator(schema).iter_errors(obj))
            assert not errors, f"{where}: {[e.message for e in errors]}"
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{where} (Kubernetes {version}): {exc.message} at {list(exc.path)}")


def test_a_misspelt_field_fails_validation(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """The validation above can fail: a typo in a Deployment and in a ScaledObject."""
    deployment = copy.deepcopy(next(iter(_deployments(rendered["small"]).values())))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)
    scaled = copy.deepcopy(next(iter(_of_kind(rendered["large"], "ScaledObject").values())))
    scaled["spec"]["maxReplicas"] = 3
    schema = crd_schemas()[("keda.sh/v1alpha1", "ScaledObject")]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(scaled))


@pytest.mark.parametrize("values", VALUE_SETS)
def test_helm_lint(helm: Path, value_args: dict[str, list[str]], values: str) -> None:
    done = _helm(
        helm,
        "lint",
        "--strict",
        str(CHART),
        f"--kube-version={KUBE_VERSIONS[-1]}",
        *value_args[values],
    )
    assert done.returncode == 0, f"helm lint ({values}):\n{done.stdout}\n{done.stderr}"
    assert "0 chart(s) failed" in done.stdout


def test_an_install_without_the_officers_keys_is_refused(helm: Path) -> None:
    done = _helm(helm, "template", RELEASE, str(CHART), f"--kube-version={KUBE_VERSIONS[-1]}")
    assert done.returncode != 0
    assert "secrets.officerToken.privateKey" in done.stderr


# --- the processes ---------------------------------------------------------------------


def _closed_pool(database_url: str, **options: Any) -> ConnectionPool:
    """A pool that never connects: the apps are built here only to list their routes."""
    return ConnectionPool(database_url, open=False)


def _served_paths(module: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The paths the process started by ``python -m module`` answers, from its own app."""
    for candidate in (f"{module}.app", module):
        try:
            loaded = importlib.import_module(candidate)
        except ModuleNotFoundError:
            continue
        if hasattr(loaded, "open_pool"):
            monkeypatch.setattr(loaded, "open_pool", _closed_pool)
        if hasattr(loaded, "app_from_environment"):
            return {
                str(getattr(route, "path", "")) for route in loaded.app_from_environment().routes
            }
        if isinstance(getattr(loaded, "app", None), faust.App):
            return set(loaded.app.web.views)
    raise AssertionError(f"no app found for {module}")


@pytest.mark.parametrize("values", VALUE_SETS)
def test_each_service_process_has_a_deployment_probed_where_it_answers(
    rendered: dict[str, list[dict[str, Any]]], values: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployments = _deployments(rendered[values])
    assert set(deployments) == set(PROCESSES)
    for name, (module, port) in PROCESSES.items():
        container = _container(deployments[name])
        assert container["command"] == ["python", "-m", module]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert int(env["HTTP_PORT"]) == port == container["ports"][0]["containerPort"]
        assert env["HTTP_HOST"] == "0.0.0.0"
        served = _served_paths(module, monkeypatch)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["path"] in served, f"{name} {probe}"
            assert container[probe]["httpGet"]["port"] == container["ports"][0]["name"]


@pytest.mark.parametrize("values", VALUE_SETS)
def test_environment_variables_are_real_settings(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    for name, deployment in _deployments(rendered[values]).items():
        known = {field.upper() for field in SETTINGS[name].model_fields} | set(NOT_SETTINGS)
        unknown = {e["name"] for e in _container(deployment)["env"]} - known
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


@pytest.mark.parametrize("values", VALUE_SETS)
def test_requests_and_limits_are_set(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    for name, deployment in _deployments(rendered[values]).items():
        resources = _container(deployment)["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), name
        assert "memory" in resources["limits"], name


@pytest.mark.parametrize("values", VALUE_SETS)
def test_every_deployment_has_a_disruption_budget_selecting_it_alone(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    deployments = _deployments(rendered[values])
    budgets = list(_of_kind(rendered[values], "PodDisruptionBudget").values())
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selecting = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(selecting) == 1, f"{name}: {len(selecting)} budgets select its pods"
        others = [
            d["spec"]["template"]["metadata"]["labels"]
            for other, d in deployments.items()
            if other != name
        ]
        chosen = selecting[0]["spec"]["selector"]["matchLabels"]
        assert not any(chosen.items() <= labels_.items() for labels_ in others)


def test_deadlines_worker_keeps_its_tables_on_a_volume(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    container = _container(_deployments(rendered["small"])["deadlines"])
    data_dir = next(e["value"] for e in container["env"] if e["name"] == "DATA_DIR")
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    assert any(data_dir.startswith(mount + "/") for mount in mounts)


def test_topics_keep_three_copies_on_the_strimzi_cluster(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    """KAFKA_REPLICATION_FACTOR: provisioning's topics and Faust's own, both FULL_REPLICATION."""
    for values in VALUE_SETS:
        job = next(iter(_of_kind(rendered[values], "Job").values()))
        worker = _container(_deployments(rendered[values])["deadlines"])
        for container in (next(_pod_containers(job)), worker):
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["KAFKA_REPLICATION_FACTOR"] == str(FULL_REPLICATION)


# --- autoscaling -----------------------------------------------------------------------


def test_consumers_scale_on_their_groups_lag_within_the_partitions(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    assert not _of_kind(rendered["small"], "ScaledObject")
    deployments = _of_kind(rendered["large"], "Deployment")
    scaled = _of_kind(rendered["large"], "ScaledObject")
    assert scaled
    for obj in scaled.values():
        target = deployments[obj["spec"]["scaleTargetRef"]["name"]]
        name = target["metadata"]["labels"]["app.kubernetes.io/component"]
        assert "replicas" not in target["spec"], f"{name}: KEDA owns the replica count"
        env = {e["name"]: e.get("value") for e in _container(target)["env"]}
        triggers = obj["spec"]["triggers"]
        topics = [t["metadata"]["topic"] for t in triggers]
        for trigger in triggers:
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["consumerGroup"] == GROUPS[name]
            assert trigger["metadata"]["bootstrapServers"] == env["KAFKA_BOOTSTRAP_SERVERS"]
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
        assert set(topics) <= set(PARTITIONS), f"{name}: topics the code does not declare"
        cap = min(PARTITIONS[topic] for topic in topics)
        spec = obj["spec"]
        assert spec["minReplicaCount"] <= spec["maxReplicaCount"] <= cap, name
    reporting = next(o for o in scaled.values() if o["metadata"]["name"].endswith("-reporting"))
    assert {t["metadata"]["topic"] for t in reporting["spec"]["triggers"]} == set(REPORTING_TOPICS)


# --- secrets ---------------------------------------------------------------------------


def _secret_settings() -> set[str]:
    return {
        field.upper()
        for settings in SETTINGS.values()
        for field, info in settings.model_fields.items()
        if SecretStr in (getattr(info.annotation, "__args__", None) or (info.annotation,))
    }


@pytest.mark.parametrize("values", VALUE_SETS)
def test_secrets_are_referenced_never_written_into_pods(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    objects = rendered[values]
    secret_values = [
        base64.b64decode(v).decode()
        for secret in _of_kind(objects, "Secret").values()
        for v in secret.get("data", {}).values()
    ]
    secret_names = _secret_settings() | {f"{s.upper()}_DB_PASSWORD" for s in GROUPS}
    assert {"INTAKE_API_KEY", "RATINGS_TOKEN_KEY", "SUBJECT_HASH_KEY"} <= secret_names
    workloads = [*_of_kind(objects, "Deployment").values(), *_of_kind(objects, "Job").values()]
    for workload in workloads:
        text = yaml.safe_dump(workload)
        assert not [v for v in secret_values if v in text], workload["metadata"]["name"]
        for container in _pod_containers(workload):
            for env in container["env"]:
                if env["name"] in secret_names:
                    assert "secretKeyRef" in env.get("valueFrom", {}), env["name"]
                if env["name"] == "DATABASE_URL":
                    assert "$(" in env["value"], "the password is a reference"


def test_the_keys_the_pods_read_are_in_the_secret_the_chart_makes(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    """And every one is listed in docs/kubernetes.md, for those who make it themselves."""
    objects = rendered["small"]
    made = {name: set(s.get("data", {})) for name, s in _of_kind(objects, "Secret").items()}
    docs = DOCS.read_text()
    workloads = [*_of_kind(objects, "Deployment").values(), *_of_kind(objects, "Job").values()]
    for workload in workloads:
        for container in _pod_containers(workload):
            for env in container["env"]:
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] in made:
                    assert ref["key"] in made[ref["name"]], ref
                    assert f"`{ref['key']}`" in docs, f"docs/kubernetes.md misses {ref['key']}"
        for volume in workload["spec"]["template"]["spec"].get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in made
                keys = {item["key"] for item in volume["secret"]["items"]}
                assert keys <= made[volume["secret"]["secretName"]]


def test_the_provisioning_job_runs_the_one_shot_steps_of_compose(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    job = next(iter(_of_kind(rendered["small"], "Job").values()))
    assert "pre-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    steps = [[*c["command"], *c.get("args", [])] for c in _pod_containers(job)]
    one_shot = ["provision", "intake-seed", *(f"{s}-intake-key" for s in GROUPS if s != "intake")]
    assert steps == [COMPOSE[name]["command"] for name in one_shot]
    provision = next(_pod_containers(job))
    assert {f.upper() for f in ProvisionSettings.model_fields} <= {
        e["name"] for e in provision["env"]
    }
    keys = _of_kind(rendered["small"], "Secret")
    keys_secret = next(
        s for s in keys.values() if "helm.sh/hook" in s["metadata"].get("annotations", {})
    )
    assert int(keys_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    ), "the keys Secret exists before the Job reads it"


# --- monitoring ------------------------------------------------------------------------


@pytest.mark.parametrize("values", VALUE_SETS)
def test_the_dashboards_are_configmaps_grafana_picks_up(
    rendered: dict[str, list[dict[str, Any]]], values: str
) -> None:
    maps = [
        cm
        for cm in _of_kind(rendered[values], "ConfigMap").values()
        if cm["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    shipped = {name: json.loads(text) for cm in maps for name, text in cm["data"].items()}
    files = {path.name: json.loads(path.read_text()) for path in DASHBOARDS.glob("*.json")}
    assert files
    assert shipped == files


def test_prometheus_scrapes_each_process_under_its_job_name(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    """The alerts and dashboards name jobs as deploy/prometheus/prometheus.yml does."""
    objects = rendered["large"]
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    services = _of_kind(objects, "Service")
    monitors = _of_kind(objects, "ServiceMonitor")
    named = set()
    for monitor in monitors.values():
        selector = monitor["spec"]["selector"]["matchLabels"]
        (service,) = [
            s for s in services.values() if selector.items() <= s["metadata"]["labels"].items()
        ]
        named.add(service["metadata"]["labels"][monitor["spec"]["jobLabel"]])
        assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
        assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert named == jobs
    (rule,) = _of_kind(objects, "PrometheusRule").values()
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"]
    for deployment in _of_kind(rendered["small"], "Deployment").values():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        port = _container(deployment)["ports"][0]["containerPort"]
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"


# --- the page ---------------------------------------------------------------------------


def _yaml_blocks() -> list[dict[str, Any]]:
    """Every object of the page's YAML code blocks."""
    text = DOCS.read_text()
    blocks = [part.split("```", 1)[0] for part in text.split("```yaml\n")[1:]]
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if doc]


def test_the_strimzi_manifests_declare_what_the_code_does() -> None:
    objects = _yaml_blocks()
    topics = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "KafkaTopic"}
    durability = Durability(FULL_REPLICATION)
    assert set(topics) == set(PARTITIONS)
    for spec in TOPICS:
        declared = topics[spec.name]
        assert declared["partitions"] == spec.partitions, spec.name
        assert declared["replicas"] == durability.replication_factor, spec.name
        assert declared["config"] == {**spec.config(), **durability.topic_config()}, spec.name
    (kafka,) = [o for o in objects if o["kind"] == "Kafka"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] == "false"
    assert {k: config[k] for k in durability.broker_properties()} == durability.broker_properties()
    (pool,) = [o for o in objects if o["kind"] == "KafkaNodePool"]
    assert pool["spec"]["replicas"] >= FULL_REPLICATION


def test_the_postgres_cluster_is_what_the_values_point_at() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    (cluster,) = [o for o in _yaml_blocks() if o["kind"] == "Cluster"]
    name = cluster["metadata"]["name"]
    assert values["postgresql"]["host"] == f"{name}-rw"
    assert values["postgresql"]["adminSecret"]["name"] == f"{name}-superuser"
    assert cluster["spec"]["enableSuperuserAccess"] is True
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == values["postgresql"]["database"]
    (kafka,) = [o for o in _yaml_blocks() if o["kind"] == "Kafka"]
    assert (
        values["kafka"]["bootstrapServers"] == f"{kafka['metadata']['name']}-kafka-bootstrap:9092"
    )


def test_the_measured_requests_are_the_defaults() -> None:
    """The table of "Resource requests" and values.yaml say the same."""
    processes = yaml.safe_load((CHART / "values.yaml").read_text())["processes"]
    rows = {
        cells[0].strip("` ").split("`")[0]: cells
        for line in DOCS.read_text().splitlines()
        if line.startswith("| `")
        and len(cells := [c.strip() for c in line.strip("|").split("|")]) == 6
    }
    for name, process in processes.items():
        resources = process["resources"]
        memory = f"{resources['requests']['memory']} / {resources['limits']['memory']}"
        assert rows[name][4] == memory, name
        assert rows[name][5].split()[0] == resources["requests"]["cpu"], name


def test_without_go_or_a_cached_helm_the_test_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helm fixture turns this into a failure, never a skip."""
    monkeypatch.delenv("MOTCUA_HELM", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(TOOLING, "GO_FALLBACK", tmp_path / "no-go")
    with pytest.raises(TOOLING.HelmUnavailable, match="no Go to build it"):
        TOOLING.helm_binary()
    assert not (tmp_path / "motcua" / f"helm-{TOOLING.HELM_VERSION}" / "helm").exists()
