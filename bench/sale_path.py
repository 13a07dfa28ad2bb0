"""Benchmark: the sale path in one process, without HTTP: parse, place, fulfil.

Builds realistic batches with the load generator's plan (priced baskets of 1–8 lines, stock
received first so oversells are rare), then times `place_sales` on a fresh database of the
chosen backend; `--profile` prints where the time goes (pyinstrument).

    uv run python bench/sale_path.py --db postgresql --batches 20 --batch 50
    uv run python bench/sale_path.py --db postgresql --batches 10 --batch 50 --profile
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from push_sales import fresh_database  # noqa: E402

from till.api.convert import pushed_sale  # noqa: E402
from till.api.schemas import PushIn  # noqa: E402
from till.demo.store import seed_demo  # noqa: E402
from till.loadtest.plan import Plan, prepare  # noqa: E402
from till.loadtest.tills import payments  # noqa: E402
from till.services.sales import place_sales  # noqa: E402
from till.storage.db import make_engine  # noqa: E402
from till.storage.migrate import upgrade  # noqa: E402


def batch_of(plan: Plan, rng: random.Random, size: int, first: int) -> list[dict[str, Any]]:
    sales = []
    for n in range(first, first + size):
        register = plan.registers[n % len(plan.registers)]
        basket = rng.choice(plan.baskets)
        sales.append(
            {
                "idempotency_key": f"{plan.key_prefix}{n:08d}",
                "register_code": register,
                "receipt_number": f"{register}-{n:08d}",
                "location_code": plan.location,
                "staff_id": plan.cashier[2],
                "created_at": datetime.now(UTC).isoformat(),
                "lines": list(basket.lines),
                "payments": payments(basket.grand_total, rng),
                "totals": basket.totals,
            }
        )
    return sales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="postgresql")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(fresh_database(args.db, Path(tmp)))
        upgrade(engine)
        seed_demo(engine)
        plan = prepare(engine, location="NYC", tills=20, stock=1_000_000)
        bodies = [
            PushIn.model_validate({"sales": batch_of(plan, rng, args.batch, i * args.batch)})
            for i in range(args.batches + 1)
        ]
        place_sales(engine, [pushed_sale(s) for s in bodies[0].sales])  # warm caches and pools
        profiler: Any = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        accepted = 0
        for body in bodies[1:]:
            results = place_sales(engine, [pushed_sale(s) for s in body.sales])
            accepted += sum(1 for r in results if r.status == "accepted")
        wall = time.perf_counter() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False)[:12000])
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(
        f"{args.db}: {accepted} sales in {args.batches} batches of {args.batch}: "
        f"{accepted / wall:.0f} sales/s, {wall / args.batches * 1000:.0f} ms per batch, "
        f"{cpu / accepted * 1000:.2f} ms CPU per sale in this process"
    )


if __name__ == "__main__":
    main()
