"""Results received by HL7 v2, stored through the same checks as the scan form, and the
clinicians' inbound page (docs/clinical-rules.md §9, §13, §14)."""

import pytest
from django.urls import reverse

from exchange.hl7v2 import ack_code
from exchange.inbound import inbound_receive
from exchange.models import InboundMessage, InboundStatus, LocalCode, Sender
from scans.models import DexaScan, ScanStatus
from scans.services import scan_review
from tests.exchange.hl7_messages import oru


@pytest.fixture
def sender(db, hologic):
    return Sender.objects.create(application="DXA-REPORTS", facility="CLINIC", device=hologic)


def received(message: str) -> tuple[str, str]:
    return ack_code(inbound_receive(raw=message))


HIPS = (
    ("24966-4", "0.812"),
    ("38267-1", "-2.7"),
    ("85394-5", "-1.1"),
    ("46278-8", "0.701"),  # total hip, left
    ("80946-7", "-1.9"),
    ("80954-1", "0.650"),  # femur (femoral neck), left
    ("80948-3", "-1.7"),
)


def test_each_loinc_code_gives_its_site_side_and_value(paula, sender):
    assert received(oru(values=HIPS)) == ("AA", received_reason(paula))
    scan = DexaScan.objects.get(patient=paula)
    stored = {
        (m.site, m.side): (str(m.bmd), str(m.t_score), m.z_score and str(m.z_score))
        for m in scan.measurements.all()
    }
    assert stored == {
        ("lumbar_spine", ""): ("0.812", "-2.7", "-1.1"),
        ("total_hip", "left"): ("0.701", "-1.9", None),
        ("femoral_neck", "left"): ("0.650", "-1.7", None),
    }


def received_reason(paula) -> str:
    scan = DexaScan.objects.get(patient=paula)
    return f"Scan {scan.pk} stored as a draft."


def test_a_senders_local_codes_carry_bmc_and_area(paula, sender):
    for code, quantity in (("SPN-BMC", "bmc"), ("SPN-AREA", "area")):
        LocalCode.objects.create(sender=sender, code=code, site="lumbar_spine", quantity=quantity)
    values = (
        ("24966-4", "0.812"),
        ("38267-1", "-2.7"),
        ("SPN-BMC", "46,12"),
        ("SPN-AREA", "56.80"),
    )
    assert received(oru(values=values))[0] == "AA"
    spine = DexaScan.objects.get().measurements.get()
    assert (str(spine.bmc), str(spine.area)) == ("46.12", "56.80")


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ((("24966-4", "0.812"), ("38267-1", "abc")), "“abc” is not a number"),
        ((("24966-4", "3.812"), ("38267-1", "-2.7")), "outside 0.100 to 2.500"),
        ((("38261-4", "0.812"), ("38264-8", "-2.7")), "Total hip without a side"),
        ((("99999-9", "1"),), "No OBX carries a DXA value"),
    ],
)
def test_a_wrong_value_is_answered_ae_and_kept(paula, sender, values, says):
    code, text = received(oru(values=values))
    assert code == "AE" and says in text
    kept = InboundMessage.objects.get()
    assert kept.status == InboundStatus.ERROR and says in kept.reason
    assert not DexaScan.objects.exists()


def test_other_message_types_and_versions_are_answered_ae(paula, sender):
    assert received(oru(version="2.2"))[0] == "AE"
    message = oru(control_id="ADT").replace("ORU^R01", "ADT^A01")
    code, text = received(message)
    assert code == "AE" and "ADT^A01" in text


def test_a_name_or_birth_date_that_does_not_match_waits(paula, sender):
    code, text = received(oru(born="19550413"))
    assert code == "AA" and "birth date 1955-04-13, record 1955-04-12" in text
    assert InboundMessage.objects.get().status == InboundStatus.WAITING
    assert not DexaScan.objects.exists()


def test_an_unknown_sender_waits_until_set_up(paula, hologic):
    code, text = received(oru())
    assert code == "AA" and "No HL7 sender" in text
    assert not DexaScan.objects.exists()


def test_a_corrected_result_replaces_its_draft(paula, sender):
    received(oru())
    code, _ = received(
        oru(control_id="MSG-2", status="C", values=(("24966-4", "0.822"), ("38267-1", "-2.6")))
    )
    assert code == "AA"
    scan = DexaScan.objects.get()
    assert str(scan.measurements.get().bmd) == "0.822"


