"""Time whole imgur-dl runs against gallery-dl, on a shaped local stand-in for Imgur.

The stand-in from the test suite plays Imgur's API and CDN on 127.0.0.1,
behind an HTTPS proxy, with a delay before each answer, a rate cap per
connection and one for the whole link. Both tools reach it unmodified, as a
user behind a corporate proxy reaches Imgur: HTTPS_PROXY plus
REQUESTS_CA_BUNDLE. Runs alternate (A B A B ...) so drift on a noisy machine
hits both alike; each run gets a fresh output folder; the report gives
medians of wall time, CPU seconds and peak RSS, the ratios measured in the
same run, and each scenario's lower bound.

    python benchmarks/bench.py                 # everything, 3 runs each (a few minutes)
    python benchmarks/bench.py --runs 5 latency bandwidth
    python benchmarks/bench.py --smoke         # tiny, for CI: keeps this script working

Tools: ``imgur-dl [options]``, ``gallery-dl``, ``python-floor -j N`` (benchmarks/floor.py: the
least a Python program does for the same album, a floor to split a gap into what Python costs and what
imgur-dl adds), and, given the album's direct
links (listed by ``imgur-dl -g`` before the runs, untimed), the native
parallel downloaders ``curl`` and ``aria2c``; a scenario's tools that are not
installed are skipped with a note. A tool may start with ``NAME=value`` words:
its environment for those runs (``--tool 'MALLOC_ARENA_MAX=2 imgur-dl'``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

ROOT = Path(__file__).resolve().parent.parent

ALBUM = "AbC1234"
# glibc's per-thread malloc caches off: what keeps a very large album's C heap from growing (docs/benchmarks.md).
NO_TCACHE = "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"
RESOLVERS = 16  # albums imgur-dl looks up at once (imgur_dl/build.py)
MB = 1_000_000


@dataclass(frozen=True)
class Scenario:
    name: str
    files: int
    size: int  # bytes per file: an album's nth weighs size + n (size + n % spread)
    delay: float = 0.0  # seconds before each answer
    conn_rate: float = 0.0  # bytes/s per connection; 0 = unlimited
    link_rate: float = 0.0  # bytes/s for the whole link; 0 = unlimited
    tools: tuple[str, ...] = ("imgur-dl", "gallery-dl")
    inflight_limit: int | None = None  # the CDN answers 429 past this many requests in flight
    retry_after: int | None = None  # ... with this Retry-After
    posts: int = 0  # a user's listing of this many posts (albums of ``files`` files, images in turn)
    albums: int = 0  # an -i list of this many albums (of ``files`` files each)
    archived: bool = False  # every file is in the download archive already: a rerun that fetches nothing
    spread: int = 0  # (when set) an album's files weigh size to size + spread - 1 bytes, however many there are

    def weight(self, n: int) -> int:
        """Bytes of an album's nth file (as the stand-in makes it)."""
        return self.size + (n % self.spread if self.spread else n)

    @property
    def url(self) -> str:
        return "https://imgur.com/user/Bench" if self.posts else f"https://imgur.com/a/{ALBUM}"

    def expected(self) -> tuple[int, int]:
        """(files, bytes) a complete run saves."""
        if self.archived:
            return 0, 0
        if self.albums:
            return self.albums * self.files, self.albums * sum(map(self.weight, range(self.files)))
        if not self.posts:
            return self.files, sum(map(self.weight, range(self.files)))
        albums, images = (self.posts + 1) // 2, self.posts // 2
        album_bytes = sum(map(self.weight, range(self.files)))
        return (albums * self.files + images,
                albums * album_bytes + sum(self.size + n for n in range(1, self.posts, 2)))

    def lower_bound(self) -> float:
        """What the simulated network needs with unlimited parallelism.

        Two round trips (the API, then every file at once), three for a
        listing (a page, the albums, their files), plus the larger of all
        bytes over the link rate and the biggest file over the rate of one
        connection.
        """
        total = self.expected()[1]
        biggest = max(self.size + min(self.files, self.spread or self.files), self.size + self.posts) - 1
        link = total / self.link_rate if self.link_rate else 0.0
        conn = biggest / self.conn_rate if self.conn_rate else 0.0
        return (3 if self.posts else 2) * self.delay + max(link, conn)


SCENARIOS = {
    "latency": Scenario("latency", 120, 60_000, 0.150, 4 * MB, 60 * MB,
                        ("imgur-dl", "imgur-dl -j 64", "imgur-dl -j 128", "gallery-dl", "curl", "aria2c",
                         "python-floor -j 64")),
    # A CDN that refuses (429, Retry-After: 1) past 6 requests in flight; "imgur-dl -j 6" knows the limit.
    "throttled": Scenario("throttled", 120, 60_000, 0.100, 4 * MB, 60 * MB,
                          ("imgur-dl", "imgur-dl -j 6", "gallery-dl", "aria2c"), inflight_limit=6, retry_after=1),
    # The same CDN and a 10-file album: a small job, where a refused burst would cost a whole Retry-After.
    "throttled-10": Scenario("throttled-10", 10, 60_000, 0.100, 4 * MB, 60 * MB, ("imgur-dl", "imgur-dl -j 6"),
                             inflight_limit=6, retry_after=1),
    "bandwidth": Scenario("bandwidth", 80, 1_500_000, 0.050, 3 * MB, 30 * MB,
                          tools=("imgur-dl", "gallery-dl", "python-floor -j 16")),
    "small": Scenario("small", 1500, 4_000,
                      tools=("imgur-dl", "gallery-dl", "python-floor -j 1", "python-floor -j 24")),
    # A user's profile of 100 posts: 50 albums of 3 files and 50 single images, 60 a page.
    "listing": Scenario("listing", 3, 20_000, 0.050, 4 * MB, 60 * MB, posts=100),
    "scale-100": Scenario("scale-100", 100, 4_000, tools=("imgur-dl",), spread=100),
    "scale-1000": Scenario("scale-1000", 1000, 4_000, tools=("imgur-dl",), spread=100),
    "scale-5000": Scenario("scale-5000", 5000, 4_000, tools=("imgur-dl",), spread=100),
    # Memory at size: a 30,000-file album and a 5,000-post listing, against scale-100. The scale albums' files
    # all weigh 4,000-4,099 bytes, as scale-100's do: only their number differs. (Beside the defaults: glibc's
    # per-thread caches off, the environment's knob for the C heap.)
    # ... and with its album.json, written an item at a time.
    "scale-30000": Scenario("scale-30000", 30_000, 4_000,
                            tools=("imgur-dl", f"{NO_TCACHE} imgur-dl", "imgur-dl --write-metadata"), spread=100),
    "listing-5000": Scenario("listing-5000", 1, 4_000, tools=("imgur-dl",), posts=5000),
    # A rerun of a 100,000-file album whose every file the archive has: nothing to fetch.
    "archived": Scenario("archived", 100_000, 100, tools=("imgur-dl --download-archive ARCHIVE",), archived=True),
    # A 2,000-file album recorded in a new download archive as it arrives, with its album.json: what making each
    # record last costs (its folder flushed before the record's batch is written; album.json flushed). RECORDS is a
    # new archive each run.
    "recorded": Scenario("recorded", 2000, 4_000,
                         tools=("imgur-dl --write-metadata", "imgur-dl --download-archive RECORDS --write-metadata")),
    # An -i list of 1,000 albums of one file each, on an API 150 ms away.
    "list-1000": Scenario("list-1000", 1, 4_000, 0.150, 4 * MB, 60 * MB, tools=("imgur-dl",), albums=1000),
}
# Measured apart from the scenarios above.
EXTRA = ("hashing", "scan", "folder", "blocks", "warc", "mbox", "zip", "7z", "history", "links", "list", "fleet",
         "wayback", "shifted")
AGAINST: list[str] = []  # other checkouts whose imgur-dl the scans time too (--against)
SMOKE = Scenario("smoke", 12, 20_000, 0.02, 4 * MB, 60 * MB, ("imgur-dl", "gallery-dl", "curl", "python-floor -j 4"))
SMOKE_THROTTLED = Scenario("smoke-throttled", 24, 20_000, 0.02, 4 * MB, 60 * MB, ("imgur-dl", "imgur-dl -j 3"),
                           inflight_limit=3, retry_after=1)
NATIVE = ("curl", "aria2c")  # fed the direct links; they never ask the API


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    ok: bool


@dataclass
class Outcome:
    scenario: Scenario
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, tool: str, what: str) -> float:
        return statistics.median(getattr(s, what) for s in self.samples[tool])


