#!/usr/bin/env python3
"""The planner's two commands, for a fresh machine with only Python 3.11+ and git.

    python3 dev.py up      set everything up and run the planner: a virtualenv in .venv, the package and its
                           dependencies, migrations, the ASEM13 demo data, then the web server, a Celery
                           worker and Celery beat; prints the URL and the demo logins. Ctrl-C stops all three.
    python3 dev.py test    run the whole test suite (pytest); extra arguments go to pytest.
    python3 dev.py totp [USER]  print a demo staff user's current second-factor code (demo secret only).
    python3 dev.py load [ARGS]  install the `load` extra (Locust) and run the load test, benchmarks/load_test.py
                           (needs PostgreSQL and Redis; see benchmarks/README.md, B13). Arguments go to it.

With no DATABASE_URL / REDIS_URL set, everything runs on a SQLite file and kombu's filesystem broker under
var/. Set them to use PostgreSQL and Redis (see README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".planner-installed"
LOAD_STAMP = VENV / ".planner-load-installed"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_environment() -> None:
    """Create .venv and install the project with its dev extras; again only when pyproject.toml changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 — this script must explain itself on an old Python
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    say("installing the planner and its dependencies (first run takes a minute)")
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    extras = "dev"
    if shutil.which("pkg-config") and subprocess.run(["pkg-config", "--exists", "icu-i18n"]).returncode == 0:
        extras = "dev,icu"  # PyICU builds against the system's ICU (collation in French and Khmer)
    else:
        say(
            "ICU's development files are missing (Debian: apt-get install libicu-dev pkg-config g++): the order of "
            "precedence in French and Khmer falls back to code-point order until PyICU is installed"
        )
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"], check=True)
    STAMP.write_text(wanted)


def ensure_load_extra() -> None:
    """Locust, for the load test only: installed when asked for (`dev.py load`), never by `up`, `test` or CI."""
    ensure_environment()
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if LOAD_STAMP.exists() and LOAD_STAMP.read_text() == wanted:
        return
    say("installing the load test's extra (Locust)")
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[load]"], check=True)
    LOAD_STAMP.write_text(wanted)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, ROOT / "manage.py", *args], check=True, env=env, cwd=ROOT)


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 — our own localhost URL
                return True
        except OSError:
            time.sleep(0.5)
    return False


def up(port: int, host: str) -> int:
    ensure_environment()
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "PYTHONUNBUFFERED": "1"}
    (ROOT / "var").mkdir(exist_ok=True)
    say("migrating the database")
    manage("migrate", "--noinput", env=env)
    manage("messages", "compile", env=env)  # the Khmer interface (.mo files are build output)
    say("loading the ASEM13 demo data")
    manage("seed_asem13", env=env)
    celery = [BIN / "celery", "-A", "config"]
    processes = {
        "web": subprocess.Popen(
            [PYTHON, ROOT / "manage.py", "runserver", "--noreload", f"{host}:{port}"], env=env, cwd=ROOT
        ),
        "worker": subprocess.Popen([*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"], env=env, cwd=ROOT),
        "beat": subprocess.Popen([*celery, "beat", "--loglevel", "INFO"], env=env, cwd=ROOT),
    }

    def stop(*_args) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    url = f"http://{host}:{port}/admin/"
    if wait_for(url, 60):
        say(f"the planner is running at {url}  (web, Celery worker and beat; Ctrl-C stops them)")
        say("log in with one of the demo logins printed above (demo only)")
        say(
            "staff then type a 6-digit code: add the printed demo secret to an authenticator app, or run "
            "`python3 dev.py totp admin` (or protocol, security, ...) for the current code"
        )
        say(
            f"liaison officers (liaison-fra, liaison-khm) sign in at http://{host}:{port}/accounts/login/ "
            "and land on their delegation's portal"
        )
        say("see the summit's reminders over simulated time: .venv/bin/python manage.py reminders_rehearse")
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    say(f"{name} exited with status {process.returncode}; stopping the others")
                    stop()
                    return process.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping")
        stop()
        return 0


def test(pytest_args: list[str]) -> int:
    ensure_environment()
    return subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def load(load_args: list[str]) -> int:
    ensure_load_extra()
    return subprocess.run([PYTHON, ROOT / "benchmarks" / "load_test.py", *load_args], cwd=ROOT).returncode


def totp(username: str) -> int:
    ensure_environment()
    return subprocess.run([PYTHON, ROOT / "manage.py", "demo_totp", username], cwd=ROOT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="set up and run the planner (web, worker, beat, demo data)")
    up_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    up_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    commands.add_parser("test", help="run the whole test suite; extra arguments go to pytest")
    totp_parser = commands.add_parser("totp", help="print a demo staff user's current second-factor code")
    totp_parser.add_argument("username", nargs="?", default="admin")
    # --help too goes to the load test, which explains its own arguments.
    commands.add_parser(
        "load", add_help=False, help="install Locust, run the load test (benchmarks/load_test.py); arguments go to it"
    )
    args, rest = parser.parse_known_args()
    if args.command == "up":
        if rest:
            parser.error(f"unknown arguments for 'up': {' '.join(rest)}")
        return up(args.port, args.host)
    if args.command == "totp":
        return totp(args.username)
    if args.command == "load":
        return load(rest)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
