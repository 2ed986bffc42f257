"""Adversarial robustness (chapter 7): the paper's CIFAR table and two-class minimal-perturbation study.

SD's coefficient is written as the authors' scripts write it, ``sd_coef``: the training loss is
cross-entropy + sd_coef * mean(logits^2) (mean over the batch and the classes), so the paper's
lambda is 2 * sd_coef. The two-class study's script adds 0.1 * sum(logits^2) with batch 1 and two
logits, which is 0.2 * mean(logits^2): its sd_coef is 0.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runtime import check_choice
from .core import check

__all__ = ['ROBUSTNESS_DATA', 'ROBUSTNESS_METHODS', 'RobustnessRun', 'TwoClassStudy',
           'RobustnessConfig', 'ROBUSTNESS_PROFILES', 'ROBUSTNESS_PAPER']

# Sources. [T1] the authors' table_1/ (main.py, run_ERM.sh, run_SD.sh; gradientstarvation/GS), a
# modified copy of hysts/pytorch_image_classification, whose configs/{vgg,resnet_preact}.json give
# the optimiser (the GS copy of resnet_preact.json is empty); [F2] the authors' Figure_2/main.py
# and fig_3.sh (from nar-k/persistent-excitation).
ROBUSTNESS_DATA = ("fashion_mnist", "cifar10", "cifar100")
ROBUSTNESS_METHODS = ("ERM", "SD")


@dataclass(frozen=True)
class RobustnessRun:
    """One row of the robustness table: a data set, a model, its training recipe, SD's coefficient."""

    data: str = "cifar10"
    arch: str = "vgg16"  # gsutils.models_vision.ARCHS
    width: float = 0.0  # 0: the architecture's own width (LeNet: net_size)
    sd_coef: float = 0.01  # [T1] run_SD.sh / code comments: 0.01 on CIFAR-10, 0.05 on CIFAR-100
    epochs: int = 160  # [T1] hysts config: 160 epochs
    batch_size: int = 128  # [T1] hysts config
    lr: float = 0.1  # [T1] hysts config: SGD lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    milestones: tuple = (80, 120)  # [T1] hysts config: lr x 0.1 at epochs 80 and 120
    lr_decay: float = 0.1
    augment: bool = True  # [T1] random crop (padding 4) and horizontal flip
    n_train: int = 0  # 0: the whole training split
    n_test: int = 10000  # clean accuracy on this many test images
    n_attack: int = 10000  # robust accuracy on the first n_attack of them

    def __post_init__(self):
        check_choice("data", self.data, ROBUSTNESS_DATA)
        check(self.sd_coef >= 0 and self.epochs > 0 and self.batch_size > 0 and self.lr > 0,
              f"bad run: sd_coef={self.sd_coef}, epochs={self.epochs}, batch_size={self.batch_size}, "
              f"lr={self.lr}; need sd_coef >= 0 and epochs, batch_size, lr > 0")
        check(self.n_train >= 0 and self.n_test > 0 and 0 < self.n_attack <= self.n_test,
              f"bad sizes: n_train={self.n_train}, n_test={self.n_test}, n_attack={self.n_attack}; "
              f"need n_train >= 0 (0: all) and 0 < n_attack <= n_test")


@dataclass(frozen=True)
class TwoClassStudy:
    """[F2] minimal L-inf perturbation per test image of a two-class problem, ERM against SD."""

    data: str = "cifar10"
    classes: tuple = (0, 7)  # [F2] class_a_label = 0 (airplane), class_b_label = 7 (horse)
    arch: str = "lenet"
    net_size: float = 2.0  # [F2] --net-size 2
    epochs: int = 40  # [F2] --epoch 40
    batch_size: int = 1  # [F2] train_loader batch_size=1
    lr: float = 1e-3  # [F2] SGD lr 1e-3, momentum 0.9, no weight decay
    momentum: float = 0.9
    sd_coef: float = 0.2  # [F2] fig_3.sh --sd_coef 0.1 on sum(logits^2) of one image, two logits
    n_train: int = 0  # 0: every training image of the two classes (10,000 on CIFAR-10)
    n_test: int = 0  # 0: every test image of the two classes (2,000 on CIFAR-10)
    eps_max: float = 0.5  # search range [0, eps_max] in pixel units ([F2]: bins up to 1 in [-1, 1] units)
    tol: float = 0.001  # bisection tolerance (pixel units)
    steps: int = 40  # PGD steps per trial radius ([F2]: foolbox 2 PGD's default 40)
    rel_step: float = 1 / 30  # step = rel_step * eps ([F2]: foolbox 2 PGD's stepsize 0.01 / epsilon 0.3)
    curve_points: int = 101  # epsilons of the flipped-fraction curve, on [0, eps_max]

    def __post_init__(self):
        check_choice("two-class data", self.data, ROBUSTNESS_DATA)
        check(len(self.classes) == 2 and self.classes[0] != self.classes[1]
              and all(0 <= c < 10 for c in self.classes),
              f"classes={self.classes}: need two different class indices in 0-9")
        check(0 < self.tol < self.eps_max <= 1 and self.steps > 0 and self.rel_step > 0,
              f"bad search: tol={self.tol}, eps_max={self.eps_max}, steps={self.steps}, "
              f"rel_step={self.rel_step}; need 0 < tol < eps_max <= 1, steps > 0, rel_step > 0")
        check(self.epochs > 0 and self.batch_size > 0 and self.lr > 0 and self.sd_coef >= 0
              and self.n_train >= 0 and self.n_test >= 0 and self.curve_points >= 2,
              f"bad study: epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr}, "
              f"sd_coef={self.sd_coef}, n_train={self.n_train}, n_test={self.n_test}")


