"""The launcher's children behave as imgur-dl started from nothing does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import command
from tests.launcher import Launcher


def test_a_forked_child_says_and_exits_as_the_installed_command(launcher: Launcher, tmp_path: Path) -> None:
    # A usage error: stderr and the exit code, from the folder and environment given.
    args = ["--workers", "0", "imgur.com/a/AbC1234"]
    real = subprocess.run([*command(), *args], capture_output=True, text=True, cwd=tmp_path, check=False,
                          stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "IMGUR_DL_OUTPUT": "x"})
    forked = launcher.spawn(args, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "IMGUR_DL_OUTPUT": "x"})
    out, err = forked.communicate(timeout=30)
    assert (forked.returncode, out, err) == (real.returncode, real.stdout, real.stderr)
    assert real.returncode == 2 and err.startswith("imgur-dl: error: argument -j/--workers")


def test_a_forked_child_takes_the_environment_and_folder_it_is_given(launcher: Launcher, tmp_path: Path) -> None:
    (tmp_path / "links.txt").write_text("https://example.com/x\n")  # read from the folder given
    forked = launcher.spawn(["-i", "links.txt"], text=True, cwd=tmp_path)
    assert forked.communicate(timeout=30) == ("", "imgur-dl: error: links.txt:1: not an Imgur URL: https://example.com/x\n")
    assert forked.returncode == 2
    forked = launcher.spawn(["-i", "links.txt"], text=True, cwd=tmp_path, env={"IMGUR_DL_WORKERS": "zero"})
    assert forked.communicate(timeout=30)[1] == "imgur-dl: error: IMGUR_DL_WORKERS: not a whole number: 'zero'\n"