def _assignments(tool: str) -> tuple[dict[str, str], str]:
    """A tool's leading ``NAME=value`` words (its environment) and the command after them."""
    words = tool.split()
    leading = list(itertools.takewhile(lambda w: "=" in w and w[0] != "-", words))
    return dict(w.split("=", 1) for w in leading), " ".join(words[len(leading):])


def command(tool: str, out: Path, links: list[str], work: Path, url: str = f"https://imgur.com/a/{ALBUM}") -> list[str]:
    if tool == "curl":
        out.mkdir(parents=True)
        config = work / "curl.config"
        config.write_text("".join(f'url = "{link}"\noutput = "{out / link.rsplit("/", 1)[1]}"\n' for link in links))
        return ["curl", "--parallel", "--parallel-max", "64", "--fail", "--silent", "--show-error",
                "--no-progress-meter",
                "--config", str(config)]
    if tool == "aria2c":
        listing = work / "links.txt"
        listing.write_text("\n".join(links) + "\n")
        return ["aria2c", "-j", "64", "--quiet", "--dir", str(out), "--input-file", str(listing),
                "--auto-file-renaming=false", "--allow-overwrite=true"]
    if tool.startswith("imgur-dl"):
        base = _imgur_dl(tool.split(maxsplit=1)[0].partition("@")[2] or None)
        archives = {"ARCHIVE": str(work / "archive.sqlite"), "RECORDS": str(work / f"{out.name}.sqlite")}
        given = [archives.get(a, a) for a in tool.split()[1:]]
        where = ["-i", str(work / "albums.txt")] if url == "LIST" else [url]
        return [*base, *given, "-q", "-o", str(out), *where]
    if tool.startswith("python-floor"):
        return [sys.executable, str(ROOT / "benchmarks" / "floor.py"), *tool.split()[1:], "-o", str(out), url]
    exe = shutil.which("gallery-dl")
    base = [exe] if exe else [sys.executable, "-m", "gallery_dl"]
    return [*base, "--config-ignore", "-q", "-d", str(out), url]


# The launcher of every measured run: a process of its own, started while this one is small. A child's
# peak RSS (wait4) includes its spawner's peak up to the exec, posix_spawn or not (measured: a child of a
# process that once held 200 MB reports 203 MB), and this process grows as it counts a 30,000-file run's
# files or fills a 100,000-id archive.
_LAUNCHER = """
import json, os, sys, time
for line in sys.stdin:
    argv, env, err = json.loads(line)
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_TRUNC, 0)]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                      os.waitstatus_to_exitcode(status)]), flush=True)
"""


class Launcher:
    """Runs each measured command from a small process of its own (see :data:`_LAUNCHER`)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def measure(self, argv: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
        """Wall seconds, CPU seconds, peak RSS (MB) and exit code of one child process."""
        assert self.process.stdin is not None and self.process.stdout is not None
        exe = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0]) or argv[0]
        with tempfile.NamedTemporaryFile() as err:
            self.process.stdin.write(json.dumps([[exe, *argv[1:]], env, err.name]) + "\n")
            self.process.stdin.flush()
            wall, cpu, rss, code = json.loads(self.process.stdout.readline())
            text = Path(err.name).read_bytes().decode(errors="replace").strip()
        if text:
            print(f"    stderr: {text[:300]}", file=sys.stderr)
        return wall, cpu, rss, code

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def saved(out: Path) -> tuple[int, int]:
    # (--write-metadata's album.json and a lone image's <id>.json are no file of the album's; anything else is)
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.endswith((".part", ".json"))]
    return len(files), sum(p.stat().st_size for p in files)


def run(scenario: Scenario, runs: int, work: Path, launcher: Launcher) -> Outcome:
    """All runs of one scenario, against a stand-in started for it in a process of its own.

    The stand-in holds every file in memory; in this process it would show up
    in the children's peak RSS (Linux keeps the spawning process's high-water
    mark across exec), so this process stays small.
    """
    bundle = work / "ca.pem"
    limits = ["--inflight-limit", str(scenario.inflight_limit)] if scenario.inflight_limit else []
    limits += ["--retry-after", str(scenario.retry_after)] if scenario.retry_after is not None else []
    limits += ["--posts", str(scenario.posts)] if scenario.posts else []
    limits += ["--albums", str(scenario.albums)] if scenario.albums else []
    if scenario.albums:
        (work / "albums.txt").write_text("".join(f"https://imgur.com/a/Fl{n:05d}\n" for n in range(scenario.albums)))
    if scenario.archived:
        _fill_archive(work / "archive.sqlite", scenario.files)
    server, (proxy,) = _standin(bundle, "--album", ALBUM, "--files", str(scenario.files), "--size", str(scenario.size),
                                "--spread", str(scenario.spread), "--delay", str(scenario.delay),
                                "--conn-rate", str(scenario.conn_rate), "--link-rate", str(scenario.link_rate), *limits)
    env = _through(proxy, bundle, work)
    expected = scenario.expected()
    tools = [t for t in scenario.tools if t not in NATIVE or shutil.which(t)]
    for missing in sorted(set(scenario.tools) - set(tools)):
        print(f"  {scenario.name}: {missing} is not installed; skipped", file=sys.stderr)
    links = _links(env) if set(tools) & set(NATIVE) else []
    outcome = Outcome(scenario, {tool: [] for tool in tools})
    try:
        for n in range(runs):
            for tool in tools:  # A B A B ...: drift hits every tool alike
                out = work / f"{scenario.name}-{tool.replace(' ', '_')}-{n}"
                assigned, plain = _assignments(tool)
                argv = command(plain, out, links, work, "LIST" if scenario.albums else scenario.url)
                if plain == "aria2c":
                    argv += [f"--all-proxy={proxy}", f"--ca-certificate={bundle}"]
                wall, cpu, rss, code = launcher.measure(argv, {**env, **assigned})
                ok = code == 0 and saved(out) == expected
                outcome.samples[tool].append(Sample(wall, cpu, rss, ok))
                print(f"  {scenario.name:<11} {tool:<15} run {n + 1}: {wall:6.2f} s wall {cpu:6.2f} s cpu "
                      f"{rss:5.1f} MB{'' if ok else f'  INCOMPLETE (exit {code})'}", file=sys.stderr)
                shutil.rmtree(out, ignore_errors=True)
                for records in work.glob(f"{out.name}.sqlite*"):
                    records.unlink()
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return outcome


def _standin(bundle: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """The stand-in, started in a process of its own with ``args``, and the proxy addresses it serves (it serves
    until its stdin is closed)."""
    server = subprocess.Popen([sys.executable, "-m", "tests.standin", "--bundle", str(bundle), *args],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    ready = server.stdout.readline().split()
    if ready[:1] != ["ready"]:
        raise SystemExit(f"the stand-in did not start: {ready}")
    return server, ready[1:]


def _through(proxy: str, bundle: Path, work: Path) -> dict[str, str]:
    """The environment of a measured run: the stand-in reached through ``proxy``, as behind a corporate proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_CONFIG"))}
    env.update(HTTPS_PROXY=proxy, https_proxy=proxy, HTTP_PROXY=proxy, http_proxy=proxy, NO_PROXY="",
               no_proxy="", REQUESTS_CA_BUNDLE=str(bundle), HOME=str(work),  # no user config for any tool
               CURL_CA_BUNDLE=str(bundle), SSL_CERT_FILE=str(bundle), all_proxy=proxy)
    return env


def _fill_archive(path: Path, files: int) -> None:
    """An archive holding every file of the benchmark's album (ids as the stand-in makes them)."""
    import sqlite3  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from imgur_dl.archive_sqlite import SqliteStore  # noqa: PLC0415

    path.unlink(missing_ok=True)
    SqliteStore(path).close()  # the tables, as imgur-dl makes them
    ids = [f"{ALBUM[:1]}{n:06d}" if files > 100_000 else f"{ALBUM[:2]}{n:05d}" for n in range(files)]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO archive (id, kind, album, path, added) VALUES (?, 'image', ?, 'x', "
                       "'2026-01-01T00:00:00Z')", [(i, ALBUM) for i in ids])


