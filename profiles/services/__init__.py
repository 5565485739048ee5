"""What photosearch does with profiles, posts and photos, one module per concern.

Views, tasks, commands and the admin call these:
- ingest: a post and its images stored, the same way whatever brought them;
- imports: folders written by instaloader, and their zips unpacked;
- tracking: who tracks which profile, from the names people type;
- sessions: the signed-in Instagram sessions syncs use;
- demo: the demo profile.

What runs as a job (a sync, a zip's import, retrying or cancelling one) is in jobs.services.
"""
