"""`generate_clinic` makes a realistic clinic that the database accepts, with stored readings
identical to those `status_refresh` builds one patient at a time."""

import datetime
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from patients.models import Fracture, FractureSite, Patient, SymptomReport
from patients.symptoms import red_flags
from scans.models import DexaScan, PatientStatus, ScanStatus, SiteMeasurement
from scans.rules.basics import Manufacturer, Site
from scans.rules.references import t_score_consistency_warning
from scans.services import status_refresh

HIPS = ("femoral_neck", "total_hip")


@pytest.fixture
def generate(settings):
    settings.DEBUG = True

    def run(patients: int, seed: int = 1):
        call_command("generate_clinic", "--patients", str(patients), "--seed", str(seed))
        return list(Patient.objects.filter(mrn__startswith="GEN-").order_by("mrn"))

    return run


def stored(patient) -> dict:
    values = model_to_dict(PatientStatus.objects.get(patient=patient))
    values.pop("updated_at", None)
    return values


@pytest.mark.django_db
def test_it_makes_thirty_patients_scanned_every_one_to_two_years_at_three_or_four_sites(
    generate,
):
    patients = generate(30)

    assert [p.mrn for p in patients] == [f"GEN-{n:06d}" for n in range(1, 31)]
    today = datetime.date.today()
    scans = defaultdict(list)
    for scan in DexaScan.objects.valid().prefetch_related("measurements").order_by("date"):
        scans[scan.patient_id].append(scan)
    for patient in patients:
        dates = [scan.date for scan in scans[patient.pk]]
        assert dates, patient.mrn
        assert patient.date_of_birth < dates[0] and dates[-1] <= today
        assert all(365 <= (b - a).days <= 730 for a, b in zip(dates, dates[1:], strict=False))
        for scan in scans[patient.pk]:
            measurements = list(scan.measurements.all())
            assert len({m.site for m in measurements}) in (3, 4)
            for m in measurements:
                assert m.side == ("" if m.site == "lumbar_spine" else m.side)
                assert m.side in (("",) if m.site == "lumbar_spine" else ("left", "right"))
    statuses = [scan.status for scan_list in scans.values() for scan in scan_list]
    assert statuses.count(ScanStatus.RELEASED) >= 0.8 * len(statuses)
    assert DexaScan.objects.count() >= 60


@pytest.mark.django_db
def test_every_hip_t_score_fits_its_bmd_on_the_reference(generate):
    generate(30)

    hips = SiteMeasurement.objects.filter(site__in=HIPS).select_related("scan__device")
    assert hips.count() >= 120
    for m in hips:
        site, bmd, t = Site(m.site), float(m.bmd), float(m.t_score)
        assert t_score_consistency_warning(site, bmd, t) is None, m
        manufacturer = Manufacturer(m.scan.device.manufacturer)
        assert t_score_consistency_warning(site, bmd, t, manufacturer=manufacturer) is None


@pytest.mark.django_db
def test_fractures_and_symptom_reports_follow_the_record_rules(generate):
    generate(300, seed=3)

    fractures = list(Fracture.objects.all())
    vertebral = [f for f in fractures if f.site == FractureSite.VERTEBRAL]
    assert vertebral and len(vertebral) < len(fractures)
    assert all(f.vertebral_level for f in vertebral)
    assert all(
        not f.vertebral_level and f.genant_grade is None for f in fractures if f not in vertebral
    )
    reports = list(SymptomReport.objects.all())
    assert any(report.red_flags for report in reports)
    for report in reports:
        assert report.red_flags == [flag.code for flag in red_flags(report.entry())]


@pytest.mark.django_db
@pytest.mark.parametrize(("patients", "seed"), [(30, 1), (300, 7)])
def test_the_stored_readings_are_those_status_refresh_builds(generate, patients, seed):
    generated = generate(patients, seed=seed)

    assert PatientStatus.objects.filter(patient__in=generated).count() == patients
    built = {patient.pk: stored(patient) for patient in generated}
    for patient in generated:
        status_refresh(patient=patient)
        assert stored(patient) == built[patient.pk], patient.mrn
    # The larger clinic reaches the rules' other branches too.
    if patients >= 300:
        readings = PatientStatus.objects.filter(patient__in=generated)
        assert readings.filter(significant_loss=True).exists()
        assert readings.filter(treatment_indicated=True).exists()
        assert readings.filter(on_treatment=True).exists()
        assert readings.filter(category="severe_osteoporosis").exists()
        assert DexaScan.objects.filter(entered_in_error=True).exists()


@pytest.mark.django_db
def test_a_second_run_with_the_same_seed_adds_patients_with_new_mrns(generate):
    generate(5, seed=9)
    patients = generate(5, seed=9)

    assert [p.mrn for p in patients] == [f"GEN-{n:06d}" for n in range(1, 11)]
    first, second = patients[:5], patients[5:]
    assert [(p.family_name, p.date_of_birth) for p in first] == [
        (p.family_name, p.date_of_birth) for p in second
    ]
    assert PatientStatus.objects.filter(patient__in=patients).count() == 10


@pytest.mark.django_db
def test_it_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("generate_clinic", "--patients", "3")
    assert not Patient.objects.exists()

    call_command("generate_clinic", "--patients", "3", "--force")
    assert Patient.objects.count() == 3
