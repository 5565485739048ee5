"""What search tells the apps above it, without importing them.

`photos_indexed` is sent when a batch of photos went through a pass (searchable, or described), with
`photo_ids`, and `here` True when it ran in this process without a worker (`import_instaloader --index`).
Saved-search alerts connect to it in their AppConfig.ready.
"""

from django.dispatch import Signal

photos_indexed = Signal()
