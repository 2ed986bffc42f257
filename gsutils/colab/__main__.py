"""`python -m gsutils.colab`: write the Colab editions colab/*.ipynb from book/*.ipynb."""

from . import write_editions

if __name__ == "__main__":
    for path in write_editions():
        print(f"wrote {path}")