def test_a_correction_of_a_released_scan_is_a_new_draft_that_replaces_it_when_released(
    paula, sender, alice
):
    received(oru())
    first = DexaScan.objects.get()
    scan_review(scan=first, user=alice, release=True)
    values = (("24966-4", "0.822"), ("38267-1", "-2.6"))
    assert received(oru(control_id="MSG-2", status="C", values=values))[0] == "AA"
    correction = DexaScan.objects.exclude(pk=first.pk).get()
    assert correction.status == ScanStatus.DRAFT and correction.corrects == first
    assert f"Corrects the released result of 2024-03-05 (scan {first.pk})" in correction.notes
    first.refresh_from_db()
    assert first.status == ScanStatus.RELEASED and not first.entered_in_error
    scan_review(scan=correction, user=alice, release=True)
    first.refresh_from_db()
    assert first.entered_in_error and "Replaced by the corrected result" in first.error_reason


def test_a_second_final_result_for_the_same_scan_is_answered_ae(paula, sender):
    received(oru())
    code, text = received(oru(control_id="MSG-2"))
    assert code == "AE" and "already stored" in text
    assert DexaScan.objects.count() == 1


def test_a_preliminary_result_is_not_stored(paula, sender):
    code, text = received(oru(status="P"))
    assert code == "AE" and "preliminary" in text


def test_the_clinician_matches_an_unknown_patient_and_processes_it_again(
    client_for, alice, paula, sender
):
    received(oru(mrn="LAB-0001"))
    inbound = InboundMessage.objects.get()
    client = client_for(alice)
    page = client.get(reverse("exchange:inbound_list")).content.decode()
    assert "No patient has the MRN LAB-0001" in page
    detail = client.get(inbound.get_absolute_url()).content.decode()
    assert "LAB-0001" in detail and "Fischer, Paula" in detail
    assert "mrn=LAB-0001" in detail  # "add the patient" starts from the message's details
    response = client.post(
        reverse("exchange:inbound_process", args=[inbound.pk]), {"mrn": "nobody-here"}
    )
    assert "No patient has the MRN nobody-here" in response.content.decode()
    response = client.post(
        reverse("exchange:inbound_process", args=[inbound.pk]), {"mrn": paula.mrn}
    )
    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.STORED and inbound.processed_by == "alice"
    assert DexaScan.objects.get().patient == paula


def test_a_flagged_result_waits_until_a_clinician_confirms_it(client_for, alice, paula, sender):
    # §5: a Hologic hip T-score far from its NHANES III value.
    values = (("46278-8", "0.942"), ("80946-7", "-2.5"))
    code, text = received(oru(values=values))
    assert code == "AA" and "Check these values against the printed report" in text
    inbound = InboundMessage.objects.get()
    client = client_for(alice)
    page = client.get(inbound.get_absolute_url()).content.decode()
    assert "NHANES III" in page and "Checked against the printed report" in page
    client.post(reverse("exchange:inbound_process", args=[inbound.pk]), {})
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.WAITING and not DexaScan.objects.exists()
    client.post(reverse("exchange:inbound_process", args=[inbound.pk]), {"confirm": "on"})
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.STORED
    scan = DexaScan.objects.get()
    assert scan.checked_by == "alice" and "NHANES III" in scan.checked_warnings[0]


def test_the_worklist_counts_what_waits(client_for, alice, paula, sender):
    received(oru(mrn="LAB-0001"))
    received(oru(control_id="BAD", values=(("24966-4", "x"),)))
    received(oru(control_id="GOOD"))
    page = client_for(alice).get(reverse("home")).content.decode()
    assert "2 messages from the reporting system wait for a clinician" in page


def test_storing_a_message_takes_the_same_queries_in_a_bigger_clinic(paula, sender):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_patient

    def queries_for(mrn: str) -> int:
        make_patient(
            mrn, family_name="Fischer", given_name="Paula", date_of_birth=paula.date_of_birth
        )
        with CaptureQueriesContext(connection) as captured:
            assert received(oru(control_id=f"MSG-{mrn}", mrn=mrn))[0] == "AA"
        return len(captured)

    small = queries_for("MRN-SMALL")
    for number in range(40):
        make_patient(f"MRN-{number}")
        received(
            oru(
                control_id=f"FILL-{number}",
                mrn=f"MRN-{number}",
                family="Test",
                given="Patient",
                born="19580101",
            )
        )
    assert queries_for("MRN-BIG") == small <= 19
