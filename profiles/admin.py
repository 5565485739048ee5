"""The admin of what is stored of Instagram: posts, photos, private profiles' leaves, signed-in sessions.

The profiles' own admin (with their state and sync history) and the jobs' are in jobs/admin.py: they
show jobs, which sit above profiles.
"""

from django import forms
from django.contrib import admin

from profiles import instagram
from profiles.models import InstagramSession, Photo, Post, PrivateProfileAccess, Tracking
from profiles.services import sessions


class TrackingInline(admin.TabularInline):
    model = Tracking
    extra = 0
    raw_id_fields = ["user"]


class PrivateProfileAccessInline(admin.TabularInline):
    """Who may track this profile while it is private (README, "Private profiles")."""

    model = PrivateProfileAccess
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]
    verbose_name_plural = "Allowed to see it while it is private"


@admin.register(PrivateProfileAccess)
class PrivateProfileAccessAdmin(admin.ModelAdmin):
    list_display = ["profile", "user", "granted_by", "created_at"]
    search_fields = ["profile__username", "user__username"]
    raw_id_fields = ["profile", "user"]
    readonly_fields = ["granted_by", "created_at"]

    def save_model(self, request, obj, form, change):
        obj.granted_by = obj.granted_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["shortcode", "profile", "kind", "taken_at", "likes", "comments"]
    list_filter = ["kind"]
    list_select_related = ["profile"]
    search_fields = ["shortcode", "caption", "profile__username"]
    date_hierarchy = "taken_at"
    raw_id_fields = ["profile"]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "width", "height", "image_embedding_model", "text_embedding_model", "indexed_at"]
    list_select_related = ["post"]
    search_fields = ["post__shortcode", "description", "alt_text"]
    raw_id_fields = ["post"]
    # Vectors are written by the indexer only; editing hundreds of numbers by hand helps nobody.
    exclude = ["image_embedding", "text_embedding"]
    readonly_fields = [
        "width", "height", "sha256", "perceptual_hash", "description_model",
        "image_embedding_model", "text_embedding_model", "indexed_at", "index_error",
    ]  # fmt: skip


class InstagramSessionForm(forms.ModelForm):
    """Cookies or a password go in; only the cookies Instagram hands back are kept, and never shown."""

    cookies_text = forms.CharField(
        label="Cookies",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="Exported from a browser signed in to Instagram: a JSON object or list, or a Cookie header.",
    )
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Or sign in with the account's password (it is not kept).",
    )
    two_factor_code = forms.CharField(label="Two-factor code", required=False, max_length=12)

    class Meta:
        model = InstagramSession
        fields = ["username", "is_active"]

    def clean(self):
        data = super().clean()
        username, text, password = data.get("username"), data.get("cookies_text"), data.get("password")
        if not username:
            return data
        data["username"] = username.lower()
        if not (text or password or self.instance.pk):
            raise forms.ValidationError("Paste the account's cookies, or enter its password.")
        try:
            if text:
                self.instance.cookies = sessions.cookies_from_text(text)
            elif password:
                code = data.get("two_factor_code", "")
                self.instance.cookies = instagram.cookies_from_login(username, password, lambda: code)
        except instagram.InstagramError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(InstagramSession)
class InstagramSessionAdmin(admin.ModelAdmin):
    form = InstagramSessionForm
    list_display = ["username", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["stored", "created_at", "updated_at"]
    fields = ["username", "is_active", "stored", "cookies_text", "password", "two_factor_code"]

    @admin.display(description="Session")
    def stored(self, obj):
        return "Stored (hidden). Paste cookies or enter a password to replace it." if obj.cookies else "None yet."