def _links(env: dict[str, str]) -> list[str]:
    """The album's direct links, as ``imgur-dl -g`` lists them (not timed)."""
    argv = command("imgur-dl", Path(), [], Path())
    argv = [a for a in argv if a not in ("-q", "-o", ".")]
    done = subprocess.run([*argv[:-1], "-g", argv[-1]], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def report(outcomes: list[Outcome], runs: int, argv: list[str]) -> str:
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; gallery-dl {_version('gallery_dl')}; "
        f"imgur-dl {_version('imgur_dl')}.",
        f"Command: `python benchmarks/{Path(__file__).name} {' '.join(argv)}`".rstrip() + f" ({runs} runs each, "
        "medians; tools alternate run by run).",
    ]
    if not outcomes:  # (only the measurements apart from the scenarios)
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "| scenario | tool | wall s | x lower bound | CPU s | CPU ms/file | peak RSS MB | all files ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for o in outcomes:
        bound = o.scenario.lower_bound()
        for tool in o.samples:
            wall, cpu, rss = (o.median(tool, w) for w in ("wall", "cpu", "rss_mb"))
            multiple = f"{wall / bound:.2f}" if bound > 0 else "-"
            ok = all(s.ok for s in o.samples[tool])
            files = o.scenario.expected()[0] or o.scenario.files  # (an archived rerun saves none: per file named)
            lines.append(f"| {o.scenario.name} | {tool} | {wall:.2f} | {multiple} | {cpu:.2f} | "
                         f"{1000 * cpu / files:.2f} | {rss:.1f} | {'yes' if ok else 'NO'} |")
    lines += ["", "Lower bounds: " + ", ".join(
        f"{o.scenario.name} {o.scenario.lower_bound():.2f} s" for o in outcomes if o.scenario.lower_bound() > 0)]
    lines += ["", *targets(outcomes)]
    return "\n".join(lines) + "\n"


def _paired(o: Outcome, a: str, b: str, what: str) -> float:
    """Median over runs of b/a, each ratio taken within one round."""
    return statistics.median(getattr(y, what) / getattr(x, what) for x, y in zip(o.samples[a], o.samples[b]))


def targets(outcomes: list[Outcome]) -> list[str]:
    by = {o.scenario.name: o for o in outcomes}
    lines = ["Targets:", ""]

    def has(name: str, *tools: str) -> bool:
        return name in by and all(t in by[name].samples for t in tools)

    def verdict(name: str, value: float, goal: float, higher_is_better: bool, unit: str = "x") -> None:
        met = value >= goal if higher_is_better else value <= goal
        sign = ">=" if higher_is_better else "<="
        gap = "" if met else f" (missed by {abs(value - goal) / goal:.0%})"
        lines.append(f"- {name}: {value:.2f}{unit} (target {sign} {goal:g}{unit}) - {'MET' if met else 'MISSED'}{gap}")

    if has("latency", "imgur-dl", "gallery-dl"):
        verdict("latency-bound, gallery-dl time / imgur-dl time (default settings)",
                _paired(by["latency"], "imgur-dl", "gallery-dl", "wall"), 8, True)
    if has("latency", "imgur-dl", "curl"):
        o = by["latency"]
        for tool in ("imgur-dl", "imgur-dl -j 64"):
            if tool in o.samples:
                verdict(f"latency-bound, {tool} time / curl --parallel-max 64 time (same links)",
                        _paired(o, "curl", tool, "wall"), 1.3, False)
        verdict("latency-bound, imgur-dl CPU per file / curl's", _paired(o, "curl", "imgur-dl", "cpu"), 2, False)
    if has("listing", "imgur-dl", "gallery-dl"):
        lines.append("- listing (100 posts, 200 files): gallery-dl time / imgur-dl time "
                     f"{_paired(by['listing'], 'imgur-dl', 'gallery-dl', 'wall'):.2f}x")
    if has("throttled", "imgur-dl", "imgur-dl -j 6"):
        verdict("throttled (6 in flight), imgur-dl defaults / imgur-dl -j 6 (knows the limit)",
                _paired(by["throttled"], "imgur-dl -j 6", "imgur-dl", "wall"), 1.3, False)
    if has("throttled-10", "imgur-dl", "imgur-dl -j 6"):
        verdict("throttled (6 in flight), a 10-file album: imgur-dl defaults / imgur-dl -j 6",
                _paired(by["throttled-10"], "imgur-dl -j 6", "imgur-dl", "wall"), 1.5, False)
    if has("smoke-throttled", "imgur-dl", "imgur-dl -j 3"):  # (no target: the throttled scenarios carry them)
        lines.append("- smoke, throttled: imgur-dl defaults / imgur-dl -j 3: "
                     f"{_paired(by['smoke-throttled'], 'imgur-dl -j 3', 'imgur-dl', 'wall'):.2f}x (its CDN takes 3 "
                     "at a time, under the first window of 6: the refused burst waits out its Retry-After)")
    if has("latency", "imgur-dl -j 64"):
        o = by["latency"]
        verdict("latency-bound, imgur-dl -j 64 / lower bound",
                o.median("imgur-dl -j 64", "wall") / o.scenario.lower_bound(), 1.5, False)
    if has("bandwidth", "imgur-dl"):
        o = by["bandwidth"]
        verdict("bandwidth-bound, imgur-dl / lower bound", o.median("imgur-dl", "wall") / o.scenario.lower_bound(),
                1.1, False)
        verdict("bandwidth-bound, imgur-dl peak RSS", o.median("imgur-dl", "rss_mb"), 50, False, " MB")
    if has("small", "imgur-dl", "gallery-dl"):
        verdict("many small files, imgur-dl CPU per file / gallery-dl's",
                1 / _paired(by["small"], "imgur-dl", "gallery-dl", "cpu"), 0.7, False)
    lines += _floors(by)
    lines += _size_targets(by, verdict)
    scale = [by[k] for k in ("scale-100", "scale-1000", "scale-5000") if has(k, "imgur-dl")]
    if len(scale) >= 2:
        per_file = [o.median("imgur-dl", "wall") / o.scenario.files for o in scale]
        rss = [o.median("imgur-dl", "rss_mb") for o in scale]
        lines.append("- scale: wall ms per file " + ", ".join(
            f"{o.scenario.files}: {1000 * p:.2f}" for o, p in zip(scale, per_file)) +
            "; peak RSS MB " + ", ".join(f"{o.scenario.files}: {r:.1f}" for o, r in zip(scale, rss)))
    return lines


def _floors(by: dict[str, Outcome]) -> list[str]:
    """The Python floor (benchmarks/floor.py) against the tools it is a floor for, and imgur-dl against it."""
    lines = []
    latency, small = by.get("latency"), by.get("small")
    at_64 = "python-floor -j 64"
    if latency is not None and {at_64, "curl", "imgur-dl"} <= set(latency.samples):
        over_curl = [_paired(latency, "curl", at_64, what) for what in ("wall", "cpu")]
        imgur_dl = [_paired(latency, at_64, "imgur-dl", what) for what in ("wall", "cpu")]
        lines.append(f"- latency-bound, the Python floor ({at_64}) / curl: time {over_curl[0]:.2f}x, "
                     f"CPU {over_curl[1]:.2f}x; imgur-dl / the floor: time {imgur_dl[0]:.2f}x, CPU {imgur_dl[1]:.2f}x")
    bandwidth, at_16 = by.get("bandwidth"), "python-floor -j 16"
    if bandwidth is not None and {at_16, "imgur-dl"} <= set(bandwidth.samples):
        bound = bandwidth.scenario.lower_bound()
        lines.append(f"- bandwidth-bound, the Python floor ({at_16}) / lower bound: "
                     f"{bandwidth.median(at_16, 'wall') / bound:.2f}x; imgur-dl / the floor: "
                     f"{_paired(bandwidth, at_16, 'imgur-dl', 'wall'):.2f}x")
    if small is not None and {"gallery-dl", "imgur-dl"} <= set(small.samples):
        for floor in (t for t in small.samples if t.startswith("python-floor")):
            lines.append(f"- many small files, the Python floor ({floor}) CPU per file / gallery-dl's: "
                         f"{1 / _paired(small, floor, 'gallery-dl', 'cpu'):.2f}x; imgur-dl's / the floor's: "
                         f"{_paired(small, floor, 'imgur-dl', 'cpu'):.2f}x")
    return lines


