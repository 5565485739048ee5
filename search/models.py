"""The sign bits of each photo's vectors, by profile: what a scoped search scans instead of the vectors.

A user who tracks a fifth of a library is scoped to a fifth of every HNSW graph: the graph walks on
until a hundred of the photos it meets are the user's, five times as far as an unscoped search
(bench/search_latency.py, filtered_by_share: 24 ms against 5 ms for one vector column at 100,000
photos). Comparing the query with every photo of the scope costs about as much (29 ms for 20,000
photos: the vectors are 1.5 kB each, kept out of line). The signs of the vectors' components, 96
bytes for 768 dimensions, held in a covering index ordered by profile, are read for 20,000 photos in
4 ms; the photos nearest by bits (Hamming distance) are then compared by their true vectors
(search.services), so that the bits only choose which photos to compare, never a ranking.

The rows are kept by triggers on profiles_photo (search/migrations/0001_vector_bits.py), like an
index: whatever writes a vector (indexing, a reindex, a bulk COPY) updates its bits in the same
transaction, and nothing in Python has to remember to.
"""

from django.conf import settings
from django.db import models
from pgvector.django import BitField


class VectorBits(models.Model):
    photo = models.OneToOneField("profiles.Photo", primary_key=True, on_delete=models.CASCADE, related_name="+")
    profile_id = models.BigIntegerField()
    # hashtext() of the model that made each vector: vectors of another model (during a reindex) are never compared.
    image_model = models.IntegerField(null=True)
    image_bits = BitField(length=settings.IMAGE_TEXT_DIMENSIONS, null=True)
    text_model = models.IntegerField(null=True)
    text_bits = BitField(length=settings.TEXT_DIMENSIONS, null=True)

    class Meta:
        indexes = [
            # Covering: a scope's scan reads this index only, a profile's photos side by side.
            models.Index(
                fields=["profile_id"],
                include=["photo", "image_model", "image_bits", "text_model", "text_bits"],
                name="vector_bits_by_profile",
            )
        ]

    def __str__(self):
        return f"bits of photo {self.photo_id}"
