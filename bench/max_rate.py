"""Benchmark: the highest sustained sales/s at which 99 % of pushes are answered within 100 ms.

Runs `till loadtest` against a running server at rising open-loop rates, each for
`--duration` seconds with the same tills, and stops at the first rate the server does not keep
up with: the tills falling behind (acknowledged over the whole run, drain included, under 95 %
of the offered rate), an outbox left undrained, or a failed consistency check. Prints one line
per rate, the best rate whose push p99 was within the limit, and the best it kept up with.

    TILL_DATABASE_URL=… uv run till serve --port 8841 --processes 2
    TILL_DATABASE_URL=… uv run python bench/max_rate.py --url http://127.0.0.1:8841 \\
        --tills 100 --rates 50,100,150,200,250,300 --duration 30
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run_once(args: argparse.Namespace, rate: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        command = [
            "till", "loadtest", "--url", args.url, "--tills", str(args.tills),
            "--duration", str(args.duration), "--rate", str(rate), "--batch", str(args.batch),
            "--no-first-sync", "--offline-share", "0", "--refund-share", "0.05",
            "--pull-every", str(args.pull_every), "--stock", "1000000", "--json", str(out),
        ]  # fmt: skip
        if not args.live:
            command.append("--no-live")
        subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        if not out.exists():
            raise SystemExit(f"the load test at {rate}/s wrote no figures")
        figures: dict[str, object] = json.loads(out.read_text())
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8841")
    parser.add_argument("--tills", type=int, default=100)
    parser.add_argument("--rates", default="50,100,150,200,250,300,400")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--pull-every", type=float, default=30)
    parser.add_argument("--limit-ms", type=float, default=100)
    parser.add_argument("--live", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    best: float | None = None
    kept_up: tuple[float, float] | None = None
    for rate in [float(r) for r in args.rates.split(",")]:
        figures = run_once(args, rate)
        push = figures["endpoints"]["push"]  # type: ignore[index]
        cpu = figures["cpu"]  # type: ignore[index]
        consistency = figures.get("consistency", {})
        achieved = float(figures["sales_per_second"])  # type: ignore[arg-type]
        ok_latency = push["p99_ms"] <= args.limit_ms
        ok_rate = achieved >= 0.95 * rate
        sound = ok_rate and bool(figures["drained"]) and bool(consistency.get("ok", False))
        ok = ok_latency and sound
        print(
            f"{args.tills} tills at {rate:.0f}/s offered: {achieved:.1f}/s acknowledged, "
            f"{figures['sales_acknowledged']} sales, push p50 {push['p50_ms']} ms p99 {push['p99_ms']} ms, "
            f"app {cpu['app_ms_per_sale']} ms + db {cpu['database_ms_per_sale']} ms CPU/sale, "
            f"consistency {'OK' if consistency.get('ok') else 'FAILED'} -> {'pass' if ok else 'miss'}",
            flush=True,
        )
        if not sound:
            break
        kept_up = (rate, push["p99_ms"])
        if ok and best is None or ok and best is not None and rate > best:
            best = rate
    print(f"highest sustained rate with push p99 <= {args.limit_ms:.0f} ms: {best if best else 'none'} sales/s")
    if kept_up:
        print(f"highest rate the server kept up with (whatever the latency): {kept_up[0]:.0f} sales/s, p99 {kept_up[1]} ms")
    sys.exit(0 if best else 1)


if __name__ == "__main__":
    main()
