"""``manage import-dossiers FILE``: years of dossiers brought across, a batch at a time.

The file is read once to check it is UTF-8 and to count and hash it (the checkpoint's
key); then each batch of lines is validated and planned in memory
(:mod:`~services.intake.history.record`, :mod:`~services.intake.history.planner`) and
written with its checkpoint in one transaction (:mod:`~services.intake.history.writer`).
A refused line goes to the error file and changes nothing; the rest imports.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
from tqdm import tqdm

from motcua.crash_points import crash_point
from services.intake.auth import Principal
from services.intake.dossier.rules import IntakeRules
from services.intake.history.planner import plan
from services.intake.history.record import HistoryRecord, LineError, parse_line
from services.intake.history.writer import (
    Accepted,
    Checkpoint,
    Reference,
    calendar_in_force,
    imported_before,
    importer_principal,
    load_reference,
    open_checkpoint,
    save_checkpoint,
    write_batch,
)
from services.intake.settings import IntakeSettings

DEFAULT_BATCH = 1000
EXIT_REFUSED_LINES = 1
EXIT_UNREADABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="JSON Lines, one dossier a line")
    parser.add_argument(
        "--errors", type=Path, help="where refused lines go (default: FILE.errors.jsonl)"
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help="lines per transaction (default 1000)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


@dataclass(frozen=True)
class Scan:
    sha256: bytes
    lines: int


def scan(path: Path) -> Scan:
    """The file's digest and line count; ``UnicodeDecodeError`` when it is not UTF-8."""
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    lines, last = 0, b""
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            decoder.decode(chunk)
            lines += chunk.count(b"\n")
            last = chunk
    decoder.decode(b"", final=True)
    if last and not last.endswith(b"\n"):
        lines += 1
    return Scan(digest.digest(), lines)


@dataclass
class Batch:
    """One batch's lines as they are decided."""

    accepted: list[Accepted] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0


@dataclass
class Importer:
    """What every batch is decided with: the reference data, the rules, the principal."""

    reference: Reference
    rules: IntakeRules
    principal: Principal
    seen: dict[str, bytes] = field(default_factory=dict)
    """Codes accepted earlier in this run, with their record's digest."""

    def _accept(self, line: int, record: HistoryRecord, taken: dict[str, bytes | None]) -> Batch:
        digest, code = record.sha256(), record.dossier_code
        before = self.seen[code] if code in self.seen else taken.get(code, b"")
        if before == digest:
            return Batch(already=1)
        if before != b"":
            raise LineError("dossier_code", f"{code} is already taken by a different dossier")
        unit = self.reference.units.get(record.unit_code)
        if unit is None:
            raise LineError("unit_code", f"no unit has code {record.unit_code}")
        procedure = self.reference.procedures.get(record.procedure_code)
        if procedure is None:
            raise LineError("procedure_code", f"no procedure has code {record.procedure_code}")
        planned = plan(
            record, unit=unit, procedure=procedure, rules=self.rules, principal=self.principal
        )
        self.seen[code] = digest
        return Batch(accepted=[Accepted(planned, line, digest)])

    def decide(self, lines: list[tuple[int, str]], *, db_session: psycopg.Connection) -> Batch:
        """Each line accepted, already there, or refused with its reason."""
        batch, records = Batch(), []
        for number, text in lines:
            try:
                records.append((number, text, parse_line(text)))
            except LineError as exc:
                batch.errors.append(_error(number, exc, text))
        codes = [record.dossier_code for _, _, record in records]
        taken = imported_before(codes, db_session=db_session)
        for number, text, record in records:
            try:
                one = self._accept(number, record, taken)
            except LineError as exc:
                batch.errors.append(_error(number, exc, text))
                continue
            batch.accepted += one.accepted
            batch.already += one.already
        return batch


def _error(line: int, exc: LineError, text: str) -> dict[str, Any]:
    return {"line": line, "field": exc.field, "reason": exc.reason, "text": text}


def _numbered_lines(path: Path, skip: int) -> Iterator[tuple[int, str]]:
    """The file's non-blank lines after the first ``skip``, numbered from 1."""
    with path.open(encoding="utf-8") as stream:
        for number, text in enumerate(stream, start=1):
            if number > skip and text.strip():
                yield number, text.rstrip("\r\n")


