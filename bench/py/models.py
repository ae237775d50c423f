"""The networks of lib/nn in PyTorch, with the same structure, the same
parameter and buffer order and the same memory layout (ResNet-18:
channels-last weights and activations, as lib/nn/resnet.cc), so that the
weights exported by the C++ benchmark load one-to-one (checked by comparing
the loss on the same batch)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, width=1.0, classes=10):
        super().__init__()
        ch = lambda base: max(1, int(round(base * width)))
        self.stem = nn.Conv2d(3, ch(64), 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(ch(64))
        layers, cin = [], ch(64)
        for stage, base in enumerate([64, 128, 256, 512]):
            cout = ch(base)
            layers += [BasicBlock(cin, cout, 1 if stage == 0 else 2), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, classes)
        self.to(memory_format=torch.channels_last)

    def forward(self, x):
        out = F.relu(self.stem_bn(self.stem(x.contiguous(memory_format=torch.channels_last))))
        out = self.layers(out)
        return self.classifier(F.adaptive_avg_pool2d(out, 1).flatten(1))


class Attention(nn.Module):
    def __init__(self, e, heads, context):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(e, 3 * e)
        self.proj = nn.Linear(e, e)
        self.register_buffer("mask", torch.ones(context, context, dtype=torch.bool).triu(1))

    def forward(self, x):
        b, t, e = x.shape
        q, k, v = self.qkv(x).split(e, 2)
        shape = lambda z: z.view(b, t, self.heads, e // self.heads).transpose(1, 2)
        q, k, v = shape(q), shape(k), shape(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(e // self.heads)
        att = att.masked_fill(self.mask[:t, :t], float("-inf")).softmax(-1)
        return self.proj((att @ v).transpose(1, 2).contiguous().view(b, t, e))


class Block(nn.Module):
    def __init__(self, e, heads, context):
        super().__init__()
        self.ln1 = nn.LayerNorm(e)
        self.attn = Attention(e, heads, context)
        self.ln2 = nn.LayerNorm(e)
        self.fc = nn.Linear(e, 4 * e)
        self.out = nn.Linear(4 * e, e)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class NanoGpt(nn.Module):
    def __init__(self, vocab=65, context=64, layers=4, heads=4, embedding=128):
        super().__init__()
        self.token = nn.Embedding(vocab, embedding)
        self.position = nn.Embedding(context, embedding)
        self.blocks = nn.ModuleList([Block(embedding, heads, context) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(embedding)
        self.head = nn.Linear(embedding, vocab, bias=False)

    def forward(self, idx):
        pos = torch.arange(idx.shape[1])
        x = self.token(idx) + self.position(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def load_raw(model, path):
    """Loads the float32 parameters and then the floating-point buffers
    (BatchNorm's running statistics) written by the C++ benchmark, in order."""
    import numpy as np
    flat = torch.from_numpy(np.fromfile(path, dtype=np.float32))
    offset = 0
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    with torch.no_grad():
        for p in tensors:
            p.copy_(flat[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
    assert offset == flat.numel(), (offset, flat.numel())
