"""Replicas sharing one Katana budget through Redis: the harness and the benchmark.

One sandbox Katana (its rate limit scaled to `limit` per `window` seconds) runs under
uvicorn in its own process and logs when each request arrived and what it answered;
1, 2 or 3 real `katana-sn-mcp serve --http --stateless` processes point at it and at one
redis-server; the same offered load (concurrent callers making tool calls) is spread over
them. Reported: requests per window that reached Katana, as a share of the budget, and
the 429s Katana sent. Without the shared budget, N replicas would send N times the limit.

    python bench/replicas.py            # 1, 2, 3 replicas, 300 calls each
    python bench/replicas.py --quick    # fewer calls (CI smoke)
    python bench/replicas.py --busy 2   # with 2 busy-looping processes competing for the CPU

The test suite (tests/test_replicas.py) uses the same pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-" + "0123456789abcdef" * 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(url)
        time.sleep(0.05)


@contextmanager
def serving(proc: subprocess.Popen[bytes], health_url: str) -> Iterator[None]:
    """Until the block ends: `proc`, once it answers at `health_url`; then stopped."""
    try:
        wait_http(health_url, proc)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


# -- the sandbox Katana in its own process, with an arrival log ------------------------------
def sandbox_app(limit: int, window: float) -> Any:
    """The sandbox ASGI app, plus `GET /_log`: [arrival epoch s, method, status] per request,
    and `POST /_fault` (a Fault's fields as JSON) to queue a fault."""
    from katana_sn_mcp.sandbox import Fault, Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(rate_limit=limit, rate_window=window))
    log: list[tuple[float, str, int]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_log":
            body = json.dumps(log).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope["path"] == "/_fault":
            sandbox.inject(Fault(**json.loads((await receive()).get("body", b"{}"))))
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        arrived, status = time.time(), []

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await sandbox(scope, receive, watch)
        if scope["type"] == "http":
            log.append((arrived, scope["method"], status[0] if status else 0))

    return app


@contextmanager
def katana(limit: int, window: float, workdir: Path) -> Iterator[str]:
    """A sandbox Katana process; yields its base URL (…/v1)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "sandbox", str(port), str(limit),
                             str(window)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=(workdir / "sandbox.err").open("wb"),
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    with serving(proc, f"http://127.0.0.1:{port}/_log"):
        yield f"http://127.0.0.1:{port}/v1"


def arrivals(base_url: str) -> list[tuple[float, str, int]]:
    import httpx

    return [tuple(row) for row in httpx.get(base_url.removesuffix("/v1") + "/_log").json()]


@contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        proc.terminate()
        proc.wait(10)


def replica_env(base_url: str, redis_url: str, limit: int, window: float,
                **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATANA")}
    env.update(PYTHONPATH=str(ROOT), KATANA_API_KEY="sandbox-key", KATANA_BASE_URL=base_url,
               KATANA_SN_MCP_REDIS_URL=redis_url, KATANA_RATE_LIMIT=str(limit),
               KATANA_RATE_WINDOW=str(window), KATANA_SN_MCP_TOKEN=TOKEN, **extra)
    return env


@contextmanager
def replicas(count: int, env: dict[str, str], workdir: Path,
             stateless: bool = True) -> Iterator[list[str]]:
    """`count` real server processes; yields their base URLs (http://127.0.0.1:port)."""
    with ExitStack() as stack:
        urls, procs = [], []
        for i in range(count):
            port = free_port()
            args = [sys.executable, "-m", "katana_sn_mcp", "serve", "--http", "--port", str(port),
                    "--no-journal", *(["--stateless"] if stateless else [])]
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL,
                                    stderr=(workdir / f"replica{i}.err").open("wb"))
            stack.callback(lambda p=proc: (p.terminate(), p.wait(10)))
            urls.append(f"http://127.0.0.1:{port}")
            procs.append(proc)
        for url, proc in zip(urls, procs, strict=True):
            wait_http(f"{url}/health", proc)
        yield urls


NGINX = """
{user}worker_processes 1;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  log_format upstream '$upstream_addr $status';
  access_log {dir}/access.log upstream;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
{site}
}}
"""


def nginx_site(port: int, upstreams: list[str]) -> str:
    """The README's site snippet, with this test's ports."""
    servers = "\n".join(f"    server {u.removeprefix('http://')};" for u in upstreams)
    return f"""  upstream katana_sn_mcp {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://katana_sn_mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host localhost:$server_port;
      proxy_buffering off;
      proxy_read_timeout 300s;
    }}
  }}"""


# -- the offered load ------------------------------------------------------------------------
async def drive(urls: list[str], calls: int, callers: int = 12,
                era: str = "auto") -> list[Any]:
    """`calls` list/verify tool calls from `callers` concurrent MCP clients, spread
    round-robin over the replicas. Returns every CallToolResult (or the exception)."""
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    results: list[Any] = []
    per_caller = [calls // callers + (1 if i < calls % callers else 0) for i in range(callers)]

    async def caller(i: int) -> None:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                                  timeout=httpx2.Timeout(120))
        url = urls[i % len(urls)]
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http),
                          mode=era) as client:
            for n in range(per_caller[i]):
                try:
                    if n % 5 == 4:
                        results.append(await client.call_tool("verify_serial_numbers", {
                            "resource_type": "ManufacturingOrder", "resource_id": 1001,
                            "expect_attached": ["SN-1001-001"]}))
                    else:
                        results.append(await client.call_tool("list_serial_numbers", {
                            "resource_type": "ManufacturingOrder", "resource_id": 1001 + n % 3}))
                except Exception as exc:  # a protocol failure is a result too
                    results.append(exc)

    async with anyio.create_task_group() as tg:
        for i in range(callers):
            tg.start_soon(caller, i)
    return results


