from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.models import InstagramProfile, Post
from search.types import MAX_QUERY_LENGTH, SearchFilters


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Describe the photo"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("red boat at sunset, chien sur la plage…"), "autofocus": True}),
    )
    profile = forms.ModelMultipleChoiceField(
        label=_("Profiles"), queryset=InstagramProfile.objects.none(), required=False, to_field_name="username"
    )
    after = forms.DateField(label=_("Taken from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.MultipleChoiceField(label=_("Kind"), choices=Post.Kind.choices, required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[("relevance", _("Relevance")), ("date", _("Date"))],
        required=False,
        initial="relevance",
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=1000, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the user's own profiles can be chosen: any other username is "not one of the choices".
        self.fields["profile"].queryset = InstagramProfile.objects.tracked_by(user)

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("after"), cleaned.get("before")
        if after and before and after > before:
            self.add_error("before", _("The end of the date range is before its start."))
        return cleaned

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            profile_ids=tuple(profile.pk for profile in data["profile"]),
            taken_after=data["after"],
            taken_before=data["before"],
            kinds=tuple(data["kind"]),
            sort=data["sort"] or "relevance",
        )


class ImageSearchForm(forms.Form):
    """A photo to search with: checked and read by search.by_image, never stored."""

    image = forms.FileField(
        label=_("Or find a photo you have"),
        error_messages={"required": _("Choose a photo to search with."), "empty": _("This file is empty.")},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
