"""`python -m gsutils.colab`: write the Colab editions colab/*.ipynb from book/*.ipynb."""

import sys

from . import write_editions

if __name__ == "__main__":
    try:
        written = write_editions()
    except (RuntimeError, KeyError, ValueError) as err:
        sys.exit(f"error: {err}")
    for path in written:
        print(f"wrote {path.relative_to(path.parent.parent)}")
