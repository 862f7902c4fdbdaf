import re


def slugify(text, separator="-"):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return separator.join(words)
