"""Scanners, DEXA scans and the measurements of each skeletal site."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from patients.authorship import AuthoredHistory
from patients.models import EnteredInError, EnteredInErrorQuerySet, Patient
from patients.validators import visible_characters


class Manufacturer(models.TextChoices):
    HOLOGIC = "hologic", "Hologic"
    GE_LUNAR = "ge_lunar", "GE Lunar"
    NORLAND = "norland", "Norland"
    OTHER = "other", "Other"


class Site(models.TextChoices):
    # The codes are those of scans.rules.basics.Site.
    LUMBAR_SPINE = "lumbar_spine", "Lumbar spine L1–L4"
    FEMORAL_NECK = "femoral_neck", "Femoral neck"
    TOTAL_HIP = "total_hip", "Total hip"
    RADIUS_33 = "radius_33", "33% radius"


class Side(models.TextChoices):
    NONE = "", "—"
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class Device(models.Model):
    manufacturer = models.CharField(max_length=10, choices=Manufacturer.choices)
    model = models.CharField(
        max_length=100,
        blank=True,
        help_text="For example: Horizon A.",
        validators=[visible_characters],
    )
    serial = models.CharField("serial number", max_length=100, validators=[visible_characters])
    location = models.CharField(max_length=100, blank=True, validators=[visible_characters])
    moved_on = models.DateField(
        "moved or reinstalled on",
        null=True,
        blank=True,
        help_text="YYYY-MM-DD, when the scanner was last moved or reinstalled. A move needs a new "
        "precision study (ISCD): studies from before it no longer set the LSC of later scans.",
    )
    active = models.BooleanField(default=True, help_text="Untick when the scanner is retired.")
    # The version an edit form opened (patients.concurrency).
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    class Meta:
        ordering = ["manufacturer", "model", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "serial"], name="device_manufacturer_serial_unique"
            ),
            models.CheckConstraint(condition=~models.Q(serial=""), name="device_serial_set"),
        ]

    def __str__(self):
        name = " ".join(part for part in (self.get_manufacturer_display(), self.model) if part)
        return f"{name} #{self.serial}" + (f" ({self.location})" if self.location else "")

    def get_absolute_url(self):
        return reverse("scans:device_detail", kwargs={"pk": self.pk})


class ScanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEWED = "reviewed", "Reviewed"
    RELEASED = "released", "Released to portal"


class DexaScanQuerySet(EnteredInErrorQuerySet):
    def for_patient(self, patient):
        return self.valid().filter(patient=patient)

    def released(self):
        return self.valid().filter(status=ScanStatus.RELEASED)


class DexaScan(EnteredInError):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="scans")
    date = models.DateField("scan date")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="scans")
    operator = models.CharField(
        max_length=100, blank=True, help_text="Technologist.", validators=[visible_characters]
    )
    reference_database = models.CharField(
        max_length=200,
        blank=True,
        help_text="The scanner's reference database, e.g. NHANES III (hip), manufacturer (spine).",
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.DRAFT)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reported_before_import = models.BooleanField(
        "imported as a result already reported",
        default=False,
        help_text="Imported from a file of past results that had been reported to the patient "
        "before: released on import by the clinician who chose so (reviewed by, reviewed at).",
    )
    patient_note = models.TextField(
        "note for the patient",
        blank=True,
        help_text="Shown to the patient beside this result in the portal.",
    )
    # docs/clinical-rules.md §13: a result that failed a plausibility check is stored only once
    # someone has checked it against the printed report; who, when and which warnings stay here.
    # The name is kept as text, so the record says who it was even after the account is gone
    # and in another clinic's database after an export.
    # docs/clinical-rules.md §16.1: when the results became final (entered or last corrected),
    # from which the clinic's release rule counts; and a clinician's hold on a timed release.
    final_at = models.DateTimeField("results final at", null=True, blank=True)
    release_held_reason = models.CharField("release held because", max_length=300, blank=True)
    release_held_by = models.CharField("release held by", max_length=150, blank=True)
    release_held_at = models.DateTimeField("release held at", null=True, blank=True)
    checked_warnings = models.JSONField(
        "warnings checked against the report", default=list, blank=True
    )
    checked_by = models.CharField("checked by", max_length=150, blank=True)
    checked_at = models.DateTimeField("checked at", null=True, blank=True)
    # A corrected result received for a scan already released is a draft of its own; releasing
    # it marks the released one entered in error (docs/clinical-rules.md §14).
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="The released scan this draft corrects.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = DexaScanQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "DEXA scan"
        constraints = [
            # A scan marked in error may be re-entered correctly for the same day; a correction
            # waits beside the released scan it corrects until it is released in its place.
            models.UniqueConstraint(
                fields=["patient", "device", "date"],
                condition=models.Q(entered_in_error=False, corrects__isnull=True),
                name="scan_one_per_patient_device_day",
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=models.Q(entered_in_error=False, corrects__isnull=False),
                name="scan_one_correction_at_a_time",
            ),
        ]
        indexes = [
            # The worklist's scans awaiting review or release, oldest first: few among many.
            models.Index(
                fields=["date", "id"],
                condition=models.Q(entered_in_error=False) & ~models.Q(status=ScanStatus.RELEASED),
                name="scan_unreleased_by_date",
            ),
        ]

    def __str__(self):
        return f"DEXA {self.date:%Y-%m-%d} ({self.device})"

    def get_absolute_url(self):
        return reverse("scans:scan_detail", kwargs={"pk": self.pk})

    @property
    def is_released(self) -> bool:
        return self.status == ScanStatus.RELEASED


BMD_MIN, BMD_MAX = "0.100", "2.500"
SCORE_MIN, SCORE_MAX = "-8.0", "6.0"
# Bone mineral content (g) and projected area (cm²), as vendor reports print them.
BMC_MIN, BMC_MAX = "0.01", "999.99"
AREA_MIN, AREA_MAX = "0.01", "999.99"


def _bmc_field():
    return models.DecimalField(
        "BMC (g)", max_digits=5, decimal_places=2, null=True, blank=True, help_text="Optional."
    )


def _area_field():
    return models.DecimalField(
        "area (cm²)", max_digits=5, decimal_places=2, null=True, blank=True, help_text="Optional."
    )


def _bmc_area_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(
            condition=models.Q(bmc__isnull=True) | models.Q(bmc__gte=BMC_MIN, bmc__lte=BMC_MAX),
            name=f"{prefix}_bmc_range",
        ),
        models.CheckConstraint(
            condition=models.Q(area__isnull=True)
            | models.Q(area__gte=AREA_MIN, area__lte=AREA_MAX),
            name=f"{prefix}_area_range",
        ),
    ]


class SiteMeasurement(models.Model):
    scan = models.ForeignKey(DexaScan, on_delete=models.CASCADE, related_name="measurements")
    site = models.CharField(max_length=12, choices=Site.choices)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True, default=Side.NONE)
    vertebrae = models.CharField(
        "vertebrae used",
        max_length=20,
        blank=True,
        help_text="Lumbar spine only: e.g. L1-L4, or L1,L2,L4 when one was excluded (ISCD: "
        "exclude a clearly abnormal vertebra or one more than 1.0 T-score from its neighbour; "
        "at least two must remain).",
    )
    bmd = models.DecimalField("BMD (g/cm²)", max_digits=4, decimal_places=3)
    t_score = models.DecimalField("T-score", max_digits=3, decimal_places=1)
    z_score = models.DecimalField("Z-score", max_digits=3, decimal_places=1, null=True, blank=True)
    bmc = _bmc_field()
    area = _area_field()
    history = HistoricalRecords(bases=[AuthoredHistory])

    class Meta:
        ordering = ["scan", "site", "side"]
        constraints = [
            *_bmc_area_constraints("measurement"),
            models.UniqueConstraint(
                fields=["scan", "site", "side"], name="measurement_one_per_scan_site_side"
            ),
            models.CheckConstraint(
                condition=models.Q(bmd__gte=BMD_MIN, bmd__lte=BMD_MAX),
                name="measurement_bmd_range",
            ),
            models.CheckConstraint(
                condition=models.Q(t_score__gte=SCORE_MIN, t_score__lte=SCORE_MAX),
                name="measurement_t_score_range",
            ),
            models.CheckConstraint(
                condition=models.Q(z_score__isnull=True)
                | models.Q(z_score__gte=SCORE_MIN, z_score__lte=SCORE_MAX),
                name="measurement_z_score_range",
            ),
            # The spine has no side; hip and radius sites always do.
            models.CheckConstraint(
                condition=models.Q(site=Site.LUMBAR_SPINE, side="")
                | (~models.Q(site=Site.LUMBAR_SPINE) & models.Q(side__in=["left", "right"])),
                name="measurement_side_fits_site",
            ),
        ]

    def __str__(self):
        return f"{self.site_label}: BMD {self.bmd} g/cm², T {self.t_score}"

    @property
    def site_label(self) -> str:
        label = self.get_site_display()
        return f"{label} ({self.get_side_display().lower()})" if self.side else label


class Vertebra(models.IntegerChoices):
    L1 = 1, "L1"
    L2 = 2, "L2"
    L3 = 3, "L3"
    L4 = 4, "L4"


class VertebraMeasurement(models.Model):
    """One lumbar vertebra of a scan's spine result, as the scanner reports it."""

    scan = models.ForeignKey(DexaScan, on_delete=models.CASCADE, related_name="vertebrae")
    level = models.PositiveSmallIntegerField(choices=Vertebra.choices)
    bmd = models.DecimalField("BMD (g/cm²)", max_digits=4, decimal_places=3)
    t_score = models.DecimalField("T-score", max_digits=3, decimal_places=1)
    bmc = _bmc_field()
    area = _area_field()
    history = HistoricalRecords(bases=[AuthoredHistory])

    class Meta:
        ordering = ["scan", "level"]
        constraints = [
            models.UniqueConstraint(fields=["scan", "level"], name="vertebra_one_per_scan_level"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="vertebra_level_l1_to_l4"
            ),
            models.CheckConstraint(
                condition=models.Q(bmd__gte=BMD_MIN, bmd__lte=BMD_MAX), name="vertebra_bmd_range"
            ),
            models.CheckConstraint(
                condition=models.Q(t_score__gte=SCORE_MIN, t_score__lte=SCORE_MAX),
                name="vertebra_t_score_range",
            ),
            *_bmc_area_constraints("vertebra"),
        ]

    def __str__(self):
        return f"{self.get_level_display()}: BMD {self.bmd} g/cm², T {self.t_score}"


