# The pages' short dates ("4 Dec 2026"), where Django's English default is "Dec. 4, 2026".
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
