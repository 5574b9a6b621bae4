"""Results in plain words for patients, from the same reading clinicians see."""

from .rules.basics import MINUS, Site, format_score, site_in_text
from .rules.diagnosis import Basis, Diagnosis, WhoCategory, ZCategory
from .rules.monitoring import Change, Comparability, Direction

# Where a result was measured, in everyday words; the technical name follows in brackets, as
# the clinic's letters and the patient's report print it.
SITE_WORDS = {
    Site.LUMBAR_SPINE: "lower spine",
    Site.FEMORAL_NECK: "hip",
    Site.TOTAL_HIP: "whole hip",
    Site.RADIUS_33: "forearm",
}


def site_short(site: str, side: str = "") -> str:
    """The site in everyday words, capitalised: "Lower spine", "Left hip"."""
    words = SITE_WORDS[Site(site)]
    if side:
        words = f"{side} {words}"
    return words[0].upper() + words[1:]


def site_words(site: str, side: str = "") -> str:
    """Everyday words first, the technical term after: "Left hip (femoral neck)"."""
    return f"{site_short(site, side)} ({site_in_text(Site(site))})"


CATEGORY_SENTENCES = {
    WhoCategory.NORMAL: "Your bone density is in the normal range.",
    WhoCategory.LOW_BONE_MASS: (
        "Your bone density is lower than normal, but not as low as osteoporosis. "
        "This is called low bone mass (osteopenia)."
    ),
    WhoCategory.OSTEOPOROSIS: "Your bone density is lower than normal (osteoporosis range).",
    WhoCategory.SEVERE: (
        "Your bone density is lower than normal (osteoporosis range), and you have had a "
        "fracture from a minor fall or strain. Doctors call this established osteoporosis."
    ),
    ZCategory.WITHIN: "Your bone density is within the expected range for your age.",
    ZCategory.BELOW: (
        "Your bone density is below the expected range for your age. Your clinician will "
        "talk with you about what may be causing this."
    ),
}


def result_sentence(diagnosis: Diagnosis | None) -> str:
    """The diagnosis as a patient reads it."""
    if diagnosis is None:
        return "Your scan could not be summarised automatically: your clinician will explain it."
    sentence = CATEGORY_SENTENCES[diagnosis.category]
    score = "Z-score" if diagnosis.basis == Basis.Z_SCORE else "T-score"
    place = site_words(diagnosis.site, diagnosis.side or "")
    place = place[0].lower() + place[1:]
    return f"{sentence} Your lowest {score} was {format_score(diagnosis.score)} at the {place}."


def change_sentence(site_label: str, change: Change | None, since) -> str | None:
    """What changed at one site since the previous scan, against the scanner's variation."""
    if change is None:
        return None
    where = f"At the {site_label[0].lower()}{site_label[1:]}"
    when = f"since your scan on {since:%-d %B %Y}"
    if change.direction == Direction.NOT_JUDGED:
        if change.comparability == Comparability.SAME_DEVICE:
            signed = f"{change.percent:+.1f}%".replace("-", MINUS)
            return (
                f"{where}, your bone density changed by {signed} {when}; no figure for the "
                "scanner's normal variation is known at this site, so your clinician judges it."
            )
        if change.comparability == Comparability.CROSS_MANUFACTURER:
            return (
                f"{where}, {when}: this scan was on a scanner of another make, so the change is "
                "only approximate and cannot be judged."
            )
        return (
            f"{where}, {when}: this scan was on a different scanner, so the change cannot be "
            "judged against the scanner's normal variation."
        )
    amount = f"{abs(change.percent):.1f}%"
    if change.direction == Direction.LOSS:
        return (
            f"{where}, your bone density fell by {amount} {when}. This is more than the "
            "scanner's normal variation, so it is likely a real change."
        )
    if change.direction == Direction.GAIN:
        return (
            f"{where}, your bone density rose by {amount} {when}. This is more than the "
            "scanner's normal variation, so it is likely a real improvement."
        )
    signed = f"{change.percent:+.1f}%".replace("-", MINUS)
    return (
        f"{where}, your bone density is about the same {when} (a change of {signed}, "
        "within the scanner's normal variation)."
    )
