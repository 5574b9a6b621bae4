"""The access table: every URL pattern of the site, and what each role gets when it opens it.

Roles: `anonymous`; `paula`, the patient whose record the URL is about; `pete`, another
patient; `alice`, a clinician; `eddie`, an education editor; `admin`, a superuser; `carol`,
paula's caregiver; `cora`, pete's caregiver. A row that names no answer for a caregiver gives
them pete's: like him, they are signed in, not staff, and not paula.
Answers: OK (200), LOGIN (redirect to sign in), ADMIN_LOGIN (redirect to the admin's sign in),
REDIRECT (any redirect), FORBIDDEN (403), NOT_FOUND (404), NOT_ALLOWED (405).

A URL about a patient is always built from paula's objects, so `pete` probing it checks that a
patient cannot reach another patient's record by guessing ids.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

OK, LOGIN, ADMIN_LOGIN, REDIRECT = "200", "login", "admin login", "redirect"
FORBIDDEN, NOT_FOUND, NOT_ALLOWED, GONE = "403", "404", "405", "410"
ROLES = ("anonymous", "paula", "pete", "alice", "eddie", "admin", "carol", "cora")


@dataclass(frozen=True)
class Row:
    anonymous: str
    paula: str
    pete: str
    alice: str
    eddie: str
    admin: str
    kwargs: Callable[[dict], dict] = field(default=lambda world: {})
    method: str = "get"
    carol: str | None = None
    cora: str | None = None

    def expected(self, role: str) -> str:
        answer = getattr(self, role)
        return self.pete if answer is None else answer


def everyone(answer: str, **options) -> Row:
    return Row(answer, answer, answer, answer, answer, answer, **options)


def clinician_page(**options) -> Row:
    """Clinicians' pages: sign in first; patients and editors are refused."""
    return Row(LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, **options)


def signed_in(**options) -> Row:
    return Row(LOGIN, OK, OK, OK, OK, OK, **options)


def portal_page(**options) -> Row:
    """Portal pages about the patient the request acts for: each patient sees their own, each
    caregiver the one they help."""
    return Row(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, **options)


def admin_page(object_id=None, listing=None) -> Row:
    """An admin page of a clinical model: superusers only; editors are refused.

    `listing` makes the records a list shows before it is opened.
    """

    def kwargs(world):
        if listing is not None:
            listing(world)
        return {"object_id": object_id(world)} if object_id is not None else {}

    return Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FORBIDDEN, OK, kwargs=kwargs)


def paula_fracture(world):
    return world["paula"].fractures.create(date="2021-03-01", site="wrist", mechanism="fragility")


def paula_pk(world):
    return {"pk": world["paula"].pk}


def import_pk(world):
    return {"pk": world["import_job"].pk}


def paula_invitation(world):
    """An invitation paula sent to a caregiver who has not accepted it yet."""
    from patients.models import CaregiverGrant

    return CaregiverGrant.objects.create(
        patient=world["paula"],
        name="Sam Fischer",
        email="sam@example.org",
        channel="patient",
        invited_by=world["paula"].user,
    )


def checked_import_job(user):
    """An upload of `user`'s, checked, with one rejected row: the import pages' object."""
    from exchange.import_jobs import pack
    from scans.models import ImportJob

    return ImportJob.objects.create(
        created_by=user,
        filename="scans.csv",
        size=40,
        date_format="iso",
        data=pack("mrn,date\nMRN-UNKNOWN,2026-13-01\n"),
        stage="checked",
        counts={"rows": 1, "errors": 1},
        rejects=pack("mrn,date,error\nMRN-UNKNOWN,2026-13-01,date: no such month\n"),
    )


def dxa_scans_page(world):
    from education.models import EducationPage

    return {"object_id": EducationPage.objects.get(slug="dxa-scans").pk}


def dxa_scans_revision(world):
    """A pending revision of a published page, with a script the sanitizer takes out."""
    from education.models import EducationPage, PageRevision

    page = EducationPage.objects.get(slug="dxa-scans")
    revision = PageRevision.objects.create(
        page=page,
        title=page.title,
        summary=page.summary,
        body=page.body + "\n\nSee [our page on exercise](page:exercise-bone-health).\n\n"
        "<script>alert(1)</script>",
        audience=page.audience,
        triggers=page.triggers,
        order=page.order,
    )
    return {"object_id": page.pk, "revision_id": revision.pk}


