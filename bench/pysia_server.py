"""pysiaalarm 3.2.2's asyncio TCP receiver with the bench accounts and a no-op callback.

``python -O -m bench.pysia_server PORT ACCT,ACCT,...`` — it stores nothing: the baseline
is a receiver that only parses and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from pysiaalarm import SIAAccount
from pysiaalarm.aio import SIAClient


async def _ignore(_event: object) -> None:
    return None


async def _serve(port: int, accounts: list[str]) -> None:
    client = SIAClient("127.0.0.1", port, [SIAAccount(a) for a in accounts], _ignore)
    await client.async_start()
    await asyncio.Event().wait()


def main() -> None:
    port, accounts = int(sys.argv[1]), sys.argv[2].split(",")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(port, accounts))


if __name__ == "__main__":
    main()
