"""Kill `searchsvc index` with SIGKILL at random points, many times, and count what survived.

    python benchmarks/kills.py [--kills 50] [--pages 300] [--seed 11]

Half the kills hit `--rebuild` runs and half incremental runs (every page changed), over a
generated corpus; half are aimed at the moment the parse workers run. After each kill: no
process of the killed run may be left (checked in /proc), the next run must succeed at once,
and a server answering throughout must only ever have said 200. The rounds are the ones
``tests/test_faults_kill.py`` runs (ten of them) in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_faults_kill import KillRounds  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="searchsvc-kills-") as tmp:
        rounds = KillRounds(Path(tmp), pages=args.pages, seed=args.seed)
        print(
            f"{args.pages} pages; a full --rebuild takes {rounds.duration['rebuild']:.2f} s, "
            f"an incremental run of every page {rounds.duration['incremental']:.2f} s"
        )
        try:
            for n in range(args.kills):
                kill = rounds.round("rebuild" if n % 2 == 0 else "incremental")
                ok = kill.next_ok and kill.leftovers == 0 and rounds.serving_ok()
                print(
                    f"{n + 1:3}. {kill.mode:<11} killed at {kill.delay:5.2f} s ({kill.point}): "
                    f"leftovers {kill.leftovers}, gone in {kill.gone_after * 1000:.0f} ms, "
                    f"next run {'ok' if kill.next_ok else 'FAILED'} in {kill.next_run:.2f} s"
                    + ("" if ok else "  <-- FAILED")
                )
        finally:
            rounds.close()
    kills = rounds.kills
    survived = sum(k.next_ok and k.leftovers == 0 for k in kills)
    points = Counter(k.point.split(" (")[0] for k in kills)
    statuses = rounds.poller.statuses
    print()
    print(f"kills: {len(kills)}, survived: {survived}")
    print("points: " + ", ".join(f"{p} {n}" for p, n in points.most_common()))
    print(f"leftover worker processes: {sum(k.leftovers for k in kills)}")
    print(
        "next run: median {:.2f} s, max {:.2f} s; refused: {}".format(
            statistics.median(k.next_run for k in kills),
            max(k.next_run for k in kills),
            sum("another `searchsvc index`" in k.next_output for k in kills),
        )
    )
    print(f"server answers during the kills: {dict(statuses)}")
    return 0 if survived == len(kills) and set(statuses) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
