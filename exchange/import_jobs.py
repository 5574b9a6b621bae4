"""Imports run as tasks: the upload is stored, and a worker runs the dry run and the import.

A 90,000-row file takes minutes, longer than a proxy waits for one request; so the upload only
stores the file and enqueues its check, and the page follows the task's progress. The import
reads and checks the file again outside any transaction, so its progress shows, then writes
every new record in one transaction: a failure or a killed worker leaves nothing written.
"""

import zlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from scans.models import ImportJob, ImportStage

from .csv_import.columns import ImportFileError
from .csv_import.plan import ImportPlan, rejects_csv
from .csv_import.writing import import_commit, import_preview

# The page lists this many rejected rows; the rejected-rows file holds all of them.
PROBLEMS_KEPT = 1000
PROGRESS_FIELDS = {"read": "rows_read", "checked": "rows_checked", "written": "rows_written"}
RACE = (
    "The same records changed while the import ran, so nothing was imported. "
    "Upload the file again to check it against the clinic as it is now."
)


def pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def unpack(data) -> str:
    return zlib.decompress(bytes(data)).decode("utf-8")


@dataclass(frozen=True)
class Problem:
    number: int
    status: str
    errors: list[tuple[str, str]]


def problems_of(job: ImportJob) -> list[Problem]:
    return [
        Problem(row["number"], row["status"], [tuple(error) for error in row["errors"]])
        for row in job.problems
    ]


def import_job_create(
    *, text: str, filename: str, size: int, date_format: str, user, options=None
) -> ImportJob:
    """Store an uploaded file and enqueue its dry run; `options`, the importer's keyword options
    chosen on upload (JSON values), apply to the dry run and the import."""
    from .tasks import check_import

    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=user,
            filename=filename[:200],
            size=size,
            date_format=date_format,
            data=pack(text),
            options={"preview": options or {}},
            stage=ImportStage.CHECKING,
        )
        job.task_id = check_import.enqueue(job_id=job.pk).id
        job.save(update_fields=["task_id"])
    return job


def import_job_confirm(*, job: ImportJob, user, options=None) -> bool:
    """Enqueue the import of a checked file; False if it is no longer waiting for that.

    `options`: the importer's keyword options chosen on confirming (JSON values).
    """
    from .tasks import run_import

    with transaction.atomic():
        taken = ImportJob.objects.filter(pk=job.pk, stage=ImportStage.CHECKED).update(
            stage=ImportStage.IMPORTING,
            step="",
            options={**job.options, "commit": options or {}},
            confirmed_by=user,
            confirmed_at=timezone.now(),
            rows_read=0,
            rows_checked=0,
            rows_written=0,
        )
        if not taken:
            return False
        task_id = run_import.enqueue(job_id=job.pk).id
        ImportJob.objects.filter(pk=job.pk).update(task_id=task_id)
    return True


def past_results(job: ImportJob) -> bool:
    """Whether the clinician who confirmed the import chose "past results already reported"."""
    return bool(job.options.get("commit", {}).get("past_results"))


def import_job_discard(*, job: ImportJob) -> bool:
    """Forget a file that was checked (or stopped) and not imported."""
    return bool(
        ImportJob.objects.filter(
            pk=job.pk, stage__in=[ImportStage.CHECKED, ImportStage.FAILED]
        ).update(stage=ImportStage.DISCARDED, data=b"", rejects=b"")
    )


def task_failure(job: ImportJob) -> str:
    """Why the task of a job still marked running failed (its worker stopped), or ""."""
    if job.stage not in (ImportStage.CHECKING, ImportStage.IMPORTING) or not job.task_id:
        return ""
    result = DBTaskResult.objects.filter(pk=job.task_id).only("status", "traceback").first()
    if result is None or result.status != TaskResultStatus.FAILED:
        return ""
    lines = [line for line in result.traceback.strip().splitlines() if line.strip()]
    return lines[-1].split(": ", 1)[-1] if lines else "The task failed."


def task_state(job: ImportJob) -> str:
    """READY (waiting for a worker), RUNNING, or another of the task's states."""
    result = DBTaskResult.objects.filter(pk=job.task_id).only("status").first()
    return result.status if result is not None else ""


