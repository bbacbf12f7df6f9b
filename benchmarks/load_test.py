"""B13 — load test of the web pages and the API on gunicorn (Locust), bounded, on loopback.

Users (benchmarks/load/locustfile.py says what each does and its think times): 50 print stations polling the
badge feed and printing (PDF + print record), 20 checkpoints scanning real badges' QR codes, 100 liaisons signed
in to the portal opening their delegation's pages and saving forms (members, travel) with CSRF, 10 staff signed
in with password + TOTP on the timeline and the operations board.

Self-starting (default): makes its own PostgreSQL database (`load_bench`), migrates, seeds the summit
(`seed_asem13`), prepares the actors, collects static files into a temporary folder (served by WhiteNoise) and
starts the README's production start on loopback with DEBUG=0 and generated keys: `gunicorn config.wsgi` with
--workers workers, 2 Celery workers and beat on Redis (its own database number, --redis-url). Runs the load,
then the baseline: the same load against a single gunicorn worker (what one process does with the same
machine, i.e. whether more workers buy anything on 2 cores). Stops everything, drops the database.

    .venv/bin/python benchmarks/load_test.py [--seconds 180 --ramp 60 --workers 5] \\
        [--stations 50 --checkpoints 20 --liaisons 100 --staff 10] [--no-baseline]

Against a running planner (the deployment script, behind a reverse proxy): prepares the actors in that database
and runs the load against that host; starts, stops and drops nothing, runs no baseline.

    SECRET_KEY=<the server's> .venv/bin/python benchmarks/load_test.py --host http://127.0.0.1:PORT \\
        --database-url postgres://... [--redis-url redis://...] [--seconds N] [--stations ...]

In that mode the server's SECRET_KEY (or SECRET_KEY_FILE) must be in the environment, because the QR codes the
checkpoints scan are signed with it (a wrong key makes every scan `forged`, which counts as an error), and a
plain-HTTP host must run with SECURE_SSL_REDIRECT=0, SESSION_COOKIE_SECURE=0 and CSRF_COOKIE_SECURE=0 (or sit
behind TLS), or the browser users cannot keep a session.

Prints a table per endpoint (requests, failures, p50, p95, max, req/s), the throughput, the errors, the CPU the
server's processes used; the last line is one JSON object. Exits 0 only when no request failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
LOAD_DIR = Path(__file__).resolve().parent / "load"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/load_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
CLK_TCK = os.sysconf("SC_CLK_TCK")
ARGS = argparse.Namespace()


def say(message: str) -> None:
    print(f"[load] {message}", flush=True)


# --- CPU accounting from /proc ---------------------------------------------------------------------------
def _proc_times(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, seconds of CPU the process itself used so far)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _machine_busy() -> float:
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


class CpuMeter(threading.Thread):
    """Samples every process's CPU time once a second during a phase and sums, per group, what each process
    used between the start (or its birth) and its last sample, so processes that come and go (PostgreSQL
    backends, gunicorn workers) are counted too. Groups: the processes this script started and their
    descendants (`roots`); without roots (host mode) gunicorn and Celery matched by command line, so any other
    gunicorn or Celery on the machine counts too; `postgres`: the backends serving `database` (their process
    title names it). `machine busy` is all cores' busy time from /proc/stat, whoever used them."""

    def __init__(self, roots: dict[str, list[int]], database: str) -> None:
        super().__init__(daemon=True)
        self.roots, self.database = roots, database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}
        self.done = threading.Event()

    def _classify(self, pid: int, name: str, ancestors: dict[int, int]) -> str:
        if self.roots:
            seen, current = 0, pid
            while current > 1 and seen < 64:
                for group, pids in self.roots.items():
                    if current in pids:
                        return group
                current, seen = ancestors.get(current, 0), seen + 1
        if name.startswith("postgres"):
            return "postgres" if f" {self.database} " in _cmdline(pid) else ""
        if self.roots:
            return ""
        cmd = _cmdline(pid)
        if "gunicorn" in cmd and "config.wsgi" in cmd:
            return "gunicorn"
        if "celery" in cmd and " worker" in cmd:
            return "celery workers"
        if "celery" in cmd and " beat" in cmd:
            return "celery beat"
        return ""

    def sample(self, *, initial: bool = False) -> None:
        table = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (info := _proc_times(int(entry))) is not None:
                table[int(entry)] = info
        ancestors = {pid: ppid for pid, (_name, ppid, _seconds) in table.items()}
        for pid, (name, _ppid, seconds) in table.items():
            if pid not in self.group:
                self.group[pid] = self._classify(pid, name, ancestors)
            if not self.group[pid]:
                continue
            self.first.setdefault(pid, seconds if initial else 0.0)
            self.last[pid] = seconds

    def run(self) -> None:
        self.machine0, self.started = _machine_busy(), time.monotonic()
        self.sample(initial=True)
        while not self.done.wait(1.0):
            self.sample()

    def stop(self) -> dict[str, float]:
        """Average cores each group kept busy over the phase (1.0 = one core all the time)."""
        self.done.set()
        self.join()
        self.sample()
        elapsed = time.monotonic() - self.started
        used: dict[str, float] = collections.defaultdict(float)
        for pid, seconds in self.last.items():
            used[self.group[pid]] += seconds - self.first[pid]
        used["machine busy"] = _machine_busy() - self.machine0
        return {group: round(seconds / elapsed, 2) for group, seconds in used.items()}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- One run of Locust ----------------------------------------------------------------------------------
