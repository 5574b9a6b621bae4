"""HL7 v2 results per second: an MLLP client through `manage.py hl7_listen` into the database,
beside the same scans stored through the service the scan form calls (the floor), in the same
run, on the generated clinic. Target: the listener at least half the floor's rate."""

import datetime
import os
import socket
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.inbound import inbound_receive
from exchange.models import InboundMessage, InboundStatus, Sender
from patients.models import Patient
from scans import entry, services
from scans.forms import ScanForm, entered_results, measurement_formset
from scans.models import Device, DexaScan
from scans.vertebrae import VertebraeForm
from tests.exchange.hl7_messages import oru
from tests.exchange.listening import exchange, start_listener, stop_listener
from tests.scans.test_scan_plausibility_pages import form_data

MESSAGES = int(os.environ.get("BENCH_HL7_MESSAGES", "300"))
APPLICATION = "BENCH-REPORTS"


def message_for(patient: Patient, number: int, day: datetime.date) -> str:
    return oru(
        control_id=f"BENCH-{number}",
        application=APPLICATION,
        facility="",
        mrn=patient.mrn,
        family=patient.family_name,
        given=patient.given_name,
        born=f"{patient.date_of_birth:%Y%m%d}",
        observed=f"{day:%Y%m%d}",
        values=(("24966-4", "0.905"), ("38267-1", "-1.2")),
    )


def form_store(patient: Patient, device: Device, day: datetime.date) -> DexaScan:
    """What the scan form's POST does with valid data: validate, check, save."""
    data = form_data(
        device,
        [{"site": "lumbar_spine", "vertebrae": "L1-L4", "bmd": "0.905", "t_score": "-1.2"}],
        date=f"{day:%Y-%m-%d}",
    )
    scan = DexaScan(patient=patient)
    form = ScanForm(data, instance=scan, patient=patient)
    formset = measurement_formset(data=data, instance=scan)
    vertebrae = VertebraeForm(data, scan=scan)
    assert form.is_valid() and formset.is_valid() and vertebrae.is_valid(), form.errors
    warnings = entry.scan_warnings(
        patient=patient, device=device, date=day, results=entered_results(formset)
    )
    assert not warnings, warnings
    return services.scan_save(
        patient=patient, form=form, formset=formset, vertebrae=vertebrae, warnings=warnings
    )


# Transactional: the listener is another process and must see what is committed. This file
# runs after the page benchmark; the database is emptied after it, at the end of the run.
@pytest.mark.django_db(transaction=True)
def test_hl7_listener_against_the_scan_form(results, django_db_blocker, tmp_path):
    day = datetime.date.today()
    with django_db_blocker.unblock():
        # Another maker's scanner: no NHANES III check, no line yet, no earlier result of its
        # maker to compare a rate with, so every result is stored without a confirmation.
        device = Device.objects.create(manufacturer="other", model="Bench", serial="BENCH-HL7")
        Sender.objects.create(application=APPLICATION, device=device)
        patients = list(Patient.objects.filter(mrn__startswith="GEN-").order_by("pk"))
        if len(patients) < 2 * MESSAGES + 1:
            pytest.skip(f"The clinic has fewer than {2 * MESSAGES + 1} patients.")
        by_form, by_hl7, counted = (
            patients[:MESSAGES],
            patients[MESSAGES : 2 * MESSAGES],
            patients[2 * MESSAGES],
        )

        started = time.perf_counter()
        for patient in by_form:
            form_store(patient, device, day)
        floor = MESSAGES / (time.perf_counter() - started)

        listener = start_listener(tmp_path / "listener.log")
        try:
            with socket.create_connection(("127.0.0.1", listener.port), timeout=60) as sock:
                exchange(
                    listener.port,
                    message_for(by_hl7[0], -1, day - datetime.timedelta(1)),
                    sock=sock,
                )
                started = time.perf_counter()
                for number, patient in enumerate(by_hl7):
                    exchange(listener.port, message_for(patient, number, day), sock=sock)
                rate = MESSAGES / (time.perf_counter() - started)
        finally:
            stop_listener(listener)
        stored = InboundMessage.objects.filter(
            sending_application=APPLICATION, status=InboundStatus.STORED
        ).count()
        assert stored == MESSAGES + 1, listener.log_path.read_text()[-2000:]

        with CaptureQueriesContext(connection) as captured:
            inbound_receive(raw=message_for(counted, MESSAGES, day))
    verdict = "meets" if rate >= floor / 2 else "misses"
    results.notes.append(
        f"HL7 v2 over MLLP: {rate:.1f} messages/s from one client through `hl7_listen` "
        f"(a real process, one message at a time, each answered before the next) into "
        f"{connection.vendor}, beside {floor:.1f} scans/s stored in-process through the scan "
        f"form's validation, checks and `scans.services.scan_save` (the floor); ratio "
        f"{rate / floor:.2f}, {verdict} the target of 0.5. {len(captured)} queries per "
        f"message with {Patient.objects.count():,} patients (the test suite shows the count "
        f"does not change with the clinic's size). {MESSAGES} messages each way."
    )
    print(results.notes[-1])
