"""opswh's client of Airflow's REST API against a stand-in server that answers as Airflow's API server
does when its metadata DB is busy: the rolled-back request is asked again, other errors are not."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from opswh import config
from opswh.airflow import api
from opswh.airflow.api import Airflow, AirflowApiError

# Airflow 3's answer to a request whose SQLite write lock wait ran out (its DB error handler)
BUSY = {"detail": {"reason": "Database error", "statement": "hidden", "orig_error": "hidden", "message": "..."}}


def _run(run_id: str) -> dict:
    return {
        "dag_id": api.DAG_ID,
        "dag_display_name": api.DAG_ID,
        "dag_run_id": run_id,
        "dag_versions": [],
        "run_after": "2026-01-02T00:00:00Z",
        "run_type": "manual",
        "state": "queued",
    }


@pytest.fixture
def airflow(tmp_path, monkeypatch) -> Iterator[tuple[Airflow, list, list]]:
    """A client of a stand-in API whose trigger endpoint answers the queued responses, then 200."""
    answers: list[tuple[int, dict]] = []
    triggered: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.path == "/auth/token":
                status, doc = 201, {"access_token": "token"}
            else:
                triggered.append(body["dag_run_id"])
                status, doc = answers.pop(0) if answers else (200, _run(body["dag_run_id"]))
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPSWH_AIRFLOW_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("OPSWH_AIRFLOW_USERNAME", "ops")
    monkeypatch.setenv("OPSWH_AIRFLOW_PASSWORD", "secret")
    monkeypatch.setattr(api, "BUSY_RETRY_DELAYS_S", (0.01, 0.02, 0.04, 0.08))
    yield Airflow(config.load(tmp_path)), answers, triggered
    server.shutdown()


def test_a_trigger_the_busy_metadata_db_rolled_back_is_asked_again(airflow) -> None:
    client, answers, triggered = airflow
    answers += [(500, BUSY), (500, BUSY)]
    assert (
        client.trigger("opswh_day__2026-01-01__1", {}, datetime(2026, 1, 2, tzinfo=UTC)) == "opswh_day__2026-01-01__1"
    )
    assert triggered == ["opswh_day__2026-01-01__1"] * 3


def test_a_metadata_db_busy_for_good_and_other_errors_fail_with_the_answer(airflow) -> None:
    client, answers, triggered = airflow
    answers += [(500, BUSY)] * 5
    with pytest.raises(AirflowApiError, match="500 .*Database error") as busy:
        client.trigger("opswh_day__2026-01-01__1", {}, datetime(2026, 1, 2, tzinfo=UTC))
    assert busy.value.status == 500 and len(triggered) == 5  # the first request and the four waits
    answers += [(409, {"detail": "The DagRun with dag_id: `platform_ops_daily` and run_id: `x` already exists"})]
    with pytest.raises(AirflowApiError, match="409 .*already exists") as conflict:
        client.trigger("x", {}, datetime(2026, 1, 2, tzinfo=UTC))
    assert conflict.value.status == 409 and triggered[5:] == ["x"]  # asked once
