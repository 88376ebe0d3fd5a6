#!/usr/bin/env python3
"""Runs every command README.md and the other pages show, as written, so a
broken instruction fails CI.

The pages are every Markdown file git tracks (README.md, openapi/README.md,
src/OPERATIONS.md, contract-tests/README.md, ...). Every ```sh block of every
page must be listed in BLOCKS below (matched by its first line), with what it needs around it: a server on 127.0.0.1:5000 (with
or without the demo users), a virtual environment, a scratch directory, or
nothing. A block that is not listed fails the run: a new instruction needs a
way to be checked. A block that starts a server runs in the background until
the server answers, then is stopped. The replay of the original examples is
compared with the answers README shows beside each command.

    python3 .ci/readme_commands.py            # every block
    python3 .ci/readme_commands.py --list     # what would run
    python3 .ci/readme_commands.py --only 3   # block 3 of --list

Benchmarks run with a short duration (LOAD_DURATION and friends, which the
load harness reads), in a second run of this script beside the other blocks
(they need no port of theirs). Exit status 0 when every block did what README
says.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 5000
BASE = f"http://127.0.0.1:{PORT}"
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@dataclass
class Block:
    """How one README block runs."""

    # What it needs: "none", "server", "demo-server" (a server on :5000 with
    # the demo users), "sandbox" (`account-api sandbox` on :5000),
    # "admin-server" (a demo server with the admin API on :5001, a token
    # named alice@support in ADMIN_TOKEN and its database in DATABASE_URL),
    # "live-server" (a server on :5000 over an empty database, named in
    # DATABASE_URL),
    # or "ci" (it is the command .ci/run runs itself).
    needs: str = "none"
    # It starts a server itself: run it in the background until :5000 answers.
    serves: bool = False
    # Run it in a fresh scratch directory instead of the repository.
    scratch: bool = False
    # Run it with a fresh virtual environment's bin/ first on PATH.
    venv: bool = False
    # Files of the repository it writes, removed afterwards.
    writes: list = field(default_factory=list)
    # Extra environment.
    env: dict = field(default_factory=dict)
    # Check the answers against the `# {...}` comments under each command.
    compare_answers: bool = False
    # Exit statuses that count as success.
    ok_statuses: tuple = (0,)
    # Run each command of the block on its own (so one ending 1 with a
    # measured result does not keep the next from running).
    per_command: bool = False
    timeout: int = 1800
    # It needs no fixed port and no file another block uses, so it runs in a
    # second process beside the other blocks (its output shown at the end).
    alongside: bool = False


# The benchmarks' short run, at the smallest sizes that still take every
# path (every scenario, seeding, the idle connections, the burst, the plans
# on a database large enough that the planners prefer the indexes): a
# measured result either way (exit 0 all targets met, 1 one missed); 2 would
# mean the run could not be made.
SHORT_LOAD = {
    "LOAD_DURATION": "1",
    "LOAD_USERS": "64",
    "LOAD_BURST": "32",
    "LOAD_ARGON2_WINDOW_SECS": "1",
    "LOAD_IDLE_CONNECTIONS": "500",
    # The growth benchmark's large database, small enough for CI's budget.
    "LOAD_GROWTH_USERS": "20000",
    "LOAD_GROWTH_SESSIONS": "4000",
    "LOAD_GROWTH_AUDIT_EVENTS": "100000",
    # The import benchmark's file.
    "LOAD_IMPORT_USERS": "20000",
    "LOAD_IMPORT_TOKENS": "4000",
    # The webhook benchmark: one run without the receiver and one with it.
    "LOAD_WEBHOOK_ROUNDS": "1",
}

BLOCKS = {
    "cargo run --release": Block(serves=True, writes=["account-api.db*"]),
    "cargo test --workspace": Block(needs="ci"),
    'curl -s "http://127.0.0.1:5000/api/v4.0/isregister/13126939916?expect=1"': Block(
        needs="server", compare_answers=True
    ),
    "cargo run --release -q -- migrate --database-url sqlite://account-api.db": Block(
        writes=["account-api.db*"]
    ),
    "cargo run --release -- --listen 0.0.0.0:5000 --sms-verification on": Block(
        serves=True, writes=["account-api.db*"]
    ),
    "B=http://127.0.0.1:5000/api/v4.0": Block(needs="server", compare_answers=True),
    "cargo run --release -q -- config-schema > account-api.schema.json": Block(
        writes=["account-api.schema.json"]
    ),
    "createdb -h 127.0.0.1 -U postgres accounts": Block(serves=True),
    "cargo run --release -p load -- --install-oha": Block(
        env=SHORT_LOAD, ok_statuses=(0, 1), per_command=True, alongside=True
    ),
    "cargo bench -p load --bench password_hashing": Block(env=SHORT_LOAD, alongside=True),
    # contract-tests/load/README.md, "Webhooks": two servers a run, seconds each.
    "cargo run --release -p load -- --webhooks": Block(
        env=SHORT_LOAD, ok_statuses=(0, 1), per_command=True, alongside=True
    ),
    "cargo run --release -q -- openapi > openapi/openapi.json": Block(),
    "TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test --workspace": Block(
        needs="ci"
    ),
    "cargo run --release -p contract-tests -- --base-url http://127.0.0.1:5000 --cases 64": Block(
        needs="server"
    ),
    "cargo build --release -p contract-tests": Block(needs="server", env={"API_BASE_URL": BASE}),
    "cargo run --release -p contract-tests -- --base-url http://127.0.0.1:5000 --model --model-cases 8": Block(
        needs="sandbox"
    ),
    # contract-tests/README.md: `compare`, the server against itself.
    "echo 'login  retry-after  the old server sent no Retry-After' > accepted-differences.txt": Block(
        needs="server", writes=["accepted-differences.txt", "compare.xml"]
    ),
    "cargo run --release -- demo": Block(serves=True, writes=["account-api.db*"]),
    "cargo run --release -- sandbox": Block(serves=True),
    "B=http://127.0.0.1:5000": Block(needs="sandbox"),
    "npm install openapi-fetch && npm install --save-dev openapi-typescript typescript": Block(
        needs="demo-server", scratch=True
    ),
    "cd contract-tests/frontend && npm ci": Block(needs="demo-server"),
    "pip install openapi-python-client==0.29.1 httpx attrs python-dateutil": Block(
        needs="demo-server", scratch=True, venv=True
    ),
    "cd contract-tests/frontend && python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt": Block(
        needs="demo-server"
    ),
    # src/api/admin/README.md
    "export DATABASE_URL=sqlite://account-api.db": Block(serves=True, scratch=True),
    "A=http://127.0.0.1:5001/admin/v1": Block(needs="admin-server"),
    "E=http://127.0.0.1:5001/admin/v1": Block(needs="admin-server"),
    # src/sandbox/README.md
    "cargo run --release -- sandbox --admin-listen 127.0.0.1:5001 > sandbox-admin-token.txt": Block(
        serves=True, writes=["sandbox-admin-token.txt"]
    ),
    # src/webhooks/README.md: a receiver and a server of its own (on :5002 and :5000)
    "export WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": Block(
        writes=["webhooks.toml", "received.jsonl", "webhooks-demo.db*"]
    ),
    # src/import/README.md
    "sqlite3 legacy.db < src/import/example/flask_app.sql": Block(
        writes=["legacy.db", "accounts.jsonl"]
    ),
    "sqlite3 legacy.db < src/import/example/flask_app.sql && sqlite3 legacy.db < src/import/export.sql > accounts.jsonl": Block(
        needs="live-server", writes=["legacy.db", "accounts.jsonl", "dry-run.json", "import.json"]
    ),
}

ADMIN_PORT = 5001


def say(text):
    print(text, flush=True)


def sh_blocks(text):
    """The ```sh blocks of `text`: (line number, body)."""
    blocks = []
    for match in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        line = text[: match.start()].count("\n") + 1
        blocks.append((line, match.group(1)))
    return blocks


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(url, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except Exception:
            time.sleep(0.5)
    return False


def stop(process):
    """Stops `process` and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_serving(process):
    """Stops a server's `process` group, then waits (30 s at most) until its
    ports stop answering: the server's own process is still shutting down
    (in-flight requests, its worker, its throwaway database) for a moment
    after the group's leader has exited, and the next block needs the port."""
    stop(process)
    deadline = time.time() + 30
    while (port_open(PORT) or port_open(ADMIN_PORT)) and time.time() < deadline:
        time.sleep(0.1)


class Server:
    """`account-api` on 127.0.0.1:5000 over a fresh SQLite file (or the sandbox)."""

    def __init__(self, binary, kind):
        self.dir = tempfile.TemporaryDirectory(prefix="readme-server-")
        url = f"sqlite://{self.dir.name}/db.sqlite"
        env = clean_env()
        self.env = {}
        if kind in ("demo-server", "admin-server"):
            subprocess.run([binary, "demo", "--database-url", url], check=True, env=env,
                           stdout=subprocess.DEVNULL)
        if kind == "sandbox":
            command = [binary, "sandbox", "--listen", f"127.0.0.1:{PORT}"]
        else:
            command = [binary, "serve", "--listen", f"127.0.0.1:{PORT}", "--database-url", url]
        if kind == "admin-server":
            token = subprocess.run(
                [binary, "admin-token", "create", "--name", "alice@support", "--database-url", url],
                check=True, env=env, capture_output=True, text=True,
            ).stdout.strip()
            self.env = {"ADMIN_TOKEN": token, "DATABASE_URL": url}
            command += ["--admin-listen", f"127.0.0.1:{ADMIN_PORT}"]
        if kind == "live-server":
            self.env = {"DATABASE_URL": url}
        self.log = open(Path(self.dir.name) / "server.log", "w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if not wait_for(f"{BASE}/livez", 60):
            self.close()
            raise RuntimeError("the server did not start:\n" + self.log_text())

    def log_text(self):
        return (Path(self.dir.name) / "server.log").read_text(errors="replace")

    def close(self):
        stop_serving(self.process)
        self.log.close()
        self.dir.cleanup()


def clean_env():
    """This process's environment without the server's own settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ACCOUNT_API_") and k != "DATABASE_URL"}
    env["PATH"] = f"{ROOT / 'target' / 'release'}:{env['PATH']}"
    return env


def compare_answers(body, output):
    """Each `curl` line's answer against the `# {...}` comment below it."""
    expected = [line[2:].split("   ")[0].strip() for line in body.splitlines()
                if line.startswith("# {")]
    # curl prints no line break after an answer: read them as a stream.
    answers, decoder, rest = [], json.JSONDecoder(), output.strip()
    while rest:
        value, end = decoder.raw_decode(rest)
        answers.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        rest = rest[end:].strip()
    problems = []
    if len(expected) != len(answers):
        problems.append(f"{len(expected)} answers shown, {len(answers)} received")
    for shown, received in zip(expected, answers):
        pattern = "^" + ".*".join(map(re.escape, re.split(r"…", shown))) + "$"
        if not re.match(pattern, received):
            problems.append(f"README shows {shown}\n        received {received}")
    return problems


