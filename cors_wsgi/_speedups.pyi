from collections.abc import Callable
from typing import Any

RULE_SIZE: int

class Dispatcher:
    app: Any

def configure(
    target: Dispatcher,
    fallback: Callable[..., Any],
    log_cache: dict[int, bool],
    everything: tuple[Any, ...] | None,
    low: str | None,
    high: str | None,
    starts: str,
    after: str,
    single: tuple[Any, ...] | None,
    lookup: Callable[[str], Any],
    rules: dict[Any, tuple[Any, ...]],
    merge: Callable[..., Any],
    ordinary: frozenset[str],
    max_origin: int,
    max_method: int,
    max_acrh: int,
    /,
) -> None: ...