def percent_done(job: ImportJob) -> int:
    """How far the running task is: reading and checking, then (an import) the writing."""
    if not job.rows_total:
        return 0
    share = (job.rows_read + job.rows_checked) / (2 * job.rows_total)
    if job.stage == ImportStage.IMPORTING:
        return 95 if job.step == "writing" else int(90 * share)
    return int(100 * share)


class _Progress:
    """Writes the importer's progress on the job as it goes (autocommit: the page sees it)."""

    def __init__(self, job: ImportJob):
        self.job = job

    def __call__(self, stage: str, done: int, total: int) -> None:
        field = PROGRESS_FIELDS[stage]
        ImportJob.objects.filter(pk=self.job.pk).update(
            **{field: done}, rows_total=total, step=stage
        )


def _fail(job: ImportJob, error: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        stage=ImportStage.FAILED, error=error, finished_at=timezone.now()
    )


def _keep_plan(job: ImportJob, plan: ImportPlan, **fields) -> None:
    problems = plan.problems
    ImportJob.objects.filter(pk=job.pk).update(
        counts=plan.counts.as_dict(),
        problems=[
            {"number": row.number, "status": row.status, "errors": row.errors}
            for row in problems[:PROBLEMS_KEPT]
        ],
        problems_total=len(problems),
        flagged=[
            {
                "number": row.number,
                "mrn": row.values.mrn,
                "scan_date": row.values.scan_date.isoformat(),
                "site": row.values.site,
                "side": row.values.side,
                "bmd": str(row.values.bmd),
                "t_score": str(row.values.t_score),
                "warnings": row.warnings,
                "checked_by": row.values.checked_by if row.values.checked_warnings else "",
            }
            for row in plan.flagged[:PROBLEMS_KEPT]
        ],
        rejects=pack(rejects_csv(plan)) if problems else b"",
        blank_rows=plan.parsed.lines - plan.parsed.total,
        ignored_columns=list(plan.parsed.header.ignored),
        rows_total=plan.parsed.total,
        finished_at=timezone.now(),
        **fields,
    )


def _preview(job: ImportJob, text: str, **options) -> ImportPlan:
    # job.options["preview"]: the importer's keyword options chosen on upload (both runs);
    # job.options["commit"]: those chosen on confirming (the import only).
    return import_preview(
        text=text,
        date_format=job.date_format,
        progress=_Progress(job),
        **job.options.get("preview", {}),
        **options,
    )


def import_job_check(*, job_id: int) -> str:
    """The dry run of a stored file: what an import would do now. Writes no clinical record."""
    job = ImportJob.objects.get(pk=job_id)
    if job.stage != ImportStage.CHECKING:
        return f"Import {job_id} is {job.get_stage_display().lower()}: nothing to check."
    try:
        plan = _preview(job, unpack(job.data))
    except ImportFileError as error:
        _fail(job, str(error))
        raise
    except Exception as error:
        _fail(job, f"The check stopped on an unexpected error ({type(error).__name__}).")
        raise
    _keep_plan(job, plan, stage=ImportStage.CHECKED, step="checked")
    return f"{plan.counts.new_measurements} new measurements, {len(plan.problems)} rejected rows."


def import_job_run(*, job_id: int) -> str:
    """The import of a confirmed file: all its new records in one transaction, or none."""
    job = ImportJob.objects.get(pk=job_id)
    if job.stage != ImportStage.IMPORTING:
        return f"Import {job_id} is {job.get_stage_display().lower()}: nothing to import."
    text = unpack(job.data)
    try:
        # Past results keep the file's status column (an export's drafts stay drafts).
        past = bool(job.options.get("commit", {}).get("past_results"))
        plan = _preview(job, text, keep_status=past)
        ImportJob.objects.filter(pk=job.pk).update(step="writing")
        plan = import_commit(
            text=text,
            date_format=job.date_format,
            user=job.confirmed_by,
            source=job.filename,
            progress=_Progress(job),
            plan=plan,
            **job.options.get("preview", {}),
            **job.options.get("commit", {}),
        )
    except IntegrityError:
        _fail(job, RACE)
        raise
    except ImportFileError as error:
        _fail(job, str(error))
        raise
    except Exception as error:
        _fail(job, f"The import stopped on an unexpected error ({type(error).__name__}).")
        raise
    written = plan.counts.new_measurements
    _keep_plan(job, plan, stage=ImportStage.IMPORTED, step="written", rows_written=written)
    return f"Imported {written} measurements."