class PrecisionStudyQuerySet(models.QuerySet):
    def in_force_on(self, device_id: int, site: str, day):
        """The newest study of that device and site done on or before `day`."""
        return self.filter(device_id=device_id, site=site, date__lte=day).order_by("-date", "-pk")


class PrecisionStudy(models.Model):
    """A precision assessment (docs/clinical-rules.md §4): repeated scans of the same patients."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="precision_studies")
    site = models.CharField(max_length=12, choices=Site.choices)
    date = models.DateField("date of the study", help_text="Changes after this date use it.")
    values = models.JSONField(help_text="Each patient's repeated BMD values, g/cm².")
    patients = models.PositiveIntegerField()
    degrees_of_freedom = models.PositiveIntegerField()
    rms_sd = models.DecimalField("RMS-SD (g/cm²)", max_digits=6, decimal_places=4)
    lsc = models.DecimalField("LSC (g/cm²)", max_digits=6, decimal_places=4)
    cv_percent = models.DecimalField("%CV", max_digits=5, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = PrecisionStudyQuerySet.as_manager()

    class Meta:
        ordering = ["device", "site", "-date"]
        verbose_name_plural = "precision studies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rms_sd__gt=0), name="precision_rms_sd_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(degrees_of_freedom__gte=27), name="precision_enough_freedom"
            ),
        ]

    def __str__(self):
        return f"{self.get_site_display()} precision of {self.device}, {self.date:%Y-%m-%d}"


class FraxEntry(EnteredInError):
    """A FRAX result a clinician calculated elsewhere: recorded, never computed.

    docs/clinical-rules.md §8 and §8.2.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="frax_entries")
    date = models.DateField()
    major_osteoporotic = models.DecimalField(
        "major osteoporotic fracture, 10-year %", max_digits=4, decimal_places=1
    )
    hip = models.DecimalField("hip fracture, 10-year %", max_digits=4, decimal_places=1)
    with_bmd = models.BooleanField("femoral neck BMD included", default=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = EnteredInErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "FRAX entry"
        verbose_name_plural = "FRAX entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(major_osteoporotic__gte=0, major_osteoporotic__lte=100)
                & models.Q(hip__gte=0, hip__lte=100),
                name="frax_percentages_0_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(hip__lte=models.F("major_osteoporotic")),
                name="frax_hip_not_above_major",
            ),
        ]

    def __str__(self):
        return f"FRAX {self.date:%Y-%m-%d}: major {self.major_osteoporotic}%, hip {self.hip}%"


