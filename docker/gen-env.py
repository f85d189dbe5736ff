#!/usr/bin/env python3
"""Print a docker-compose ``.env`` built from ``.env.example`` with fresh random secrets.

Every ``change-me`` value becomes 32 random letters and digits (secrets sit inside
connection URLs and command lines); ``AIRFLOW__CORE__FERNET_KEY`` becomes a valid Fernet key. Comments and
every other value are kept, so the result documents itself like ``.env.example``.

    (umask 077; docker/gen-env.py > .env)

Standard library only: runs with any Python 3 before anything is installed.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import string
import sys
from pathlib import Path

PLACEHOLDER = "change-me"
FERNET_VARIABLE = "AIRFLOW__CORE__FERNET_KEY"
ALPHABET = string.ascii_letters + string.digits


def fernet_key() -> str:
    """A Fernet key: 32 random bytes, URL-safe base64 (as ``Fernet.generate_key()``)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def secret(length: int = 32) -> str:
    """Random letters and digits: safe inside URLs and never read as a command-line option."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def render(example: str) -> str:
    """``example`` with each placeholder value replaced by a fresh secret."""
    out = []
    for line in example.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == PLACEHOLDER:
            value = fernet_key() if name.strip() == FERNET_VARIABLE else secret()
            line = f"{name}={value}"
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "example",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parents[1] / ".env.example",
        help="template to fill (default: the repository's .env.example)",
    )
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.example.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
