"""The scripts under ``deploy/`` (they are no package) as modules, each loaded once."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import ROOT


def load_script(relative: str) -> ModuleType:
    """``deploy/local/stack.py`` and the like, by their path from the repository's root."""
    path = ROOT / relative
    name = f"motcua_script_{path.parent.name}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