def paula_inbound(world):
    """A result received by HL7 v2 for paula, waiting because its sender is not set up."""
    from exchange.models import InboundMessage, InboundStatus
    from tests.exchange.hl7_messages import oru

    inbound = InboundMessage.objects.create(
        raw=oru(control_id=f"ACCESS-{InboundMessage.objects.count()}"),
        status=InboundStatus.WAITING,
        reason="No HL7 sender is set up.",
        ack_code="AA",
        patient=world["paula"],
    )
    return {"pk": inbound.pk}


def paula_episode(world):
    """A fracture liaison episode on a fragility fracture of paula's."""
    from liaison.models import Episode

    fracture = world["paula"].fractures.create(
        date="2025-03-01", site="wrist", mechanism="fragility"
    )
    return Episode.objects.create(
        patient=world["paula"],
        fracture=fracture,
        identified_by="emergency",
        identified_on="2025-03-03",
    )


ACCESS: dict[str, Row] = {
    # Patients land on their portal; everyone else on their role's home page.
    "home": Row(LOGIN, REDIRECT, REDIRECT, OK, OK, OK),
    # Django's sign-in, sign-out and password views with our templates.
    "login": everyone(OK),
    "logout": everyone(LOGIN, method="post"),
    "password_change": signed_in(),
    "password_change_done": signed_in(),
    "password_reset": everyone(OK),
    "password_reset_done": everyone(OK),
    "password_reset_confirm": everyone(
        OK, kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-valid-token"}
    ),
    "password_reset_complete": everyone(OK),
    # The patient record (osteoclinic: it combines every app).
    "patient_record": clinician_page(kwargs=paula_pk),
    "patient_summary": clinician_page(kwargs=paula_pk),
    # --- patients app: clinician pages ---
    "patient_list": clinician_page(),
    "patients:create": clinician_page(),
    "patients:edit": clinician_page(kwargs=paula_pk),
    "patients:history": clinician_page(kwargs=paula_pk),
    "patients:fracture_create": clinician_page(kwargs=paula_pk),
    "patients:fracture_edit": clinician_page(
        kwargs=lambda world: {
            "fracture_pk": world["paula"]
            .fractures.create(date="2021-03-01", site="wrist", mechanism="fragility")
            .pk
        }
    ),
    "patients:fracture_error": clinician_page(
        kwargs=lambda world: {
            "fracture_pk": world["paula"]
            .fractures.create(date="2021-03-01", site="wrist", mechanism="fragility")
            .pk
        }
    ),
    "patients:height_create": clinician_page(kwargs=paula_pk),
    "patients:height_edit": clinician_page(
        kwargs=lambda world: {
            "height_pk": world["paula"].heights.create(date="2022-05-04", cm="161.5").pk
        }
    ),
    "patients:height_error": clinician_page(
        kwargs=lambda world: {
            "height_pk": world["paula"].heights.create(date="2022-05-04", cm="161.5").pk
        }
    ),
    "patients:treatment_create": clinician_page(kwargs=paula_pk),
    "patients:treatment_edit": clinician_page(
        kwargs=lambda world: {
            "treatment_pk": world["paula"]
            .treatments.create(drug_class="bisphosphonate", name="alendronate", start="2022-01-10")
            .pk
        }
    ),
    "patients:treatment_error": clinician_page(
        kwargs=lambda world: {
            "treatment_pk": world["paula"]
            .treatments.create(drug_class="bisphosphonate", name="alendronate", start="2022-01-10")
            .pk
        }
    ),
    "patients:portal_invite": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, kwargs=paula_pk, method="post"
    ),
    "patients:portal_revoke": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT, kwargs=paula_pk, method="post"
    ),
    # The invitation link is public: a wrong or used token says so (410 Gone) to everyone.
    "patients:invitation_accept": everyone(
        GONE, kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-valid-token"}
    ),
    "patients:caregiver_invite": clinician_page(kwargs=paula_pk),
    "patients:caregiver_revoke": Row(
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        REDIRECT,
        FORBIDDEN,
        REDIRECT,
        kwargs=lambda world: {"grant_pk": paula_invitation(world).pk},
        method="post",
    ),
    "patients:symptom_create": clinician_page(kwargs=paula_pk),
    "patients:symptom_acknowledge": Row(
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        REDIRECT,
        FORBIDDEN,
        REDIRECT,
        kwargs=lambda world: {"report_pk": world["symptom_report"].pk},
        method="post",
    ),
    # Secure messages: the thread on the patient's record, and marking it done.
    "patients:messages": clinician_page(kwargs=paula_pk),
    "patients:messages_done": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT, kwargs=paula_pk, method="post"
    ),
    # --- end patients app ---
    # --- scans app: clinician pages ---
    "scans:device_list": clinician_page(),
    "scans:device_create": clinician_page(),
    "scans:device_detail": clinician_page(kwargs=lambda world: {"pk": world["device"].pk}),
    "scans:device_edit": clinician_page(kwargs=lambda world: {"pk": world["device"].pk}),
    "scans:scan_create": clinician_page(kwargs=paula_pk),
    "scans:scan_detail": clinician_page(kwargs=lambda world: {"pk": world["scan"].pk}),
    "scans:scan_edit": clinician_page(kwargs=lambda world: {"pk": world["scan"].pk}),
    # The review page: a scan is released only by a decision taken on it.
    "scans:scan_review": clinician_page(kwargs=lambda world: {"pk": world["scan"].pk}),
    "scans:scan_error": clinician_page(kwargs=lambda world: {"pk": world["scan"].pk}),
    "scans:precision_create": clinician_page(kwargs=lambda world: {"pk": world["device"].pk}),
    "scans:frax_create": clinician_page(kwargs=paula_pk),
    "scans:frax_error": clinician_page(kwargs=lambda world: {"pk": world["frax"].pk}),
    "scans:chart": clinician_page(kwargs=lambda world: {"pk": world["paula"].pk, "kind": "bmd"}),
    # --- end scans app ---
    # --- scans import/export ---
    "exchange:import": clinician_page(),
    "exchange:import_template": clinician_page(),
    # An upload of alice's, checked: its page and rejected rows are hers (and superusers').
    "exchange:import_job": clinician_page(kwargs=import_pk),
    "exchange:import_rejects": clinician_page(kwargs=import_pk),
    # Posted without saying whether the file holds new or past results: the preview again.
    "exchange:import_confirm": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, kwargs=import_pk, method="post"
    ),
    "exchange:import_cancel": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT, kwargs=import_pk, method="post"
    ),
    "exchange:export_csv": clinician_page(),
    "exchange:export_patient_csv": clinician_page(kwargs=paula_pk),
    "exchange:export_fhir": clinician_page(kwargs=paula_pk),
    # Results received by HL7 v2: the list, one message (about paula) and processing it again.
    "exchange:fhir_import": clinician_page(),
    "exchange:inbound_list": clinician_page(),
    "exchange:inbound_detail": clinician_page(kwargs=paula_inbound),
    "exchange:inbound_process": Row(
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        REDIRECT,
        FORBIDDEN,
        REDIRECT,
        kwargs=paula_inbound,
        method="post",
    ),
    # --- end scans import/export ---
    # --- liaison app: clinician pages ---
    "liaison:episode_create": clinician_page(kwargs=paula_pk),
    "liaison:episode_detail": clinician_page(kwargs=lambda world: {"pk": paula_episode(world).pk}),
    "liaison:episode_step": clinician_page(
        kwargs=lambda world: {"pk": paula_episode(world).pk, "step": "assessment"}
    ),
    "liaison:episode_error": clinician_page(kwargs=lambda world: {"pk": paula_episode(world).pk}),
    "liaison:kpis": clinician_page(),
    "liaison:kpi_chart": clinician_page(kwargs=lambda world: {"number": 3}),
    "liaison:kpi_csv": clinician_page(),
    # --- end liaison app ---
    # The portal: the patient comes from the signed-in user, never from the URL, so each
    # patient gets their own page; staff have no portal (404).
    "portal:home": portal_page(),
    "portal:chart": portal_page(kwargs=lambda world: {"kind": "tscore"}),
    "portal:symptoms": portal_page(),
    "portal:pain_chart": portal_page(),
    # Who looked names people: it is the patient's alone.
    "portal:access_log": portal_page(carol=FORBIDDEN, cora=FORBIDDEN),
    "portal:messages": portal_page(),
    # Which emails the patient receives is the patient's own choice.
    "portal:notifications": portal_page(carol=FORBIDDEN, cora=FORBIDDEN),
    # An attachment id of paula's: pete probing it gets 404, like everyone but paula and her
    # caregiver.
    "portal:education": Row(
        LOGIN,
        OK,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        kwargs=lambda world: {"pk": world["attachment"].pk},
        carol=OK,
        cora=NOT_FOUND,
    ),
    # Caregiver access: only the patient decides who sees their portal (caregivers get 403).
    "portal:caregivers": Row(
        LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, carol=FORBIDDEN, cora=FORBIDDEN
    ),
    # An invitation of paula's (not carol's grant, which the other rows need).
    "portal:caregiver_revoke": Row(
        LOGIN,
        REDIRECT,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        kwargs=lambda world: {"pk": paula_invitation(world).pk},
        method="post",
        carol=FORBIDDEN,
        cora=FORBIDDEN,
    ),
    # Whose portal to open: a list of one's own choices; staff have none.
    "portal:choose": Row(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, carol=OK, cora=OK),
    # The caregiver's invitation link is public: a wrong token says so (410) to everyone.
    "portal:caregiver_invitation": everyone(
        GONE, kwargs=lambda world: {"gidb64": "MQ", "token": "not-a-valid-token"}
    ),
    # A published page linked from another one: any patient may read it; it holds no record.
    "portal:page": portal_page(kwargs=lambda world: {"slug": "gentle-rehabilitation"}),
    # --- background work: superusers only ---
    "jobs:list": Row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    # --- end background work ---
    # --- education app ---
    # The record page's education forms: POST only; clinicians always go back to the record.
    "education:attach": Row(
        LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT, kwargs=paula_pk, method="post"
    ),
    "education:detach": Row(
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        REDIRECT,
        FORBIDDEN,
        REDIRECT,
        kwargs=lambda world: {
            "pk": world["paula"]
            .education.create(
                page=world["paula"]
                .education.model._meta.get_field("page")
                .related_model.objects.get(slug="dxa-scans"),
                source="rule",
                reason="Your next bone density scan is due on 1 March 2026.",
            )
            .pk
        },
        method="post",
    ),
    # Editors work on pages in the admin; patients' attachments are for superusers only.
    "admin:education_educationpage_changelist": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK
    ),
    "admin:education_educationpage_preview": Row(
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        OK,
        OK,
        kwargs=lambda world: {
            "object_id": world["paula"]
            .education.model._meta.get_field("page")
            .related_model.objects.get(slug="dxa-scans")
            .pk
        },
    ),
    "admin:education_educationpage_change": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK, kwargs=dxa_scans_page
    ),
    "admin:education_educationpage_history": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK, kwargs=dxa_scans_page
    ),
    # An edit of a published page waits as a revision: its preview, removals and changes.
    "admin:education_educationpage_revision": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK, kwargs=dxa_scans_revision
    ),
    "admin:education_patienteducation_changelist": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FORBIDDEN, OK
    ),
    # --- end education app ---
    # The Django admin: staff only, model permissions decide each page.
    "admin:index": Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK),
    "admin:patients_patient_changelist": Row(
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FORBIDDEN, OK
    ),
    "admin:patients_patient_change": Row(
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        FORBIDDEN,
        OK,
        kwargs=lambda world: {"object_id": world["paula"].pk},
    ),
    # Every admin page of a clinical model is logged, like the site's own pages.
    "admin:patients_patient_history": admin_page(lambda world: world["paula"].pk),
    "admin:patients_fracture_changelist": admin_page(listing=lambda world: paula_fracture(world)),
    "admin:patients_fracture_change": admin_page(
        lambda world: (
            world["paula"]
            .fractures.create(date="2021-03-01", site="wrist", mechanism="fragility")
            .pk
        )
    ),
    "admin:patients_heightmeasurement_change": admin_page(
        lambda world: world["paula"].heights.create(date="2022-05-04", cm="161.5").pk
    ),
    "admin:patients_treatment_change": admin_page(
        lambda world: (
            world["paula"]
            .treatments.create(drug_class="bisphosphonate", name="alendronate", start="2022-01-10")
            .pk
        )
    ),
    "admin:patients_symptomreport_changelist": admin_page(),
    "admin:patients_symptomreport_change": admin_page(lambda world: world["symptom_report"].pk),
    "admin:patients_symptomreport_history": admin_page(lambda world: world["symptom_report"].pk),
    "admin:scans_dexascan_changelist": admin_page(),
    "admin:scans_dexascan_change": admin_page(lambda world: world["scan"].pk),
    "admin:education_patienteducation_change": admin_page(lambda world: world["attachment"].pk),
    # "View on site" tells nobody whether an object exists unless they may see it.
    "admin:view_on_site": Row(
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        NOT_FOUND,
        REDIRECT,
        kwargs=lambda world: {
            "content_type_id": ContentType.objects.get_for_model(world["paula"]).pk,
            "object_id": world["paula"].pk,
        },
    ),
}

