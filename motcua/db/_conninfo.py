"""Connection strings as libpq reads them, so one naming several servers survives every
rewrite.

A primary with a standby is named by a multi-host string —
``postgresql://u:p@db1:5432,db2:5432/motcua?target_session_attrs=read-write`` or
``host=db1,db2 port=5432,5432 dbname=motcua target_session_attrs=read-write`` — and
libpq tries the hosts in turn, keeping the first that accepts writes. ``urllib`` cannot
read such a netloc (its ``.port`` raises), so whatever reads or rewrites a connection
string goes through here: libpq's own parser reads it (:func:`psycopg.conninfo.conninfo_to_dict`),
and a rewrite changes only what it means to change.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo.connections import DatabaseURI

_URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(conninfo: str) -> bool:
    """Whether the string is a URL (else libpq's ``key=value`` form)."""
    return conninfo.startswith(_URL_SCHEMES)


def _without_query_keys(query: str, keys: set[str]) -> str:
    """The query string less ``keys``, every other parameter left byte for byte (libpq
    decodes ``%XX`` only, so re-encoding could change what it reads)."""
    kept = [part for part in query.split("&") if part and unquote(part.split("=")[0]) not in keys]
    return "&".join(kept)


def with_login(conninfo: str, user: str, password: str) -> str:
    """The same servers, database and parameters, signing in as ``user``."""
    if not is_url(conninfo):
        return make_conninfo(conninfo, user=user, password=password)
    parts = urlsplit(conninfo)
    hosts = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{hosts}"
    query = _without_query_keys(parts.query, {"user", "password"})
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def with_database(conninfo: str, dbname: str) -> str:
    """The same servers, login and parameters, in database ``dbname``."""
    if not is_url(conninfo):
        return make_conninfo(conninfo, dbname=dbname)
    parts = urlsplit(conninfo)
    query = _without_query_keys(parts.query, {"dbname"})
    return urlunsplit((parts.scheme, parts.netloc, f"/{quote(dbname)}", query, parts.fragment))


def with_option(conninfo: str, option: str) -> str:
    """The string with one more server option (``-csearch_path=x``) after any it has."""
    current = conninfo_to_dict(conninfo).get("options")
    return make_conninfo(conninfo, options=f"{current} {option}" if current else option)


def servers(conninfo: str) -> list[str]:
    """``host:port`` of every server named, in the order libpq tries them."""
    params = conninfo_to_dict(conninfo)
    hosts = str(params.get("host") or params.get("hostaddr") or "").split(",")
    ports = str(params.get("port") or "5432").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    return [
        f"{host or 'localhost'}:{port or '5432'}" for host, port in zip(hosts, ports, strict=False)
    ]


def describe(conninfo: str) -> str:
    """``user@host:port[,host:port…]``, the password left out: for messages."""
    try:
        params = conninfo_to_dict(conninfo)
        return f"{params.get('user') or '?'}@{','.join(servers(conninfo))}"
    except Exception:  # an unreadable string: the message still says something
        return "(an unreadable connection string)"


def yoyo_uri(conninfo: str) -> DatabaseURI:
    """What yoyo's psycopg backend connects with: every libpq parameter passed through as
    is (yoyo's own URL parser takes one host and an integer port)."""
    params = {key: str(value) for key, value in conninfo_to_dict(conninfo).items()}
    return DatabaseURI(
        scheme="postgresql+psycopg",
        username=params.pop("user", None),
        password=params.pop("password", None),
        hostname=None,
        port=None,
        database=params.pop("dbname", None),
        args=params,
    )
