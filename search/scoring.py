"""How the signals of a candidate photo become one score (pure Python: the benchmark tunes it offline).

Each vector signal is put in its own model's logit units (cosine x the scale it was trained at,
plus its bias): a unit then means the same to every model, which is what makes the sum fair.
Full text adds the idf-weighted share of the query's words that the photo holds, times a weight
tuned on Flickr8k's train and dev splits (28,000 queries; bench/search_quality.py --tune). An exact hashtag,
mention or place outranks everything else. A naive reciprocal-rank fusion did worse than the text
vectors alone on Flickr8k; this fusion is measured against each signal by bench/search_quality.py.
"""

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# Larger than any sum of the other terms: an exact term puts its post first.
EXACT_BONUS = 1000.0
# A SigLIP-style model (with a bias) says "match" with probability sigmoid(logit); below 1 in 1000
# it means no. A CLIP-style model has no bias: a cosine under 0.2 is what unrelated pairs get.
SIGMOID_FLOOR = math.log(0.001 / 0.999)
COSINE_FLOOR_WITHOUT_BIAS = 0.2


@dataclass(frozen=True)
class Weights:
    text_scale: float
    fulltext: float
    image_scale: float = 0.0
    image_bias: float = 0.0
    text_floor: float = 1.0

    def image_logit(self, cosine: float) -> float:
        return self.image_scale * cosine + self.image_bias

    def image_passes(self, cosine: float) -> bool:
        if self.image_bias:
            return self.image_logit(cosine) >= SIGMOID_FLOOR
        return cosine >= COSINE_FLOOR_WITHOUT_BIAS


@dataclass
class Candidate:
    photo_id: int
    post_id: int
    taken_at: datetime | None = None
    text: float | None = None  # cosine with the query, by the text embedder
    image: float | None = None  # cosine with the query, by the image-text model
    fulltext: float = 0.0  # the idf-weighted share of the query's words the photo's text holds (0 to 1)
    exact: list[str] = field(default_factory=list)  # "#sunset", "@marie", "Lisbon"
    score: float = 0.0

    def signals(self, weights: Weights) -> list[str]:
        """Which signals found this photo: the reasons shown beside it."""
        found = []
        if self.exact:
            found.append("exact")
        if self.image is not None and weights.image_passes(self.image):
            found.append("image")
        if self.text is not None and self.text >= weights.text_floor:
            found.append("text")
        if self.fulltext > 0:
            found.append("fulltext")
        return found


def score(candidate: Candidate, weights: Weights) -> float:
    total = 0.0
    if candidate.text is not None:
        total += weights.text_scale * candidate.text
    # Words in common count where the meaning is close too: shared words alone ("a man in a...")
    # would lift unrelated photos past the right one.
    if candidate.text is None or candidate.text >= weights.text_floor:
        total += weights.fulltext * candidate.fulltext
    if candidate.image is not None:
        total += weights.image_logit(candidate.image)
    if candidate.exact:
        total += EXACT_BONUS
    return total


def rank(candidates: list[Candidate], weights: Weights) -> list[Candidate]:
    """Candidates by fused score, best first; only those some signal vouches for (the relevance floor)."""
    for candidate in candidates:
        candidate.score = score(candidate, weights)
    kept = [c for c in candidates if c.signals(weights)]
    return sorted(kept, key=lambda c: (-c.score, c.photo_id))


def fold(text: str) -> str:
    """Lower-case without accents, as the database's photosearch_fold() does."""
    if text.isascii():  # most texts: nothing to decompose (and a search folds thousands of words)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_WORD = re.compile(r"[#@]?[\w.]+", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The folded words of a query, with any leading # or @ dropped."""
    return [word.lstrip("#@").strip(".") for word in _WORD.findall(fold(query)) if word.lstrip("#@").strip(".")]


def exact_terms(query: str, *, hashtags: list[str], mentions: list[str], location: str) -> list[str]:
    """The hashtags, mentions and place of a post that the query asks for by name.

    A tag or a mention is asked for when the query writes it (#sunset, @marie) or is nothing else
    ("sunset", "red boat" for #redboat): a tag that merely shares a word with a description is not.
    A place is asked for when the query holds all its words ("sunset in Lisbon").
    """
    words, joined, marked = _query_parts(query)
    found = [f"#{tag}" for tag in hashtags if fold(tag) in marked or fold(tag) == joined]
    found += [f"@{name}" for name in mentions if fold(name) in marked or fold(name) == joined]
    for place in (part.strip() for part in location.split(",")):
        place_words = _place_words(place)
        if len(place) >= 3 and place_words and all(word in words for word in place_words):
            found.append(place)
    return found


# A search asks exact_terms about each of its few hundred candidates: the query's side, and the
# places (few, and shared by many posts), are worked out once.
@functools.lru_cache(maxsize=256)
def _query_parts(query: str) -> tuple[frozenset[str], str, frozenset[str]]:
    """The query's folded words, those words joined (a tag written as words), and its #tags and @names."""
    words = query_words(query)
    marked = {word[1:].strip(".") for word in _WORD.findall(fold(query)) if word[0] in "#@"}
    return frozenset(words), "".join(words), frozenset(marked)


@functools.lru_cache(maxsize=4096)
def _place_words(place: str) -> tuple[str, ...]:
    return tuple(query_words(place))
