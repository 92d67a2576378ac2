"""The first five minutes: what a person sees at a terminal, and the conventions they bring."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import progressbar
import pytest

from imgur_dl.cancel import Cancel
from imgur_dl.progress import _ETA, Bar
from imgur_dl.report import Tally, human, summary
from imgur_dl.text import counted
from imgur_dl.throttle import RateLimit
from tests.conftest import command, files_under, run_main
from tests.standin import Fault, Imgur

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def _in_a_terminal(args: list[str], environ: dict[str, str], timeout: float = 30,
                   interrupt: Callable[[bytes], bool] | None = None,
                   watch: Callable[[bytes], None] | None = None) -> tuple[float, str, int]:
    """Run imgur-dl with stderr on a pseudo-terminal: (seconds to its first line, all it showed, exit code).

    ``interrupt``: Ctrl-C (SIGINT) is sent once it says yes to what has been shown. ``watch``: told what has been
    shown, each time more comes.
    """
    leader, follower = pty.openpty()
    start = time.monotonic()
    proc = subprocess.Popen([*command(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=follower, env=environ)
    os.close(follower)
    shown, first = b"", None
    deadline = start + timeout
    while time.monotonic() < deadline:
        if interrupt is not None and interrupt(shown):
            proc.send_signal(signal.SIGINT)
            interrupt = None
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the other end closed: the process is done
                break
            if not data:
                break
            shown += data
            if watch is not None:
                watch(shown)
            if first is None and b"\n" in shown:
                first = time.monotonic() - start
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=5)
    os.close(leader)
    return first if first is not None else float("inf"), shown.decode(errors="replace"), code


@pytest.mark.long
def test_what_a_person_sees_at_a_terminal(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=4, size=50_000, title="Trip")
    album.images[2].removed = True
    (tmp_path / "AbC1234 - Trip").mkdir()
    (tmp_path / "AbC1234 - Trip" / f"001-{album.images[0].id}.jpg").write_bytes(album.images[0].data)
    # A slow API: the screen must not stay blank meanwhile. Every answer of the API's is held until the first line
    # shows (or, should none come first, ten seconds): a first line that comes only with an answer fails the test,
    # however fast or loaded the machine. (It was "within a second", which a loaded machine's start took.)
    held = Fault("hold", host="api.imgur.com")
    imgur.faults.append(held)
    first_while_held: list[bool] = []

    def watch(shown: bytes) -> None:
        if b"\n" in shown and not held.release.is_set():
            first_while_held.append(True)
            held.release.set()

    fallback = threading.Timer(10, held.release.set)
    fallback.start()
    environ = dict(os.environ, COLUMNS="100", TERM="xterm")
    try:
        _, shown, code = _in_a_terminal(["-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/NoSuchA"],
                                        environ, watch=watch)
    finally:
        fallback.cancel()
    assert code == 3, shown
    assert first_while_held, shown  # before the API has answered
    lines = [ANSI.sub("", line).strip() for line in shown.splitlines()]
    assert lines[0] == "imgur-dl: looking up 2 albums..."
    assert any(re.search(r"\d/4 files", line) for line in lines), shown  # the bar was drawn
    assert f"imgur-dl: error: AbC1234/{album.images[2].id}: removed from Imgur" in lines
    assert any("NoSuchA: not found" in line for line in lines)
    summary = lines[-1]
    assert summary.startswith("imgur-dl: 1 album, 1 not found; files: 2 saved, 1 skipped, 1 failed; "), shown
    assert summary.endswith("s") and "KiB" in summary  # one unit system: the bar's


def test_no_empty_bar_when_nothing_was_found(imgur: Imgur, tmp_path: Path) -> None:
    _, shown, code = _in_a_terminal(["-o", str(tmp_path), "imgur.com/a/NoSuchA"], dict(os.environ))
    assert code == 3
    assert "0/0" not in shown and "N/A" not in shown
    last = ANSI.sub("", shown).splitlines()[-1].strip()
    assert re.fullmatch(r"imgur-dl: 0 albums, 1 not found; files: 0 saved, 0 skipped, 0 failed; 0 B in \d+\.\ds",
                        last), shown


def test_bytes_moved_count_what_arrived_even_when_interrupted_later(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=200_000)
    part = tmp_path / "AbC1234" / f"001-{album.images[0].id}.jpg.part"
    part.parent.mkdir()
    part.write_bytes(album.images[0].data[:150_000])  # an earlier run's partial file: resumed
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "; 244.1 KiB in " in result.err  # 50,000 resumed + 200,000 fresh bytes, in KiB as the bar shows


def test_help_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    done = run_main("--help")
    assert done.code == 0
    assert max(len(line) for line in done.out.splitlines()) <= 80
    assert "1 to 128" in done.out  # the worker bound is said


def test_verbose_says_each_request(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    result = run_main("-v", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "GET https://api.imgur.com/post/v1/albums/AbC1234?include=media%2Ctags%2Caccount -> 200 OK" in result.err
    for image in album.images:
        assert f"GET https://i.imgur.com/{image.id}.jpeg -> 200 OK" in result.err


def test_verbose_says_each_request_when_quiet_too(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    result = run_main("-q", "-v", "-o", str(tmp_path), "imgur.com/a/AbC1234", tty=True)
    assert result.code == 0, result
    lines = result.err.splitlines()
    assert len(lines) == 3, result  # the requests, and nothing else: no bar, no summary
    assert lines[0].startswith("imgur-dl: GET https://api.imgur.com/post/v1/albums/AbC1234?include=media%2Ctags%2C"
                               "account -> 200 OK (")
    assert sorted(line.split(" -> ")[0] for line in lines[1:]) == sorted(
        f"imgur-dl: GET https://i.imgur.com/{image.id}.jpeg" for image in album.images)


def test_proxy_option_replaces_the_environment(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    broken = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    refused = run_main("--retries", "0", "-o", str(tmp_path / "a"), "imgur.com/a/AbC1234", environ=broken)
    assert refused.code == 1
    result = run_main("--proxy", imgur.proxy_url, "-o", str(tmp_path / "b"), "imgur.com/a/AbC1234", environ=broken)
    assert result.code == 0, result


def test_a_refusing_proxy_is_named_once_for_many_albums(imgur: Imgur, tmp_path: Path) -> None:
    urls = [f"imgur.com/a/Album{n:02d}" for n in range(5)]
    result = run_main("--retries", "1", "-o", str(tmp_path), *urls,
                      environ={"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    assert result.code == 1, result
    assert result.err.count("the proxy refused the connection") == 2, result  # the first try, and the verdict
    assert "0 albums, 5 failed" in result.err
    assert "v3 API" not in result.err


def test_no_skip_fetches_again(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=2)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    again = run_main("--no-skip", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0, again
    assert "files: 2 saved, 0 skipped" in again.err
    assert len(imgur.requests_to("i.imgur.com")) == 4


def test_limit_rate_keeps_the_run_to_its_rate() -> None:
    now = [100.0]
    limit = RateLimit(1000.0, Cancel(), clock=lambda: now[0])
    assert limit.debt(500) == pytest.approx(0.5)  # the bucket starts empty: no burst at the start
    now[0] += 0.5
    assert limit.debt(250) == pytest.approx(0.25)
    now[0] += 1.25  # (a quarter second to pay off, then a second's worth)
    assert limit.debt(500) == 0
    assert limit.debt(1000) == pytest.approx(0.5)  # half a second overdrawn
    now[0] += 0.5
    assert limit.debt(0) == 0
    now[0] += 10  # idle time fills the bucket only one second deep
    assert limit.debt(3000) == pytest.approx(2.0)


@pytest.mark.parametrize(("rate", "seconds"), [("1.5K", 39), ("0", 0)])  # (0: no limit, as curl's and wget's)
def test_limit_rate_end_to_end(imgur: Imgur, tmp_path: Path, rate: str, seconds: float) -> None:
    album = imgur.add_album("AbC1234", count=3, size=20_000)
    started = time.monotonic()
    result = run_main("--limit-rate", rate, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    took = time.monotonic() - started  # (the run's clock goes on with the real one too: what passed is not waited)
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    # (60,000 bytes at 1536 B/s, none of it free: 39.06 s, waited or passed; on a loaded machine more of it
    # passes, and less is waited)
    assert seconds <= sum(result.waits) + took and sum(result.waits) <= seconds * 1.1


def test_a_rate_limit_under_the_least_speed_is_no_crawl(imgur: Imgur, tmp_path: Path) -> None:
    # 512 B/s for the run: each body comes slower than --min-speed's default (1024 B/s over 30 s) because the
    # run holds it back, not because the server crawls. (One file at a time: this clock moves every thread's
    # time on at once when one of them waits, as no real clock does.)
    album = imgur.add_album("AbC1234", count=2, size=40_000)
    result = run_main("--limit-rate", "512", "-j", "1", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "crawling" not in result.err
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert sum(result.waits) >= 150  # (the run took its 156 s at 512 B/s, on its own clock)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(shell: str) -> None:
    result = run_main("--print-completion", shell)
    assert result.code == 0, result
    for option in ("--download-archive", "--break-on-existing", "--wayback", "--limit-rate"):
        assert option.lstrip("-") in result.out


def test_tab_completes_paths_where_an_option_takes_one(tmp_path: Path) -> None:
    # -i albums<TAB> offers files, -o <TAB> folders: in bash, run as bash runs it ...
    (tmp_path / "albums.txt").write_text("")
    (tmp_path / "pics").mkdir()
    (tmp_path / "imgur-dl.bash").write_text(run_main("--print-completion", "bash").out)
    bash = shutil.which("bash") or "/bin/bash"
    offered = {}
    for words in (["-i", "al"], ["--scan", "al"], ["--cookies", "al"], ["--download-archive", "al"], ["-o", "p"],
                  ["--output", ""]):
        done = subprocess.run(
            [bash, "-c", 'source imgur-dl.bash; COMP_WORDS=(imgur-dl "$@"); COMP_CWORD=$#; _shtab_imgur_dl; '
             'printf "%s\\n" "${COMPREPLY[@]}"', "bash", *words], cwd=tmp_path, capture_output=True, text=True,
            check=True)
        offered[words[0]] = done.stdout.split()
    assert offered == {"-i": ["albums.txt"], "--scan": ["albums.txt"], "--cookies": ["albums.txt"],
                       "--download-archive": ["albums.txt"], "-o": ["pics"], "--output": ["pics"]}
    # ... and in zsh and fish, as their scripts say it
    zsh, fish = run_main("--print-completion", "zsh").out, run_main("--print-completion", "fish").out
    assert re.search(r"--input-file}\"\[[^\n]*:\w+:_files\"", zsh)  # (named by its metavar or its dest: shtab's
    assert re.search(r"--output}\"\[[^\n]*:\w+:_files -/\"", zsh)  # releases differ)
    assert re.search(r"-l input-file -\w*a \"\(__fish_complete_path", fish)
    assert re.search(r"-l output -\w*a \"\(__fish_complete_directories\)", fish)


def test_no_color_is_honoured(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=3, size=50_000)
    imgur.shaping.delay = 0.2
    colours = re.compile(r"\x1b\[[0-9;]*m")
    _, plain, code = _in_a_terminal(["-o", str(tmp_path / "a"), "imgur.com/a/AbC1234"],
                                    dict(os.environ, COLUMNS="100", TERM="xterm-256color", NO_COLOR="1"))
    assert code == 0, plain
    assert re.search(r"\d/3 files", plain), plain  # the bar was drawn ...
    assert not colours.search(plain), plain  # ... without colour


def test_a_dumb_terminal_gets_no_escape_at_all(imgur: Imgur, tmp_path: Path) -> None:
    # TERM=dumb (Emacs' shell, an editor's console) shows an escape as the characters it is made of: the bar is
    # drawn plain, and a line said over it clears it with spaces.
    album = imgur.add_album("AbC1234", count=3, size=50_000)
    album.images[1].removed = True
    imgur.shaping.delay = 0.2
    _, shown, code = _in_a_terminal(["-o", str(tmp_path / "a"), "imgur.com/a/AbC1234"],
                                    dict(os.environ, COLUMNS="100", TERM="dumb"))
    assert code == 1, shown
    assert re.search(r"\d/3 files", shown), shown  # the bar was drawn ...
    assert re.search(rf"\r {{40,}}\rimgur-dl: error: AbC1234/{album.images[1].id}: removed from Imgur", shown), shown
    assert "\x1b" not in shown, shown  # ... and nothing else: no colour, no escape


@pytest.mark.parametrize("columns", ["80", "100", "120"])
def test_help_keeps_names_whole(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    out = run_main("--help").out
    assert "imgur-\n" not in out and "name and version" in out


def test_a_lone_image_is_counted_as_one(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_image("LoNe123")
    imgur.add_album("AbC1234", count=1)
    result = run_main("-o", str(tmp_path), "imgur.com/LoNe123", "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "imgur-dl: 1 album, 1 image; files: 2 saved" in result.err


def test_a_finished_bar_ends_at_the_bytes_that_came() -> None:
    # A file that failed never brought its bytes: the bar ends at what came, as the summary says, not at what
    # the API said every file weighs.
    screen = io.StringIO()
    bar = Bar(screen, width=lambda: 100)
    bar.expect(files=3, size=300_000)
    bar.advance(200_000)
    bar.file_done(3)  # (one of them failed)
    bar.close()
    last = ANSI.sub("", re.split(r"[\r\n]+", screen.getvalue().strip())[-1])
    assert re.search(r"^3/3 files 100% \[#+\] 195\.3 KiB .*Time:", last), last
    cut = io.StringIO()  # (a run ended before all its files, by a full disk say: the bar stays where it was)
    early = Bar(cut, width=lambda: 100)
    early.expect(files=3, size=300_000)
    early.advance(100_000)
    early.file_done(1)
    early.close()
    assert re.search(r"^1/3 files  33% .* 97\.7 KiB ", ANSI.sub("", re.split(r"[\r\n]+", cut.getvalue().strip())[-1]))


@pytest.mark.parametrize(("seconds", "said"), [(1e10, "ETA:  --:--:--"), (31 * 86_400.0, "ETA:  --:--:--"),
                                               (29 * 86_400.0, "shown"), (59.0, "shown"), (None, "shown")])
def test_an_estimate_past_a_month_is_said_as_not_known(monkeypatch: pytest.MonkeyPatch, seconds: float | None,
                                                         said: str) -> None:
    # progressbar2's estimate from a window in which no byte came divides by a millionth of a byte: "ETA: 126227
    # days" flashed on a fast link between one file's end and the next one's first bytes.
    def estimated(_self: object, _progress: object, data: dict[str, object], *_: object) -> str:
        data["eta_seconds"] = seconds
        return "shown"

    monkeypatch.setattr(progressbar.AdaptiveETA, "__call__", estimated)
    assert _ETA()(None, {}) == said


def test_ctrl_c_leaves_no_bar_behind() -> None:
    screen = io.StringIO()
    bar = Bar(screen)
    bar.expect(files=4, size=800_000)
    bar.advance(120_000)
    bar.close(interrupted=True)  # (Run closes it so on Ctrl-C and SIGTERM)
    shown = screen.getvalue()
    last = ANSI.sub("", shown.rsplit("\n", 1)[-1].rsplit("\r", 1)[-1])
    assert "files" in shown  # the bar was there ...
    assert shown.endswith("\r\x1b[K") and last == ""  # ... and nothing of it is left for the summary's line
    finished = io.StringIO()
    done = Bar(finished)
    done.expect(files=1, size=10)
    done.close()
    assert finished.getvalue().endswith("\n")  # (a run that ends on its own keeps its last bar, finished)


def test_lines_said_before_the_bar_or_after_it_leave_it_alone() -> None:
    # A line over the bar clears the bar's line first; one before the bar is drawn, or after it is finished (what
    # the run says last: files it could not record, a scan's warnings), has no bar to clear: the finished bar stays.
    screen = io.StringIO()
    bar = Bar(screen)
    bar.note("imgur-dl: looking up 1 album...")
    assert screen.getvalue() == "imgur-dl: looking up 1 album...\n"
    bar.expect(files=1, size=10)
    bar.note("imgur-dl: i.imgur.com: HTTP 503; waiting 1.0s")
    assert "\r\x1b[K" + "imgur-dl: i.imgur.com: HTTP 503" in screen.getvalue()  # (over the bar)
    bar.advance(10)
    bar.file_done()
    bar.close()
    finished = screen.getvalue()
    bar.error("1 finished file could not be recorded in the download archive")
    assert screen.getvalue() == finished + "imgur-dl: error: 1 finished file could not be recorded in the download " \
                                           "archive\n"


@pytest.mark.parametrize(("columns", "parts"), [
    (120, ["123456/123456 files", "%", "[", "MiB", "/s", "0:00:0"]),
    (80, ["123456/123456 files", "%", "[", "MiB", "/s", "0:00:0"]),  # (the usual terminal: all of it)
    (60, ["123456/123456 files", "%", "[", "MiB", "/s"]),
    (40, ["123456/123456 files", "%", "["]),
    (24, ["123456/123456 files"]),
])
def test_the_bar_fits_its_terminal_and_keeps_what_matters_most(columns: int, parts: list[str]) -> None:
    # (parts: the files, the percentage, the bar, the bytes, the speed, the time (ETA, then the time taken).)
    # A line wider than the terminal wraps, and each redraw then leaves a line behind (a split tmux pane).
    screen = io.StringIO()
    widths = [200, columns]  # drawn first on a wide terminal, then resized: the next full redraw fits
    bar = Bar(screen, width=lambda: widths[0] if len(widths) == 1 else widths.pop(0))
    bar.expect(files=123_456, size=300 * 2**20)
    bar.advance(120 * 2**20)
    screen.seek(0)
    screen.truncate()
    bar.file_done(123_456)
    bar.close()
    drawn = [ANSI.sub("", segment) for segment in re.split(r"[\r\n]", screen.getvalue()) if "files" in segment]
    assert drawn, screen.getvalue()
    assert all(len(line.rstrip()) < columns for line in drawn), drawn  # (the last column left free)
    assert [part for part in ["123456/123456 files", "%", "[", "MiB", "/s", "0:00:0"] if part in drawn[-1]] == parts


def test_the_bar_of_a_rerun_counts_the_files_the_archive_has(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=3, size=40_000)
    archive = str(tmp_path / "seen.sqlite")
    assert run_main("--download-archive", archive, "-o", str(tmp_path / "one"), "imgur.com/a/AbC1234").code == 0
    rerun = run_main("--download-archive", archive, "-o", str(tmp_path / "two"), "imgur.com/a/AbC1234", tty=True)
    assert "0 saved, 3 skipped" in rerun.err, rerun
    drawn = [ANSI.sub("", line) for line in re.split(r"[\r\n]", rerun.err) if "3/3 files" in line]
    assert drawn and all(" 0%" not in line for line in drawn), rerun.err  # every file, and its bytes, counted


def test_the_bar_of_a_rerun_counts_the_bytes_already_there(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=3, size=40_000)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    rerun = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", tty=True)
    assert "3 skipped" in rerun.err
    drawn = [ANSI.sub("", line) for line in re.split(r"[\r\n]", rerun.err) if "3/3 files" in line]
    assert drawn and all(" 0%" not in line for line in drawn), drawn  # all there: not "3/3 files 0%"


@pytest.mark.parametrize(("size", "said"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
    (1024**2 - 1, "1.0 MiB"), (1024**2 - 52, "1023.9 KiB"),  # (what would show as 1024.0 is the next unit's 1.0)
    (1024**3 - 1, "1.0 GiB"), (5 * 1024**3, "5.0 GiB"), (3000 * 1024**3, "3000.0 GiB"),
])
def test_sizes_are_said_in_binary_units(size: int, said: str) -> None:
    assert human(size) == said


@pytest.mark.parametrize(("tally", "said"), [
    (Tally(albums=1, images=1, in_archive=1), "1 album, 1 image, 1 listed post already in the archive"),
    (Tally(albums=2, images=3, in_archive=4), "2 albums, 3 images, 4 listed posts already in the archive"),
    (Tally(), "0 albums"),
])
def test_the_summary_counts_in_words_that_agree_with_them(tally: Tally, said: str) -> None:
    assert summary(tally, 0, 0.0).startswith(f"imgur-dl: {said}; files: ")


@pytest.mark.parametrize(("count", "said"), [(0, "0 files"), (1, "1 file"), (2, "2 files"), (1, "1 HTTP body"),
                                             (7, "7 HTTP bodies")])
def test_counted(count: int, said: str) -> None:
    noun, plural = ("HTTP body", "HTTP bodies") if "HTTP" in said else ("file", None)
    assert counted(count, noun, plural) == said
