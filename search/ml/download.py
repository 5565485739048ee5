"""Fetch the configured models from the Hugging Face hub ahead of time (workers never download)."""

from pathlib import Path

from huggingface_hub import snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled
from huggingface_hub.utils import tqdm as hf_tqdm

from search.ml.availability import SKIPPED_FILES


class DownloadFailed(Exception):
    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable  # the hub could not be reached (offline), rather than refused


class _BytesBar(hf_tqdm):
    """huggingface_hub's bars, with one bytes bar that says how long is left.

    snapshot_download sums every file into a "bytes written" bar and a "bytes received" bar, neither
    with an ETA: the first gets one, the second (the same figures, for most repositories) is hidden.
    """

    FORMAT = "  {desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]"

    def __init__(self, *args, **kwargs):
        self.counts_bytes = kwargs.get("unit") == "B"
        if kwargs.get("name") == "huggingface_hub.snapshot_download.transfer":
            kwargs["disable"] = True
        elif self.counts_bytes:
            kwargs.update(bar_format=self.FORMAT, desc="downloading")
        super().__init__(*args, **kwargs)

    def set_description(self, desc=None, refresh=True):
        if not self.counts_bytes:  # keep "downloading": snapshot_download's own words are about reconstruction
            super().set_description(desc, refresh)

    def set_description_str(self, desc=None, refresh=True):
        if not self.counts_bytes:
            super().set_description_str(desc, refresh)


def fetch(name: str) -> Path:
    """Download a model (with a progress bar) into the Hugging Face cache; a local folder is used as is.

    Files already fetched are kept: an interrupted download goes on from the files it had finished
    (and, within one run, a dropped connection resumes the file where it stopped).
    """
    if Path(name).is_dir():
        return Path(name)
    try:
        return Path(snapshot_download(repo_id=name, ignore_patterns=SKIPPED_FILES, tqdm_class=_BytesBar))
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        raise DownloadFailed(
            f"{name}: cannot reach the Hugging Face hub ({exc.__class__.__name__}); "
            "check the network (and that HF_HUB_OFFLINE is unset), or copy the model into a local folder.",
            unreachable=True,
        ) from None
    except HfHubHTTPError as exc:
        raise DownloadFailed(f"{name}: {exc}") from None
    except ValueError:  # huggingface_hub's check of the id: a folder that is not there, say
        raise DownloadFailed(f"{name}: no such folder on this machine, nor a Hugging Face model id.") from None