def run_block(number, line, body, spec, binary):
    first = body.strip().splitlines()[0].split("  #")[0].strip()
    say(f"\n== block {number} ({line}): {first}")
    if spec.needs == "ci":
        say("   run by .ci/run itself (its test step)")
        return True
    server = None
    scratch = None
    cwd = ROOT
    env = clean_env()
    env.update(spec.env)
    before = {path: path.stat().st_mtime for pattern in spec.writes for path in ROOT.glob(pattern)}
    if before and spec.serves:
        say(f"   refusing: {', '.join(map(str, before))} exist and the block would use them")
        return False
    try:
        if spec.needs in ("server", "demo-server", "sandbox", "admin-server", "live-server"):
            server = Server(binary, spec.needs)
            env.update(server.env)
        elif spec.serves and port_open(PORT):
            say(f"   refusing: something already listens on {PORT}")
            return False
        if spec.scratch:
            scratch = tempfile.TemporaryDirectory(prefix="readme-scratch-")
            cwd = Path(scratch.name)
            prepare_scratch(cwd, body)
        if spec.venv:
            venv = cwd / ".readme-venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
            env["VIRTUAL_ENV"] = str(venv)
        script = "set -euo pipefail\n" + body
        if spec.serves:
            return run_serving(script, cwd, env, spec)
        started = time.time()
        scripts = commands(body) if spec.per_command else [script]
        for part in scripts:
            part_started = time.time()
            result = subprocess.run(["bash", "-c", part], cwd=cwd, env=env, text=True,
                                    capture_output=True, timeout=spec.timeout)
            output = result.stdout + result.stderr
            if spec.per_command:
                say(f"   {time.time() - part_started:4.0f} s  exit {result.returncode}  "
                    f"{part.strip().splitlines()[-1]}")
            if result.returncode not in spec.ok_statuses:
                say(f"   FAILED with exit status {result.returncode}:\n{tail(output)}")
                if server:
                    say(f"   server log:\n{tail(server.log_text())}")
                return False
        if spec.compare_answers:
            problems = compare_answers(body, result.stdout)
            if problems:
                say("   FAILED: the answers differ from README:\n      " + "\n      ".join(problems))
                return False
        say(f"   ok (exit {result.returncode}, {time.time() - started:.0f} s)")
        return True
    finally:
        if server:
            server.close()
        if scratch:
            scratch.cleanup()
        for pattern in spec.writes:
            for path in ROOT.glob(pattern):
                if path not in before:
                    path.unlink()
        if first.startswith("createdb"):
            subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres",
                            "--force", "accounts"], check=False)


