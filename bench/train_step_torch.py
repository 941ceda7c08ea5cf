"""PyTorch CPU baseline for bench/train-step.ts: the same supernet KD fine-tuning step, written
the way a PyTorch user would (nn.Module, autograd, torch.optim.AdamW), on the same shapes:
student at the `small` preset (embed 64 -> hidden 128, 4 layers, 4 heads, every layer 4 stacked
full-width GELU FFN blocks of width 128, fit_dense to the teacher width), a 4-layer hidden-256
teacher forward without grad, and the same loss: attention-score MSE + hidden-state MSE through
fit_dense (embedding and every layer) + soft cross-entropy on the teacher's logits.
Prints one JSON object. Usage: python3 bench/train_step_torch.py CONFIG_JSON
"""
import json
import math
import sys
import time

import torch
from torch import nn

cfg = json.loads(sys.argv[1])
torch.manual_seed(1)
torch.set_num_threads(cfg["threads"])
B, L = cfg["batch"], cfg["seq"]


class Layer(nn.Module):
    def __init__(self, h, heads, inter, stack, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(h, 3 * h)
        self.out = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.ffn = nn.ModuleList(
            nn.ModuleList([nn.Linear(h, inter), nn.Linear(inter, h), nn.LayerNorm(h, eps=1e-12)]) for _ in range(stack)
        )

    def forward(self, x):
        b, l, h = x.shape
        q, k, v = self.qkv(x).view(b, l, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads)
        probs = nn.functional.dropout(scores.softmax(-1), self.dropout, self.training)
        ctx = (probs @ v).transpose(1, 2).reshape(b, l, h)
        x = self.ln1(x + nn.functional.dropout(self.out(ctx), self.dropout, self.training))
        for up, down, ln in self.ffn:
            x = ln(x + nn.functional.dropout(down(nn.functional.gelu(up(x))), self.dropout, self.training))
        return x, scores


class Encoder(nn.Module):
    def __init__(self, vocab, embed, h, layers, heads, inter, stack, dropout, labels):
        super().__init__()
        self.words, self.pos, self.types = nn.Embedding(vocab, embed), nn.Embedding(512, embed), nn.Embedding(2, embed)
        self.project = nn.Linear(embed, h) if embed != h else nn.Identity()
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter, stack, dropout) for _ in range(layers))
        self.pooler, self.classifier = nn.Linear(h, h), nn.Linear(h, labels)

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.ln(self.project(self.words(ids) + self.pos(pos) + self.types(types)))
        hidden, scores = [x], []
        for layer in self.layers:
            x, s = layer(x)
            hidden.append(x)
            scores.append(s)
        logits = self.classifier(torch.tanh(self.pooler(x[:, 0])))
        return hidden, scores, logits


s, t = cfg["student"], cfg["teacher"]
student = Encoder(s["vocab"], s["embed"], s["hidden"], s["layers"], s["heads"], s["ffn"], s["stack"], s["dropout"], 2)
fit_dense = nn.Linear(s["hidden"], t["hidden"])
teacher = Encoder(t["vocab"], t["hidden"], t["hidden"], t["layers"], t["heads"], t["intermediate"], 1, 0.0, 2).eval()
params = list(student.parameters()) + list(fit_dense.parameters())
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
ids = torch.randint(1000, s["vocab"], (B, L))
ids[:, 0] = 101
types = torch.zeros(B, L, dtype=torch.long)
mse = nn.functional.mse_loss


def step():
    with torch.no_grad():
        t_hidden, t_scores, t_logits = teacher(ids, types)
    s_hidden, s_scores, s_logits = student(ids, types)
    loss = sum(mse(a, b) for a, b in zip(s_scores, t_scores))
    loss = loss + sum(mse(fit_dense(a), b) for a, b in zip(s_hidden, t_hidden))
    loss = loss - (t_logits.softmax(-1) * s_logits.log_softmax(-1)).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for _ in range(2):  # warm-up, as in train-step.ts
    step()
walls, cpus = [], []
for _ in range(cfg["steps"]):
    w0, c0 = time.perf_counter(), time.process_time()
    step()
    walls.append(time.perf_counter() - w0)
    cpus.append(time.process_time() - c0)
walls.sort()
cpus.sort()
tokens = B * L
print(json.dumps({
    "framework": f"torch {torch.__version__} (CPU, {torch.get_num_threads()} threads)",
    "stepMsWall": round(walls[len(walls) // 2] * 1000, 1),
    "stepMsCpu": round(cpus[len(cpus) // 2] * 1000, 1),
    "tokensPerSecWall": round(tokens / walls[len(walls) // 2]),
    "tokensPerSecCpu": round(tokens / cpus[len(cpus) // 2]),
}))
