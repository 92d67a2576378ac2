"""``python -m imgur_dl``: the same program as the ``imgur-dl`` command."""

from imgur_dl.cli import run

if __name__ == "__main__":
    run()
