"""The `samad-ivr` command line.

samad-ivr serve                      everything in one process (FastAGI, jobs)
samad-ivr migrate                    apply database migrations and exit
samad-ivr call --from 09181234567    place a test call through AMI
samad-ivr seed-demo                  a demo center with an official on duty now
samad-ivr prompts                    regenerate recordings/fa from the manifest
samad-ivr user add --username U --role R [--center CODE]   a web console account
samad-ivr center add --code C --name N [--duty 09:00-11:00]  a province's center
samad-ivr models check DIR           validate a vosk model directory and say what it is
samad-ivr transcribe FILE            print the transcript of one recording
samad-ivr transcribe --status        transcription backlog, throughput and failures
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from samad_ivr.logs import configure_logging
from samad_ivr.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="samad-ivr", description=__doc__.split("\n")[0])
    parser.add_argument("--log-level", default=os.environ.get("SAMAD_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the hotline service")
    commands.add_parser("migrate", help="apply database migrations")
    call = commands.add_parser("call", help="place a test call through AMI")
    call.add_argument("--from", dest="caller", required=True, help="caller number, e.g. 0918...")
    call.add_argument("--audio", help="an audio file the caller plays (any format ffmpeg reads)")
    call.add_argument("--to", default="111", help="the number dialled (default 111)")
    commands.add_parser("seed-demo", help="create a demo center with an official on duty now")
    prompts = commands.add_parser("prompts", help="regenerate the Persian prompts")
    prompts.add_argument("--only-missing", action="store_true")
    user = commands.add_parser(
        "user",
        help="console users: user add --username U --role R [--center CODE] [--full-name N]",
    )
    user.add_argument("action", choices=["add"])
    center = commands.add_parser(
        "center", help="province centers: center add --code C --name N [--duty 09:00-11:00]"
    )
    center.add_argument("action", choices=["add"])
    models = commands.add_parser("models", help="models check DIR: validate a vosk model")
    models.add_argument("action", choices=["check"])
    models.add_argument("directory", type=Path)
    transcribe = commands.add_parser("transcribe", help="transcribe FILE, or --status")
    transcribe.add_argument("file", nargs="?", type=Path)
    transcribe.add_argument("--model", type=Path, help="model directory (default SAMAD_VOSK_MODEL)")
    transcribe.add_argument("--status", action="store_true", help="backlog and throughput")
    # `user add` parses its own options (samad_ivr.accounts_cli).
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("user", "center"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    configure_logging(args.log_level)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(f"samad-ivr: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from samad_ivr import app
        from samad_ivr.startup_checks import UnsafeStartup, check_startup

        try:
            check_startup(settings)
        except UnsafeStartup as exc:
            print(f"samad-ivr: {exc}", file=sys.stderr)
            return 2
        asyncio.run(app.serve(settings))
        return 0
    if args.command == "migrate":
        from samad_ivr.cli import migrate

        return asyncio.run(migrate(settings))
    if args.command == "call":
        from samad_ivr.cli import place_call

        return asyncio.run(place_call(settings, args.caller, args.audio, args.to))
    if args.command == "seed-demo":
        from samad_ivr.demo import seed_demo

        return asyncio.run(seed_demo(settings))
    if args.command == "user":
        from samad_ivr.accounts_cli import user_add

        return asyncio.run(user_add(settings, extra))
    if args.command == "center":
        from samad_ivr.centers_cli import center_add

        return asyncio.run(center_add(settings, extra))
    if args.command == "models":
        from samad_ivr.transcription.commands import models_check

        return models_check(args.directory)
    if args.command == "transcribe":
        from samad_ivr.transcription.commands import run_status, transcribe_file

        if args.status:
            return run_status(settings)
        if args.file is None:
            parser.error("transcribe needs a FILE or --status")
        return transcribe_file(settings, args.file, args.model)
    if args.command == "prompts":
        from samad_ivr.audio.prompts import main as prompts_main

        return prompts_main(["--only-missing"] if args.only_missing else [])
    return 2


if __name__ == "__main__":
    sys.exit(main())