class PatientStatus(models.Model):
    """The latest reading of a patient's record, kept for lists, filters and the worklist.

    Derived data: always rebuilt from the records by `services.status_refresh`, never edited.
    """

    patient = models.OneToOneField(
        Patient, primary_key=True, on_delete=models.CASCADE, related_name="bone_status"
    )
    category = models.CharField(max_length=24, blank=True)
    category_label = models.CharField(max_length=60, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    latest_scan = models.ForeignKey(
        DexaScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest_scan_date = models.DateField(null=True, blank=True)
    significant_loss = models.BooleanField(default=False)
    loss_summary = models.CharField(max_length=300, blank=True)
    treatment_indicated = models.BooleanField(default=False)
    treatment_reasons = models.CharField(max_length=500, blank=True)
    on_treatment = models.BooleanField(default=False)
    # On treatment, a loss or a new fracture after 12 months (docs/clinical-rules.md §8.3).
    review_response = models.BooleanField("review treatment response", default=False)
    response_reasons = models.CharField(max_length=500, blank=True)
    next_due = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "patient statuses"
        indexes = [
            models.Index(fields=["category"]),
            models.Index(fields=["next_due"]),
            models.Index(fields=["significant_loss"]),
            # The worklist's sections, each in its own order (newest scan first).
            models.Index(
                fields=["-latest_scan_date", "patient"],
                condition=models.Q(significant_loss=True),
                name="status_loss_by_scan_date",
            ),
            models.Index(
                fields=["-latest_scan_date", "patient"],
                condition=models.Q(treatment_indicated=True, on_treatment=False),
                name="status_untreated_by_scan_date",
            ),
            models.Index(
                fields=["-latest_scan_date", "patient"],
                condition=models.Q(review_response=True),
                name="status_review_by_scan_date",
            ),
            # The newest reading marks the version of cached worklist and list pages.
            models.Index(fields=["updated_at"], name="status_updated_at"),
        ]

    def __str__(self):
        return f"{self.patient}: {self.category_label or 'no scan'}"


class ImportStage(models.TextChoices):
    CHECKING = "checking", "Being checked"
    CHECKED = "checked", "Checked: nothing written yet"
    IMPORTING = "importing", "Being imported"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Stopped: nothing written"
    DISCARDED = "discarded", "Discarded"


class ImportJob(models.Model):
    """An uploaded CSV of scans and what its dry run and its import, run as tasks, found and did."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    date_format = models.CharField(max_length=10)
    # The decoded file, zlib-compressed: the tasks read it, never the browser.
    data = models.BinaryField()
    # What the clinician chose for the dry run and for the import (passed to the importer).
    options = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=10, choices=ImportStage, default=ImportStage.CHECKING)
    step = models.CharField(max_length=20, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    blank_rows = models.PositiveIntegerField(default=0)
    ignored_columns = models.JSONField(default=list, blank=True)
    counts = models.JSONField(null=True, blank=True)
    # The first rejected rows for the page; every one is in the rejected-rows file.
    problems = models.JSONField(default=list, blank=True)
    problems_total = models.PositiveIntegerField(default=0)
    # New rows that failed a plausibility check: imported only when ticked on the preview.
    flagged = models.JSONField(default=list, blank=True)
    rejects = models.BinaryField(blank=True, default=b"")
    error = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_stage_display().lower()})"

    def get_absolute_url(self):
        return reverse("exchange:import_job", args=[self.pk])
