# SPDX-License-Identifier: AGPL-3.0-or-later
"""pcnet-v1: the lesion detector's architecture, shared by train.py and export.py.

A small fully-convolutional centre-heatmap detector (CenterNet-style, one class "acne lesion"):
  input  RGB, (value / 255 - 0.5) / 0.25, H and W multiples of 16
  stem   c1 3->16 s2, c2 16->24 s2 (stride 4), c3 24->24
  down   c4 24->48 s2, c5 48->48 (stride 8); c6 48->64 s2, c7 64->64 (stride 16)
  up     l7 1x1 64->48, nearest x2, + c5 -> c8 3x3 48->48 (stride 8)
         l8 1x1 48->24, nearest x2, + c3 -> c9 3x3 24->24 (stride 4)
  heads  hm 1x1 24->1 (logit; sigmoid = lesion centre probability),
         wh 1x1 24->2 (log of box width and height in units of 4 px)
Every 3x3 conv has padding 1, is followed by batch norm (folded into the conv on export) and
ReLU. lib/model/model.c holds the same list; a change here needs a new architecture name there.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = "pcnet-v1"
STRIDE = 4
MULTIPLE = 16
MEAN, STD = 0.5, 0.25

# name, cin, cout, kernel, stride, batch norm + ReLU
LAYERS = [
    ("c1", 3, 16, 3, 2, True),
    ("c2", 16, 24, 3, 2, True),
    ("c3", 24, 24, 3, 1, True),
    ("c4", 24, 48, 3, 2, True),
    ("c5", 48, 48, 3, 1, True),
    ("c6", 48, 64, 3, 2, True),
    ("c7", 64, 64, 3, 1, True),
    ("l7", 64, 48, 1, 1, False),
    ("c8", 48, 48, 3, 1, True),
    ("l8", 48, 24, 1, 1, False),
    ("c9", 24, 24, 3, 1, True),
    ("hm", 24, 1, 1, 1, False),
    ("wh", 24, 2, 1, 1, False),
]


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k, s, bn):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, k // 2, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else None

    def forward(self, x):
        x = self.conv(x)
        return F.relu(self.bn(x)) if self.bn is not None else x


class PCNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({n: ConvBN(ci, co, k, s, bn) for n, ci, co, k, s, bn in LAYERS})
        nn.init.constant_(self.layers["hm"].conv.bias, -4.0)  # CenterNet's prior: rare centres

    def forward(self, x):
        L = self.layers
        c3 = L["c3"](L["c2"](L["c1"](x)))
        c5 = L["c5"](L["c4"](c3))
        c7 = L["c7"](L["c6"](c5))
        u8 = F.interpolate(L["l7"](c7), scale_factor=2, mode="nearest") + c5
        c8 = L["c8"](u8)
        u4 = F.interpolate(L["l8"](c8), scale_factor=2, mode="nearest") + c3
        c9 = L["c9"](u4)
        return L["hm"](c9), L["wh"](c9)


def folded(model):
    """{name.weight: OIHW float32, name.bias: O float32} with every batch norm folded in."""
    out = {}
    for n, ci, co, k, s, bn in LAYERS:
        m = model.layers[n]
        w = m.conv.weight.detach().double()
        if m.bn is not None:
            b = m.bn
            scale = b.weight.detach().double() / torch.sqrt(b.running_var.double() + b.eps)
            w = w * scale.view(-1, 1, 1, 1)
            bias = b.bias.detach().double() - b.running_mean.double() * scale
        else:
            bias = m.conv.bias.detach().double()
        out[n + ".weight"] = w.float().contiguous()
        out[n + ".bias"] = bias.float().contiguous()
    return out


def normalise(rgb_u8):
    """uint8 NHWC -> float NCHW as the model expects."""
    x = rgb_u8.permute(0, 3, 1, 2).float() / 255.0
    return (x - MEAN) / STD


def peaks(hm_logit, thr):
    """Local maxima (3x3) of the sigmoid heatmap above thr: list of (y, x, score) per image."""
    p = torch.sigmoid(hm_logit)
    keep = (p == F.max_pool2d(p, 3, 1, 1)) & (p > thr)
    out = []
    for i in range(p.shape[0]):
        ys, xs = torch.nonzero(keep[i, 0], as_tuple=True)
        out.append([(int(y), int(x), float(p[i, 0, y, x])) for y, x in zip(ys, xs)])
    return out
