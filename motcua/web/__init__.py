"""The officers' pages, one look for every service: a Jinja2 environment with the shared
base layout, one stylesheet served at ``/static/motcua.css``, and the Vietnamese texts
kept together (:mod:`motcua.web.strings`)."""

from motcua.web.static import (
    StaticAssets,
    mount_starlette_static,
)
from motcua.web.strings import (
    AGENCY_BAND_LABELS,
    FIELD_LABELS,
    PORTAL_766_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TEXTS,
    unit_label,
)
from motcua.web.templating import (
    SHARED_TEMPLATES,
    Layout,
    NavLink,
    SignedIn,
    create_environment,
    service_nav,
)

__all__ = [
    "AGENCY_BAND_LABELS",
    "FIELD_LABELS",
    "PORTAL_766_LABELS",
    "ROLE_LABELS",
    "SHARED_TEMPLATES",
    "STATUS_LABELS",
    "TEXTS",
    "Layout",
    "NavLink",
    "SignedIn",
    "StaticAssets",
    "create_environment",
    "mount_starlette_static",
    "service_nav",
    "unit_label",
]
