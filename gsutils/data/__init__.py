"""Data sets as pure functions of an explicit seed, returning CPU tensors.

Each data set lives in its own module; the public builders are re-exported here.
"""

from .colored_mnist import ColoredMNIST, colored_mnist  # noqa: F401  (Colored MNIST, ch. 5)
from .celeba import GROUP_NAMES, GroupSplit, celeba_standin, load_celeba  # noqa: F401  (CelebA, ch. 6)
from .mnist import MNIST_SOURCES, default_root, fetch_mnist, load_mnist, load_mnist_5k
from .toy import two_moons  # noqa: F401  (toy task, ch. 4)

__all__ = ["MNIST_SOURCES", "default_root", "fetch_mnist", "load_mnist", "load_mnist_5k"]
