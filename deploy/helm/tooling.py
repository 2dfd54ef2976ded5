"""Find or build the Helm the chart is tested with: ``python deploy/helm/tooling.py`` prints
its path.

Helm is a Go program served by the Go module proxy, so it is built from source with
``go install helm.sh/helm/v3/cmd/helm@<version>`` once, into a cache outside the clone
(``${XDG_CACHE_HOME:-~/.cache}/motcua/helm-<version>/helm``): a fresh clone on the same
machine, CI's among them, finds it there and builds nothing. ``MOTCUA_HELM`` names a helm
binary to use instead (one installed by other means). Without Go and without a cached or
named helm, :class:`HelmUnavailable` says what to do.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HELM_VERSION = "v3.21.4"
HELM_MODULE = "helm.sh/helm/v3"
GO_FALLBACK = Path("/usr/local/go/bin/go")
"""Where the official Go tarball installs ``go`` when it is not on the PATH."""


class HelmUnavailable(RuntimeError):
    """No helm could be found or built; the message says what to install or set."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "motcua" / f"helm-{HELM_VERSION}"


def _go() -> str:
    found = shutil.which("go") or (str(GO_FALLBACK) if GO_FALLBACK.exists() else None)
    if found is None:
        raise HelmUnavailable(
            f"helm {HELM_VERSION} is not in {cache_dir()} and there is no Go to build it "
            "with: install Go (https://go.dev/dl, to /usr/local/go) or set MOTCUA_HELM to a "
            f"helm {HELM_VERSION} binary"
        )
    return found


def version_of(helm: Path) -> str:
    done = subprocess.run(
        [str(helm), "version", "--template", "{{.Version}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def build(target: Path) -> None:
    """``go install`` Helm into a fresh directory beside ``target``, then move it in place:
    a build that fails or is killed leaves no half-written binary behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as gobin:
        # Helm's own release builds stamp the version the same way (its Makefile's LDFLAGS).
        flags = f"-X {HELM_MODULE}/internal/version.version={HELM_VERSION}"
        done = subprocess.run(
            [
                "nice",
                "-n",
                "10",
                _go(),
                "install",
                "-ldflags",
                flags,
                f"{HELM_MODULE}/cmd/helm@{HELM_VERSION}",
            ],
            env={**os.environ, "GOBIN": gobin, "CGO_ENABLED": "0"},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise HelmUnavailable(
                f"building helm {HELM_VERSION} with Go failed:\n{done.stdout}{done.stderr}"
            )
        os.replace(Path(gobin) / "helm", target)


def helm_binary() -> Path:
    """The helm to run: ``MOTCUA_HELM``, else the cached build, built first when missing."""
    named = os.environ.get("MOTCUA_HELM")
    if named:
        return Path(named)
    target = cache_dir() / "helm"
    if target.exists() and version_of(target) == HELM_VERSION:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Two test runs starting together build once: the second waits, then finds it.
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target.exists() and version_of(target) == HELM_VERSION):
            print(f"building helm {HELM_VERSION} into {target} (once)", file=sys.stderr)
            build(target)
    if version_of(target) != HELM_VERSION:
        raise HelmUnavailable(f"{target} does not report version {HELM_VERSION}")
    return target


if __name__ == "__main__":
    try:
        print(helm_binary())
    except HelmUnavailable as exc:
        print(f"tooling: {exc}", file=sys.stderr)
        sys.exit(1)
