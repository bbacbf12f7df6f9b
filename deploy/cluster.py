#!/usr/bin/env python3
"""The multi-node topology of docs/deployment.md on one machine: every component a process of its own, on loopback.

    .venv/bin/python deploy/cluster.py up       database, Redis (AOF), PgBouncer (transaction mode), 2 gunicorn,
                                                nginx in front, Celery workers per queue (2 on reminders), 1 beat;
                                                migrate (straight to PostgreSQL), collectstatic, seed; checks
                                                that a photo uploaded through one web process is read by the other
    .venv/bin/python deploy/cluster.py status   every process, every port, which worker consumes which queue
    .venv/bin/python deploy/cluster.py drill    reminders' exactly-once drill across the two reminder workers,
                                                one of them killed -9 mid-send and restarted
    .venv/bin/python deploy/cluster.py load     benchmarks/load_test.py against the proxy
    .venv/bin/python deploy/cluster.py down     stop everything, drop the database, remove var/cluster/

State (generated keys, configuration, logs, Redis's files, media, sent mail) lives in var/cluster/ (git-ignored).
Needs: PostgreSQL on 127.0.0.1:5432 that the `postgres` role reaches without a password, and Debian's redis-server,
pgbouncer and nginx. Ports: --base-port (24580) for nginx, +1 and +2 for gunicorn, +10 Redis, +20 PgBouncer.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.cookiejar
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
STATE = Path(os.environ.get("CLUSTER_DIR", str(ROOT / "var" / "cluster")))
BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
PG_HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("CLUSTER_PG_PORT", "5432"))
PG_ADMIN = os.environ.get("CLUSTER_PG_ADMIN", "postgres")
DB_NAME = os.environ.get("CLUSTER_DB", "deploy_cluster")
DB_ROLE = os.environ.get("CLUSTER_DB_ROLE", "deploy_planner")
LIAISON = ("liaison-fra", "asem13-liaison-demo", "FRA")  # demo/seed.py's French liaison (demo password)

# Celery workers: name → queues. The two reminder workers are what the drill needs; every other queue has its own.
WORKERS = {
    "worker-conflicts": "conflicts",
    "worker-scheduling": "scheduling",
    "worker-reminders-1": "reminders",
    "worker-reminders-2": "reminders",
    "worker-default": "celery",
}


def say(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


# --- Layout ---------------------------------------------------------------------------------------------------------


def paths() -> dict[str, Path]:
    return {
        "state": STATE,
        "run": STATE / "run",
        "logs": STATE / "logs",
        "secrets": STATE / "secrets",
        "conf": STATE / "conf",
        "redis": STATE / "redis",
        "pgbouncer": STATE / "pgbouncer",
        "nginx": STATE / "nginx",
        "static": STATE / "static",
        "media": STATE / "media",
        "mail": STATE / "mail",
        "app": STATE / "app",
    }


def ports_for(base: int) -> dict[str, int]:
    return {"proxy": base, "web1": base + 1, "web2": base + 2, "redis": base + 10, "pgbouncer": base + 20}


def load_state() -> dict:
    manifest = STATE / "cluster.json"
    if not manifest.exists():
        sys.exit(f"no cluster here ({manifest} is missing): run `deploy/cluster.py up` first")
    return json.loads(manifest.read_text())


def db_password() -> str:
    return (paths()["secrets"] / "db-password").read_text().strip()


def direct_url() -> str:
    """PostgreSQL itself: for migrate, and for the drill's and checks' own reads."""
    return f"postgres://{DB_ROLE}:{db_password()}@{PG_HOST}:{PG_PORT}/{DB_NAME}"


def pooled_url(ports: dict[str, int]) -> str:
    return f"postgres://{DB_ROLE}:{db_password()}@127.0.0.1:{ports['pgbouncer']}/{DB_NAME}"


def app_env(ports: dict[str, int], *, direct: bool = False) -> dict[str, str]:
    """The environment of every planner process: production settings (DEBUG=0, generated keys from files) on
    loopback over plain HTTP, so the HTTPS-only defaults are relaxed explicitly and nowhere else."""
    p = paths()
    proxy = f"http://127.0.0.1:{ports['proxy']}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLANNER_", "SECURE_", "SESSION_", "CSRF_", "DJANGO_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_BACKEND", "VAR_DIR"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            "SECRET_KEY_FILE": str(p["secrets"] / "secret-key"),
            "PLANNER_FIELD_KEYS_FILE": str(p["secrets"] / "field-keys"),
            "PLANNER_DIGEST_KEY_FILE": str(p["secrets"] / "digest-key"),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"{proxy},http://localhost:{ports['proxy']}",
            # Loopback HTTP: on a real deployment TLS ends at the proxy and these stay on (their defaults).
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "PLANNER_PROXY_COUNT": "1",
            "DATABASE_URL": direct_url() if direct else pooled_url(ports),
            "PLANNER_PGBOUNCER": "0" if direct else "1",
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "MEDIA_ROOT": str(p["media"]),
            "STATIC_ROOT": str(p["static"]),
            "VAR_DIR": str(p["app"]),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(p["mail"]),
            "PLANNER_BASE_URL": proxy,
            # Reminders: batches small enough to spread over both workers; a claim whose worker died is handed
            # out again after a minute (default five) so the drill's killed batch is resent within minutes.
            "PLANNER_REMINDER_BATCH_SIZE": "100",
            "PLANNER_REMINDER_REQUEUE_AFTER": "60",
            "PLANNER_SCHEDULER_WORKERS": "2",
        }
    )
    return env


# --- Processes ------------------------------------------------------------------------------------------------------


def pid_file(name: str) -> Path:
    return paths()["run"] / f"{name}.json"


def started_at(pid: int) -> str | None:
    """The kernel's start time of a process (/proc/PID/stat field 22): with the pid, it names one process, so a
    pid reused by another program after ours exited is never signalled."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]  # a zombie has exited


