"""Errors of the ML layer, importable without torch (the web process and tasks catch them)."""

ROLE_NAMES = {
    "image_text": "image-text embedder",
    "describer": "describer",
    "text": "text embedder",
}


class ModelUnavailable(Exception):
    """A configured model is not on this machine (or not readable); retrying will not help."""

    def __init__(self, role: str, name: str, reason: str = ""):
        self.role, self.name, self.reason = role, name, reason
        super().__init__(
            f"The {ROLE_NAMES.get(role, role)} model {name!r} is not available on this machine"
            f"{f' ({reason})' if reason else ''}. Fetch it with `python manage.py download_models`, "
            f"or point {role_setting(role)} to a local folder."
        )


def role_setting(role: str) -> str:
    return {"image_text": "IMAGE_TEXT_MODEL", "describer": "DESCRIPTION_MODEL", "text": "TEXT_MODEL"}[role]
