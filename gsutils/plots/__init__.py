"""Plotly figure builders for every chapter; each takes results (arrays, dicts), never models.

Floats in figure data are rounded to ~5 significant digits so that re-executed notebooks are
byte-stable. Sections are marked ``# --- <topic>``.

One module per experiment over a shared core; every public name is re-exported here.
"""

from .core import fixed, markdown_table  # noqa: F401
from .theory import *  # noqa: F401,F403
from .toy import *  # noqa: F401,F403
from .colored_mnist import *  # noqa: F401,F403
from .celeba import *  # noqa: F401,F403
from .robustness import *  # noqa: F401,F403
from .sweep import *  # noqa: F401,F403