# Which URLs write the access log (patients/audit.py), and how:
# NAMED — the URL names a patient's record: each signed-in role that is not sent to sign in
#   writes exactly one entry for that patient, "shown" when answered, "refused" on 403 or 404;
# OWN — a portal page of the record the request acts for (the patient's own, or the one a
#   caregiver helps): exactly one "shown" entry for it, none for others (no record is named);
# LISTED — a list of many patients: one "shown" entry for each patient whose data was sent.
NAMED, OWN, LISTED = "named", "own", "listed"
ACCESS_LOG = {
    "patient_record": NAMED,
    "patient_summary": NAMED,
    "patients:edit": NAMED,
    "patients:history": NAMED,
    "patients:fracture_create": NAMED,
    "patients:fracture_edit": NAMED,
    "patients:fracture_error": NAMED,
    "patients:height_create": NAMED,
    "patients:height_edit": NAMED,
    "patients:height_error": NAMED,
    "patients:treatment_create": NAMED,
    "patients:treatment_edit": NAMED,
    "patients:treatment_error": NAMED,
    "patients:portal_invite": NAMED,
    "patients:portal_revoke": NAMED,
    "patients:caregiver_invite": NAMED,
    "patients:caregiver_revoke": NAMED,
    "patients:symptom_create": NAMED,
    "patients:symptom_acknowledge": NAMED,
    "patients:messages": NAMED,
    "patients:messages_done": NAMED,
    "scans:scan_create": NAMED,
    "scans:scan_detail": NAMED,
    "scans:scan_edit": NAMED,
    "scans:scan_review": NAMED,
    "scans:scan_error": NAMED,
    "scans:frax_create": NAMED,
    "scans:frax_error": NAMED,
    "scans:chart": NAMED,
    "exchange:export_csv": LISTED,
    "exchange:export_patient_csv": NAMED,
    "exchange:export_fhir": NAMED,
    "exchange:inbound_detail": NAMED,
    "exchange:inbound_process": NAMED,
    "portal:home": OWN,
    "portal:chart": OWN,
    "portal:page": OWN,
    "portal:symptoms": OWN,
    "portal:pain_chart": OWN,
    "portal:access_log": OWN,
    "portal:messages": OWN,
    "portal:notifications": OWN,
    "portal:education": NAMED,
    "portal:caregivers": OWN,
    "portal:caregiver_revoke": NAMED,
    "education:attach": NAMED,
    "education:detach": NAMED,
    "admin:education_patienteducation_changelist": LISTED,
    "admin:education_patienteducation_change": NAMED,
    "admin:patients_patient_changelist": LISTED,
    "admin:patients_patient_change": NAMED,
    "admin:patients_patient_history": NAMED,
    "admin:patients_fracture_changelist": LISTED,
    "admin:patients_fracture_change": NAMED,
    "admin:patients_heightmeasurement_change": NAMED,
    "admin:patients_treatment_change": NAMED,
    "admin:patients_symptomreport_changelist": LISTED,
    "admin:patients_symptomreport_change": NAMED,
    "admin:patients_symptomreport_history": NAMED,
    "admin:scans_dexascan_changelist": LISTED,
    "admin:scans_dexascan_change": NAMED,
    "liaison:episode_create": NAMED,
    "liaison:episode_detail": NAMED,
    "liaison:episode_step": NAMED,
    "liaison:episode_error": NAMED,
}

# Whole namespaces whose every pattern follows one rule; the rows above sample them.
NAMESPACES = {
    "admin": "Django admin: only staff get past its sign-in; model permissions decide the rest.",
}


def pattern_names(patterns, namespace: str = ""):
    """Every URL pattern's qualified name (or its regex, when it has no name)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from pattern_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or '<unnamed ' + str(entry.pattern) + '>'}"


def uncovered(urlconf=None) -> set[str]:
    """URL patterns that neither have a row nor belong to a namespace with a rule."""
    names = set(pattern_names(get_resolver(urlconf).url_patterns))
    return {
        name for name in names if name not in ACCESS and name.split(":", 1)[0] not in NAMESPACES
    }