def run_serving(script, cwd, env, spec):
    """Runs a block that ends by serving, until :5000 answers; then stops it."""
    log = tempfile.NamedTemporaryFile(prefix="readme-serve-", suffix=".log", delete=False)
    process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        answered = wait_for(f"{BASE}/healthz", spec.timeout)
        text = Path(log.name).read_text(errors="replace")
        if not answered or process.poll() is not None:
            say(f"   FAILED: nothing answered on {PORT}:\n{tail(text)}")
            return False
        say(f"   ok: it serves on {PORT}")
        return True
    finally:
        stop_serving(process)
        os.unlink(log.name)


def commands(body):
    """The commands of a block, one script each (continued lines joined)."""
    result, current = [], ""
    for line in body.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            result.append("set -euo pipefail\n" + current)
            current = ""
    return result


def pages():
    """The Markdown pages of the repository (those git tracks or would), README.md first."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"], cwd=ROOT, check=True, text=True,
                            capture_output=True).stdout.split()
    return sorted((Path(name) for name in listed), key=lambda path: (path != Path("README.md"), str(path)))


def slug(heading):
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def broken_links():
    """The relative links of the pages whose file, or heading, is not there."""
    broken = []
    for page in pages():
        text = Path(ROOT, page).read_text()
        # Code blocks hold no links.
        prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (ROOT / page.parent / path).resolve() if path else ROOT / page
            if not file.exists():
                broken.append(f"{page}: {target} (no such file)")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", re.sub(r"^```.*?^```", "", file.read_text(),
                                                          flags=re.S | re.M), re.M)
                if anchor not in {slug(heading) for heading in headings}:
                    broken.append(f"{page}: {target} (no such heading)")
    return broken


def prepare_scratch(cwd, body):
    """What a block "in your app" expects to find: the `src/main.ts` of the page that shows it."""
    if "src/main.ts" in body:
        text = next(text for text in (Path(ROOT, page).read_text() for page in pages())
                    if "// src/main.ts\n" in text)
        match = re.search(r"```ts\n(// src/main\.ts\n.*?)```", text, re.S)
        (cwd / "src").mkdir()
        (cwd / "src" / "main.ts").write_text(match.group(1))
        (cwd / "package.json").write_text('{"name": "readme-app", "private": true, "type": "module"}\n')


def tail(text, lines=40):
    return "\n".join("      " + line for line in text.splitlines()[-lines:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the blocks and exit")
    parser.add_argument("--only", type=int, action="append", help="run only block N")
    parser.add_argument("--debug", action="store_true",
                        help="serve the blocks that need a server with the debug build")
    args = parser.parse_args()

    broken = broken_links()
    if broken:
        say("Links between the pages that lead nowhere:")
        for entry in broken:
            say(f"  {entry}")
        return 1
    blocks = [(f"{page} line {line}", body)
              for page in pages() for line, body in sh_blocks(Path(ROOT, page).read_text())]
    unknown = []
    plan = []
    for number, (line, body) in enumerate(blocks, 1):
        first = body.strip().splitlines()[0]
        key = next((k for k in BLOCKS if first.split("  #")[0].strip() == k), None)
        if key is None:
            unknown.append(f"{line}: {first}")
        else:
            plan.append((number, line, body, BLOCKS[key]))
    if unknown:
        say("The pages show commands this runner does not know how to check; add them to BLOCKS:")
        for entry in unknown:
            say(f"  {entry}")
        return 1
    if args.list:
        for number, line, body, spec in plan:
            say(f"{number:2}  {line:40}  needs {spec.needs:11}  {body.strip().splitlines()[0]}")
        return 0

    profile = "debug" if args.debug else "release"
    say(f"building the server the blocks use ({profile})")
    build = ["cargo", "build", "-p", "account-api"] + ([] if args.debug else ["--release"])
    subprocess.run(build, cwd=ROOT, check=True)
    binary = str(ROOT / "target" / profile / "account-api")
    failed = []
    beside = None
    if not args.only:
        # The blocks that can, in a second run of this script beside the rest.
        numbers = [number for number, _, _, spec in plan if spec.alongside]
        if numbers:
            say(f"blocks {', '.join(map(str, numbers))} run beside the others; "
                "their output follows at the end")
            output = tempfile.TemporaryFile(mode="w+")
            only = [arg for number in numbers for arg in ("--only", str(number))]
            beside = (subprocess.Popen([sys.executable, __file__, *only]
                                       + (["--debug"] if args.debug else []),
                                       stdout=output, stderr=subprocess.STDOUT), output)
    for number, line, body, spec in plan:
        if args.only and number not in args.only:
            continue
        if not args.only and spec.alongside:
            continue
        if not run_block(number, line, body, spec, binary):
            failed.append(f"block {number} ({line})")
    if beside:
        process, output = beside
        say("\n== the blocks beside the others")
        status = process.wait()
        output.seek(0)
        say(output.read())
        if status != 0:
            failed.append("the blocks beside the others")
    if failed:
        say(f"\nFAILED: {', '.join(failed)}")
        return 1
    say("\nevery command of every page did what the page says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
