"""Every rewrite of a connection string keeps a multi-host one whole: both servers, their
ports and ``target_session_attrs``, in the URL form and in libpq's ``key=value`` form, as
libpq itself reads the result."""

from __future__ import annotations

import socket

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from motcua.db import (
    NotTheServiceRole,
    ServiceRole,
    describe,
    own_database_url,
    servers,
    service_url,
    with_database,
    with_login,
    with_option,
    yoyo_uri,
)
from services.reporting.manage import with_search_path

URL = (
    "postgresql://postgres:s%3Acr%40t@db1.example:5432,db2.example:5433/motcua"
    "?target_session_attrs=read-write&connect_timeout=5"
)
KEY_VALUE = (
    "host=db1.example,db2.example port=5432,5433 dbname=motcua user=postgres "
    "password='s:cr@t' target_session_attrs=read-write connect_timeout=5"
)
BOTH = pytest.mark.parametrize("admin", [URL, KEY_VALUE], ids=["url", "key_value"])
SERVERS = {
    "host": "db1.example,db2.example",
    "port": "5432,5433",
    "dbname": "motcua",
    "target_session_attrs": "read-write",
    "connect_timeout": "5",
}


@BOTH
def test_a_service_url_keeps_both_servers_and_signs_in_as_the_services_role(admin: str) -> None:
    url = service_url(admin, ServiceRole("intake", "p@ss:w/rd&?", prefix="motcua"))
    assert conninfo_to_dict(url) == {**SERVERS, "user": "motcua_intake", "password": "p@ss:w/rd&?"}


def test_a_url_stays_a_url_with_its_hosts_untouched() -> None:
    url = service_url(URL, ServiceRole("ratings", "pw"))
    assert url == (
        "postgresql://motcua_ratings:pw@db1.example:5432,db2.example:5433/motcua"
        "?target_session_attrs=read-write&connect_timeout=5"
    )


def test_a_login_given_in_the_query_gives_way_to_the_new_one() -> None:
    admin = "postgresql://db1,db2/motcua?user=admin&password=old&sslmode=prefer"
    params = conninfo_to_dict(with_login(admin, "a", "b"))
    assert params == {**conninfo_to_dict(admin), "user": "a", "password": "b"}
    assert params["host"] == "db1,db2"


def test_an_option_with_spaces_in_the_query_is_kept_byte_for_byte() -> None:
    url = with_login("postgresql://x@db1,db2/m?options=-c%20statement_timeout%3D5s", "a", "b")
    assert conninfo_to_dict(url)["options"] == "-c statement_timeout=5s"


@BOTH
def test_another_database_on_the_same_servers(admin: str) -> None:
    assert conninfo_to_dict(with_database(admin, "motcua_test_1")) == {
        **SERVERS,
        "dbname": "motcua_test_1",
        "user": "postgres",
        "password": "s:cr@t",
    }


@BOTH
def test_a_search_path_is_added_without_losing_a_server(admin: str) -> None:
    params = conninfo_to_dict(with_search_path(admin, "reporting_rebuild"))
    assert params["options"] == "-csearch_path=reporting_rebuild"
    assert {key: params[key] for key in SERVERS} == SERVERS


def test_an_option_goes_after_those_already_there() -> None:
    url = with_option(f"{URL}&options=-cstatement_timeout%3D5s", "-csearch_path=x")
    assert conninfo_to_dict(url)["options"] == "-cstatement_timeout=5s -csearch_path=x"


@BOTH
def test_messages_name_every_server_and_never_the_password(admin: str) -> None:
    assert describe(admin) == "postgres@db1.example:5432,db2.example:5433"
    assert servers(admin) == ["db1.example:5432", "db2.example:5433"]


def test_one_port_is_every_hosts_port() -> None:
    assert servers("host=a,b port=6432") == ["a:6432", "b:6432"]


@BOTH
def test_yoyo_connects_with_every_libpq_parameter(admin: str) -> None:
    uri = yoyo_uri(admin)
    assert (uri.scheme, uri.username, uri.password, uri.database) == (
        "postgresql+psycopg",
        "postgres",
        "s:cr@t",
        "motcua",
    )
    assert uri.hostname is None
    assert uri.port is None
    # yoyo's psycopg backend calls connect(dbname=…, user=…, password=…, **args).
    rebuilt = make_conninfo(
        "", dbname=uri.database, user=uri.username, password=uri.password, **uri.args
    )
    assert conninfo_to_dict(rebuilt) == conninfo_to_dict(admin)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_failed_role_check_names_both_servers() -> None:
    first, second = _closed_port(), _closed_port()
    url = f"postgresql://motcua_intake:pw@127.0.0.1:{first},127.0.0.1:{second}/motcua"
    with pytest.raises(NotTheServiceRole) as raised:
        own_database_url("intake", url, {})
    message = str(raised.value)
    assert f"motcua_intake@127.0.0.1:{first},127.0.0.1:{second}" in message
    assert "pw" not in message.replace("motcua_intake", "")
