"""Generated query strings on the patient list: the list always answers, filters or not."""

from django.core.cache import cache
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from osteoclinic.forms import ClinicPatientListForm
from tests.fuzz import FUZZ, any_text, checkbox, form_data, sometimes_missing, text_or

words = st.lists(st.sampled_from(["paula", "Fischer", "MRN-PETE", "a", "%", "_"]), max_size=900)
page_number = text_or(
    "1", "2", "0", "-1", "last", "9999999999999999999999", "1e3", "2.0", "\u0662", "-0"
)
query = form_data(
    q=sometimes_missing(st.one_of(any_text, words.map(" ".join))),
    sort=sometimes_missing(text_or(*ClinicPatientListForm.SORTS, "-mrn,name", "id", "?")),
    category=sometimes_missing(
        text_or(*(value for value, _ in ClinicPatientListForm.base_fields["category"].choices))
    ),
    sex=sometimes_missing(text_or("female", "male")),
    has_fracture=sometimes_missing(text_or("any", "fragility")),
    risk=checkbox,
    significant_loss=checkbox,
    overdue=checkbox,
    page=sometimes_missing(page_number),
)


@FUZZ
@given(params=query)
# A long search (a pasted paragraph of 500 words, 1,000 characters: well within a URL, which
# servers take up to 4 KB) is one OR per word, and SQLite parses at most 1,000 deep.
@example(params={"q": "a " * 500})
def test_the_patient_list_answers_any_query_string(client_for, alice, paula, pete, params):
    client = client_for(alice)
    # Each example is rendered afresh: a repeated query string would come from the cache.
    cache.clear()
    response = client.get(reverse("patient_list"), params)
    assert response.status_code == 200
    page = response.context["page"]
    assert 1 <= page.number <= page.paginator.num_pages