@dataclass
class Phase:
    label: str
    scale: float = 1.0
    seconds: float = 0.0
    ramp: float = 0.0
    records: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    locust_cpu: float = 0.0
    load_before: str = ""
    load_after: str = ""
    server_ms: list = field(default_factory=list)  # gunicorn's own time per request (self-started mode)

    @property
    def failures(self) -> int:
        return sum(1 for r in self.records if r[3])

    def endpoints(self) -> dict[str, dict]:
        by: dict[str, list] = collections.defaultdict(list)
        for name, _start, ms, error in self.records:
            by[name].append((ms, error))
        out = {}
        for name in sorted(by, key=lambda n: (n.split(" ", 1)[1], n)):
            times = sorted(ms for ms, _ in by[name])
            out[name] = {
                "requests": len(times),
                "failures": sum(1 for _, e in by[name] if e),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                "max_ms": round(times[-1], 1),
                "rps": round(len(times) / self.seconds, 2),
            }
        return out

    def steady_rps(self) -> float:
        """Requests a second after the ramp-up (sign-ins and full syncs are done by then)."""
        if not self.records:
            return 0.0
        start = min(r[1] for r in self.records) + self.ramp
        steady = [r for r in self.records if r[1] >= start]
        return round(len(steady) / max(self.seconds - self.ramp, 1.0), 1)

    def errors(self) -> list[tuple[str, int]]:
        return collections.Counter(f"{r[0]}: {r[3]}" for r in self.records if r[3]).most_common(10)