def _size_targets(by: dict[str, Outcome], verdict: Callable[[str, float, float, bool, str], None]) -> list[str]:
    """Memory at size, the all-archived rerun, and a long -i list: verdicts given, other lines returned."""
    lines = []

    def has(name: str, tool: str = "imgur-dl") -> bool:
        return name in by and tool in by[name].samples

    if has("scale-100"):
        small = by["scale-100"].median("imgur-dl", "rss_mb")
        for name in ("scale-30000", "listing-5000"):
            if has(name):
                verdict(f"memory at size: {name} peak RSS - scale-100's", by[name].median("imgur-dl", "rss_mb") - small,
                        10, False, " MB")
        knob = f"{NO_TCACHE} imgur-dl"
        if has("scale-30000", knob):
            o = by["scale-30000"]
            lines.append(f"- scale-30000 with {NO_TCACHE}: {o.median(knob, 'rss_mb') - small:.1f} MB over scale-100's "
                         f"peak RSS, CPU {o.median(knob, 'cpu') / o.median('imgur-dl', 'cpu'):.2f}x the default's")
    archived = "imgur-dl --download-archive ARCHIVE"
    if has("archived", archived):
        o = by["archived"]
        verdict("all-archived rerun of a 100,000-file album, wall", o.median(archived, "wall"), 2, False, " s")
        verdict("all-archived rerun of a 100,000-file album, peak RSS", o.median(archived, "rss_mb"), 60, False, " MB")
    if has("list-1000"):
        o = by["list-1000"]
        wall = o.median("imgur-dl", "wall")
        lines.append(f"- -i list of {o.scenario.albums} albums, API {1000 * o.scenario.delay:.0f} ms away: "
                     f"{wall:.2f} s, {o.scenario.albums / wall:.0f} albums/s (bound: {RESOLVERS} lookups at once, "
                     f"{o.scenario.albums * o.scenario.delay / RESOLVERS:.2f} s)")
    return lines


def hashing(runs: int, work: Path, size: int = 256 * MB, chunk: int = 256 * 1024) -> str:
    """What proving each file costs: the write path with and without its digests, side by side.

    The same bytes go through imgur-dl's own part file (SHA-256, and MD5 as
    when the CDN's ETag is one) and through the same writes without hashing,
    alternating, in this process; medians of wall time and CPU time.
    """
    from imgur_dl.partfile import PartFile  # noqa: PLC0415

    data = os.urandom(chunk)
    blocks = size // chunk
    folder = os.open(work, os.O_RDONLY)

    def once(mode: str) -> tuple[float, float]:
        part = PartFile(folder, f"hash-{mode}.bin", work / f"hash-{mode}.bin")
        start, cpu = time.perf_counter(), time.process_time()
        if mode == "plain":
            fd = os.open(work / "hash-plain.bin.part", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            for _ in range(blocks):
                os.write(fd, data)
            os.close(fd)
        else:
            part.start(0, md5=mode == "sha256+md5")
            for _ in range(blocks):
                part.write(data)
            part.close()
        took = (time.perf_counter() - start, time.process_time() - cpu)
        os.unlink(work / f"hash-{mode}.bin.part")
        return took

    modes = ("plain", "sha256", "sha256+md5")
    samples: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    for _ in range(runs):
        for mode in modes:
            samples[mode].append(once(mode))
    os.close(folder)
    mb = size / MB
    lines = [f"## Hashing: {size // MB} MB written in {chunk // 1024} KiB chunks, {runs} runs each, medians", "",
             "| write path | MB/s | CPU ms per MB | CPU vs plain |", "| --- | --- | --- | --- |"]
    plain_cpu = statistics.median(c for _, c in samples["plain"])
    for mode in modes:
        wall = statistics.median(w for w, _ in samples[mode])
        cpu = statistics.median(c for _, c in samples[mode])
        lines.append(f"| {mode} | {mb / wall:.0f} | {1000 * cpu / mb:.2f} | {cpu / plain_cpu:.2f}x |")
    return "\n".join(lines) + "\n"


def scanning(runs: int, work: Path, size: int = 300 * MB) -> str:
    """``--scan`` of a Reddit-dump-shaped file (JSON lines, zstd with a long window) against zstd | grep.

    The dump is made here: ``size`` bytes of submissions, one in two linking
    an Imgur image (one link per few KB), and one in six more linking one in its
    text, on a line of its own as Reddit's bodies do (``"...\\n\\nhttps://..."``). imgur-dl lists the links
    (``--scan FILE -g``: nothing is downloaded, nothing asked of Imgur);
    the native reference is ``zstd -dc --long=31 FILE | grep -oE PATTERN``.
    """
    import zstandard  # noqa: PLC0415

    dump = work / "RS_bench.zst"
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27, enable_ldm=True)
    with dump.open("wb") as raw, zstandard.ZstdCompressor(compression_params=params).stream_writer(raw) as out:
        text_size, links = _reddit_dump(out, size)
    natives = {}
    if shutil.which("zstd") and shutil.which("grep"):
        natives["zstd -dc | grep -oE"] = f"zstd -dc --long=31 {dump} | grep -oE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"
    lines = _scan_report(runs, dump, natives, f"## Scan: a {text_size / MB:.0f} MB Reddit-dump-shaped file "
                         f"({dump.stat().st_size / MB:.1f} MB zstd, --long), {links} Imgur links, {runs} runs each, "
                         "medians", size=text_size, unit="text")
    if not shutil.which("zstd"):
        lines.append("\n(zstd is not installed: apt-get install zstd brings the native reference)")
    return "\n".join(lines) + "\n"


