"""Debian packages a tool needs on the machine (PostgreSQL for the server tests, Chromium and a CJK font
for the dashboards' browser): installed with apt-get when missing, as root, as on a fresh CI machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def ensure_debian_package(path: Path, package: str) -> None:
    """Install ``package`` with apt-get when ``path`` (a file it provides) is not on the machine."""
    if path.exists():
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"{path} is missing and installing {package} needs root: apt-get install -y {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, env=env, capture_output=True)
    if not path.exists():
        raise RuntimeError(f"apt-get install {package} did not provide {path}")
