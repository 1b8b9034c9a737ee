"""The console's Jinja2 templates (one environment for every page)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

from vigie.entrypoints.web import i18n

__all__ = ["templates"]


@cache
def templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
    templates.env.filters["paris"] = i18n.paris_time
    return templates