@dataclass(frozen=True)
class RobustnessConfig:
    """The chapter's two experiments; ``runs`` are the table's rows (the first is the headline)."""

    runs: dict = field(default_factory=dict)
    two_class: TwoClassStudy = TwoClassStudy()
    data_root: str = ""  # "": gsutils.data.default_root()
    download: bool = False  # CIFAR: let torchvision download it (Colab, GPU machines)
    verify_md5: bool = True  # CIFAR: torchvision's MD5 checks (off only for test fixtures)
    eps: float = 5 / 255  # [T1] torchattacks.PGD(eps=5/255, alpha=0.5/255, steps=10)
    attack_steps: int = 10
    attack_step: float = 0.5 / 255
    random_start: bool = True  # [T1] torchattacks' PGD starts at a random point of the ball
    eps_grid: tuple = (1 / 255, 2 / 255, 5 / 255, 8 / 255)  # robust accuracy against eps (ours)
    seed: int = 0

    def __post_init__(self):
        check(len(self.runs) > 0, "runs: need at least one")
        check(0 < self.eps < 1 and self.attack_steps > 0 and self.attack_step > 0,
              f"bad attack: eps={self.eps}, attack_steps={self.attack_steps}, "
              f"attack_step={self.attack_step}; need 0 < eps < 1, steps and step > 0")
        check(all(0 < e < 1 for e in self.eps_grid), f"eps_grid={self.eps_grid}: need 0 < eps < 1")
        check(self.seed >= 0, f"seed={self.seed}: need >= 0")


ROBUSTNESS_PROFILES = {
    # [T1]: VGG on CIFAR-10 (run_SD.sh) with SD 0.01, a pre-activation ResNet on CIFAR-100
    # (run_ERM.sh) with SD 0.05; 160 epochs of the hysts recipe; the whole test split attacked.
    "paper": RobustnessConfig(download=True, runs={
        "cifar10_vgg16": RobustnessRun("cifar10", "vgg16", sd_coef=0.01),
        "cifar100_preact_resnet18": RobustnessRun("cifar100", "preact_resnet18", sd_coef=0.05)}),
    # Stand-in (ours), sized for 2 CPU cores: Fashion-MNIST's 10 classes, a small CNN (width 8) trained
    # from scratch on 5,000 images for 3 epochs with the table's SGD recipe (the rate cut at epoch 2),
    # 1,000 test images, the first 500 attacked; eps = 0.05 (5/255 barely moves a CNN on Fashion-MNIST).
    # The two-class study on Pullover against Coat: 1,000 training images, batch 1 as the authors but
    # 3 epochs (theirs: 40 on 10,000 images) at twice their learning rate (1e-2 made ERM diverge),
    # 200 test images searched with 10 PGD steps per radius.
    "quick": RobustnessConfig(
        runs={"fashion_mnist_small_cnn": RobustnessRun(
            "fashion_mnist", "small_cnn", width=8.0, sd_coef=0.01, epochs=3, batch_size=128, lr=0.05,
            milestones=(2,), augment=False, n_train=5000, n_test=1000, n_attack=500)},
        two_class=TwoClassStudy("fashion_mnist", classes=(2, 4), epochs=3, lr=2e-3, n_train=1000, n_test=200,
                                eps_max=0.3, tol=0.005, steps=10, rel_step=0.25, curve_points=61),
        eps=0.05, attack_step=0.005, eps_grid=(0.02, 0.1)),
}

# The paper's robust accuracies (%) under PGD L-inf eps = 5/255, 10 steps, as the authors' code
# comments give them ([T1] main.py: "Cifar 10 with SD= 0.0 vs 0.01 --> 30 vs 67", "Cifar 100 with
# SD= 0.0 vs 0.05 --> 14 vs 25"). Clean accuracies are not in the code.
ROBUSTNESS_PAPER = {"cifar10": {"ERM": 30.0, "SD": 67.0}, "cifar100": {"ERM": 14.0, "SD": 25.0}}