def run_locust(
    phase: Phase, *, host: str, actors: Path, args: argparse.Namespace, workdir: Path, stack: Stack | None = None
) -> Phase:
    results = workdir / f"records-{phase.label}.json"
    counts = {
        name: round(getattr(args, name) * phase.scale) for name in ("stations", "checkpoints", "liaisons", "staff")
    }
    users = sum(counts.values())
    env = {
        **os.environ,
        "LOAD_ACTORS": str(actors),
        "LOAD_RESULTS": str(results),
        "LOAD_TIMEOUT": str(args.timeout),
        **{f"LOAD_{k.upper()}": str(v) for k, v in counts.items()},
    }
    command = [
        str(BIN / "locust"), "-f", str(LOAD_DIR / "locustfile.py"), "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", f"{users / max(args.ramp, 1):.2f}",
        "--run-time", f"{int(args.seconds)}s", "--stop-timeout", str(int(args.timeout)), "--host", host,
        "--loglevel", "WARNING",
    ]  # fmt: skip
    phase.seconds, phase.ramp = args.seconds, min(args.ramp, args.seconds)
    phase.load_before = load_average()
    say(f"{phase.label}: {users} users for {args.seconds:.0f} s (ramp-up {args.ramp:.0f} s) against {host}")
    database = urlparse(args.database_url).path.lstrip("/")
    meter = CpuMeter(stack.roots() if stack else {}, database)
    meter.start()
    started = time.monotonic()
    log = (workdir / f"locust-{phase.label}.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    phase.cpu = meter.stop()
    phase.locust_cpu = round((usage.ru_utime + usage.ru_stime) / elapsed, 2)
    phase.load_after = load_average()
    log.close()
    if process.returncode not in (0, 1) or not results.exists():  # 1: Locust saw failures, which we count below
        tail = (workdir / f"locust-{phase.label}.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"Locust did not finish (exit {process.returncode}):\n{tail}")
    phase.records = json.loads(results.read_text())
    if stack is not None:
        phase.server_ms = stack.server_times()
    return phase


# --- The production start, on loopback -------------------------------------------------------------------
class Stack:
    """PostgreSQL database, Redis database, gunicorn, 2 Celery workers and beat, as the README starts them."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.port = args.port or _free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        from cryptography.fernet import Fernet

        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PLANNER_", "SECURE_", "DJANGO_"))},
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PLANNER_FIELD_KEYS": Fernet.generate_key().decode(),
            "PLANNER_DIGEST_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VAR_DIR": str(workdir / "var"),
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            # Plain HTTP on loopback: no TLS to redirect to, and browsers (and requests) keep Secure cookies for
            # HTTPS only. In production a TLS-terminating proxy keeps the secure defaults.
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
        }

    def roots(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = collections.defaultdict(list)
        for name, process in self.processes.items():
            groups["gunicorn" if name == "gunicorn" else name.rstrip("-0123456789")].append(process.pid)
        return dict(groups)

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def create_database(self) -> None:
        import psycopg

        url = urlparse(self.args.database_url)
        name = url.path.lstrip("/")
        if not name.startswith("load"):  # it is dropped and made anew: never someone's real database
            sys.exit(f"the self-starting load test drops and re-creates its database; {name!r} must start with 'load'")
        admin = urlunparse(url._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._redis_flush()

    def drop_database(self) -> None:
        import psycopg

        url = urlparse(self.args.database_url)
        admin = urlunparse(url._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')
        self._redis_flush()

    def _redis_flush(self) -> None:
        import redis

        redis.Redis.from_url(self.args.redis_url).flushdb()  # our own database number only

    def prepare(self) -> None:
        started = time.monotonic()
        say(f"database {self.args.database_url} and Redis {self.args.redis_url}: migrate, seed, collectstatic")
        self.create_database()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.manage("messages", "compile")
        self.manage("seed_asem13")
        say(f"prepared in {time.monotonic() - started:.0f} s")

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_celery(self) -> None:
        celery = [str(BIN / "celery"), "-A", "config"]
        for n in range(1, self.args.celery_workers + 1):
            self._start(
                f"celery-worker-{n}",
                [*celery, "worker", "-n", f"load{n}@%h", "--concurrency", "1", "--loglevel", "WARNING"],
            )
        self._start(
            "celery-beat",
            [*celery, "beat", "--loglevel", "WARNING", "--pidfile", str(self.workdir / "beat.pid")],
        )

    def start_web(self, workers: int) -> None:
        """gunicorn with `workers` sync workers; its access log keeps each request's own time (%(D)s, from the
        worker reading the request to the response sent): the client's time minus this is the wait in the
        listen queue for a free worker."""
        self.stop("gunicorn")
        self.access_log = self.workdir / f"access-{len(list(self.workdir.glob('access-*')))}.log"
        self._start(
            "gunicorn",
            [
                str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--log-level", "warning", "--access-logfile", str(self.access_log),
                "--access-logformat", "%(m)s %(U)s %(s)s %(D)s",
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.processes["gunicorn"].poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.workdir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.host}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise SystemExit("gunicorn did not answer within 60 s")

    def server_times(self) -> list[float]:
        """Milliseconds gunicorn spent on each request of the load so far (the readiness probe's left out)."""
        times = []
        for line in self.access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[3].isdigit() and parts[2] != "-":
                times.append(int(parts[3]) / 1000)
        return times[1:]

    def stop(self, *names: str) -> None:
        for name in names or list(self.processes):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_actors(args: argparse.Namespace, env: dict[str, str], out: Path) -> None:
    command = [PYTHON, str(LOAD_DIR / "actors.py"), "--out", str(out)]
    scale = max(1.0, args.step or 1.0)  # enough tokens and accounts for the higher step too
    for name in ("stations", "checkpoints", "liaisons", "staff"):
        command += [f"--{name}", str(round(getattr(args, name) * scale))]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603


# --- Report ---------------------------------------------------------------------------------------------
def print_phase(phase: Phase) -> None:
    endpoints = phase.endpoints()
    print(
        f"\n{phase.label}: {len(phase.records)} requests in {phase.seconds:.0f} s, load average {phase.load_before} → {phase.load_after}"
    )
    print(f"{'endpoint':<52}{'requests':>9}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'req/s':>8}")
    for name, row in endpoints.items():
        print(
            f"{name:<52}{row['requests']:>9}{row['failures']:>6}{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}"
            f"{row['max_ms']:>9.0f}{row['rps']:>8.2f}"
        )
    total = len(phase.records)
    times = sorted(r[2] for r in phase.records) or [0.0]
    print(
        f"{'all':<52}{total:>9}{phase.failures:>6}{statistics.median(times):>9.0f}"
        f"{times[min(len(times) - 1, int(0.95 * len(times)))]:>9.0f}{times[-1]:>9.0f}{total / phase.seconds:>8.2f}"
    )
    print(f"throughput after the ramp-up: {phase.steady_rps()} req/s; errors: {phase.failures}")
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in sorted(phase.cpu.items(), key=lambda kv: -kv[1]))
    print(f"CPU (cores busy on average): {cpu}, locust {phase.locust_cpu:.2f}")
    if phase.server_ms:
        server = sorted(phase.server_ms)
        print(
            f"gunicorn's own time per request: p50 {statistics.median(server):.0f} ms, "
            f"p95 {server[int(0.95 * (len(server) - 1))]:.0f} ms, over {len(server)} requests "
            "(the rest of the client's time is the wait for a free worker)"
        )
    for message, count in phase.errors():
        print(f"  error ×{count}: {message[:300]}")


def phase_json(phase: Phase) -> dict:
    times = sorted(r[2] for r in phase.records) or [0.0]
    return {
        "requests": len(phase.records),
        "failures": phase.failures,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "rps": round(len(phase.records) / phase.seconds, 1),
        "rps_steady": phase.steady_rps(),
        "cpu_cores": phase.cpu,
        "locust_cpu_cores": phase.locust_cpu,
        "load_average": [phase.load_before, phase.load_after],
        "users": {
            name: round(getattr(ARGS, name) * phase.scale) for name in ("stations", "checkpoints", "liaisons", "staff")
        },
        "server_p50_ms": round(statistics.median(phase.server_ms), 1) if phase.server_ms else None,
        "server_p95_ms": round(sorted(phase.server_ms)[int(0.95 * (len(phase.server_ms) - 1))], 1)
        if phase.server_ms
        else None,
        "endpoints": phase.endpoints(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", help="a running planner (e.g. http://127.0.0.1:8080); default: start one here")
    parser.add_argument("--database-url", help=f"the planner's database (default with no --host: {DEFAULT_DB})")
    parser.add_argument("--redis-url", help=f"Redis for the started planner (default {DEFAULT_REDIS})")
    parser.add_argument("--seconds", type=float, default=180.0, help="length of each load phase (default 180)")
    parser.add_argument(
        "--ramp", type=float, help="seconds to start all users (default 60, at most a third of --seconds)"
    )
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--liaisons", type=int, default=100)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds after which a request counts as failed (default 60)"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--celery-workers", type=int, default=2)
    parser.add_argument("--baseline-workers", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the single-worker baseline phase")
    parser.add_argument(
        "--step", type=float, help="then one more phase with every count times STEP (e.g. 2), to find the knee"
    )
    parser.add_argument("--port", type=int, default=0, help="port of the started gunicorn (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs (for a look after)")
    args = parser.parse_args()
    global ARGS
    ARGS = args
    if args.host and not args.database_url:
        parser.error("--host needs --database-url: the actors (tokens, users) are made in the planner's database")
    if args.ramp is None:
        args.ramp = min(60.0, args.seconds / 3)
    if args.ramp > args.seconds:
        parser.error("--ramp must not be longer than --seconds")

    workdir = Path(tempfile.mkdtemp(prefix="load-test-"))
    actors = workdir / "actors.json"
    phases: list[Phase] = []
    stack = None
    try:
        if args.host:
            env = {**os.environ, "DATABASE_URL": args.database_url}
            if args.redis_url:
                env["REDIS_URL"] = args.redis_url
            prepare_actors(args, env, actors)
            phases.append(
                run_locust(Phase("load"), host=args.host.rstrip("/"), actors=actors, args=args, workdir=workdir)
            )
        else:
            args.database_url = args.database_url or DEFAULT_DB
            args.redis_url = args.redis_url or DEFAULT_REDIS
            stack = Stack(args, workdir)
            stack.prepare()
            prepare_actors(args, stack.env, actors)
            stack.start_celery()
            stack.start_web(args.workers)
            phases.append(
                run_locust(
                    Phase(f"{args.workers} workers"),
                    host=stack.host,
                    actors=actors,
                    args=args,
                    workdir=workdir,
                    stack=stack,
                )
            )
            if not args.no_baseline:
                stack.start_web(args.baseline_workers)
                label = f"baseline {args.baseline_workers} worker" + ("s" if args.baseline_workers != 1 else "")
                phases.append(
                    run_locust(Phase(label), host=stack.host, actors=actors, args=args, workdir=workdir, stack=stack)
                )
            if args.step:
                stack.start_web(args.workers)
                phases.append(
                    run_locust(
                        Phase(f"{args.workers} workers, load ×{args.step:g}", scale=args.step),
                        host=stack.host,
                        actors=actors,
                        args=args,
                        workdir=workdir,
                        stack=stack,
                    )
                )
    finally:
        if stack is not None:
            stack.stop()
            if not args.keep:
                stack.drop_database()
        if args.keep:
            say(f"logs and actors kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    for phase in phases:
        print_phase(phase)
    failures = sum(p.failures for p in phases)
    requests = sum(len(p.records) for p in phases)
    main_phase = phases[0]
    print(
        json.dumps(
            {
                "benchmark": "load_test",
                "mode": "host" if args.host else "self-started",
                "host": args.host or "127.0.0.1 (gunicorn started here)",
                "seconds": args.seconds,
                "ramp_s": args.ramp,
                "users": {"stations": args.stations, "checkpoints": args.checkpoints, "liaisons": args.liaisons, "staff": args.staff},
                "workers": None if args.host else args.workers,
                "celery_workers": None if args.host else args.celery_workers,
                "cores": os.cpu_count(),
                "failures": failures,
                "requests": requests,
                "rps": phase_json(main_phase)["rps"],
                "rps_steady": main_phase.steady_rps(),
                "load": phase_json(main_phase),
                "baseline": {"workers": args.baseline_workers, **phase_json(phases[1])}
                if len(phases) > 1 and not args.no_baseline
                else None,
                "step": {"factor": args.step, **phase_json(phases[-1])} if args.step and len(phases) > 1 else None,
                "zero_errors": failures == 0 and requests > 0,
            }
        )
    )  # fmt: skip
    return 0 if failures == 0 and requests > 0 else 1


def _refused(reason: str) -> None:
    """Even a run that could not start or finish ends with one JSON line, for the scripts that read it."""
    print(json.dumps({"benchmark": "load_test", "zero_errors": False, "error": reason[-2000:]}))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a step that could not be done, said in words
            print(exc.code, file=sys.stderr)
            _refused(exc.code)
            sys.exit(1)
        if exc.code not in (0, 1, None):  # argparse's usage error: it has said why
            _refused(f"bad arguments (exit {exc.code})")
        raise  # 0 or 1: main() has printed its figures
    except Exception as exc:
        traceback.print_exc()
        _refused(f"{type(exc).__name__}: {exc}")
        sys.exit(1)
