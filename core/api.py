"""What every router of the JSON API shares (the API itself is photosearch/api.py): the error bodies, the
refusals any operation may answer, and the types of what a person types."""

from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints


class Error(Schema):
    detail: str


class Invalid(Schema):
    detail: str = Field(description="What is wrong with the request, in a sentence")
    errors: list[dict] = Field(description="Each malformed parameter, as pydantic reports it")


# Every operation may answer these, declared so that a client knows to expect them: a 400 for a control
# character anywhere in the request, a 413 for a body over its path's limit (both photosearch.middleware),
# a 422 for a malformed parameter.
REFUSALS = {400: Error, 413: Error, 422: Invalid}
# What a person can type: no control characters (the middleware refuses them before any view runs).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
PRINTABLE = rf"^[^{_CONTROL}]*$"
# A query: printable, with something besides blanks in it.
QUERY = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
Printable = Annotated[str, StringConstraints(pattern=PRINTABLE)]
