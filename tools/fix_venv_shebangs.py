"""Point every script in a venv's bin/ at that venv's own python.

A venv seeded by copying another one (some machines cache venvs) keeps the other venv's
interpreter in its script shebangs, so `airflow`, `mlflow`... would run the other venv.
Usage: python tools/fix_venv_shebangs.py .venv
"""

import sys
from pathlib import Path

venv = Path(sys.argv[1]).resolve()
python = venv / "bin" / "python"
fixed = 0
for script in (venv / "bin").iterdir():
    if not script.is_file() or script.is_symlink():
        continue
    with open(script, "rb") as fh:
        first = fh.readline()
    if not first.startswith(b"#!") or b"python" not in first:
        continue
    if first.strip() == b"#!" + str(python).encode():
        continue
    body = script.read_bytes()
    script.write_bytes(b"#!" + str(python).encode() + b"\n" + body[len(first) :])
    fixed += 1
if fixed:
    print(f"fixed the interpreter line of {fixed} scripts in {venv / 'bin'}")
