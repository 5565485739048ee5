# The pages' short dates in French ("4 déc. 2026"): month abbreviations lower-case, as French writes them.
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y, H:i"
