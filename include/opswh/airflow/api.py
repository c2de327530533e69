"""Airflow through its stable REST API v2 (token auth), with the official client (``apache-airflow-client``).

Everything ``opswh`` asks of Airflow goes through here: triggering runs, listing runs and task
instances, reading task logs, pausing, clearing and marking runs failed. The same
code talks to the local services and to a team's server (``airflow_url`` with
``airflow_username`` / ``airflow_password``), whatever its metadata database.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opswh.airflow.environment import AUTH_USER
from opswh.config import Config
from opswh.errors import PermanentError

DAG_ID = "platform_ops_daily"
ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("success", "failed")
# Waits before asking again when Airflow's metadata DB was busy. On SQLite (the local services) the API
# server's request waits for the write lock for at most 5 s, then fails ("Database error") and is rolled
# back: measured when `opswh run` queued 30 days while the first task started.
BUSY_RETRY_DELAYS_S = (1, 2, 4, 8)


class AirflowApiError(RuntimeError):
    """Airflow's API answered with an error, or could not be reached; the message says which."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _db_busy(status: int, body: Any) -> bool:
    """The answer of a request that failed because the metadata DB was busy, and was rolled back."""
    return status == 503 or (status == 500 and "Database error" in str(body))


class AirflowAuthError(AirflowApiError, PermanentError):
    """Airflow refused the credentials."""


@dataclass
class RunState:
    run_id: str
    state: str
    run_type: str
    start: str | None
    end: str | None
    conf: str | None
    logical_date: str | None


@dataclass
class TaskState:
    task_id: str
    state: str | None
    try_number: int


def credentials(cfg: Config) -> tuple[str, str]:
    """Who ``opswh`` logs in as: the configured user, or the local simple auth manager's admin."""
    if cfg.airflow_username:
        if not cfg.airflow_password:
            raise AirflowAuthError(
                f"airflow_username is {cfg.airflow_username!r} but no airflow_password is set "
                "(OPSWH_AIRFLOW_PASSWORD, or airflow_password in opswh.json)"
            )
        return cfg.airflow_username, cfg.airflow_password
    passwords = cfg.paths.airflow_home / "passwords.json"
    if not passwords.exists():
        raise AirflowAuthError(
            f"{passwords} does not exist: the local Airflow has not been started here yet (opswh airflow), "
            "or set OPSWH_AIRFLOW_URL, OPSWH_AIRFLOW_USERNAME and OPSWH_AIRFLOW_PASSWORD for a remote one"
        )
    return AUTH_USER, json.loads(passwords.read_text())[AUTH_USER]


