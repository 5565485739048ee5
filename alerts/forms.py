from django import forms

from alerts.models import MAX_NAME_LENGTH
from search.forms import SearchForm


class SaveSearchForm(SearchForm):
    """The search page's query and filters (hidden fields), with a name and the daily e-mail."""

    name = forms.CharField(label="Name", required=False, max_length=MAX_NAME_LENGTH)
    email_digest = forms.BooleanField(label="E-mail me new matches daily", required=False)


class SavedSearchForm(forms.Form):
    """Rename a saved search, turn its daily e-mail on or off."""

    name = forms.CharField(label="Name", max_length=MAX_NAME_LENGTH)
    email_digest = forms.BooleanField(label="Daily e-mail", required=False)
