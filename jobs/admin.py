"""The admin of jobs (retry, cancel, re-index, the dashboard) and of profiles, whose state and history are
their jobs' (import a zip, sync now, re-index)."""

import zipfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers

from jobs.indexer import indexer
from jobs.models import Job
from jobs.selectors import ProfileStatus, jobs_dashboard, profile_state, profile_states, profiles_with_status
from jobs.services import jobs, sync, uploads
from profiles.admin import PrivateProfileAccessInline, TrackingInline
from profiles.models import InstagramProfile, PrivateProfileAccess
from profiles.services import tracking


class JobInline(admin.TabularInline):
    """A profile's sync history: every job kept, newest first, each a link to its page."""

    model = Job
    fk_name = "profile"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]
    fields = ["kind", "status", "progress_done", "progress_total", "message", "created_at", "finished_at"]
    readonly_fields = fields
    verbose_name_plural = "Sync history"

    def has_add_permission(self, request, obj=None):
        return False  # jobs are made by syncs, imports and the actions, never by hand


class ImportZipForm(forms.Form):
    archive = forms.FileField(label="Zip of an instaloader folder", help_text="The folder `instaloader PROFILE` wrote.")
    profile = forms.CharField(
        label="Profile", required=False, help_text="Its username; leave empty to take it from the folder."
    )

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if not zipfile.is_zipfile(archive):
            raise forms.ValidationError("This file is not a zip.")
        archive.seek(0)
        return archive

    def clean_profile(self):
        text = self.cleaned_data["profile"]
        return tracking.username_parse(text=text) if text else ""


class StateFilter(admin.SimpleListFilter):
    """Profiles by state, derived from their jobs as everywhere else (jobs.selectors)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return ProfileStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in ProfileStatus.values:
            return queryset
        return queryset.filter(pk__in=profiles_with_status(status=self.value(), profiles=queryset))


@admin.register(InstagramProfile)
class InstagramProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "state", "is_private", "is_demo", "post_count", "last_synced_at"]
    list_filter = [StateFilter, "is_private", "is_demo"]
    search_fields = ["username", "full_name"]
    readonly_fields = ["state", "instagram_id", "is_demo", "last_synced_at", "sync_cursor", "created_at"]
    inlines = [TrackingInline, PrivateProfileAccessInline, JobInline]
    actions = ["sync_now", "reindex"]
    change_list_template = "admin/profiles/instagramprofile/change_list.html"

    def get_changelist_instance(self, request):
        # The page's profiles get their states in two queries, not two per row.
        changelist = super().get_changelist_instance(request)
        states = profile_states(profiles=changelist.result_list)
        for profile in changelist.result_list:
            profile.state = states[profile.pk]
        return changelist

    @admin.display(description="State")
    def state(self, profile):
        state = getattr(profile, "state", None) or profile_state(profile)
        return f"{state.label} · {state.detail}" if state.detail else state.label

    def save_formset(self, request, form, formset, change):
        if formset.model is PrivateProfileAccess:
            for inline in formset.forms:
                inline.instance.granted_by = inline.instance.granted_by or request.user
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_zip_view)
        return [path("import-zip/", view, name="profiles_import_zip"), *super().get_urls()]

    def import_zip_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportZipForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            username = form.cleaned_data["profile"]
            profile = InstagramProfile.objects.get_or_create(username=username)[0] if username else None
            job = uploads.zip_import_queue(
                upload=form.cleaned_data["archive"], profile=profile, requested_by=request.user
            )
            self.message_user(request, f"The import is queued as job #{job.pk}.", messages.SUCCESS)
            return redirect("admin:jobs_job_change", job.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import an instaloader zip"}
        return render(request, "admin/profiles/import_zip.html", context)

    @admin.action(description="Sync the selected profiles from Instagram now", permissions=["change"])
    def sync_now(self, request, queryset):
        queued = [job for profile in queryset if (job := sync.profile_sync_queue(profile=profile))]
        self.message_user(request, f"{len(queued)} sync(s) queued.", messages.SUCCESS)

    @admin.action(description="Re-index the photos of the selected profiles", permissions=["change"])
    def reindex(self, request, queryset):
        _reindex(self, request, queryset)


def _reindex(model_admin, request, profiles):
    """Queue an index job per profile for its photos the current models have not indexed (failed ones included)."""
    queued, notes = 0, []
    for profile in profiles:
        try:
            job = indexer().reindex(profile=profile, requested_by=request.user)
        except jobs.JobRefused as refused:
            notes.append(str(refused))
            continue
        if job:
            queued += 1
        else:
            notes.append(
                f"Every photo of @{profile.username} is searchable by the current models already; "
                "any description still to do is queued."
            )
    model_admin.message_user(request, f"{queued} index job(s) queued.", messages.SUCCESS)
    for note in notes:
        model_admin.message_user(request, note, messages.WARNING)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "profile", "progress", "message", "created_at", "finished_at", "retry_of"]
    list_filter = ["kind", "status", ("profile", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["profile"]
    search_fields = ["profile__username", "message", "celery_task_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["profile", "requested_by"]
    readonly_fields = [
        "kind", "status", "progress_done", "progress_total", "message", "wait_until", "retry_of", "celery_task_id",
        "source_file", "created_at", "started_at", "finished_at", "updated_at", "heartbeat_at", "requeues", "error",
    ]  # fmt: skip
    actions = ["retry", "cancel", "reindex_profiles"]
    change_list_template = "admin/jobs/job/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="jobs_job_dashboard"), *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **jobs_dashboard(), "title": "Jobs dashboard"}
        # The page polls itself for this fragment: counts and failures refresh without a reload.
        template = "admin/jobs/job/_dashboard.html" if request.htmx else "admin/jobs/job/dashboard.html"
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def has_add_permission(self, request):
        return False  # jobs are made by syncs, imports and the actions above, never by hand

    @admin.display(description="Progress")
    def progress(self, job):
        return f"{job.progress_done}/{job.progress_total}" if job.progress_total else job.progress_done or ""

    @admin.action(description="Retry the selected failed or cancelled jobs (as new jobs)", permissions=["change"])
    def retry(self, request, queryset):
        retried = []
        for job in queryset.order_by("pk"):
            try:
                retried.append(jobs.job_retry(job=job, requested_by=request.user))
            except jobs.JobRefused as refused:
                self.message_user(request, str(refused), messages.WARNING)
        if retried:
            numbers = ", ".join(f"#{job.pk}" for job in retried)
            self.message_user(request, f"{len(retried)} job(s) queued again as {numbers}.", messages.SUCCESS)

    @admin.action(description="Cancel the selected queued or running jobs", permissions=["change"])
    def cancel(self, request, queryset):
        cancelled = sum(jobs.job_cancel(job=job) for job in queryset)
        skipped = queryset.count() - cancelled
        text = f"{cancelled} job(s) cancelled; a running one stops at its next batch."
        self.message_user(request, text + (f" {skipped} had ended already." if skipped else ""), messages.SUCCESS)

    @admin.action(description="Re-index the photos of the selected jobs' profiles", permissions=["change"])
    def reindex_profiles(self, request, queryset):
        profiles = InstagramProfile.objects.filter(pk__in=queryset.values("profile")).order_by("username")
        _reindex(self, request, profiles)