class Airflow:
    """A logged-in client of one Airflow instance."""

    def __init__(self, cfg: Config, timeout: float = 30) -> None:
        import airflow_client.client as client

        self.cfg = cfg
        self.url = cfg.api_url.rstrip("/")
        self.timeout = timeout
        self._client = client
        self._api: Any = None

    # ------------------------------------------------------------ plumbing

    def _token(self) -> str:
        import urllib3

        user, password = credentials(self.cfg)
        try:
            r = urllib3.request(
                "POST",
                f"{self.url}/auth/token",
                json={"username": user, "password": password},
                timeout=self.timeout,
                retries=False,
            )
        except urllib3.exceptions.HTTPError as e:
            raise AirflowApiError(f"Airflow at {self.url} cannot be reached ({e})") from None
        if r.status in (401, 403):
            raise AirflowAuthError(f"Airflow at {self.url} refused the credentials of user {user!r}")
        if r.status != 200 and r.status != 201:
            raise AirflowApiError(f"Airflow at {self.url}: POST /auth/token answered {r.status}: {r.data[:300]!r}")
        return r.json()["access_token"]

    def api(self) -> Any:
        if self._api is None:
            conf = self._client.Configuration(host=self.url, access_token=self._token())
            self._api = self._client.ApiClient(conf)
        return self._api

    def _call(self, api_class: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One API call; asked again after a new login when the token expired, and after a wait while
        the metadata DB is busy (``BUSY_RETRY_DELAYS_S``)."""
        from airflow_client.client.exceptions import ApiException

        logged_in_again, busy = False, list(BUSY_RETRY_DELAYS_S)
        while True:
            api = getattr(self._client, api_class)(self.api())
            try:
                return getattr(api, method)(*args, _request_timeout=self.timeout, **kwargs)
            except ApiException as e:
                if e.status == 401 and not logged_in_again:  # the token expired: log in again
                    self._api, logged_in_again = None, True
                    continue
                if _db_busy(e.status, e.body) and busy:
                    time.sleep(busy.pop(0))
                    continue
                message = f"Airflow API {api_class}.{method}: {e.status} {e.reason}: {e.body}"
                raise AirflowApiError(message, e.status) from None
            except OSError as e:
                raise AirflowApiError(f"Airflow at {self.url} cannot be reached ({e})") from None

    # ------------------------------------------------------------ the instance

    def healthy(self) -> bool:
        """Whether the API answers its health check (no login needed)."""
        import urllib3

        try:
            r = urllib3.request("GET", f"{self.url}/api/v2/monitor/health", timeout=2, retries=False)
        except urllib3.exceptions.HTTPError:
            return False
        return r.status == 200

    def dag_is_parsed(self) -> bool:
        from airflow_client.client.exceptions import ApiException

        try:
            self._client.DAGApi(self.api()).get_dag(DAG_ID, _request_timeout=self.timeout)
        except ApiException as e:
            if e.status == 404:
                return False
            raise AirflowApiError(f"Airflow API DAGApi.get_dag: {e.status} {e.reason}") from None
        return True

    def import_errors(self) -> list[str]:
        errors = self._call("ImportErrorApi", "get_import_errors", limit=20)
        return [f"{e.filename}: {e.stack_trace}" for e in errors.import_errors]

    def is_paused(self) -> bool:
        return bool(self._call("DAGApi", "get_dag", DAG_ID).is_paused)

    def set_paused(self, paused: bool) -> None:
        self._call("DAGApi", "patch_dag", DAG_ID, self._client.DAGPatchBody(is_paused=paused))

    # ------------------------------------------------------------ runs

    def trigger(self, run_id: str, conf: dict[str, Any], run_after: datetime) -> str:
        body = self._client.TriggerDAGRunPostBody(dag_run_id=run_id, conf=conf, logical_date=None, run_after=run_after)
        return self._call("DagRunApi", "trigger_dag_run", DAG_ID, body).dag_run_id

    def runs(self, limit: int = 20, states: list[str] | None = None) -> list[RunState]:
        """The newest runs first (by run_after)."""
        out = self._call("DagRunApi", "get_dag_runs", DAG_ID, limit=limit, order_by=["-run_after"], state=states)
        return [
            RunState(
                r.dag_run_id,
                _state(r.state),
                _state(r.run_type),
                r.start_date.isoformat() if r.start_date else None,
                r.end_date.isoformat() if r.end_date else None,
                json.dumps(r.conf) if r.conf else None,
                r.logical_date.isoformat() if r.logical_date else None,
            )
            for r in out.dag_runs
        ]

    def task_states(self, run_id: str) -> list[TaskState]:
        out = self._call("TaskInstanceApi", "get_task_instances", DAG_ID, run_id, limit=100)
        return [TaskState(t.task_id, _state(t.state) if t.state else None, t.try_number) for t in out.task_instances]

    def log_records(self, run_id: str, task_id: str, try_number: int) -> list[dict]:
        """A task try's log as Airflow's structured records (``event``, ``level``, ``error_detail`` ...).

        Read as the raw JSON response: the client's model of a log record keeps only ``event`` and
        ``timestamp``."""
        response = self._call(
            "TaskInstanceApi",
            "get_log_without_preload_content",
            DAG_ID,
            run_id,
            task_id,
            try_number,
            full_content=True,
            accept="application/json",
        )
        if response.status != 200:
            raise AirflowApiError(f"Airflow API get_log: {response.status}: {response.data[:300]!r}")
        content = json.loads(response.data).get("content") or []
        return [rec if isinstance(rec, dict) else {"event": str(rec)} for rec in content]

    def mark_failed(self, run_id: str) -> None:
        self._call("DagRunApi", "patch_dag_run", DAG_ID, run_id, self._client.DAGRunPatchBody(state="failed"))

    def clear(self, run_id: str) -> None:
        self._call("DagRunApi", "clear_dag_run", DAG_ID, run_id, self._client.DAGRunClearBody(dry_run=False))

    def task_url(self, run_id: str, task_id: str) -> str:
        from urllib.parse import quote

        return f"{self.url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}/tasks/{task_id}"


def _state(value: Any) -> str:
    return str(getattr(value, "value", value))