def scanning_folder(runs: int, work: Path, size: int = 300 * MB, files: int = 4) -> str:
    """``--scan`` of a folder of ``files`` dumps (the Reddit-dump-shaped text of :func:`scanning`, ``size`` bytes
    in all, a zstd file each, as monthly dumps come): read side by side (as many at once as the machine has cores,
    the default), one after another (``--scan-jobs 1``), against ``zstd -dc | grep`` over them."""
    import zstandard  # noqa: PLC0415

    folder = work / "dumps"
    folder.mkdir(exist_ok=True)
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27, enable_ldm=True)
    text_size = links = 0
    for month in range(files):
        with (folder / f"RS_2019-{month + 1:02d}.zst").open("wb") as raw, \
                zstandard.ZstdCompressor(compression_params=params).stream_writer(raw) as out:
            made, found = _reddit_dump(out, size // files, first=month * 100_000)  # (each month's posts its own)
            text_size, links = text_size + made, links + found
    one = {"imgur-dl --scan -g --scan-jobs 1": shlex.join([*_imgur_dl(), "--scan", str(folder), "-g", "-q",
                                                           "--scan-jobs", "1"])}
    if shutil.which("zstd") and shutil.which("grep"):
        one["zstd -dc | grep -oE"] = f"zstd -dc --long=31 {folder}/*.zst | grep -oE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"
    lines = _scan_report(runs, folder, one, f"## Scan: a folder of {files} Reddit-dump-shaped files "
                         f"({text_size / MB:.0f} MB of text in all, zstd, --long), {links} Imgur links, "
                         f"{os.cpu_count()} cores, {runs} runs each, medians", size=text_size, unit="text")
    return "\n".join(lines) + "\n"


def scanning_blocks(runs: int, work: Path, size: int = 100 * MB) -> str:
    """``--scan`` of the Reddit-dump-shaped file of :func:`scanning`, compressed in blocks, against decompressing
    | grep: with bzip2 (its default level, as ``bzip2`` writes it: each block found by its magic number and decoded
    on its own), and with xz in parallel (``xz -T2``, its default level: each block's header gives its sizes)."""
    import bz2  # noqa: PLC0415

    text = work / "RC_bench.txt"
    with text.open("wb") as out:
        text_size, links = _reddit_dump(out, size)
    packed = work / "RC_bench.bz2"
    with text.open("rb") as plain, bz2.open(packed, "wb") as out:
        shutil.copyfileobj(plain, out)
    report = []
    pattern = "'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"
    for tool, dump in (("bzip2", packed), ("xz", work / "RC_bench.xz")):
        if tool == "xz":
            if not shutil.which("xz"):
                report.append("(xz is not installed: apt-get install xz-utils makes the xz file)\n")
                continue
            with text.open("rb") as plain, dump.open("wb") as out:
                subprocess.run(["xz", "-T2", "-c"], stdin=plain, stdout=out, check=True)
        natives = {f"{tool} -dc | grep -oE": f"{tool} -dc {dump} | grep -oE {pattern}"} \
            if shutil.which(tool) and shutil.which("grep") else {}
        heading = f"## Scan: a {text_size / MB:.0f} MB Reddit-dump-shaped file ({dump.stat().st_size / MB:.1f} MB " \
                  f"{tool}{' -T2' if tool == 'xz' else ''}), {links} Imgur links, {runs} runs each, medians"
        report.append("\n".join(_scan_report(runs, dump, natives, heading, size=text_size, unit="text")) + "\n")
    text.unlink()
    return "\n".join(report)


def _reddit_dump(out: IO[bytes], size: int, first: int = 0) -> tuple[int, int]:
    """``size`` bytes of Reddit submissions, a JSON line each, written to ``out``: one in two linking an Imgur image
    (one link per few KB), and one in six more linking one in its text, on a line of its own as Reddit's bodies do
    (``"...\\n\\nhttps://..."``); the posts numbered from ``first``. The text's size, and its Imgur links."""
    import random  # noqa: PLC0415

    rnd = random.Random(3)
    text_size, links, n = 0, 0, first
    # Prose that says "imgur" now and then without linking it, as comments do.
    prose = [" ".join(rnd.choice(("lorem", "ipsum", "dolor", "sit", "amet", "imgur")) for _ in range(400))
             for _ in range(64)]
    while text_size < size:
        words = rnd.choice(prose)
        url = f"https://i.imgur.com/B{n:06d}.jpg" if n % 2 == 0 else f"https://example.com/{n}"
        text = f"{words}\\n\\nhttps://i.imgur.com/C{n:06d}.jpg" if n % 6 == 1 else words
        links += (n % 2 == 0) + (n % 6 == 1)
        line = f'{{"id": "t3_{n}", "subreddit": "pics", "title": "{words[:rnd.randrange(100, 2000)]}", ' \
               f'"selftext": "{text}", "url": "{url}"}}\n'.encode()
        out.write(line)
        text_size += len(line)
        n += 1
    return text_size, links


def _imgur_dl(checkout: str | None = None) -> list[str]:
    """The command that runs imgur-dl: the one installed, or another checkout's, side by side (an A/B:
    ``imgur-dl@/path`` as a tool; first on the path, ahead of the cwd)."""
    if checkout:
        return [sys.executable, "-c",
                f"import sys; sys.path.insert(0, {checkout!r}); from imgur_dl.cli import run; run()"]
    exe = shutil.which("imgur-dl")
    return [exe] if exe else [sys.executable, "-m", "imgur_dl"]


def _scan_report(runs: int, source: Path, natives: dict[str, str], heading: str, *, size: int, unit: str
                 ) -> list[str]:
    """imgur-dl listing the links of ``source`` (and each ``--against`` checkout's, side by side) against the
    ``natives``' shell lines: the heading, then the table."""
    tools = {"imgur-dl --scan -g": shlex.join([*_imgur_dl(), "--scan", str(source), "-g", "-q"])}
    for checkout in AGAINST:
        tools[f"imgur-dl@{checkout} --scan -g"] = shlex.join([*_imgur_dl(checkout), "--scan", str(source), "-g", "-q"])
    return [heading, "", *_scan_table(_timed(runs, tools | natives), size, unit)]


_T = TypeVar("_T")


def _measured(work: Callable[[], _T]) -> tuple[_T, float, float]:
    """What ``work()`` gives, the wall time it took and the CPU of the processes it started and waited for."""
    before, start = os.times(), time.perf_counter()
    done = work()
    wall, after = time.perf_counter() - start, os.times()
    return done, wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _timed(runs: int, tools: dict[str, str], env: dict[str, str] | None = None,
           ) -> dict[str, list[tuple[float, float, int]]]:
    """Each tool's shell line run ``runs`` times side by side (in ``env``, or this process's environment): (wall s,
    CPU s of its processes, lines it printed)."""
    samples: dict[str, list[tuple[float, float, int]]] = {t: [] for t in tools}
    for _ in range(runs):
        for tool, line in tools.items():
            done, wall, cpu = _measured(functools.partial(subprocess.run, ["bash", "-c", line], capture_output=True,
                                                          check=False, env=env))
            samples[tool].append((wall, cpu, len(done.stdout.splitlines())))
    return samples


def scanning_warc(runs: int, work: Path, size: int = 200 * MB) -> str:
    """``--scan`` of a web crawl as WARC files keep it (``.warc.gz``, a gzip member a record) against zcat | grep.

    Pages of HTML, each linking Imgur images, with their bodies as servers
    send them: most gzip-encoded, some in chunks, some plain. imgur-dl lists
    the links it finds (``--scan FILE -g``); the native reference,
    ``zcat FILE | grep -aoE PATTERN``, reads the records but not the bodies'
    own encoding, and finds only the links of the plain ones.
    """
    import gzip  # noqa: PLC0415
    import random  # noqa: PLC0415

    rnd = random.Random(5)
    crawl = work / "crawl.warc.gz"
    words = [" ".join(rnd.choice(("lorem", "ipsum", "dolor", "sit", "amet", "<p>", "</p>", "<br>"))
                      for _ in range(300)) for _ in range(32)]
    text_size, links, n = 0, 0, 0
    with crawl.open("wb") as out:
        while text_size < size:
            page = "".join(f'{rnd.choice(words)}<a href="https://i.imgur.com/W{n * 30 + k:06d}.jpg">x</a>\n'
                           for k in range(rnd.randrange(5, 30))).encode()
            links += page.count(b"i.imgur.com")
            kind = rnd.random()
            if kind < 0.7:
                body, fields = gzip.compress(page, 6), b"Content-Encoding: gzip\r\n"
            elif kind < 0.9:
                body = b"".join(b"%x\r\n" % len(page[i:i + 4096]) + page[i:i + 4096] + b"\r\n"
                                for i in range(0, len(page), 4096)) + b"0\r\n\r\n"
                fields = b"Transfer-Encoding: chunked\r\n"
            else:
                body, fields = page, b""
            block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + fields + b"\r\n" + body
            record = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.com/%d\r\n" % n +
                      b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(block)
                      + block + b"\r\n\r\n")
            out.write(gzip.compress(record, 6))
            text_size += len(record)
            n += 1
    natives = {"zcat | grep -aoE": f"zcat {crawl} | grep -aoE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"}
    return "\n".join(_scan_report(
        runs, crawl, natives, f"## Scan: a web crawl of {n} pages as a .warc.gz ({text_size / MB:.0f} MB of records, "
        f"{crawl.stat().st_size / MB:.1f} MB gzip; 70% of bodies gzip-encoded, 20% in chunks), {links} Imgur links, "
        f"{runs} runs each, medians", size=text_size, unit="records")) + "\n"


def scanning_mbox(runs: int, work: Path, size: int = 200 * MB) -> str:
    """``--scan`` of a mailbox as Gmail's Takeout gives it (mbox) against grep.

    Messages of a plain part in quoted-printable that links half of their
    Imgur images and an HTML part in base64 (5 to 120 KB, as newsletters
    are) that shows them all; one in ten has a photo attached (100 KB to
    3 MB), one in twenty a CSV export (300 KB to 2 MB) that links images too,
    each in base64. imgur-dl lists the links it finds (``--scan FILE -g``);
    ``grep -aoE PATTERN`` finds those written plainly.
    """
    import base64  # noqa: PLC0415
    import quopri  # noqa: PLC0415
    import random  # noqa: PLC0415

    rnd = random.Random(7)
    mbox = work / "Takeout.mbox"
    words = [" ".join(rnd.choice(("lorem", "ipsum", "dolor", "sit", "amet", "imgur")) for _ in range(200))
             for _ in range(32)]
    noise = os.urandom(4 * MB)
    text_size, links, n = 0, 0, 0
    with mbox.open("wb") as out:
        while text_size < size:
            ids = [f"M{links + k:06d}" for k in range(rnd.randrange(1, 20))]  # (one for each link)
            links += len(ids)
            plain = "".join(f"{rnd.choice(words)} https://i.imgur.com/{i}.jpg\n" for i in ids[::2]).encode()
            html = "".join(f'<p>{rnd.choice(words)}<img src="https://i.imgur.com/{i}.jpg"></p>\n' for i in ids)
            html += "<p>" + " ".join(rnd.choices(words, k=rnd.randrange(3, 90))) + "</p>"
            parts = [(b"text/plain; charset=UTF-8", b"quoted-printable", quopri.encodestring(plain)),
                     (b"text/html; charset=UTF-8", b"base64", base64.encodebytes(html.encode()))]
            if n % 10 == 9:
                start = rnd.randrange(len(noise) - 3 * MB)
                photo = noise[start:start + rnd.randrange(100_000, 3 * MB)]
                parts.append((b"image/jpeg; name=photo.jpg", b"base64", base64.encodebytes(photo)))
            if n % 20 == 13:
                count = rnd.randrange(300, 2000)
                rows = "".join(f"{k},{rnd.choice(words)[:rnd.randrange(50, 900)]},https://i.imgur.com/C{links + k:06d}"
                               ".png\n" for k in range(count))
                links += count
                parts.append((b"text/csv; name=export.csv", b"base64", base64.encodebytes(rows.encode())))
            message = (b"From 1%d@xxx Mon Jan 01 00:00:00 +0000 2024\nSubject: trip %d\nMIME-Version: 1.0\n"
                       b"Content-Type: multipart/mixed; boundary=b%d\n\n" % (n, n, n)
                       + b"".join(b"--b%d\nContent-Type: %s\nContent-Transfer-Encoding: %s\n\n%s" % (n, kind, how, body)
                                  for kind, how, body in parts)
                       + b"--b%d--\n\n" % n)
            text_size, n = text_size + out.write(message), n + 1
    heading = (f"## Scan: a mailbox of {n} messages as Gmail's Takeout gives it ({text_size / MB:.0f} MB mbox: HTML in "
               f"base64, one in ten with a photo, one in twenty with a CSV), {links} distinct Imgur links, {runs} runs "
               "each, medians")
    grep = f"grep -aoE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.(jpg|png)' {mbox}"
    return "\n".join(_scan_report(runs, mbox, {"grep -aoE": grep}, heading, size=text_size, unit="mail")) + "\n"


