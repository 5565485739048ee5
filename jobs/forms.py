from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.services.tracking import username_parse


class ProfileAddForm(forms.Form):
    profile = forms.CharField(
        label=_("Instagram profile"),
        max_length=200,
        help_text=_("A username, @username or the profile's link, e.g. https://www.instagram.com/natgeotravel/"),
        widget=forms.TextInput(attrs={"placeholder": "natgeotravel", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_profile(self) -> str:
        return username_parse(text=self.cleaned_data["profile"])
