"""What a benchmark's JSON says of the machine it ran on."""

from __future__ import annotations

import os
import platform
from typing import Any

__all__ = ["describe"]


def describe() -> dict[str, Any]:
    """CPUs, Python, platform and load average (the machines are shared: it matters)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg": list(os.getloadavg()),
    }
