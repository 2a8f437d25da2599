"""Benchmark: our assistant against a bare reference assistant (`rasa init`).

Usage: ``python scripts/bench.py [--concurrency 1 8] [--conversations 8]
[--backend sqlite|postgres] [--out results/bench]`` (``make bench``).

For each assistant, on the same Rasa, the same machine and the same tracker store:

* model training time (``rasa train``; ours is timed only with ``--train``, since
  ``make train`` already built it, and otherwise read from ``--our-train-seconds``
  when given), and the reference's (``rasa init``'s scaffold, copied and trained);
* load time: from starting ``rasa run`` until it answers;
* per-turn latency p50 and p95 and throughput (turns per second), driving complete
  conversations through the REST channel at each concurrency level: ours are
  complete screenings (ops.screening, the "likely eligible" script: custom actions
  and database writes on every turn), the reference's are conversations of the
  same length over the moodbot's intents;
* server memory: peak resident set size of the Rasa process tree (and the action
  server's) sampled during the run.

The results go to ``<out>/bench.json`` and a Markdown table on stdout, with the
machine it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from ops import screening, stack  # noqa: E402

ROOT = stack.ROOT
SCAFFOLD = (
    Path(sys.executable).parent.parent
    / "lib/python3.10/site-packages/rasa/cli/initial_project"
)
#: The reference conversation cycles through the moodbot's intents.
REFERENCE_MESSAGES = [
    "hello",
    "I am sad",
    "yes",
    "I am feeling great",
    "are you a bot?",
    "good evening",
    "very unhappy",
    "no",
    "bye",
    "hi",
]
#: Generous limits: the benchmark measures turns, not the rate limiter.
NO_LIMITS = {
    "RATE_LIMIT_PER_SENDER": "1000000/1",
    "RATE_LIMIT_PER_ADDRESS": "1000000/1",
}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class MemorySampler(threading.Thread):
    """Samples the resident memory of some process trees until stopped."""

    def __init__(self, pids: list[int], every: float = 0.5):
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:  # noqa: D102
        while not self._halt.is_set():
            self.peak = max(self.peak, sum(stack.rss_bytes(p) for p in self.pids))
            self._halt.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; the peak in bytes."""
        self._halt.set()
        self.join()
        return self.peak


async def _post(session: aiohttp.ClientSession, url: str, sender: str, text: str):
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {await response.text()}")
        return await response.json()


async def _our_conversation(session, url: str, sender: str, latencies: list[float]):
    """A complete screening; every turn timed."""
    script = dict(screening.LIKELY)
    opening = [text for text, _ in screening.OPENING] + ["For myself"]
    replies: list[dict] = []
    for text in opening:
        start = time.perf_counter()
        replies = await _post(session, url, sender, text)
        latencies.append(time.perf_counter() - start)
    for _ in range(60):
        fact = screening.asked_fact(replies)
        if fact is None:
            break
        start = time.perf_counter()
        replies = await _post(session, url, sender, script[fact])
        latencies.append(time.perf_counter() - start)
    if "may be a good fit" not in screening.texts(replies):
        raise RuntimeError(f"{sender}: screening did not end as expected")


async def _reference_conversation(
    session, url: str, sender: str, latencies: list[float], turns: int
):
    """A moodbot conversation of ``turns`` messages; every turn timed."""
    for i in range(turns):
        text = REFERENCE_MESSAGES[i % len(REFERENCE_MESSAGES)]
        start = time.perf_counter()
        await _post(session, url, sender, text)
        latencies.append(time.perf_counter() - start)


