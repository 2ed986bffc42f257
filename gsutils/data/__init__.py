"""Data sets as pure functions of an explicit seed, returning CPU tensors.

Each data set lives in its own module; the public builders are re-exported here.
"""

from .mnist import MNIST_SOURCES, default_root, fetch_mnist, load_mnist, load_mnist_5k

__all__ = ["MNIST_SOURCES", "default_root", "fetch_mnist", "load_mnist", "load_mnist_5k"]
