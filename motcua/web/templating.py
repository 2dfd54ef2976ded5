"""The Jinja2 environment every service renders its pages with: autoescaped HTML, an error
for any undefined name, the shared base layout under the service's own templates.

A service passes its template folder; names it does not define (``base.html``) come from
the shared folder, so one layout, one stylesheet and one set of texts serve the board,
ratings and reporting alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from motcua.web import strings
from motcua.web.static import StaticAssets

SHARED_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class NavLink:
    """A link between the services in the header; ``href`` is the caller's, since every
    service lives on its own URL."""

    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class SignedIn:
    """Who the header names, and where its logout form posts."""

    name: str
    unit_name: str
    logout_url: str


@dataclass(frozen=True)
class Layout:
    """What ``base.html`` needs besides the page's ``title``."""

    nav: Sequence[NavLink] = ()
    user: SignedIn | None = None


def service_nav(
    current: str,
    *,
    board: str | None = None,
    ratings: str | None = None,
    reporting: str | None = None,
) -> list[NavLink]:
    """The three services' links, in their fixed order; a service without a URL is left
    out. ``current`` is ``board``, ``ratings`` or ``reporting``."""
    links = (
        ("board", strings.TEXTS["nav_board"], board),
        ("ratings", strings.TEXTS["nav_ratings"], ratings),
        ("reporting", strings.TEXTS["nav_reporting"], reporting),
    )
    return [NavLink(label, href, key == current) for key, label, href in links if href]


def create_environment(*template_dirs: Path, assets: StaticAssets | None = None) -> Environment:
    """The environment for a service's pages: its ``template_dirs`` first, then the shared
    templates; ``static_url`` links the files ``assets`` serves (the shared ones when
    None)."""
    static = assets or StaticAssets()
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader([str(d) for d in template_dirs]), FileSystemLoader(SHARED_TEMPLATES)]
        ),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals.update(
        t=strings.TEXTS,
        status_labels=strings.STATUS_LABELS,
        field_labels=strings.FIELD_LABELS,
        static_url=static.url,
    )
    env.filters.update(
        local_time=strings.local_time,
        local_date=strings.local_date,
        time_left=strings.time_left,
        duration=strings.duration_words,
        status_label=strings.status_label,
        field_label=strings.field_label,
    )
    return env