async def drive(
    url: str, kind: str, conversations: int, concurrency: int, tag: str, turns: int
) -> dict:
    """Run ``conversations`` conversations, ``concurrency`` at a time."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=300)

    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(i: int) -> None:
            async with gate:
                sender = f"bench-{tag}-{kind}-c{concurrency}-{i}"
                if kind == "ours":
                    await _our_conversation(session, url, sender, latencies)
                else:
                    await _reference_conversation(
                        session, url, sender, latencies, turns
                    )

        # One warm-up turn, not counted (first-call costs: graph, DB pools).
        await _post(session, url, f"bench-{tag}-{kind}-warm-{concurrency}", "hello")
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(conversations)))
        elapsed = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "conversations": conversations,
        "turns": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "throughput_turns_per_s": round(len(latencies) / elapsed, 2),
        "elapsed_s": round(elapsed, 1),
    }


def train(project: Path, out: Path, env: dict[str, str]) -> float:
    """Train a model of ``project`` into ``out``; the seconds it took.

    From scratch: an empty training cache of its own (Rasa would otherwise reuse
    the components trained by ``make train``).
    """
    import tempfile

    cache = tempfile.mkdtemp(prefix="bench-rasa-cache-")
    start = time.perf_counter()
    subprocess.run(
        [
            str(stack.BIN / "rasa"),
            "train",
            "--fixed-model-name",
            "model",
            "--out",
            str(out),
        ],
        cwd=project,
        env={**env, "RASA_CACHE_DIRECTORY": cache},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    shutil.rmtree(cache, ignore_errors=True)
    return seconds


def prepare_reference(work: Path, env: dict[str, str]) -> tuple[Path, float]:
    """`rasa init`'s scaffold, with a SQL tracker store like ours, trained."""
    project = work / "reference"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(SCAFFOLD, project, ignore=shutil.ignore_patterns("__pycache__"))
    seconds = train(project, project / "models", env)
    return project / "models" / "model.tar.gz", seconds


def endpoints_for(work: Path, backend: str, name: str) -> Path:
    """An endpoints file with only a tracker store (the reference has no actions)."""
    path = work / f"endpoints-{name}.yml"
    if backend == "sqlite":
        store = (
            "tracker_store:\n  type: SQL\n  dialect: sqlite\n"
            f"  db: {work / f'tracker-{name}.db'}\n"
        )
    else:
        store = (
            "tracker_store:\n  type: SQL\n  dialect: postgresql\n"
            "  url: ${TRACKER_DB_HOST}\n  port: ${TRACKER_DB_PORT}\n"
            "  db: ${TRACKER_DB_NAME}\n  username: ${TRACKER_DB_USER}\n"
            "  password: ${TRACKER_DB_PASSWORD}\n"
        )
    path.write_text(store)
    return path


def measure(
    name: str,
    rasa: stack.Server,
    action: stack.Server | None,
    args: argparse.Namespace,
    turns: int,
) -> dict:
    """Start the servers, measure load time, drive each concurrency level."""
    if action is not None:
        action.start().wait_ready(120)
    start = time.perf_counter()
    rasa.start().wait_ready(600)
    load = time.perf_counter() - start
    pids = [rasa.pid] + ([action.pid] if action else [])
    idle_rss = sum(stack.rss_bytes(p) for p in pids)
    runs = []
    sampler = MemorySampler(pids)
    url = stack.rasa_url(rasa)
    sampler.start()
    try:
        for level in args.concurrency:
            conversations = max(args.conversations, level)
            if level == 1:
                conversations = args.conversations_serial
            cpu_before = sum(stack.cpu_seconds(p) for p in pids)
            run = asyncio.run(drive(url, name, conversations, level, args.tag, turns))
            cpu = sum(stack.cpu_seconds(p) for p in pids) - cpu_before
            # CPU time of the servers per turn: unlike latency, barely moved by
            # other load on the machine (it includes the one warm-up turn).
            run["server_cpu_ms_per_turn"] = round(cpu / run["turns"] * 1000, 1)
            runs.append(run)
            print(f"  {name} c={level}: {runs[-1]}", flush=True)
    finally:
        peak = sampler.stop()
        rasa.close()
        if action is not None:
            action.close()
    return {
        "load_s": round(load, 1),
        "rss_idle_mib": round(idle_rss / 2**20),
        "rss_peak_mib": round(peak / 2**20),
        "runs": runs,
    }


