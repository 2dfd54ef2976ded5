"""``python -m motcua.identity generate-keys PRIVATE_PEM PUBLIC_PEM``: the Ed25519 pair of
officers' sign-in tokens, made once (an existing pair is kept)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from motcua.identity import write_keypair


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua.identity")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate-keys", help="make the signing key pair")
    generate.add_argument("private_pem", type=Path, help="for the sign-in service only")
    generate.add_argument("public_pem", type=Path, help="for every service that checks tokens")
    args = parser.parse_args(argv)
    write_keypair(args.private_pem, args.public_pem)
    print(f"signing key {args.private_pem}, public key {args.public_pem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
