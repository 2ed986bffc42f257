"""Hyperparameters of every experiment and profile, mirroring the paper's tables.

Each experiment has a frozen dataclass and two profiles: ``paper`` (the paper's protocol, each value
citing its source) and ``quick`` (reduced so that the book executes in minutes on 2 CPU cores).
``get_config(experiment, profile, overrides)`` is the one entry point used by the chapters, the tests
and the command line; overrides are ``"key=value"`` strings (dotted keys reach nested configs) checked
against the dataclass fields and coerced to their types.

Notation: the paper's SD penalty is (sd_lambda / 2) * mean((y_hat - sd_gamma_y)^2); the original code
writes ``coef * mean(y_hat^2)``, so sd_lambda = 2 * coef throughout.

One module per experiment (theory, toy, colored_mnist, celeba, robustness) over a shared core; every public
name is re-exported here, so ``configs.TOY_PROFILES`` and friends keep working.
"""

from .core import PROFILE_NAMES, InputError, apply_overrides, as_dict, coerce, describe  # noqa: F401
from .theory import *  # noqa: F401,F403
from .toy import *  # noqa: F401,F403
from .colored_mnist import *  # noqa: F401,F403
from .celeba import *  # noqa: F401,F403
from .robustness import *  # noqa: F401,F403
from .search import *  # noqa: F401,F403