def scanning_zip(runs: int, work: Path, size: int = 200 * MB) -> str:
    """``--scan`` of a data export as a ZIP (the Reddit-dump-shaped text of :func:`scanning`, deflated, in four
    files): read by its directory from a file, from each file's own header on a pipe, and cut short at nine tenths
    (a download stopped: no directory) against ``unzip -p | grep``."""
    import zipfile  # noqa: PLC0415

    text = work / "RS_export.json"
    with text.open("wb") as out:
        text_size, links = _reddit_dump(out, size)
    export, cut = work / "export.zip", work / "export-cut.zip"
    with text.open("rb") as lines, zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in range(4):
            with archive.open(f"Reddit/posts-{part}.json", "w") as member:
                while lines.tell() < (part + 1) * text_size // 4 and (line := lines.readline()):
                    member.write(line)
    text.unlink()
    with export.open("rb") as whole, cut.open("wb") as short:
        short.write(whole.read(export.stat().st_size * 9 // 10))
    scan = shlex.join([*_imgur_dl(), "--scan"])
    tools = {"imgur-dl --scan FILE -g": f"{scan} {export} -g -q", "imgur-dl --scan - -g (a pipe)": f"{scan} - -g -q < "
             f"{export}", "imgur-dl --scan CUT -g (nine tenths)": f"{scan} {cut} -g -q"}
    for checkout in AGAINST:
        tools[f"imgur-dl@{checkout} --scan CUT -g"] = shlex.join([*_imgur_dl(checkout), "--scan", str(cut), "-g", "-q"])
    if shutil.which("unzip"):
        tools["unzip -p | grep -oE"] = f"unzip -p {export} | grep -oE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"
    heading = (f"## Scan: a ZIP export of {text_size / MB:.0f} MB of Reddit-dump-shaped text "
               f"({export.stat().st_size / MB:.1f} MB deflated, four files), {links} Imgur links, {runs} runs each, "
               "medians")
    return "\n".join([heading, "", *_scan_table(_timed(runs, tools), text_size, "text")]) + "\n"


def scanning_7z(runs: int, work: Path, size: int = 200 * MB) -> str:
    """``--scan`` of a 7-Zip archive (the Reddit-dump-shaped text of :func:`scanning`, in four files, solid, as
    7-Zip packs by default: LZMA2): read where it is, from a pipe (whole, into memory), and cut short at nine tenths
    (a download stopped: no header), against ``7zz e -so | grep``. The archive is made with 7-Zip's own command."""
    seven = shutil.which("7zz") or shutil.which("7z")
    if seven is None:
        return "## Scan: a 7-Zip archive\n\n(7-Zip is not installed, apt-get install 7zip brings it: not measured)\n"
    parts = work / "reddit"
    parts.mkdir(exist_ok=True)
    text = work / "RS_export.json"
    with text.open("wb") as out:
        text_size, links = _reddit_dump(out, size)
    with text.open("rb") as lines:
        for part in range(4):
            with (parts / f"posts-{part}.json").open("wb") as member:
                while lines.tell() < (part + 1) * text_size // 4 and (line := lines.readline()):
                    member.write(line)
    text.unlink()
    archive, cut = work / "export.7z", work / "export-cut.7z"
    subprocess.run([seven, "a", "-bso0", str(archive), str(parts)], check=True)
    shutil.rmtree(parts)
    with archive.open("rb") as whole, cut.open("wb") as short:
        short.write(whole.read(archive.stat().st_size * 9 // 10))
    scan = shlex.join([*_imgur_dl(), "--scan"])
    tools = {"imgur-dl --scan FILE -g": f"{scan} {archive} -g -q",
             "imgur-dl --scan - -g (a pipe)": f"{scan} - -g -q < {archive}",
             "imgur-dl --scan CUT -g (nine tenths)": f"{scan} {cut} -g -q",
             "7zz e -so | grep -oE": f"{seven} e -so {archive} | grep -oE 'https://i\\.imgur\\.com/[A-Za-z0-9]+\\.jpg'"}
    for checkout in AGAINST:
        tools[f"imgur-dl@{checkout} --scan FILE -g"] = shlex.join([*_imgur_dl(checkout), "--scan", str(archive), "-g",
                                                                  "-q"])
    heading = (f"## Scan: a 7-Zip archive of {text_size / MB:.0f} MB of Reddit-dump-shaped text "
               f"({archive.stat().st_size / MB:.1f} MB, LZMA2, solid, four files), {links} Imgur links, {runs} runs "
               "each, medians")
    return "\n".join([heading, "", *_scan_table(_timed(runs, tools), text_size, "text")]) + "\n"


def scanning_history(runs: int, work: Path, pages: int = 300_000) -> str:
    """``--scan`` of a browser's history (Firefox's places.sqlite) in use, against sqlite3 | grep.

    ``pages`` visited pages, one in ten an Imgur album, each with its title
    and the columns Firefox keeps beside it, then 2,000 visits more in its
    write-ahead log, not folded in (as a running browser leaves it). imgur-dl
    lists the links it finds (``--scan FILE -g``: every value of the database
    with its log); the native references are ``sqlite3 FILE .dump | grep -oE
    PATTERN`` (every value too) and ``sqlite3 FILE "SELECT url ..." | grep``
    (told the one column to read; SQLite reads the log in both).
    """
    import random  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    rnd = random.Random(5)
    live = work / "history"
    live.mkdir(exist_ok=True)
    db = sqlite3.connect(live / "places.sqlite")
    db.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host "
               "LONGVARCHAR, visit_count INTEGER, last_visit_date INTEGER, guid TEXT, url_hash INTEGER, description "
               "TEXT)")
    db.executemany("INSERT INTO moz_places (url, title, rev_host, visit_count, last_visit_date, guid, url_hash, "
                   "description) VALUES (?, ?, ?, 3, ?, 'AbCdEfGhIjKl', ?, ?)",
                   ((f"https://imgur.com/a/A{n:06d}" if n % 10 == 0 else f"https://www.example.com/{n}?q={n * 7}",
                     "A title of a page " * rnd.randrange(1, 6), "moc.elpmaxe.www.", 1600000000000000 + n,
                     rnd.getrandbits(40), "words " * rnd.randrange(0, 20)) for n in range(pages)))
    db.commit()
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    for n in range(2000):
        db.execute("INSERT INTO moz_places (url, title) VALUES (?, 'new')", (f"https://imgur.com/a/W{n:06d}",))
    db.commit()
    places = work / "places.sqlite"
    for suffix in ("", "-wal"):  # (copied while it is open: the log as a running browser leaves it)
        Path(f"{places}{suffix}").write_bytes(Path(f"{live / 'places.sqlite'}{suffix}").read_bytes())
    db.close()
    links = pages // 10 + 2000
    heading = (f"## Scan: a browser's history in use ({places.stat().st_size / MB:.0f} MB places.sqlite, its log "
               f"{Path(f'{places}-wal').stat().st_size / MB:.1f} MB), {links} Imgur links, {runs} runs each, medians")
    natives = {}
    if shutil.which("sqlite3"):
        pattern = "'https://imgur\\.com/a/[A-Za-z0-9]+'"
        natives["sqlite3 .dump | grep -oE"] = f"sqlite3 {places} .dump | grep -oE {pattern}"  # (every value, as here)
        query = shlex.quote("SELECT url FROM moz_places")
        natives["sqlite3 SELECT url | grep -oE"] = f"sqlite3 {places} {query} | grep -oE {pattern}"  # (told where)
    size = places.stat().st_size
    return "\n".join(_scan_report(runs, places, natives, heading, size=size, unit="database")) + "\n"


def _scan_table(samples: dict[str, list[tuple[float, float, int]]], size: int, unit: str) -> list[str]:
    """A scan's figures, a row a tool: medians of wall and CPU time, the speed through ``size`` bytes of ``unit``."""
    lines = [f"| tool | wall s | MB/s of {unit} | CPU s | links found |", "| --- | --- | --- | --- | --- |"]
    for tool, got in samples.items():
        wall = statistics.median(w for w, _, _ in got)
        cpu = statistics.median(c for _, c, _ in got)
        lines.append(f"| {tool} | {wall:.2f} | {size / MB / wall:.0f} | {cpu:.2f} | {got[0][2]} |")
    return lines


def links(runs: int, work: Path, files: int = 100_000) -> str:
    """``-g``: the direct links of one album of ``files`` files, listed, nothing downloaded (plain, and with
    ``--json``: where each file would go), beside ``gallery-dl -g`` (and each ``--against`` checkout's imgur-dl)."""
    bundle = work / "links-ca.pem"
    server, (proxy,) = _standin(bundle, "--album", ALBUM, "--files", str(files), "--size", "100")
    assert server.stdin is not None
    url = f"https://imgur.com/a/{ALBUM}"
    gallery = shutil.which("gallery-dl")
    tools = {}
    for label, base in [("imgur-dl", _imgur_dl()), *((f"imgur-dl@{c}", _imgur_dl(c)) for c in AGAINST)]:
        tools[f"{label} -g"] = shlex.join([*base, "-g", url])
        tools[f"{label} -g --json"] = shlex.join([*base, "-g", "--json", url])
    tools["gallery-dl -g"] = shlex.join([*([gallery] if gallery else [sys.executable, "-m", "gallery_dl"]),
                                         "--config-ignore", "-g", url])
    try:
        samples = _timed(runs, tools, _through(proxy, bundle, work))
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    lines = [f"## Links: `-g` of one album of {files:,} files", "",
             "| tool | wall s | CPU s | us of CPU a link | lines |", "| --- | --- | --- | --- | --- |"]
    for tool, got in samples.items():
        wall, cpu = statistics.median(w for w, _, _ in got), statistics.median(c for _, c, _ in got)
        lines.append(f"| {tool} | {wall:.2f} | {cpu:.2f} | {cpu / files * 1e6:.0f} | {got[0][2]} |")
    return "\n".join(lines) + "\n"


def shifted(runs: int, work: Path, files: int = 5000) -> str:
    """A rerun of an album of ``files`` files saved when it held one more image at its start: each file's place in
    it is one less now. Each run starts from the folder as that earlier run left it (made once, untimed: the album
    saved, then each file given the name of the place after its own; a hard-linked copy each run), beside each
    ``--against`` checkout's imgur-dl; the files each leaves in the folder say what it did (renamed each to its place
    now, or fetched each again beside its earlier copy)."""
    bundle = work / "shifted-ca.pem"
    server, (proxy,) = _standin(bundle, "--album", ALBUM, "--files", str(files), "--size", "4000", "--spread", "100")
    assert server.stdin is not None
    env = _through(proxy, bundle, work)
    url = f"https://imgur.com/a/{ALBUM}"
    earlier = work / "shifted-earlier"
    samples: dict[str, list[tuple[float, float, int]]] = {}
    try:
        subprocess.run([*_imgur_dl(), "-q", "-o", str(earlier), url], env=env, check=True)
        folder = next(earlier.iterdir())
        for path in sorted(folder.iterdir(), reverse=True):  # (the last first: no name taken before it is free)
            place, _, rest = path.name.partition("-")
            path.rename(folder / f"{int(place) + 1:0{len(place)}d}-{rest}")
        for n in range(runs):
            for label, base in [("imgur-dl", _imgur_dl()), *((f"imgur-dl@{c}", _imgur_dl(c)) for c in AGAINST)]:
                out = work / f"shifted-{n}"
                shutil.copytree(earlier, out, copy_function=os.link)
                done, wall, cpu = _measured(functools.partial(subprocess.run, [*base, "-q", "-o", str(out), url],
                                                              env=env, check=False))
                left = sum(1 for _ in next(out.iterdir()).iterdir()) if done.returncode == 0 else -1
                samples.setdefault(label, []).append((wall, cpu, left))
                shutil.rmtree(out)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    lines = [f"## A rerun of an album of {files:,} files whose every place moved by one, {runs} runs each, medians",
             "", "| tool | wall s | CPU s | files in its folder after |", "| --- | --- | --- | --- |"]
    for tool, got in samples.items():
        wall, cpu = statistics.median(w for w, _, _ in got), statistics.median(c for _, c, _ in got)
        lines.append(f"| {tool} | {wall:.2f} | {cpu:.2f} | {got[0][2]} |")
    return "\n".join(lines) + "\n"


def list_reading(runs: int, work: Path, launcher: Launcher, lines: int = 1_000_000) -> str:
    """``-i``: a list of ``lines`` distinct album links read to its end, as every list is before the first
    request. Its last line names a listing only an access token can read, and none is given: the run ends there,
    in one line (exit 2), having asked nothing of anyone. Beside it, the same command given that line alone
    (start-up, imports and the same end): what the list itself costs is the difference. Peak RSS by wait4, each
    run from the small launcher process."""
    listed = work / "long-list.txt"
    with listed.open("w") as out:
        out.writelines(f"https://imgur.com/a/{n:07d}\n" for n in range(lines))
        out.write("imgur.com/user/me\n")
    alone = work / "alone.txt"
    alone.write_text("imgur.com/user/me\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGUR_")} | {"HOME": str(work)}
    runs_of: dict[str, list[tuple[float, float, float, int]]] = {}
    for _ in range(runs):
        for label, base in [("imgur-dl", _imgur_dl()), *((f"imgur-dl@{c}", _imgur_dl(c)) for c in AGAINST)]:
            for given in (listed, alone):
                runs_of.setdefault(f"{label} -i {given.name}", []).append(
                    launcher.measure([*base, "-q", "-i", str(given)], env))
    table = [f"## A list of {lines:,} links, read (`-i`), {runs} runs each, medians", "",
             "| tool | wall s | CPU s | peak RSS MB | exit | CPU us a line | MB a million lines |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    medians = {tool: [statistics.median(m[k] for m in got) for k in range(3)] + [got[0][3]]
               for tool, got in runs_of.items()}
    for tool, (wall, cpu, rss, code) in medians.items():
        base_cpu, base_rss = medians[tool.replace(listed.name, alone.name)][1:3]
        per_line = "" if tool.endswith(alone.name) else f"{(cpu - base_cpu) / lines * 1e6:.1f}"
        per_million = "" if tool.endswith(alone.name) else f"{(rss - base_rss) / lines * 1e6:.0f}"
        table.append(f"| {tool} | {wall:.2f} | {cpu:.2f} | {rss:.1f} | {code} | {per_line} | {per_million} |")
    return "\n".join(table) + "\n"


def fleet(runs: int, work: Path, *, albums: int = 48, files: int = 4, size: int = 150_000,
          client_rate: float = 2 * MB, counts: tuple[int, ...] = (1, 2, 4)) -> tuple[str, bool]:
    """``--share-work``: 1, 2 and 4 processes sharing one list and one PostgreSQL archive.

    Each process is a machine of its own: it reaches the stand-in through its
    own proxy address, whose bandwidth the stand-in limits apart (as Imgur
    limits each address). Every run gets a fresh database. Duplicate fetches
    are files saved by more than one process (each process says, with
    --json, what it saved).
    """
    import json  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from tests.postgres import Postgres  # noqa: PLC0415

    bundle = work / "fleet-ca.pem"
    server, proxies = _standin(bundle, "--albums", str(albums), "--files", str(files), "--size", str(size),
                               "--delay", "0.05", "--clients", str(max(counts)), "--client-rate", str(client_rate))
    links = work / "fleet-links.txt"
    links.write_text("".join(f"https://imgur.com/a/Fl{n:05d}\n" for n in range(albums)))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_CONFIG"))}
    base.update(NO_PROXY="", no_proxy="", REQUESTS_CA_BUNDLE=str(bundle), HOME=str(work))
    postgres = Postgres.create().start()
    rows: dict[int, list[tuple[float, float, int, int, bool]]] = {c: [] for c in counts}
    try:
        for n in range(runs):
            for count in counts:
                url = postgres.new_database()

                def together(count: int = count, n: int = n, url: str = url,
                             ) -> tuple[list[subprocess.Popen[str]], list[str]]:
                    procs = [subprocess.Popen(
                        [*_imgur_dl(), "--json", "-q", "--share-work", "--download-archive", url,
                         "-o", str(work / f"fleet-{count}-{n}-{i}"), "-i", str(links)],
                        env={**base, "HTTPS_PROXY": proxies[i], "https_proxy": proxies[i]},
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for i in range(count)]
                    return procs, [p.communicate()[0] for p in procs]

                (procs, outputs), wall, cpu = _measured(together)
                saved = [[r["id"] for r in map(json.loads, out.splitlines()) if r["status"] == "saved"]
                         for out in outputs]
                every = [i for got in saved for i in got]
                ok = all(p.returncode == 0 for p in procs) and len(set(every)) == albums * files
                rows[count].append((wall, cpu, len(every) - len(set(every)), min(map(len, saved)), ok))
                print(f"  fleet       {count} process{'es' if count > 1 else '  '}    run {n + 1}: {wall:6.2f} s wall "
                      f"{cpu:6.2f} s cpu, {len(every) - len(set(every))} duplicates"
                      f"{'' if ok else '  INCOMPLETE'}", file=sys.stderr)
                for i in range(count):
                    shutil.rmtree(work / f"fleet-{count}-{n}-{i}", ignore_errors=True)
    finally:
        postgres.remove()
        server.stdin.close()
        server.wait(timeout=30)
    one = statistics.median(w for w, *_ in rows[counts[0]])
    total = albums * files * size
    lines = [f"## Fleet: {albums} albums of {files} files ({total / MB:.1f} MB), one PostgreSQL archive, "
             f"--share-work; each process its own machine at {client_rate / MB:g} MB/s, {runs} runs, medians", "",
             "| processes | wall s | speed-up | bound (bytes / (processes x rate)) | CPU s | fewest files "
             "saved by one | duplicate fetches | complete |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for count, got in rows.items():
        wall = statistics.median(w for w, *_ in got)
        lines.append(f"| {count} | {wall:.2f} | {one / wall:.2f}x | {total / (count * client_rate):.2f} | "
                     f"{statistics.median(c for _, c, *_ in got):.2f} | {min(f for *_, f, _ in got)} | "
                     f"{max(d for _, _, d, _, _ in got)} | {'yes' if all(ok for *_, ok in got) else 'NO'} |")
    complete = all(ok and not duplicates for got in rows.values() for _, _, duplicates, _, ok in got)
    return "\n".join(lines) + "\n", complete


def recovering(runs: int, work: Path, *, files: int = 20, delay: float = 0.1) -> str:
    """``--wayback``: an album whose every file Imgur removed, each captured in the archive, whose index takes 30
    requests a minute and each of whose answers takes ``delay`` s: brought back whole (and each ``--against``
    checkout's imgur-dl side by side)."""
    bundle = work / "wayback-ca.pem"
    server, (proxy, *_) = _standin(bundle, "--album", ALBUM, "--files", str(files), "--size", "50000", "--deleted",
                                   "--cdx-per-minute", "30", "--archive-delay", str(delay))
    tools = {"imgur-dl --wayback": _imgur_dl(), **{f"imgur-dl@{c} --wayback": _imgur_dl(c) for c in AGAINST}}
    samples: dict[str, list[tuple[float, float, bool]]] = {t: [] for t in tools}
    try:
        for n in range(runs):
            for tool, base in tools.items():
                out = work / f"wayback-{n}"
                done, wall, cpu = _measured(functools.partial(
                    subprocess.run, [*base, "-q", "--wayback", "-o", str(out), f"https://imgur.com/a/{ALBUM}"],
                    env=_through(proxy, bundle, work), capture_output=True, check=False))
                samples[tool].append((wall, cpu, done.returncode == 0 and saved(out)[0] == files))
                shutil.rmtree(out, ignore_errors=True)
                for records in work.glob(f"{out.name}.sqlite*"):
                    records.unlink()
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    lines = [f"## Bringing back {files} deleted files (`--wayback`), the archive {delay * 1000:.0f} ms away, its "
             f"index at 30 requests a minute; {runs} runs each, medians", "",
             "| tool | wall s | s a file | CPU s | all saved |", "| --- | ---: | ---: | ---: | --- |"]
    for tool, got in samples.items():
        wall = statistics.median(w for w, _, _ in got)
        lines.append(f"| {tool} | {wall:.2f} | {wall / files:.2f} | {statistics.median(c for _, c, _ in got):.2f} | "
                     f"{'yes' if all(ok for *_, ok in got) else 'NO'} |")
    return "\n".join(lines) + "\n"


def _extras(names: list[str], runs: int, work: Path, *, smoke: bool, listed: str) -> tuple[str, bool]:
    """The measurements apart from the scenarios that ``names`` asks for (every one, small, for a smoke run), as
    one report, and whether the fleet's runs were complete."""
    def small(tiny: int, full: int) -> int:
        return tiny if smoke else full

    measures: list[tuple[str, Callable[[], str]]] = [
        ("hashing", lambda: hashing(runs, work, size=small(8 * MB, 256 * MB))),
        ("scan", lambda: scanning(runs, work, size=small(4 * MB, 300 * MB))),
        ("folder", lambda: scanning_folder(runs, work, size=small(4 * MB, 300 * MB))),
        ("blocks", lambda: scanning_blocks(runs, work, size=small(4 * MB, 100 * MB))),
        ("warc", lambda: scanning_warc(runs, work, size=small(4 * MB, 200 * MB))),
        ("mbox", lambda: scanning_mbox(runs, work, size=small(4 * MB, 200 * MB))),
        ("zip", lambda: scanning_zip(runs, work, size=small(4 * MB, 200 * MB))),
        ("7z", lambda: scanning_7z(runs, work, size=small(4 * MB, 200 * MB))),
        ("history", lambda: scanning_history(runs, work, pages=small(3000, 300_000))),
        ("links", lambda: links(runs, work, files=small(50, 100_000))),
        ("wayback", lambda: recovering(runs, work, files=small(3, 20))),
        ("shifted", lambda: shifted(runs, work, files=small(20, 5000))),
        ("list", lambda: listed),
    ]
    texts = [make() for name, make in measures if (smoke or name in names) and (name != "list" or listed)]
    shared_ok = True
    if smoke or "fleet" in names:
        text, shared_ok = fleet(1, work, albums=6, files=2, size=20_000, counts=(1, 2)) if smoke \
            else fleet(runs, work)
        texts.append(text)
    return "\n".join(texts), shared_ok


def _version(module: str) -> str:
    try:
        return str(__import__(module).__version__)
    except Exception:  # a missing tool is reported, not fatal
        return "not installed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, *EXTRA, []], metavar="SCENARIO",
                        help=f"which to run (default: all): {', '.join([*SCENARIOS, *EXTRA])}")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and scenario (default: 3)")
    parser.add_argument("--smoke", action="store_true", help="one tiny scenario, one run: checks the script works")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--tool", action="append", default=[], metavar="TOOL",
                        help="measure these instead of the scenario's own, e.g. --tool 'imgur-dl -j 32'")
    parser.add_argument("--against", action="append", default=[], metavar="CHECKOUT",
                        help="also time this checkout's imgur-dl in the scans, side by side (an A/B)")
    args = parser.parse_args()
    AGAINST.extend(str(Path(c).resolve()) for c in args.against)
    names = args.scenarios or [*SCENARIOS, *EXTRA]
    chosen = [SMOKE, SMOKE_THROTTLED] if args.smoke else [SCENARIOS[n] for n in names if n in SCENARIOS]
    if args.tool:
        chosen = [dataclasses.replace(s, tools=tuple(args.tool)) for s in chosen]
    runs = 1 if args.smoke else args.runs
    if _version("gallery_dl") == "not installed" and any("gallery-dl" in s.tools for s in chosen):
        print("gallery-dl is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    launcher = Launcher()  # (before anything makes this process bigger)
    with tempfile.TemporaryDirectory(prefix="imgur-dl-bench-") as tmp:
        try:
            outcomes = [run(s, runs, Path(tmp), launcher) for s in chosen]
            listed = list_reading(runs, Path(tmp), launcher, lines=2_000 if args.smoke else 1_000_000) \
                if args.smoke or "list" in names else ""
        finally:
            launcher.close()
        extra, shared_ok = _extras(names, runs, Path(tmp), smoke=args.smoke, listed=listed)
    text = report(outcomes, runs, sys.argv[1:]) + ("\n" + extra if extra else "")
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0 if shared_ok and all(s.ok for o in outcomes for samples in o.samples.values() for s in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