def alive(name: str) -> int | None:
    """The pid of our process `name` if it still runs."""
    record = pid_file(name)
    if not record.exists():
        return None
    data = json.loads(record.read_text())
    return data["pid"] if started_at(data["pid"]) == data["started"] else None


def start(name: str, argv: list[str], env: dict[str, str]) -> int:
    log = paths()["logs"] / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 — our own programs and arguments
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: `down` and the drill signal it and its children
        )  # fmt: skip
    record = {"pid": process.pid, "started": started_at(process.pid), "argv": [str(a) for a in argv], "log": str(log)}
    pid_file(name).write_text(json.dumps(record))
    return process.pid


def stop(name: str, *, sig: int = signal.SIGTERM, wait: float = 30) -> bool:
    pid = alive(name)
    if pid is None:
        return False
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and alive(name):
        time.sleep(0.2)
    if alive(name):
        os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
    return True


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise SystemExit(f"timed out after {seconds:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — our loopback URLs
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def log_has(name: str, text: str) -> bool:
    log = paths()["logs"] / f"{name}.log"
    return log.exists() and text in log.read_text(errors="replace")


def psql(sql: str, *, database: str = "postgres") -> str:
    result = subprocess.run(  # noqa: S603
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_ADMIN, "-d", database, "-v", "ON_ERROR_STOP=1",  # noqa: S607
         "-Atqc", sql],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"psql failed: {sql}\n{result.stderr}")
    return result.stdout.strip()


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, ROOT / "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def render(template: str, values: dict[str, object], target: Path) -> Path:
    text = (DEPLOY / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", str(value))
    leftover = re.findall(r"@@\w+@@", text)
    if leftover:
        raise SystemExit(f"{template}: no value for {sorted(set(leftover))}")
    target.write_text(text)
    return target


# --- up -------------------------------------------------------------------------------------------------------------


def write_secret(path: Path, value: str) -> None:
    path.write_text(value + "\n")
    path.chmod(0o600)


def up(args: argparse.Namespace) -> int:
    if (STATE / "cluster.json").exists():
        sys.exit(f"a cluster is already set up in {STATE}: `deploy/cluster.py down` first")
    for program in ("redis-server", "pgbouncer", "nginx", "psql"):
        if not shutil.which(program):
            sys.exit(
                f"{program} is not installed "
                "(Debian: apt-get install -y redis-server pgbouncer nginx postgresql-client)"
            )
    ports = ports_for(args.base_port)
    taken = [f"{name} {port}" for name, port in ports.items() if port_open(port)]
    if taken:
        sys.exit(f"ports in use: {', '.join(taken)}; choose another --base-port")
    started = time.monotonic()
    p = paths()
    for directory in p.values():
        directory.mkdir(parents=True, exist_ok=True)
    p["secrets"].chmod(0o700)
    # Generated for this cluster only, never committed: Django's key, the passport-field Fernet key, the digest key,
    # the database role's password.
    write_secret(p["secrets"] / "secret-key", secrets.token_urlsafe(50))
    write_secret(p["secrets"] / "field-keys", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    write_secret(p["secrets"] / "digest-key", secrets.token_urlsafe(32))
    write_secret(p["secrets"] / "db-password", secrets.token_urlsafe(24))
    (STATE / "cluster.json").write_text(json.dumps({"ports": ports, "workers": args.web_workers}, indent=2))
    timings: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        timings[name] = round(time.monotonic() - since, 1)
        return time.monotonic()

    t = time.monotonic()
    say(f"database {DB_NAME} (role {DB_ROLE}) on PostgreSQL {PG_HOST}:{PG_PORT}")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    password = db_password().replace("'", "''")
    if psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{DB_ROLE}'"):  # noqa: S608 — our constant
        psql(f"ALTER ROLE {DB_ROLE} LOGIN NOSUPERUSER PASSWORD '{password}'")
    else:
        psql(f"CREATE ROLE {DB_ROLE} LOGIN NOSUPERUSER PASSWORD '{password}'")
    psql(f"CREATE DATABASE {DB_NAME} OWNER {DB_ROLE}")
    t = step("database", t)

    values = {
        "RUN": p["run"], "LOGS": p["logs"], "NGINX": p["nginx"], "STATIC": p["static"], "MEDIA": p["media"],
        "WEB1": ports["web1"], "WEB2": ports["web2"], "PROXY": ports["proxy"], "REDIS": ports["redis"],
        "REDIS_DIR": p["redis"], "PGBOUNCER": ports["pgbouncer"], "PGBOUNCER_DIR": p["pgbouncer"], "DB": DB_NAME,
        "PGPORT": PG_PORT,
    }  # fmt: skip
    render("redis.conf", values, p["conf"] / "redis.conf")
    render("nginx.conf", values, p["conf"] / "nginx.conf")
    # PgBouncer refuses to run as root: as root it runs as `postgres`, which must read its files and write its log.
    pgb_values = {**values, "LOGS": p["pgbouncer"], "RUN": p["pgbouncer"]}
    render("pgbouncer.ini", pgb_values, p["pgbouncer"] / "pgbouncer.ini")
    write_secret(p["pgbouncer"] / "userlist.txt", f'"{DB_ROLE}" "{db_password()}"')

    say(f"Redis on {ports['redis']} (append-only file in {p['redis']})")
    start("redis", [shutil.which("redis-server") or "redis-server", str(p["conf"] / "redis.conf")], dict(os.environ))
    wait_for(lambda: port_open(ports["redis"]), 20, "Redis")
    persistence = redis_persistence_check(ports)
    say(f"PgBouncer on {ports['pgbouncer']} (transaction pooling)")
    pgbouncer = [shutil.which("pgbouncer") or "pgbouncer"]
    if os.geteuid() == 0:
        shutil.chown(p["pgbouncer"], "postgres")
        for item in p["pgbouncer"].iterdir():
            shutil.chown(item, "postgres")
        pgbouncer += ["-u", "postgres"]
    start("pgbouncer", [*pgbouncer, str(p["pgbouncer"] / "pgbouncer.ini")], dict(os.environ))
    wait_for(lambda: port_open(ports["pgbouncer"]), 20, "PgBouncer")
    t = step("redis_pgbouncer", t)

    say("migrate (straight to PostgreSQL, not through PgBouncer)")
    manage("migrate", "--noinput", "-v", "0", env=app_env(ports, direct=True))
    t = step("migrate", t)
    env = app_env(ports)
    manage("messages", "compile", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    t = step("compile_collectstatic", t)
    say("seeding the summit (through PgBouncer)")
    manage("seed_asem13", env=env)
    t = step("seed", t)

    say(f"gunicorn ×2 on {ports['web1']} and {ports['web2']}, {args.web_workers} workers each")
    for name in ("web1", "web2"):
        start(
            name,
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{ports[name]}", "--workers",
             str(args.web_workers), "--name", f"planner-{name}", "--access-logfile", "-", "--timeout", "120",
             "--forwarded-allow-ips", "127.0.0.1"],
            env,
        )  # fmt: skip
    say("Celery: " + ", ".join(f"{name} (-Q {queues})" for name, queues in WORKERS.items()) + ", one beat")
    for name in WORKERS:
        start_worker(name, env)
    start("beat", celery_beat_argv(), env)
    say(f"nginx on {ports['proxy']}")
    start("nginx", [shutil.which("nginx") or "nginx", "-c", str(p["conf"] / "nginx.conf"), "-p", str(p["nginx"])], env)
    for name in ("web1", "web2"):
        wait_for(lambda name=name: http_status(f"http://127.0.0.1:{ports[name]}/accounts/login/") == 200, 90, name)
    wait_for(lambda: http_status(f"http://127.0.0.1:{ports['proxy']}/accounts/login/") == 200, 30, "nginx")
    for name in WORKERS:
        wait_for(lambda name=name: log_has(name, "ready."), 120, f"{name} to be ready")
    t = step("processes", t)
    media = media_check(ports)
    step("media_check", t)
    timings["total"] = round(time.monotonic() - started, 1)
    # The database URL in it carries the role's password: readable by this user only.
    write_secret(STATE / "env", "".join(f"export {k}={v}\n" for k, v in sorted(env.items()) if k in APP_KEYS).rstrip())
    print_status(ports)
    say(f"up in {timings['total']} s; the planner: http://127.0.0.1:{ports['proxy']}/admin/  (env: {STATE / 'env'})")
    print(json.dumps({"command": "up", "ports": ports, "seconds": timings, "media": media, "redis": persistence}))
    return 0


APP_KEYS = {
    "DEBUG", "DATABASE_URL", "PLANNER_PGBOUNCER", "REDIS_URL", "SECRET_KEY_FILE", "PLANNER_FIELD_KEYS_FILE",
    "PLANNER_DIGEST_KEY_FILE", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "MEDIA_ROOT", "STATIC_ROOT", "EMAIL_BACKEND",
    "EMAIL_FILE_PATH", "PLANNER_BASE_URL", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "PLANNER_PROXY_COUNT", "VAR_DIR", "DJANGO_SETTINGS_MODULE",
}  # fmt: skip


def worker_argv(name: str) -> list[str]:
    return [
        str(BIN / "celery"), "-A", "config", "worker", "-Q", WORKERS[name], "-n", f"{name}@%h", "-P", "prefork",
        "-c", "1", "-l", "INFO", "--without-mingle", "--without-gossip",
    ]  # fmt: skip


def start_worker(name: str, env: dict[str, str]) -> int:
    return start(name, worker_argv(name), env)


def celery_beat_argv() -> list[str]:
    # One beat for the whole deployment: two would send every periodic task twice. Its schedule is in the database
    # (django-celery-beat), so it may run on any node; the pidfile only guards this node.
    return [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO", "--pidfile", str(paths()["run"] / "beat.pid")]


def redis_cli(ports: dict[str, int], *command: str) -> str:
    result = subprocess.run(  # noqa: S603
        ["redis-cli", "-p", str(ports["redis"]), *command],
        capture_output=True,
        text=True,
        check=False,  # noqa: S607
    )
    return result.stdout.strip()


def redis_persistence_check(ports: dict[str, int]) -> dict[str, object]:
    """A message on a queue survives Redis being killed -9 (no shutdown save): the append-only file has it."""
    queue = "persistence-check"
    redis_cli(ports, "del", queue)
    redis_cli(ports, "lpush", queue, "a message nobody has taken yet")
    time.sleep(1.5)  # appendfsync everysec: at most the last second is lost
    stop("redis", sig=signal.SIGKILL, wait=5)
    start(
        "redis", [shutil.which("redis-server") or "redis-server", str(paths()["conf"] / "redis.conf")], dict(os.environ)
    )
    wait_for(lambda: redis_cli(ports, "ping") == "PONG", 20, "Redis to restart")
    kept = redis_cli(ports, "llen", queue)
    redis_cli(ports, "del", queue)
    result = {
        "killed_and_restarted": True,
        "messages_kept": int(kept or 0),
        "appendonly": redis_cli(ports, "config", "get", "appendonly").split()[-1],
    }
    say(f"Redis persistence: {'ok' if result['messages_kept'] == 1 else 'FAILED'} {json.dumps(result)}")
    if result["messages_kept"] != 1:
        raise SystemExit("Redis lost a queued message when it was killed: is appendonly on?")
    return result


# --- Shared media: a photo uploaded through web1 is read through web2 -------------------------------------------------


class Browser:
    """A cookie-keeping client (a liaison's browser) that may talk to either web process."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read(), response.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), url

    def post(self, url: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None):
        if files:
            boundary = uuid.uuid4().hex
            body = io.BytesIO()
            for key, value in fields.items():
                body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
            for key, (filename, content, content_type) in files.items():
                body.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
                    f"Content-Type: {content_type}\r\n\r\n".encode()
                )
                body.write(content + b"\r\n")
            body.write(f"--{boundary}--\r\n".encode())
            data, content_type = body.getvalue(), f"multipart/form-data; boundary={boundary}"
        else:
            data, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type}, method="POST")  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read(), response.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), url

    def csrf_token(self, page: bytes) -> str:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise SystemExit("media check: no CSRF token on the form")
        return found.group(1).decode()


def test_photo() -> bytes:
    """A 480 × 640 JPEG (above the badge photo's minimum 240 × 320), made here: nothing is downloaded."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 640), (40, 90, 160))
    ImageDraw.Draw(image).ellipse((120, 120, 360, 420), fill=(230, 190, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def media_check(ports: dict[str, int]) -> dict[str, object]:
    """Sign in as the French liaison on web1, upload a member's photo there, read it back through web2 (the same
    session: sessions are in the database) and check the file is in the shared MEDIA_ROOT and not public."""
    username, password, partner = LIAISON
    query = (
        "SELECT d.id, p.id FROM delegations_delegation d JOIN delegations_partner pa ON pa.id = d.partner_id "
        "JOIN delegations_person p ON p.delegation_id = d.id WHERE pa.code = '%s' ORDER BY p.id LIMIT 1"
    )
    delegation, person = psql(query % partner, database=DB_NAME).split("|")
    web1, web2, proxy = (f"http://127.0.0.1:{ports[name]}" for name in ("web1", "web2", "proxy"))
    browser = Browser()
    _, page, _ = browser.get(f"{web1}/accounts/login/")
    status, _, landed = browser.post(
        f"{web1}/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": browser.csrf_token(page)},
    )
    if "/accounts/login/" in landed:
        raise SystemExit(f"media check: {username} could not sign in on web1 (HTTP {status})")
    form_url = f"{web1}/portal/{delegation}/members/{person}/photo/"
    _, page, _ = browser.get(form_url)
    photo = test_photo()
    status, _, landed = browser.post(
        form_url, {"csrfmiddlewaretoken": browser.csrf_token(page)}, {"photo": ("member.jpg", photo, "image/jpeg")}
    )
    if not landed.endswith(f"/portal/{delegation}/members/"):
        raise SystemExit(f"media check: the upload on web1 was not accepted (HTTP {status}, at {landed})")
    stored = psql(f"SELECT photo FROM delegations_person WHERE id = {int(person)}", database=DB_NAME)  # noqa: S608
    on_disk = paths()["media"] / stored
    file_path = f"/portal/{delegation}/members/{person}/photo.jpg"
    status1, from_web1, _ = browser.get(web1 + file_path)
    status2, from_web2, _ = browser.get(web2 + file_path)
    direct, _, _ = Browser().get(f"{proxy}/media/{stored}")
    result = {
        "uploaded_via": "web1",
        "stored": stored,
        "file_in_shared_media_root": on_disk.is_file(),
        "web1_status": status1,
        "web2_status": status2,
        "same_bytes": bool(from_web2) and from_web1 == from_web2 == on_disk.read_bytes(),
        "public_media_url_status": direct,
    }
    ok = result["file_in_shared_media_root"] and status2 == 200 and result["same_bytes"] and direct == 404
    say(f"shared media: {'ok' if ok else 'FAILED'} {json.dumps(result)}")
    if not ok:
        raise SystemExit("media check failed")
    return result


# --- status ---------------------------------------------------------------------------------------------------------

PROCESSES = ["redis", "pgbouncer", "web1", "web2", *WORKERS, "beat", "nginx"]


def print_status(ports: dict[str, int]) -> bool:
    ok = True
    rows = []
    for name in PROCESSES:
        pid = alive(name)
        ok &= pid is not None
        rows.append((name, str(pid or "-"), "running" if pid else "DOWN"))
    for name in ("proxy", "web1", "web2"):
        code = http_status(f"http://127.0.0.1:{ports[name]}/accounts/login/")
        ok &= code == 200
        rows.append((f"http {name}:{ports[name]}", "", f"HTTP {code}"))
    aof = subprocess.run(  # noqa: S603
        ["redis-cli", "-p", str(ports["redis"]), "config", "get", "appendonly"],  # noqa: S607
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    rows.append((f"redis:{ports['redis']}", "", f"appendonly={aof[-1] if aof else '?'}"))
    pooled = subprocess.run(  # noqa: S603
        ["psql", pooled_url(ports), "-Atc", "SELECT count(*) FROM auth_user"],  # noqa: S607
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    ok &= pooled.returncode == 0
    rows.append((f"pgbouncer:{ports['pgbouncer']}", "", f"users={pooled.stdout.strip() or pooled.stderr.strip()}"))
    width = max(len(row[0]) for row in rows)
    for name, pid, state in rows:
        print(f"  {name:<{width}}  {pid:>8}  {state}")
    return ok


def status(args: argparse.Namespace) -> int:
    ports = load_state()["ports"]
    ok = print_status(ports)
    # Which worker consumes which queue, as the workers themselves say (a broadcast through Redis).
    inspect = subprocess.run(  # noqa: S603
        [str(BIN / "celery"), "-A", "config", "inspect", "active_queues", "--json", "--timeout", "5"],
        cwd=ROOT, env=app_env(ports), capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        replies = json.loads(inspect.stdout.strip().splitlines()[-1])
        for worker, queues in sorted(replies.items()):
            print(f"  {worker:<40} consumes {', '.join(q['name'] for q in queues)}")
    except (ValueError, IndexError):
        print(f"  celery inspect: {inspect.stderr.strip()[-300:]}")
        ok = False
    return 0 if ok else 1


# --- drill ----------------------------------------------------------------------------------------------------------

MESSAGE_ID = re.compile(r"^Message-ID: (<reminder\.[0-9a-f]{32}@[^>]+>)\s*$", re.MULTILINE)


def mail_ids() -> list[str]:
    found: list[str] = []
    for path in sorted(paths()["mail"].glob("*.log")):
        found += MESSAGE_ID.findall(path.read_text(errors="replace"))
    return found


def drill(args: argparse.Namespace) -> int:
    """Exactly once across two workers: `count` reminders fall due at the same second, both reminder workers send
    them, one worker (main process and pool) is killed -9 mid-send and started again. Every reminder must end
    `sent` with exactly one mail (counted in the file backend's directory that both workers write to)."""
    ports = load_state()["ports"]
    os.environ.update(app_env(ports))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from celery import current_app
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db.models import Count, Max, Min

    from asemplanner.roles import LOGISTICS
    from delegations.models import Partner
    from events.models import Event, Room, Session
    from reminders.domain.sending import _message_id
    from reminders.domain.subjects import Scope
    from reminders.domain.sync import reminders_sync
    from reminders.models import Reminder, ReminderRule

    tag = dt.datetime.now(dt.UTC).strftime("%H%M%S")
    User = get_user_model()
    group = Group.objects.get(name=LOGISTICS)
    # An earlier drill's staff are switched off (no longer recipients): each drill plans `count` reminders.
    User.objects.filter(username__startswith="drill-", is_active=True).update(is_active=False)
    others = group.user_set.filter(is_active=True, is_staff=True).count()
    users_wanted = args.users
    rules_wanted = max(1, round(args.count / (users_wanted + others)))
    say(f"drill {tag}: {rules_wanted} rules × {users_wanted + others} logistics staff, all due at one moment")
    users = User.objects.bulk_create(
        [
            User(
                username=f"drill-{tag}-{n}",
                email=f"drill-{tag}-{n}@drill.example",
                is_staff=True,
                password=make_password(None),
            )
            for n in range(users_wanted)
        ]
    )
    group.user_set.add(*users)
    first = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    event = Event.objects.create(
        acronym=f"DRILL{tag}", name=f"Exactly-once drill {tag}", kind=Event.Kind.SIDE_EVENT,
        host=Partner.objects.get(code="KHM"), start_date=(first - dt.timedelta(days=1)).date(),
        end_date=(first + dt.timedelta(days=2)).date(),
    )  # fmt: skip
    offset_days = 30
    rules = ReminderRule.objects.bulk_create(
        [
            ReminderRule(
                name=f"Drill {tag} #{n}", what=ReminderRule.What.SESSION, event=event,
                offset_minutes=-offset_days * 1440, to_role=LOGISTICS, by_email=True, in_inbox=True,
                subject_template="Drill {{ offset }}: {{ what }}",
                body_template="{{ recipient }}: {{ what }} {{ when }}",
            )
            for n in range(rules_wanted)
        ]
    )  # fmt: skip
    # The session starts 30 days and `lead` seconds from now; the rules remind 30 days before: due in `lead` s.
    # A room of its own: a room holds one session at a time (an exclusion constraint), and drills may follow each other.
    room = Room.objects.create(venue=Room.objects.order_by("pk").first().venue, name=f"Drill room {tag}", capacity=50)
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=args.lead)).replace(microsecond=0)
    Session.objects.create(
        event=event, title=f"Drill session {tag}", room=room,
        start=due + dt.timedelta(days=offset_days), end=due + dt.timedelta(days=offset_days, hours=1),
    )  # fmt: skip
    planned = time.monotonic()
    reminders_sync(scope=Scope(all=True))
    drill_rows = Reminder.objects.filter(rule__in=rules)
    count = drill_rows.count()
    say(f"{count} reminders planned in {time.monotonic() - planned:.1f} s, due at {due:%H:%M:%S} UTC")
    if count == 0 or drill_rows.exclude(due_at=due).exists():
        raise SystemExit("the drill's reminders were not planned for one moment (the sync ran past it?): --lead more")
    expected = {_message_id(reminder): reminder.pk for reminder in drill_rows.select_related("rule")}
    before = {message_id for message_id in mail_ids() if message_id in expected}
    if before:
        raise SystemExit("mail for this drill's reminders exists before it started")
    wait_until = due + dt.timedelta(seconds=1)
    time.sleep(max(0.0, (wait_until - dt.datetime.now(dt.UTC)).total_seconds()))
    # What beat does every minute, sent now so the drill need not wait for the minute (beat's own sweep follows:
    # two sweeps at once are part of the drill).
    current_app.send_task("reminders.sweep")
    started = time.monotonic()
    killed_at = restarted = None
    victim = "worker-reminders-2"
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        sent = drill_rows.filter(status=Reminder.Status.SENT).count()
        if args.kill and killed_at is None and sent >= count * args.kill_at:
            pid = alive(victim)
            if pid:
                os.killpg(pid, signal.SIGKILL)  # the worker and its pool: no acknowledgement, no cleanup
                killed_at = sent
                say(f"killed {victim} (-9, main process and pool) with {sent}/{count} sent")
                time.sleep(1)
                start_worker(victim, app_env(ports))
                restarted = time.monotonic() - started
                say(f"restarted {victim}")
        if not drill_rows.filter(status__in=[Reminder.Status.PENDING, Reminder.Status.QUEUED]).exists():
            break
        time.sleep(0.5)
    took = time.monotonic() - started
    by_status = dict(drill_rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    mails = [message_id for message_id in mail_ids() if message_id in expected]
    distinct = set(mails)
    sent_ids = set(drill_rows.filter(status=Reminder.Status.SENT).values_list("pk", flat=True))
    duplicates = len(mails) - len(distinct)
    sent_without_mail = len(
        [pk for message_id, pk in expected.items() if pk in sent_ids and message_id not in distinct]
    )
    mail_without_sent = len([mid for mid in distinct if expected[mid] not in sent_ids])
    unsent = count - len(sent_ids)
    span = drill_rows.filter(status=Reminder.Status.SENT).aggregate(first=Min("sent_at"), last=Max("sent_at"))
    per_worker = {name: sent_counts(name, tag_since=due) for name in ("worker-reminders-1", "worker-reminders-2")}
    result = {
        "command": "drill",
        "reminders": count,
        "sent": len(sent_ids),
        "by_status": by_status,
        "mails": len(mails),
        "distinct_mails": len(distinct),
        "duplicates": duplicates,
        "lost": unsent + sent_without_mail,
        "sent_without_mail": sent_without_mail,
        "mail_without_sent_row": mail_without_sent,
        "late": drill_rows.filter(late=True).count(),
        "killed_worker": victim if killed_at is not None else None,
        "killed_with_sent": killed_at,
        "restarted_after_s": round(restarted, 1) if restarted is not None else None,
        "seconds_to_all_sent": round(took, 1),
        "first_sent_after_due_s": round((span["first"] - due).total_seconds(), 1) if span["first"] else None,
        "last_sent_after_due_s": round((span["last"] - due).total_seconds(), 1) if span["last"] else None,
        # Batches each worker finished, from its log; a batch cut short by the kill logs nothing, so what it sent
        # before the kill is the remainder (the rest of that batch was claimed again and sent by a worker).
        "sent_per_worker_log": per_worker,
        "sent_by_the_killed_batch": len(sent_ids) - sum(per_worker.values()),
    }
    print()
    for key, value in result.items():
        print(f"  {key:<24} {value}")
    passed = unsent == 0 and duplicates == 0 and sent_without_mail == 0 and mail_without_sent == 0
    result["passed"] = passed
    say("exactly once: PASSED" if passed else "exactly once: FAILED")
    print(json.dumps(result, default=str))
    return 0 if passed else 1


SENT_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ INFO \S+: reminders sent: (.*)$", re.MULTILINE)


def sent_counts(name: str, *, tag_since: dt.datetime) -> int:
    """How many reminders this worker's log says it sent since the drill's moment (both incarnations of a
    restarted worker write to one log). The log's times are the planner's zone."""
    from django.utils import timezone

    log = paths()["logs"] / f"{name}.log"
    if not log.exists():
        return 0
    since = timezone.localtime(tag_since).replace(tzinfo=None)
    total = 0
    for stamp, summary in SENT_LINE.findall(log.read_text(errors="replace")):
        if dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S") < since - dt.timedelta(seconds=1):  # noqa: DTZ007
            continue
        found = re.search(r"(\d+) sent", summary)
        total += int(found.group(1)) if found else 0
    return total


# --- load -----------------------------------------------------------------------------------------------------------


def load(args: argparse.Namespace) -> int:
    ports = load_state()["ports"]
    script = Path(args.script) if args.script else ROOT / "benchmarks" / "load_test.py"
    if not script.exists():
        sys.exit(f"{script} does not exist yet (benchmarks/load_test.py; --script PATH to use another checkout's)")
    argv = [str(PYTHON), str(script), "--host", f"http://127.0.0.1:{ports['proxy']}", "--database-url",
            pooled_url(ports), "--seconds", str(args.seconds), *args.extra]  # fmt: skip
    say("running " + " ".join(argv).replace(db_password(), "***"))
    env = app_env(ports)
    # The load script may import the planner from its own checkout (--script from another worktree).
    env["PYTHONPATH"] = str(script.resolve().parents[1])
    return subprocess.run(argv, cwd=script.resolve().parents[1], env=env, check=False).returncode  # noqa: S603


# --- down -----------------------------------------------------------------------------------------------------------


def down(args: argparse.Namespace) -> int:
    if STATE.exists():
        for name in reversed(PROCESSES):
            if stop(name):
                say(f"stopped {name}")
    if shutil.which("psql"):
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        psql(f"DROP ROLE IF EXISTS {DB_ROLE}")
        say(f"dropped database {DB_NAME} and role {DB_ROLE}")
    if STATE.exists():
        shutil.rmtree(STATE)
        say(f"removed {STATE}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the topology")
    up_parser.add_argument("--base-port", type=int, default=int(os.environ.get("CLUSTER_BASE_PORT", "24580")))
    up_parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web process")
    commands.add_parser("status", help="processes, ports, queues")
    drill_parser = commands.add_parser("drill", help="the reminders' exactly-once drill across two workers")
    drill_parser.add_argument("--count", type=int, default=2000, help="about this many reminders (rules × staff)")
    drill_parser.add_argument("--users", type=int, default=99, help="extra logistics staff the drill adds")
    drill_parser.add_argument("--lead", type=int, default=45, help="seconds from planning to the due moment")
    drill_parser.add_argument("--no-kill", dest="kill", action="store_false", help="do not kill a worker")
    drill_parser.add_argument("--kill-at", type=float, default=0.3, help="kill once this share is sent")
    drill_parser.add_argument("--timeout", type=float, default=600)
    load_parser = commands.add_parser("load", help="benchmarks/load_test.py against the proxy")
    load_parser.add_argument("--seconds", type=int, default=120)
    load_parser.add_argument("--script", help="another checkout's benchmarks/load_test.py")
    load_parser.add_argument("extra", nargs=argparse.REMAINDER, help="more arguments for the load script")
    commands.add_parser("down", help="stop everything and remove the state")
    args = parser.parse_args()
    return {"up": up, "status": status, "drill": drill, "load": load, "down": down}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
