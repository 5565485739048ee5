"""What profiles tells the apps above it, without importing them (nothing here imports a model, so an
app's AppConfig can import it at the top).

`photos_stored` is sent when a sync or an import has stored new photos, in the transaction that stored
them, with `profile` and `photos` (a queryset): the indexer (search) connects to it in its AppConfig.ready
and queues those of them that no index job has yet.
"""

from django.dispatch import Signal

photos_stored = Signal()
