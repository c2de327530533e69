"""Real servers the end-to-end tests start on loopback, and the Debian packages they need.

CI starts on a fresh machine: a test that needs a server's binaries installs its Debian package
when it is missing (``apt-get``, as root), then runs the server in a temporary directory and
stops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from opswh.debian import ensure_debian_package

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    database: str
    log: Path


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(database: str = "airflow", user: str = "airflow") -> Iterator[Postgres]:
    """A PostgreSQL 15 server of its own (initdb in a temporary directory), on a free loopback port."""
    ensure_debian_package(PG_BIN / "initdb", "postgresql")
    import psycopg2

    root = Path(tempfile.mkdtemp(prefix="opswh-pg-", dir="/tmp"))
    password = "pg-" + os.urandom(8).hex()
    (root / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pw", "postgres", "postgres")
    data, log, port = root / "data", root / "server.log", free_port()
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", user, "--auth=scram-sha-256", f"--pwfile={root / 'pw'}"]
    subprocess.run(_as_postgres([*initdb, "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log)]
    subprocess.run(_as_postgres([*pg_ctl, "-w", "-o", options, "start"]), check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                con = psycopg2.connect(host="127.0.0.1", port=port, user=user, password=password, dbname="postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'create database "{database}"')
        con.close()
        yield Postgres("127.0.0.1", port, user, password, database, log)
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Received:
    """What a receiver got: e-mails (``email.message.Message``) or webhook posts (parsed JSON)."""

    port: int
    items: list


@contextmanager
def smtp_receiver() -> Iterator[Received]:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps every message it receives."""
    import email

    from aiosmtpd.controller import Controller

    got = Received(free_port(), [])

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            got.items.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=got.port)
    controller.start()
    try:
        yield got
    finally:
        controller.stop()


@contextmanager
def webhook_receiver() -> Iterator[Received]:
    """A real HTTP server on a free loopback port that keeps the JSON body of every POST."""
    import http.server
    import json
    import threading

    got = Received(free_port(), [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.items.append({"path": self.path, "json": json.loads(body or b"null")})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", got.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


def alert_env(smtp: Received, webhook: Received) -> dict[str, str]:
    """The settings and Airflow connections that send opswh's alerts to these receivers."""
    import json

    return {
        "OPSWH_ALERT_EMAIL_TO": "ops@example.com",
        "OPSWH_ALERT_WEBHOOK_CONN_ID": "opswh_webhook",
        "OPSWH_ALERT_WEBHOOK_ENDPOINT": "/opswh/alerts",
        "AIRFLOW_CONN_OPSWH_SMTP": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp.port,
                "extra": {"disable_ssl": True, "disable_tls": True},
            }
        ),
        "AIRFLOW_CONN_OPSWH_WEBHOOK": json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": webhook.port}),
    }


def mail_text(message) -> str:
    """The decoded text of every text part of an e-mail."""
    return "".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    )