def machine() -> dict:
    """What the benchmark ran on."""
    import psutil

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table; write bench.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument(
        "--conversations",
        type=int,
        default=16,
        help="conversations per concurrent level (at least c)",
    )
    parser.add_argument(
        "--conversations-serial",
        type=int,
        default=3,
        help="conversations at concurrency 1",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    parser.add_argument(
        "--train", action="store_true", help="also retrain our model and time it"
    )
    parser.add_argument("--only", choices=["ours", "reference"])
    parser.add_argument("--tag", default=str(int(time.time())))
    args = parser.parse_args(argv)

    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    databases = None
    if args.backend == "postgres":
        missing = stack.services_missing()
        if missing:
            print(f"bench: {missing}", file=sys.stderr)
            return 2
    result: dict = {
        "machine": machine(),
        "backend": args.backend,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    our_turns = None
    try:
        for name in ("ours", "reference"):
            if args.only and name != args.only:
                continue
            if args.backend == "postgres":
                databases = stack.ProductionDatabases.create("bench")
                env = stack.production_env(work, databases, **NO_LIMITS)
            else:
                env = stack.base_env(work, **NO_LIMITS)
                env["TRACKER_DB"] = str(work / f"tracker-{name}.db")
                env["DATABASE_URL"] = f"sqlite:///{work / f'app-{name}.db'}"
            if name == "ours":
                model = stack.MODEL
                train_s = None
                if args.train:
                    model = work / "ours-model.tar.gz"
                    train_s = train(ROOT, work, env)
                    (work / "model.tar.gz").rename(model)
                subprocess.run(
                    [str(stack.BIN / "python"), "-m", "bot", "migrate"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                action = stack.action_server(work, env)
                endpoints = _our_endpoints(work, args.backend)
                rasa = stack.rasa_server(
                    work,
                    env,
                    action_port=int(action.env["ACTION_PORT"]),
                    endpoints=endpoints,
                    model=model,
                    name="rasa-ours",
                )
                measured = measure(name, rasa, action, args, 0)
                measured["train_s"] = round(train_s, 1) if train_s else None
                our_turns = measured["runs"][0]["turns"] // max(
                    1, measured["runs"][0]["conversations"]
                )
            else:
                model, train_s = prepare_reference(work, env)
                rasa = stack.rasa_server(
                    work,
                    env,
                    action_port=stack.free_port(),
                    endpoints=endpoints_for(work, args.backend, name),
                    credentials=SCAFFOLD / "credentials.yml",
                    model=model,
                    name="rasa-reference",
                )
                measured = measure(name, rasa, None, args, our_turns or 30)
                measured["train_s"] = round(train_s, 1)
            result[name] = measured
            if databases is not None:
                databases.drop()
                databases = None
    finally:
        if databases is not None:
            databases.drop()
    if "ours" in result and "reference" in result:
        result["ratio_p50"] = {
            str(o["concurrency"]): round(o["p50_ms"] / r["p50_ms"], 2)
            for o, r in zip(
                result["ours"]["runs"], result["reference"]["runs"], strict=True
            )
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2))
    print(table(result))
    return 0


def _our_endpoints(work: Path, backend: str) -> Path:
    """Our endpoints: the action server and the same tracker store as the reference."""
    path = endpoints_for(work, backend, "ours")
    path.write_text(
        "action_endpoint:\n  url: http://127.0.0.1:${ACTION_PORT}/webhook\n"
        + path.read_text()
    )
    return path


def table(result: dict) -> str:
    """The results as a Markdown table."""
    lines = [
        f"Machine: {result['machine']['cores']} cores, "
        f"{result['machine']['memory_gib']} GiB, Python {result['machine']['python']}"
        f"; tracker store: {result['backend']}; {result['date']}",
        "",
        "| assistant | c | turns | p50 ms | p95 ms | turns/s | server CPU ms/turn "
        "| load s | train s | RSS peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("ours", "reference"):
        if name not in result:
            continue
        m = result[name]
        for run in m["runs"]:
            lines.append(
                f"| {name} | {run['concurrency']} | {run['turns']} | {run['p50_ms']} "
                f"| {run['p95_ms']} | {run['throughput_turns_per_s']} "
                f"| {run['server_cpu_ms_per_turn']} | {m['load_s']} "
                f"| {m['train_s'] if m['train_s'] is not None else '-'} "
                f"| {m['rss_peak_mib']} |"
            )
    if "ratio_p50" in result:
        ratios = ", ".join(f"c={c}: {r}×" for c, r in result["ratio_p50"].items())
        lines += ["", f"Median per-turn latency, ours / reference: {ratios}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
