"""The clinician's worklist: what needs doing, section by section, each row saying why.

Every section is one count query and one query for its first rows, whatever the size of the
clinic, each served by an index made for its filter and order, so the page stays fast with tens
of thousands of patients.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet

from liaison import worklist as liaison_worklist
from patients.models import Fracture, FractureSite, Mechanism, SecureMessage, SymptomReport
from scans.models import DexaScan, PatientStatus, ScanStatus

ROWS_PER_SECTION = 25
# The guide (docs/clinical-rules.md §11): the acute phase of a compression fracture lasts 6–8 weeks,
# after which gentle rehabilitation starts. Past 8 weeks a rehabilitation review is due; after 16
# weeks the fracture leaves the worklist.
ACUTE_DAYS = 56
REHAB_REVIEW_UNTIL_DAYS = 112


@dataclass
class Section:
    key: str
    title: str
    count: int
    rows: list = field(default_factory=list)
    more_url: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


def _section(key: str, title: str, queryset: QuerySet, describe) -> Section:
    rows = [describe(item) for item in queryset[:ROWS_PER_SECTION]]
    return Section(key=key, title=title, count=queryset.count(), rows=rows)


def vertebral_phase(fracture: Fracture, today: datetime.date) -> str:
    """Where a recent vertebral fracture stands (docs/clinical-rules.md §11.2), in words."""
    days = (today - fracture.date).days
    if days <= ACUTE_DAYS:
        brace = " (brace prescribed)" if fracture.brace else ""
        return f"week {days // 7 + 1} of the acute phase{brace}"
    return f"acute phase over ({days // 7} weeks); review for gentle rehabilitation"


def recent_vertebral(today: datetime.date) -> QuerySet:
    """Vertebral fractures, not high-trauma, within their acute phase or rehabilitation review."""
    return _vertebral(today, 0, REHAB_REVIEW_UNTIL_DAYS)


def _vertebral(today: datetime.date, newest: int, oldest: int) -> QuerySet:
    return (
        Fracture.objects.valid()
        .filter(site=FractureSite.VERTEBRAL)
        .exclude(mechanism=Mechanism.HIGH_TRAUMA)
        .filter(
            date__gte=today - datetime.timedelta(days=oldest),
            date__lte=today - datetime.timedelta(days=newest),
        )
        .select_related("patient")
        .order_by("date", "pk")
    )


def build(today: datetime.date) -> list[Section]:
    """Every worklist section for `today`."""
    red_flags = (
        SymptomReport.objects.unacknowledged_red_flags()
        .select_related("patient")
        .most_urgent_first()
    )
    unreleased = (
        DexaScan.objects.valid()
        .exclude(status=ScanStatus.RELEASED)
        .select_related("patient", "device")
        .order_by("date", "pk")
    )
    statuses = PatientStatus.objects.select_related("patient")
    loss = statuses.filter(significant_loss=True).order_by("-latest_scan_date", "pk")
    untreated = statuses.filter(treatment_indicated=True, on_treatment=False).order_by(
        "-latest_scan_date", "pk"
    )
    review = statuses.filter(review_response=True).order_by("-latest_scan_date", "pk")
    overdue = statuses.filter(next_due__lt=today).order_by("next_due", "pk")

    unread_messages = SecureMessage.objects.open().filter(read_at__isnull=True).count()

    return [
        _section(
            "red_flags",
            "Red-flag symptoms not yet acknowledged, most urgent first",
            red_flags,
            lambda r: {
                "patient": r.patient,
                "object": r,
                "why": f"{r.reported_at:%Y-%m-%d}: "
                + ", ".join(r.red_flag_labels)
                + f" (pain {r.pain}/10)",
            },
        ),
        _section(
            "messages",
            f"Messages from patients not yet done ({unread_messages} unread)",
            SecureMessage.objects.open().select_related("patient").order_by("sent_at", "pk"),
            lambda m: {
                "patient": m.patient,
                "object": m,
                "why": f"{m.sent_at:%Y-%m-%d %H:%M}: “{m.subject}”"
                + (" (unread)" if m.read_at is None else " (read, not yet done)"),
            },
        ),
        _section(
            "unreleased",
            "Scans awaiting review or release",
            unreleased,
            lambda s: {
                "patient": s.patient,
                "object": s,
                "why": f"Scan of {s.date:%Y-%m-%d} is {s.get_status_display().lower()}"
                + (
                    f"; held from timed release: {s.release_held_reason}"
                    if s.release_held_at
                    else ""
                ),
            },
        ),
        _section(
            "loss",
            "Significant BMD loss on the latest scan",
            loss,
            lambda st: {"patient": st.patient, "object": st, "why": st.loss_summary},
        ),
        _section(
            "acute",
            "Vertebral fractures in their first 8 weeks",
            _vertebral(today, 0, ACUTE_DAYS),
            lambda f: {
                "patient": f.patient,
                "object": f,
                "why": f"{f.site_label} fracture {f.date_display}: " + vertebral_phase(f, today),
            },
        ),
        _section(
            "rehab",
            "Vertebral fractures due for rehabilitation review",
            _vertebral(today, ACUTE_DAYS + 1, REHAB_REVIEW_UNTIL_DAYS),
            lambda f: {
                "patient": f.patient,
                "object": f,
                "why": f"{f.site_label} fracture {f.date_display}: " + vertebral_phase(f, today),
            },
        ),
        _section(
            "untreated",
            "Treatment threshold met, no treatment recorded",
            untreated,
            lambda st: {"patient": st.patient, "object": st, "why": st.treatment_reasons},
        ),
        _section(
            "response",
            "Review treatment response (IOF criteria, use with care)",
            review,
            lambda st: {"patient": st.patient, "object": st, "why": st.response_reasons},
        ),
        _section(
            "liaison",
            "Fracture liaison steps due or late",
            liaison_worklist.due_episodes(today),
            lambda e: {"patient": e.patient, "object": e, "why": liaison_worklist.why(e, today)},
        ),
        _section(
            "overdue",
            "Scans overdue",
            overdue,
            lambda st: {
                "patient": st.patient,
                "object": st,
                "why": f"Next scan was due {st.next_due:%Y-%m-%d} "
                f"(last scan {st.latest_scan_date:%Y-%m-%d})",
            },
        ),
    ]
