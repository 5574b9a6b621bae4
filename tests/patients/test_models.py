"""The database itself holds the record's rules, whatever writes to it (forms, imports, shell)."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from patients.models import Fracture, FractureSite, HeightMeasurement, Mechanism, Treatment
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db


def fracture_values(patient, **fields) -> dict:
    values = {
        "patient": patient,
        "date": datetime.date(2021, 3, 1),
        "site": FractureSite.VERTEBRAL,
        "vertebral_level": "L1",
        "mechanism": Mechanism.FRAGILITY,
    }
    values.update(fields)
    return values


def test_a_vertebral_fracture_without_a_level_is_refused(paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        Fracture.objects.create(**fracture_values(paula, vertebral_level=""))


def test_a_genant_grade_on_a_hip_fracture_is_refused(paula):
    values = fracture_values(paula, site=FractureSite.HIP, vertebral_level="", genant_grade=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Fracture.objects.create(**values)


def test_a_level_on_a_wrist_fracture_is_refused(paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        Fracture.objects.create(**fracture_values(paula, site=FractureSite.WRIST))


def test_a_genant_grade_4_is_refused(paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        Fracture.objects.create(**fracture_values(paula, genant_grade=4))


def test_a_grade_added_later_to_a_hip_fracture_is_refused(paula):
    values = fracture_values(paula, site=FractureSite.HIP, vertebral_level="")
    fracture = Fracture.objects.create(**values)

    with pytest.raises(IntegrityError), transaction.atomic():
        Fracture.objects.filter(pk=fracture.pk).update(genant_grade=1)


def test_a_graded_vertebral_fracture_is_stored(paula):
    fracture = Fracture.objects.create(**fracture_values(paula, genant_grade=3))

    assert Fracture.objects.get(pk=fracture.pk).genant_grade == 3


@pytest.mark.parametrize("cm", [300, 49.9, 250.1])
def test_a_height_outside_50_to_250_cm_is_refused(cm, paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        HeightMeasurement.objects.create(patient=paula, date=datetime.date(2024, 1, 1), cm=cm)


def test_a_height_changed_to_300_cm_is_refused(paula):
    height = HeightMeasurement.objects.create(patient=paula, date=datetime.date(2024, 1, 1), cm=160)

    with pytest.raises(IntegrityError), transaction.atomic():
        HeightMeasurement.objects.filter(pk=height.pk).update(cm=300)


def test_a_treatment_stopped_before_it_started_is_refused(paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        Treatment.objects.create(
            patient=paula,
            drug_class="bisphosphonate",
            name="alendronate",
            start=datetime.date(2020, 5, 1),
            stop=datetime.date(2020, 4, 30),
        )


def test_a_stop_moved_before_the_start_is_refused(paula):
    treatment = Treatment.objects.create(
        patient=paula, drug_class="denosumab", name="denosumab", start=datetime.date(2020, 5, 1)
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Treatment.objects.filter(pk=treatment.pk).update(stop=datetime.date(2019, 1, 1))


def test_a_duplicate_mrn_in_another_case_is_refused(paula):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_patient("mrn-paula")


def test_a_duplicate_mrn_in_another_case_is_refused_even_past_save(paula, pete):
    # `update()` skips `save()` and its upper-casing: the constraint compares without case.
    with pytest.raises(IntegrityError), transaction.atomic():
        type(pete).objects.filter(pk=pete.pk).update(mrn="mrn-paula")


def test_marking_in_error_keeps_the_row_and_the_reason(paula):
    fracture = Fracture.objects.create(**fracture_values(paula))

    fracture.mark_entered_in_error("  Wrong level, see the 2021 MRI.  ")

    stored = Fracture.objects.get(pk=fracture.pk)
    assert (stored.entered_in_error, stored.error_reason) == (
        True,
        "Wrong level, see the 2021 MRI.",
    )
    assert list(Fracture.objects.valid()) == []
