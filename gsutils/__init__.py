"""gsutils: the code behind the executable edition of *Gradient Starvation*.

Pezeshki, Kaba, Bengio, Courville, Precup, Lajoie. "Gradient Starvation: A Learning Proclivity in
Neural Networks", NeurIPS 2021. Importing this package changes no global state; heavy modules are
imported where they are used.
"""

__version__ = "0.1.0"

# Where the book lives; the Colab install cell and the site's launch buttons both point here
# (tests/test_book_config.py checks that _config.yml agrees).
REPO_URL = "https://github.com/gsbook-project/gradient-starvation-book"