def budget_use(log: list[tuple[float, str, int]], limit: int, window: float) -> dict[str, Any]:
    """Over the whole windows from the first request: accepted requests per window as a
    share of the limit, the busiest window, and 429s per window."""
    if not log:
        return {"windows": 0, "use": 0.0, "max_in_window": 0, "max_429_per_window": 0}
    times = sorted(t for t, _, s in log if s != 429)
    t0, t_end = log[0][0], max(t for t, _, _ in log)
    whole = max(1, int((t_end - t0) // window))
    counted = sum(1 for t in times if t < t0 + whole * window)
    busiest = max(sum(1 for u in times if t <= u < t + window) for t in times) if times else 0
    limited = sorted(t for t, _, s in log if s == 429)
    worst_429 = max((sum(1 for u in limited if t <= u < t + window) for t in limited), default=0)
    return {"windows": whole, "use": counted / (whole * limit), "max_in_window": busiest,
            "rate_limited": len(limited), "max_429_per_window": worst_429,
            "per_minute": round(counted / (whole * window) * 60)}


def run(count: int, calls: int, limit: int, window: float) -> dict[str, Any]:
    import anyio

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        redis_url, _ = stack.enter_context(redis_server(work))
        base = stack.enter_context(katana(limit, window, work))
        urls = stack.enter_context(replicas(count, replica_env(base, redis_url, limit, window),
                                            work))
        started = time.monotonic()
        results = anyio.run(drive, urls, calls)
        took = time.monotonic() - started
        errors = sum(1 for r in results if isinstance(r, Exception) or r.is_error)
        return {"replicas": count, "calls": calls, "errors": errors, "seconds": round(took, 1),
                **budget_use(arrivals(base), limit, window)}


@contextmanager
def nginx(upstreams: list[str], workdir: Path) -> Iterator[str]:
    """A real nginx (the README's site snippet) in front of `upstreams`; yields its URL."""
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX.format(dir=workdir, site=nginx_site(port, upstreams),
                                 user="user root;\n" if os.geteuid() == 0 else ""))
    proc = subprocess.Popen(["nginx", "-p", str(workdir), "-c", str(conf), "-e",
                             str(workdir / "error.log"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with serving(proc, f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}"


async def _medians_ms(direct_url: str, proxy_url: str, calls: int) -> tuple[float, float]:
    """Calls alternate between the two paths, so drift (Redis, the sandbox, the machine)
    affects both alike; the first calls of each warm it up and are not counted."""
    import statistics

    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    def client(url: str) -> Client:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                                  timeout=httpx2.Timeout(60))
        return Client(streamable_http_client(f"{url}/mcp", http_client=http))

    args = {"resource_type": "ManufacturingOrder", "resource_id": 1001}
    took: dict[str, list[float]] = {"direct": [], "proxy": []}
    async with client(direct_url) as direct, client(proxy_url) as proxy:
        for n in range(calls + 3):
            for name, c in (("direct", direct), ("proxy", proxy)):
                start = time.perf_counter()
                await c.call_tool("list_serial_numbers", args)
                if n >= 3:
                    took[name].append(time.perf_counter() - start)
    return (statistics.median(took["direct"]) * 1000, statistics.median(took["proxy"]) * 1000)


def proxy_latency(calls: int) -> dict[str, Any]:
    """Median list_serial_numbers latency straight to one replica vs through nginx in front
    of two (stateless), against a sandbox with a budget too large to matter."""
    import anyio

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        redis_url, _ = stack.enter_context(redis_server(work))
        base = stack.enter_context(katana(10_000, 60.0, work))
        urls = stack.enter_context(replicas(2, replica_env(base, redis_url, 10_000, 60.0), work))
        proxy = stack.enter_context(nginx(urls, work))
        direct, through = anyio.run(_medians_ms, urls[0], proxy, calls)
    return {"calls": calls, "direct_ms": round(direct, 2), "through_nginx_ms": round(through, 2),
            "added_ms": round(through - direct, 2)}


@contextmanager
def busy(count: int) -> Iterator[None]:
    """`count` processes spinning on the CPU: replicas slow to send what they counted is
    what once let requests reach Katana early (429s); this makes it likely."""
    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in spin:
            proc.kill()
            proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="60 calls per run")
    p.add_argument("--limit", type=int, default=60)
    p.add_argument("--window", type=float, default=2.0, help="seconds (Katana's is 60)")
    p.add_argument("--busy", type=int, default=0, help="CPU-spinning processes alongside")
    args = p.parse_args()
    calls = 60 if args.quick else 300
    with busy(args.busy):
        replica_runs(args, calls)
    lat = proxy_latency(20 if args.quick else 100)
    print(f"tool-call latency (median of {lat['calls']}): {lat['direct_ms']} ms to a replica, "
          f"{lat['through_nginx_ms']} ms through nginx (+{lat['added_ms']} ms)", flush=True)


def replica_runs(args: argparse.Namespace, calls: int) -> None:
    for count in (1, 2, 3):
        r = run(count, calls, args.limit, args.window)
        print(f"{count} replica(s): {r['calls']} calls, {r['errors']} errors; "
              f"{r['per_minute']} requests/min reached Katana (budget "
              f"{args.limit * 60 / args.window:.0f}/min at this scale), {r['use']:.0%} of the "
              f"budget over {r['windows']} windows, busiest window {r['max_in_window']}/"
              f"{args.limit}; {r['rate_limited']} x 429 (at most {r['max_429_per_window']} "
              "per window)", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "sandbox":
        import uvicorn

        uvicorn.run(sandbox_app(int(sys.argv[3]), float(sys.argv[4])), host="127.0.0.1",
                    port=int(sys.argv[2]), log_level="error", lifespan="off")
    else:
        main()
