"""Which posts of a listing to take: ``--range``, ``--since``, ``--break-on-existing``. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from imgur_dl.errors import UsageError


@dataclass(frozen=True)
class Choice:
    """Which posts of a listing to take."""

    ranges: tuple[tuple[int, int | None], ...] = ()  # 1-based, inclusive; None: to the end
    since: str = ""  # ISO date or time: posts from then on
    break_on_existing: bool = False  # stop reading at the first post the archive has complete

    def wants(self, position: int) -> bool:
        return not self.ranges or any(lo <= position and (hi is None or position <= hi) for lo, hi in self.ranges)

    def past_end(self, position: int) -> bool:
        """No later position can be wanted."""
        return bool(self.ranges) and all(hi is not None and position > hi for _, hi in self.ranges)


def parse_range(text: str) -> tuple[tuple[int, int | None], ...]:
    """'1-20', '50-', '-10', '7' or a comma-separated list of them; UsageError otherwise."""
    spans: list[tuple[int, int | None]] = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        try:
            start = int(lo) if lo.strip() else 1
            end = (int(hi) if hi.strip() else None) if dash else start
        except ValueError:
            raise UsageError(f"not a range of positions: {text!r} (try 1-20, 50- or 1-5,10)") from None
        if start < 1 or (end is not None and end < start):
            raise UsageError(f"not a range of positions: {text!r} (positions start at 1)")
        spans.append((start, end))
    return tuple(spans)
