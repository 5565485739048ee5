"""Fetch the configured models from the Hugging Face hub ahead of time (workers never download)."""

from pathlib import Path

from huggingface_hub import snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

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


class DownloadFailed(Exception):
    pass


def fetch(name: str) -> Path:
    """Download a model (with a progress bar) into the Hugging Face cache; a local folder is used as is."""
    if Path(name).is_dir():
        return Path(name)
    try:
        return Path(snapshot_download(repo_id=name, ignore_patterns=SKIPPED_FILES))
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        raise DownloadFailed(
            f"{name}: cannot reach the Hugging Face hub ({exc.__class__.__name__}); "
            "unset HF_HUB_OFFLINE or copy the model into a local folder."
        ) from None
    except HfHubHTTPError as exc:
        raise DownloadFailed(f"{name}: {exc}") from None