def _batches(path: Path, skip: int, size: int) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Batches of ``size`` lines, each with the number of the last line it covers."""
    batch: list[tuple[int, str]] = []
    for number, text in _numbered_lines(path, skip):
        batch.append((number, text))
        if len(batch) == size:
            yield number, batch
            batch = []
    if batch:
        yield batch[-1][0], batch


def _error_file(path: Path, checkpoint: Checkpoint) -> IO[str]:
    """The error file, open for appending: a resumed run keeps the refusals of the lines
    its checkpoint covers and drops the rest (they are decided again)."""
    kept: list[str] = []
    if checkpoint.resumed and path.exists():
        with path.open(encoding="utf-8") as old:
            kept = [row for row in old if json.loads(row)["line"] <= checkpoint.lines_done]
    stream = path.open("w", encoding="utf-8")
    stream.writelines(kept)
    return stream


@dataclass(frozen=True)
class Options:
    path: Path
    errors: Path
    batch: int
    quiet: bool

    @classmethod
    def of(cls, args: argparse.Namespace) -> Options:
        errors = args.errors or args.file.with_name(args.file.name + ".errors.jsonl")
        return cls(args.file, errors, max(1, args.batch), args.quiet)


def _importer(conn: psycopg.Connection) -> Importer:
    settings = IntakeSettings()
    key = settings.applicant_ref_key
    rules = IntakeRules(
        calendar=calendar_in_force(db_session=conn),
        paper_cutoff=settings.paper_cutoff,
        applicant_ref_key=key.get_secret_value().encode() if key else None,
    )
    principal = importer_principal(db_session=conn)
    return Importer(load_reference(db_session=conn), rules, principal)


def _run(options: Options, scanned: Scan, conn: psycopg.Connection) -> Checkpoint:
    importer = _importer(conn)
    checkpoint = open_checkpoint(scanned.sha256, str(options.path), db_session=conn)
    conn.commit()
    bar = tqdm(
        total=scanned.lines,
        initial=checkpoint.lines_done,
        unit=" lines",
        file=sys.stderr,
        disable=options.quiet or not sys.stderr.isatty(),
    )
    with _error_file(options.errors, checkpoint) as errors, bar:
        for last, lines in _batches(options.path, checkpoint.lines_done, options.batch):
            batch = importer.decide(lines, db_session=conn)
            for error in batch.errors:
                errors.write(json.dumps(error, ensure_ascii=False) + "\n")
            errors.flush()
            checkpoint.imported += len(batch.accepted)
            checkpoint.already += batch.already
            checkpoint.refused += len(batch.errors)
            bar.update(last - checkpoint.lines_done)
            checkpoint.lines_done = last
            write_batch(batch.accepted, checkpoint, db_session=conn)
            crash_point("history-batch-written")  # the batch in the transaction, uncommitted
            conn.commit()
            crash_point("history-batch-committed")
        save_checkpoint(checkpoint, finished=True, db_session=conn)
        conn.commit()
    return checkpoint


def import_dossiers(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    """Import the file; 0 when every line imported or was there, 1 when some were
    refused, 2 when the file cannot be read at all (nothing written)."""
    options = Options.of(args)
    try:
        scanned = scan(options.path)
    except OSError as exc:
        print(f"cannot read {options.path}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    except UnicodeDecodeError as exc:
        print(f"{options.path} is not UTF-8 ({exc.reason}); nothing imported", file=sys.stderr)
        return EXIT_UNREADABLE
    started = time.monotonic()
    checkpoint = _run(options, scanned, conn)
    elapsed = max(time.monotonic() - started, 1e-9)
    resumed = f" (resumed after line {checkpoint.started_from})" if checkpoint.resumed else ""
    print(
        f"{checkpoint.imported} imported, {checkpoint.already} already there, "
        f"{checkpoint.refused} refused"
        + (f" (see {options.errors})" if checkpoint.refused else "")
        + f"; {(checkpoint.lines_done - checkpoint.started_from) / elapsed:.0f} lines/s, "
        f"{elapsed:.1f} s{resumed}"
    )
    return EXIT_REFUSED_LINES if checkpoint.refused else 0
