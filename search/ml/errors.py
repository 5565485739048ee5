"""Errors of the ML layer, importable without torch (the web process and tasks catch them)."""

ROLE_NAMES = {
    "image_text": "image-text embedder",
    "describer": "describer",
    "text": "text embedder",
    "reader": "reader (OCR)",
}


class ModelUnavailable(Exception):
    """A configured model is not on this machine (or not readable); retrying will not help."""

    def __init__(self, role: str, name: str, reason: str = ""):
        self.role, self.name, self.reason = role, name, reason
        why = f" ({reason})" if reason else ""
        if role == "reader":  # its models come with its package: nothing to download
            message = (
                f"The reader (OCR) {name!r} cannot run on this machine{why}. Install the requirements "
                "(rapidocr, onnxruntime), or set OCR_ENGINE empty to turn it off."
            )
        else:
            message = (
                f"The {ROLE_NAMES.get(role, role)} model {name!r} is not available on this machine{why}. "
                f"Fetch it with `python manage.py download_models`, or point {role_setting(role)} to a local folder."
            )
        super().__init__(message)


def role_setting(role: str) -> str:
    return {
        "image_text": "IMAGE_TEXT_MODEL",
        "describer": "DESCRIPTION_MODEL",
        "text": "TEXT_MODEL",
        "reader": "OCR_ENGINE",
    }[role]
