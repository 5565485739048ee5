"""Which configured models are on this machine, read from the disk alone: no network, no torch.

A model is here when its setting names a local folder, or when the Hugging Face cache holds its
complete snapshot (huggingface_hub checks every file against the listing it cached when the
snapshot was fetched, so an interrupted download does not count). The web process asks before
a search; the sweep asks before queueing photos; `download_models --if-missing` asks before
fetching anything.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from huggingface_hub import snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError

from search.ml.errors import ROLE_NAMES, role_setting

# The roles whose models come from the Hugging Face hub; the reader's (OCR) come with its package.
HUB_ROLES = ("image_text", "describer", "text")

# Weights for other frameworks that transformers does not read: gigabytes for nothing.
SKIPPED_FILES = [
    "*.onnx",
    "onnx/*",
    "openvino/*",
    "*.h5",
    "*.msgpack",
    "*.ot",
    "tf_model*",
    "flax_model*",
    "rust_model*",
]


@dataclass(frozen=True)
class ConfiguredModel:
    role: str
    name: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]

    def __str__(self):
        return f"{self.role_name} {self.name}"


def configured_models(roles=None) -> list[ConfiguredModel]:
    """The hub model of each role turned on (an empty setting turns a role off)."""
    models = [ConfiguredModel(role, getattr(settings, role_setting(role))) for role in roles or HUB_ROLES]
    return [model for model in models if model.name]


def model_path(name: str) -> Path | None:
    """Where a model is on this machine, or None when it is not (or only partly) there."""
    if Path(name).is_dir():
        return Path(name)
    try:
        return Path(snapshot_download(repo_id=name, local_files_only=True, ignore_patterns=SKIPPED_FILES))
    except (LocalEntryNotFoundError, ValueError):  # ValueError: not a folder, nor a valid model id
        return None


def models_missing() -> list[ConfiguredModel]:
    """The configured models that are not on this machine: until they are, search uses words only."""
    return [model for model in configured_models() if model_path(model.name) is None]
