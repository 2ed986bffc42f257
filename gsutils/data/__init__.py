"""Data sets as pure functions of an explicit seed, returning CPU tensors.

Each data set lives in its own module; the public builders are re-exported here.
"""

from .celeba import GROUP_NAMES, GroupSplit, celeba_standin, load_celeba  # CelebA, ch. 6
from .colored_mnist import ColoredMNIST, colored_mnist  # Colored MNIST, ch. 5
from .mnist import MNIST_SOURCES, default_root, fetch_mnist, load_mnist, load_mnist_5k
from .toy import two_moons  # toy task, ch. 4

__all__ = ["GROUP_NAMES", "GroupSplit", "celeba_standin", "load_celeba", "ColoredMNIST",
           "colored_mnist", "MNIST_SOURCES", "default_root", "fetch_mnist", "load_mnist",
           "load_mnist_5k", "two_moons"]
