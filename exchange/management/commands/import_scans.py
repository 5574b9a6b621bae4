"""Import DEXA results from a CSV file: a dry run unless --commit is given."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from tqdm import tqdm

from exchange.csv_import.columns import DATE_FORMATS, ImportFileError
from exchange.csv_import.plan import ImportPlan, rejects_csv
from exchange.csv_import.reading import decode
from exchange.csv_import.writing import import_commit, import_preview
from patients.access import is_clinician


class Command(BaseCommand):
    help = (
        "Check a CSV file of DEXA results (one row per site measurement) against the clinic and "
        "print what an import would do. Nothing is written unless --commit is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, comma or semicolon).")
        parser.add_argument(
            "--date-format",
            choices=sorted(DATE_FORMATS),
            default="iso",
            help="iso: YYYY-MM-DD (default); dmy: DD/MM/YYYY.",
        )
        parser.add_argument(
            "--commit", action="store_true", help="Write the new records (one transaction)."
        )
        parser.add_argument(
            "--past-results",
            metavar="USERNAME",
            help="The file holds past results already reported to the patients: import them "
            "as released (or as the file's status column says), recorded as decided by this "
            "clinician. Without it, new scans are drafts to be reviewed and released.",
        )
        parser.add_argument(
            "--rejects", metavar="PATH", help="Write the rejected rows, with an error column."
        )
        parser.add_argument(
            "--checked-rows",
            metavar="N,N",
            default="",
            help="Rows flagged by the plausibility checks that were checked against the report; "
            "other flagged rows are not imported.",
        )

    def handle(self, *args, file, date_format, commit, rejects, past_results, **options):
        self.bars = {}
        path = Path(file)
        decider = self.clinician(past_results) if past_results else None
        try:
            ticked = {int(n) for n in options["checked_rows"].split(",") if n.strip()}
        except ValueError:
            raise CommandError("--checked-rows takes row numbers: 3,5,12.") from None
        try:
            text = decode(path.read_bytes())
            if commit:
                plan = import_commit(
                    text=text,
                    date_format=date_format,
                    source=path.name,
                    ticked=ticked,
                    progress=self.progress,
                    user=decider,
                    past_results=decider is not None,
                )
            else:
                plan = import_preview(
                    text=text,
                    date_format=date_format,
                    keep_status=decider is not None,
                    progress=self.progress,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        except IntegrityError:
            raise CommandError(
                "The same records changed while the import ran; nothing was imported. Run again."
            ) from None
        self.report(plan, committed=commit, past=decider is not None)
        if rejects:
            Path(rejects).write_text(rejects_csv(plan), encoding="utf-8")
            self.stdout.write(f"Rejected rows written to {rejects}.")

    def clinician(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not is_clinician(user):
            raise CommandError(
                f"--past-results needs the username of an active clinician; {username!r} is not."
            )
        return user

    def progress(self, stage: str, done: int, total: int) -> None:
        # One bar per stage (rows read, checked, written), redrawn in place on a terminal.
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total,
                desc=f"  {stage:<7}",
                bar_format="{desc} {percentage:3.0f}% |{bar:30}| {n_fmt} of {total_fmt} rows "
                "[{elapsed}]",
                # The command's own stream: call_command(stdout=...) captures the bars too.
                file=self.stdout._out,
                mininterval=0.2,
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def report(self, plan: ImportPlan, *, committed: bool, past: bool = False) -> None:
        counts = plan.counts
        verb = "Imported" if committed else "Dry run — would import"
        self.stdout.write(
            f"{verb}: {counts.new_patients:,} new patients, {counts.new_devices:,} new scanners, "
            f"{counts.new_scans:,} new scans ({'released' if past else 'drafts'}), "
            f"{counts.new_measurements:,} new "
            "measurements."
        )
        self.stdout.write(
            f"Unchanged (skipped): {counts.unchanged:,}. Conflicts (not applied): "
            f"{counts.conflicts:,}. Errors: {counts.errors:,}. Rows: {counts.rows:,}."
        )
        if plan.parsed.header.ignored:
            self.stdout.write(f"Columns ignored: {', '.join(plan.parsed.header.ignored)}.")
        for row in plan.problems:
            for column, message in row.errors:
                self.stdout.write(f"Row {row.number} ({row.status}) {column}: {message}")
        for row in plan.flagged:
            for warning in row.warnings:
                self.stdout.write(f"Row {row.number} (flagged) {warning}")
        if plan.flagged:
            self.stdout.write(
                f"Flagged: {counts.flagged:,} rows, imported only when named in --checked-rows"
                + (f"; {counts.held_back:,} left out." if committed else ".")
            )
        if not committed:
            self.stdout.write("Nothing was written. Run again with --commit to import.")
