"""The notebook's own PyTorch code, timed on the same machine as `cnnlab bench`, for ratios within one session.

Not part of the build or the tests: timings on shared 2-core machines swing by tens of percent between
hours, so cnnlab's claims against PyTorch are made from runs of this script interleaved with `cnnlab bench`
(README, Performance). The classes and the training loop are the notebook's (reference/notebook.txt),
with the two bugs that stop them from running fixed as cnnlab fixes them (`conv1(x)` in
NetBatchNormalization; ten independent ResBlocks rather than one shared ten times), and
`bias=False` meaning what the notebook meant.

    python3 bench/pytorch_notebook.py --data ../shared/data/cifar10-jpeg.tar.gz --archs net,batchnorm --epochs 2

Needs Debian's python3-torch, python3-pil and python3-numpy. Prints, per architecture, the median seconds
per epoch after --warmup warm-up epochs (default 1), with the notebook's settings: CIFAR-2, batch 64, SGD with the learning
rates of cnnlab's profiles, 2 threads.
"""
import argparse
import io
import statistics
import tarfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

MEAN = (0.4915, 0.4823, 0.4468)
STD = (0.2470, 0.2435, 0.2616)
CIFAR2 = {"airplane": 0, "bird": 1}


def load_cifar2(path):
    """The train split's airplanes and birds, as the notebook's list of (normalised CHW tensor, label)."""
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    out = []
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            parts = m.name.split("/")
            if not m.isfile() or len(parts) < 3 or parts[-3] != "train" or parts[-2] not in CIFAR2:
                continue
            img = Image.open(io.BytesIO(tar.extractfile(m).read())).convert("RGB")
            x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
            out.append(((x - mean) / std, CIFAR2[parts[-2]]))
    return out


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class NetWidth(nn.Module):
    def __init__(self, n_ch1=32, dropout=None):
        super().__init__()
        self.n_ch1 = n_ch1
        self.conv1 = nn.Conv2d(3, n_ch1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_ch1, n_ch1 // 2, kernel_size=3, padding=1)
        self.drop1 = nn.Dropout2d(p=dropout) if dropout else nn.Identity()
        self.drop2 = nn.Dropout2d(p=dropout) if dropout else nn.Identity()
        self.fc1 = nn.Linear(8 * 8 * n_ch1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.drop1(F.max_pool2d(torch.tanh(self.conv1(x)), 2))
        out = self.drop2(F.max_pool2d(torch.tanh(self.conv2(out)), 2))
        out = out.view(-1, 8 * 8 * self.n_ch1 // 2)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class NetBatchNormalization(nn.Module):
    def __init__(self, n_ch1=32):
        super().__init__()
        self.n_ch1 = n_ch1
        self.conv1 = nn.Conv2d(3, n_ch1, kernel_size=3, padding=1, bias=False)
        self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_ch1)
        self.conv2 = nn.Conv2d(n_ch1, n_ch1 // 2, kernel_size=3, padding=1, bias=False)
        self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_ch1 // 2)
        self.fc1 = nn.Linear(8 * 8 * n_ch1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.conv1_batchnorm(self.conv1(x))
        out = F.max_pool2d(torch.tanh(out), 2)
        out = self.conv2_batchnorm(self.conv2(out))
        out = F.max_pool2d(torch.tanh(out), 2)
        out = out.view(-1, 8 * 8 * self.n_ch1 // 2)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class ResBlock(nn.Module):
    def __init__(self, n_ch):
        super().__init__()
        self.conv = nn.Conv2d(n_ch, n_ch, kernel_size=3, padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_ch)
        torch.nn.init.constant_(self.batch_norm.weight, 0.5)
        torch.nn.init.zeros_(self.batch_norm.bias)
        torch.nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")

    def forward(self, x):
        return torch.relu(self.batch_norm(self.conv(x))) + x


class NetResDeep(nn.Module):
    def __init__(self, n_ch1=32, n_blocks=10):
        super().__init__()
        self.n_ch1 = n_ch1
        self.conv1 = nn.Conv2d(3, n_ch1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(*(ResBlock(n_ch=n_ch1) for _ in range(n_blocks)))
        self.fc1 = nn.Linear(8 * 8 * n_ch1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 8 * 8 * self.n_ch1)
        out = torch.relu(self.fc1(out))
        return self.fc2(out)


ARCHS = {
    "net": (Net, 1e-2),
    "width": (NetWidth, 1e-2),
    "dropout": (lambda: NetWidth(dropout=0.4), 1e-2),
    "batchnorm": (NetBatchNormalization, 1e-2),
    "resdeep": (NetResDeep, 1e-3),
}


def epoch_seconds(model, lr, loader, epochs, warmup=1):
    """The notebook's training_loop, timed per epoch; the first `warmup` epochs are not returned."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(warmup + epochs):
        t0 = time.perf_counter()
        for imgs, labels in loader:
            outputs = model(imgs)
            loss = loss_fn(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()
        times.append(time.perf_counter() - t0)
    return times[warmup:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--archs", default="net")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    t0 = time.perf_counter()
    cifar2 = load_cifar2(a.data)
    print(f"pytorch {torch.__version__}, {a.threads} threads; CIFAR-2 decoded in {time.perf_counter() - t0:.2f} s")
    loader = torch.utils.data.DataLoader(cifar2, batch_size=64, shuffle=True)
    for name in a.archs.split(","):
        if name not in ARCHS:
            print(f"{name:<11} (not in this script)")
            continue
        factory, lr = ARCHS[name]
        times = epoch_seconds(factory(), lr, loader, a.epochs, a.warmup)
        print(f"{name:<11} {statistics.median(times):8.2f} s/epoch  (epochs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
