"""What one run is asked to do: every option, checked, in one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgur_dl.archive import DEFAULT_TABLE
from imgur_dl.choice import Choice
from imgur_dl.defaults import (
    DEFAULT_CLIENT_ID,
    DEFAULT_LEASE,
    DEFAULT_MAX_SIZE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    USER_AGENT,
)
from imgur_dl.naming import DEFAULT_DIR, Template


@dataclass(frozen=True)
class Options:
    output: Path = Path()
    workers: int = DEFAULT_WORKERS
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    client_id: str = DEFAULT_CLIENT_ID
    prefer_gif: bool = False
    quiet: bool = False
    show_bar: bool = False
    dir_template: Template = field(default_factory=lambda: Template(DEFAULT_DIR))
    name_template: Template | None = None
    get_urls: bool = False
    json_lines: bool = False
    write_metadata: bool = False
    archive: str | Path | None = field(default=None, repr=False)  # a file, or a postgresql:// URL (a password)
    archive_table: str = DEFAULT_TABLE
    share_work: bool = False  # claim each post or album in the archive before looking it up
    lease: float = DEFAULT_LEASE  # seconds a claim lasts unless renewed
    wayback: bool = False
    choice: Choice = field(default_factory=Choice)  # which posts of a listing
    user_agent: str = USER_AGENT
    proxy: str | None = None
    verbose: bool = False
    no_skip: bool = False
    limit_rate: float = 0.0  # bytes/s for the whole run; 0: no limit
    max_size: int = DEFAULT_MAX_SIZE
    debug: bool = False
    token: str | None = field(default=None, repr=False)  # your own account's access token: never shown
    min_speed: float = 1024.0  # bytes a second a body may not stay under ...
    speed_time: float = 30.0  # ... for this many seconds (0 speed: no bound)
    dates: bool = True  # saved files carry their upload time (--no-mtime: False)
    dedupe: bool = False  # a file the archive holds under another id becomes a hard link to it
