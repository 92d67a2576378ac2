"""Print the README's set-up command named by argv[1] ('run' or 'test'), exactly as written.

The command is the first ```sh block after the line ``<!-- quickstart:NAME -->``,
so what CI runs is what a newcomer pastes.
"""

import sys
from pathlib import Path

name = sys.argv[1]
lines = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").splitlines()
start = lines.index(f"<!-- quickstart:{name} -->")
begin = next(n for n in range(start, len(lines)) if lines[n].strip() == "```sh") + 1
end = next(n for n in range(begin, len(lines)) if lines[n].strip() == "```")
print("\n".join(lines[begin:end]))
