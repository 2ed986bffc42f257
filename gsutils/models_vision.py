"""Image classifiers of the robustness chapter (chapter 7): LeNet, a small CNN, PreAct ResNet-18, VGG.

Every model returns K logits (N, K) and takes images in [0, 1]; ``Normalized`` folds the data set's
per-channel normalisation into the model, so that an attack perturbs pixels, as the threat model
says (eps = 5/255 is five grey levels), and the attack sees exactly what the model sees.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .runtime import check_choice

ARCHS = ("lenet", "small_cnn", "preact_resnet18", "vgg16")


class Normalized(nn.Module):
    """``model((x - mean) / std)`` with per-channel mean and std; x in [0, 1], shape (N, C, H, W)."""

    def __init__(self, model: nn.Module, mean, std):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return self.model((x - self.mean) / self.std)


class LeNet(nn.Module):
    """The authors' Figure_2/models.py ``Net`` (after LeCun et al. 1998): two 5 x 5 convolutions with
    max pooling, three linear layers, leaky ReLUs, widths x ``net_size`` (the authors': 2). Their
    input-perturbation parameters (always zero, never trained) are left out."""

    def __init__(self, in_channels: int = 3, image_size: int = 32, n_classes: int = 2, net_size: float = 2):
        super().__init__()
        c1, c2, h1, h2 = (round(w * net_size) for w in (6, 16, 120, 96))
        side = ((image_size - 4) // 2 - 4) // 2  # two valid 5 x 5 convolutions, two 2 x 2 poolings
        self.conv1, self.conv2 = nn.Conv2d(in_channels, c1, 5), nn.Conv2d(c1, c2, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(c2 * side * side, h1), nn.Linear(h1, h2), nn.Linear(h2, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.leaky_relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.leaky_relu(self.conv2(x)), 2)
        x = F.leaky_relu(self.fc1(x.flatten(1)))
        return self.fc3(F.leaky_relu(self.fc2(x)))


class SmallCNN(nn.Module):
    """Ours, for the Fashion-MNIST stand-in: two 3 x 3 convolutions (width, 2 width) with ReLU and
    2 x 2 max pooling, one hidden linear layer of 4 width units."""

    def __init__(self, in_channels: int = 1, image_size: int = 28, n_classes: int = 10, width: int = 16):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc1 = nn.Linear(2 * width * (image_size // 4) ** 2, 4 * width)
        self.fc2 = nn.Linear(4 * width, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class PreActBlock(nn.Module):
    """Pre-activation basic block (He et al. 2016, "Identity mappings"): BN-ReLU-conv, twice."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.shortcut = (nn.Conv2d(c_in, c_out, 1, stride, bias=False)
                         if stride != 1 or c_in != c_out else None)

    def forward(self, x):
        h = F.relu(self.bn1(x))
        skip = self.shortcut(h) if self.shortcut is not None else x  # projection after pre-activation
        h = self.conv1(h)
        return self.conv2(F.relu(self.bn2(h))) + skip


class PreActResNet18(nn.Module):
    """Pre-activation ResNet-18 for 32 x 32 images: a 3 x 3 stem, four stages of two blocks
    (64, 128, 256, 512 channels), BN-ReLU, global average pooling, one linear layer."""

    def __init__(self, in_channels: int = 3, n_classes: int = 10, width: int = 64):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        blocks, c = [], width
        for i, c_out in enumerate((width, 2 * width, 4 * width, 8 * width)):
            blocks += [PreActBlock(c, c_out, 1 if i == 0 else 2), PreActBlock(c_out, c_out, 1)]
            c = c_out
        self.blocks, self.bn, self.fc = nn.Sequential(*blocks), nn.BatchNorm2d(c), nn.Linear(c, n_classes)

    def forward(self, x):
        h = F.relu(self.bn(self.blocks(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


class VGG(nn.Module):
    """VGG with batch norm, as the authors' table_1/models/vgg.py (from hysts/pytorch_image_classification):
    five stages of 3 x 3 conv-BN-ReLU layers, each closed by 2 x 2 max pooling, one linear layer.
    The defaults, (64, 128, 256, 512, 512) channels and (2, 2, 3, 3, 3) layers, are VGG-16's
    convolutions. Initialisation as theirs: Kaiming-normal (fan out) convolutions, BN scales U(0, 1)."""

    def __init__(self, in_channels: int = 3, n_classes: int = 10, channels=(64, 128, 256, 512, 512),
                 layers=(2, 2, 3, 3, 3)):
        super().__init__()
        stages, c = [], in_channels
        for c_out, n in zip(channels, layers):
            for _ in range(n):
                stages += [nn.Conv2d(c, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
                c = c_out
            stages.append(nn.MaxPool2d(2))
        self.features, self.fc = nn.Sequential(*stages), nn.Linear(c, n_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))  # 32 x 32 input: 1 x 1 after five poolings


def build_classifier(arch: str, in_channels: int, image_size: int, n_classes: int, width: float,
                     mean, std) -> nn.Module:
    """One of ``ARCHS`` behind ``Normalized``; ``width``: LeNet's net_size, the others' base width
    (0: the architecture's own)."""
    check_choice("architecture", arch, ARCHS)
    if arch == "lenet":
        net = LeNet(in_channels, image_size, n_classes, width or 2)
    elif arch == "small_cnn":
        net = SmallCNN(in_channels, image_size, n_classes, int(width or 16))
    elif arch == "preact_resnet18":
        net = PreActResNet18(in_channels, n_classes, int(width or 64))
    else:
        base = int(width or 64)
        net = VGG(in_channels, n_classes, channels=tuple(base * m for m in (1, 2, 4, 8, 8)))
    return Normalized(net, mean, std)
