#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Train pcnet-v1 (train/pcnet.py) on ACNE04 and write the shipped model.

    /usr/bin/python3 train/train.py [--data DIR] [--dev DIR] [--out DIR] [--work DIR]
                                    [--epochs N] [--seed S] [--threads T]

  --data   ../shared/data/acne04-train (2,973 photos, 991 source photos x 3 copies)
  --dev    ../shared/data/acne04-dev: odd-numbered photos pick the score threshold, the even
           ones are held out; both are reported in the model card
  --out    data/model: pcnet-v1.safetensors, MODEL.md (the model card), parity.safetensors
  --work   build/train: the per-epoch checkpoint (a stopped run resumes from it) and the log

Split: 5 % of the source photos (prefix levleG_N_jpg.rf.) are held out of training for the
validation loss, never single files (the three copies of a photo stay together).
Seeds are fixed (torch, numpy, python); crops, flips and the split follow from --seed.
Loss: CenterNet's focal loss on a Gaussian centre heatmap at stride 4, plus L1 on log box size.
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcnet  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = re.compile(r"levle(\d)_(\d+)")
CROP = 256
BATCH = 16


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def boxes_of(xml_path):
    root = ET.parse(xml_path).getroot()
    out = []
    for obj in root.findall("object"):
        b = obj.find("bndbox")
        out.append([float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
    return np.array(out, dtype=np.float32).reshape(-1, 4)


def list_photos(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".jpg") and NAME.match(f))


def file_list_hash(folder, names):
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode() + b"\n")
    return h.hexdigest()


def load_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def gaussian_target(boxes, h, w):
    """Heatmap (h, w) at stride 4 and size targets (2, h, w) with a mask of centre cells."""
    hm = np.zeros((h, w), np.float32)
    wh = np.zeros((2, h, w), np.float32)
    mask = np.zeros((h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for x0, y0, x1, y1 in boxes:
        bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        cx, cy = (x0 + x1) / 2 / pcnet.STRIDE, (y0 + y1) / 2 / pcnet.STRIDE
        ix, iy = int(round(cx)), int(round(cy))
        if not (0 <= ix < w and 0 <= iy < h):
            continue
        sigma = max(0.7, 0.12 * math.sqrt(bw * bh) / pcnet.STRIDE)
        r = int(3 * sigma) + 1
        ya, yb, xa, xb = max(0, iy - r), min(h, iy + r + 1), max(0, ix - r), min(w, ix + r + 1)
        g = np.exp(-((xx[ya:yb, xa:xb] - ix) ** 2 + (yy[ya:yb, xa:xb] - iy) ** 2) / (2 * sigma**2))
        hm[ya:yb, xa:xb] = np.maximum(hm[ya:yb, xa:xb], g)
        wh[0, iy, ix] = math.log(bw / pcnet.STRIDE)
        wh[1, iy, ix] = math.log(bh / pcnet.STRIDE)
        mask[iy, ix] = 1.0
    return hm, wh, mask


def focal_loss(logit, target):
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - target) ** 4 * neg
    npos = pos.sum().clamp(min=1)
    return -(pos_loss.sum() + neg_loss.sum()) / npos


def make_batch(images, boxes, idx, rng):
    xs, hms, whs, masks = [], [], [], []
    for i in idx:
        im, bx = images[i], boxes[i]
        H, W = im.shape[:2]
        y0 = rng.randint(0, H - CROP) // 4 * 4
        x0 = rng.randint(0, W - CROP) // 4 * 4
        crop = im[y0:y0 + CROP, x0:x0 + CROP]
        b = bx - np.array([x0, y0, x0, y0], np.float32)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
            b = np.stack([CROP - 1 - b[:, 2], b[:, 1], CROP - 1 - b[:, 0], b[:, 3]], 1)
        c = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        keep = (c[0] >= 0) & (c[0] < CROP) & (c[1] >= 0) & (c[1] < CROP)
        hm, wh, m = gaussian_target(b[keep], CROP // 4, CROP // 4)
        gain = rng.uniform(0.8, 1.2)
        xs.append(np.clip(crop.astype(np.float32) * gain, 0, 255))
        hms.append(hm)
        whs.append(wh)
        masks.append(m)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2) / 255.0
    x = (x - pcnet.MEAN) / pcnet.STD
    return (x, torch.from_numpy(np.stack(hms))[:, None], torch.from_numpy(np.stack(whs)),
            torch.from_numpy(np.stack(masks))[:, None])


def losses(model, batch):
    x, hm, wh, mask = batch
    out_hm, out_wh = model(x)
    lh = focal_loss(out_hm, hm)
    lw = (torch.abs(out_wh - wh) * mask).sum() / mask.sum().clamp(min=1)
    return lh, lw


def match(findings, boxes):
    """One-to-one matching of finding centres to boxes containing them (as scripts/eval-acne04)."""
    adj = [[j for j, b in enumerate(boxes) if b[0] <= f[0] <= b[2] and b[1] <= f[1] <= b[3]]
           for f in findings]
    owner = [-1] * len(boxes)

    def augment(i, seen):
        for j in adj[i]:
            if j in seen:
                continue
            seen.add(j)
            if owner[j] < 0 or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    sys.setrecursionlimit(10000)
    return sum(1 for i in range(len(findings)) if augment(i, set()))


def hayashi(n):
    return 0 if n <= 5 else 1 if n <= 20 else 2 if n <= 50 else 3


def dev_scores(model, dev):
    """Per dev photo: the peak list (y, x, score) at threshold 0.05."""
    model.eval()
    out = []
    with torch.no_grad():
        for name in list_photos(dev):
            im = load_rgb(os.path.join(dev, name))
            H, W = im.shape[:2]
            ph, pw = -H % 16, -W % 16
            x = pcnet.normalise(torch.from_numpy(np.ascontiguousarray(im))[None])
            x = F.pad(x, (0, pw, 0, ph))
            hm, _ = model(x)
            pk = pcnet.peaks(hm, 0.05)[0]
            pts = [(x_ * 4.0, y_ * 4.0, s) for y_, x_, s in pk if x_ * 4 < W and y_ * 4 < H]
            m = NAME.match(name)
            out.append(dict(name=name, g=int(m.group(1)), num=int(m.group(2)), pts=pts,
                            boxes=boxes_of(os.path.join(dev, name[:-4] + ".xml")).tolist()))
    return out


def figures(rows, thr):
    tp = npred = ntrue = 0
    mae = acc = 0.0
    per_g = {}
    for r in rows:
        f = [p for p in r["pts"] if p[2] > thr]
        t = match(f, r["boxes"])
        tp, npred, ntrue = tp + t, npred + len(f), ntrue + len(r["boxes"])
        mae += abs(len(f) - len(r["boxes"]))
        acc += hayashi(len(f)) == r["g"]
        g = per_g.setdefault(r["g"], [0, 0])
        g[0] += t
        g[1] += len(r["boxes"])
    p = tp / npred if npred else 0.0
    rc = tp / ntrue if ntrue else 0.0
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    n = max(1, len(rows))
    return dict(n=len(rows), P=p, R=rc, F1=f1, MAE=mae / n, grade_acc=acc / n,
                recall_by_grade={g: (v[0] / v[1] if v[1] else 0.0) for g, v in sorted(per_g.items())})


def pick_threshold(rows):
    """The threshold maximising F1 + grade accuracy on the odd (tuning) dev photos."""
    best = None
    for k in range(10, 80):
        thr = k / 100
        fg = figures(rows, thr)
        s = fg["F1"] + fg["grade_acc"]
        if best is None or s > best[0]:
            best = (s, thr)
    return best[1]


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 LE header length, JSON header, raw little-endian tensor data."""
    header, blobs, off = {}, [], 0
    dt = {torch.float32: "F32", torch.uint8: "U8"}
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = dict(dtype=dt[t.dtype], shape=list(t.shape), data_offsets=[off, off + len(raw)])
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    hj += b" " * (-len(hj) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", TOP, "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", TOP, "status", "--porcelain", "--", "train"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (train/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    shared = os.environ.get("PC_SHARED") or os.path.join(TOP, "..", "shared")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(shared, "data", "acne04-train"))
    ap.add_argument("--dev", default=os.path.join(shared, "data", "acne04-dev"))
    ap.add_argument("--out", default=os.path.join(TOP, "data", "model"))
    ap.add_argument("--work", default=os.path.join(TOP, "build", "train"))
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--stop-after", type=int, default=0,
                    help="stop after this epoch of the --epochs schedule (a time box; the "
                         "model card says so)")
    ap.add_argument("--export-only", action="store_true",
                    help="skip training: evaluate and export the checkpoint as it is")
    args = ap.parse_args()
    for d in (args.data, args.dev):
        if not os.path.isdir(d):
            print("train: %s not found (ACNE04 lives in ../shared/data)" % d, file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)

    names = list_photos(args.data)
    data_hash = file_list_hash(args.data, names)
    sources = sorted({n.split("_jpg.rf.")[0] for n in names})
    srng = random.Random(args.seed)
    val_src = set(srng.sample(sources, max(1, len(sources) // 20)))
    train_idx, val_idx = [], []
    for i, n in enumerate(names):
        (val_idx if n.split("_jpg.rf.")[0] in val_src else train_idx).append(i)
    last = args.epochs if not args.stop_after else min(args.stop_after, args.epochs)

    model = pcnet.PCNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = len(train_idx) // BATCH
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total,
                                                pct_start=0.1)
    ckpt = os.path.join(args.work, "checkpoint.pt")
    state = dict(epoch=0, curve=[], wall=0.0)
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        if c.get("epochs") == args.epochs and c.get("seed") == args.seed and c.get("data") == data_hash:
            model.load_state_dict(c["model"])
            opt.load_state_dict(c["opt"])
            sched.load_state_dict(c["sched"])
            state = c["state"]
            log("resuming after epoch %d" % state["epoch"])
        else:
            log("checkpoint is for another run (epochs/seed/data differ): starting afresh")

    if args.export_only:
        last = state["epoch"]
    images, boxes = [], []
    if state["epoch"] < last:
        log("loading %d photos (%d source photos, %d held out for validation)" %
            (len(names), len(sources), len(val_src)))
        for n in names:
            images.append(load_rgb(os.path.join(args.data, n)))
            boxes.append(boxes_of(os.path.join(args.data, n[:-4] + ".xml")))
    for epoch in range(state["epoch"], last):
        t0 = time.time()
        rng = random.Random(args.seed * 1000 + epoch)
        torch.manual_seed(args.seed * 1000 + epoch)
        order = list(train_idx)
        rng.shuffle(order)
        model.train()
        sum_h = sum_w = 0.0
        for s in range(steps_per_epoch):
            batch = make_batch(images, boxes, order[s * BATCH:(s + 1) * BATCH], rng)
            lh, lw = losses(model, batch)
            loss = lh + 0.1 * lw
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            sum_h += lh.item()
            sum_w += lw.item()
        model.eval()
        vrng = random.Random(12345)
        vh = vw = 0.0
        nv = 0
        with torch.no_grad():
            for s in range(0, len(val_idx), BATCH):
                lh, lw = losses(model, make_batch(images, boxes, val_idx[s:s + BATCH], vrng))
                vh, vw, nv = vh + lh.item(), vw + lw.item(), nv + 1
        dt = time.time() - t0
        state["epoch"] = epoch + 1
        state["wall"] += dt
        state["curve"].append(dict(epoch=epoch + 1, train_heatmap=sum_h / steps_per_epoch,
                                   train_size=sum_w / steps_per_epoch, val_heatmap=vh / max(1, nv),
                                   val_size=vw / max(1, nv), seconds=round(dt, 1)))
        log("epoch %d/%d  train %.4f/%.4f  val %.4f/%.4f  %.0f s" %
            (epoch + 1, args.epochs, sum_h / steps_per_epoch, sum_w / steps_per_epoch,
             vh / max(1, nv), vw / max(1, nv), dt))
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), sched=sched.state_dict(),
                        state=state, epochs=args.epochs, seed=args.seed, data=data_hash),
                   ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)

    log("dev evaluation")
    rows = dev_scores(model, args.dev)
    odd = [r for r in rows if r["num"] % 2]
    even = [r for r in rows if r["num"] % 2 == 0]
    thr = pick_threshold(odd)
    fig_odd, fig_even = figures(odd, thr), figures(even, thr)
    log("threshold %.2f  odd %s" % (thr, json.dumps(fig_odd)))
    log("even (held out) %s" % json.dumps(fig_even))

    version = "%s-%s-e%d-s%d" % (pcnet.ARCH, data_hash[:8], state["epoch"], args.seed)
    meta = dict(arch=pcnet.ARCH, version=version, stride=pcnet.STRIDE, multiple=pcnet.MULTIPLE,
                mean=pcnet.MEAN, std=pcnet.STD, threshold="%.2f" % thr,
                train_px_per_face_width=640, licence="trained on ACNE04: academic use only")
    tensors = pcnet.folded(model)
    wpath = os.path.join(args.out, pcnet.ARCH + ".safetensors")
    write_safetensors(wpath, tensors, meta)

    write_parity(os.path.join(args.out, "parity.safetensors"), model, version)
    write_card(args, names, data_hash, state, thr, fig_odd, fig_even, version, wpath, model)
    log("wrote %s" % wpath)
    return 0


def write_parity(path, model, version):
    """Parity fixture: a synthetic 64x48 RGB input (skin tone, a slow gradient, a few dark and
    red dots; no third-party pixels) and the float model's outputs for it."""
    rng = np.random.RandomState(7)
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    img = np.stack([200 - 0.3 * yy, 150 - 0.2 * xx, 130 + 0.1 * xx], -1)
    for cx, cy, col in ((16, 12, (90, 60, 50)), (40, 30, (210, 90, 90)), (52, 10, (230, 200, 170))):
        d = (xx - cx) ** 2 + (yy - cy) ** 2 < 9
        img[d] = col
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    crop = torch.from_numpy(img)[None]
    model.eval()
    with torch.no_grad():
        hm, wh = model(pcnet.normalise(crop))
    write_safetensors(path, dict(input=crop[0].contiguous(), heatmap=torch.sigmoid(hm)[0].contiguous(),
                                 size=wh[0].contiguous()), dict(model=version))


def write_card(args, names, data_hash, state, thr, fig_odd, fig_even, version, wpath, model):
    nparam = sum(p.numel() for p in model.parameters())
    sha = hashlib.sha256(open(wpath, "rb").read()).hexdigest()

    def row(label, f):
        rg = " ".join("%d:%.2f" % (g, r) for g, r in f["recall_by_grade"].items())
        return "| %s | %d | %.3f | %.3f | %.3f | %.1f | %.3f | %s |" % (
            label, f["n"], f["P"], f["R"], f["F1"], f["MAE"], f["grade_acc"], rg)

    lines = [
        "# Model card: %s" % version, "",
        "The learned lesion detector of `poreclear analyze` (see docs/analysis.md).", "",
        "**Terms: trained on ACNE04 (Wu et al., ICCV 2019), academic use only.** The weights "
        "inherit the data's terms: use them for research and evaluation, not in a commercial "
        "service, unless you retrain on data you may use so.", "",
        "## Model",
        "- architecture `%s` (train/pcnet.py, lib/model/model.c): %d parameters, stride %d, "
        "one class (acne lesion), CenterNet-style centre heatmap + box size" % (pcnet.ARCH, nparam, pcnet.STRIDE),
        "- weights `%s` (safetensors, float32, batch norm folded), sha256 `%s`" % (os.path.basename(wpath), sha),
        "- input RGB `(v/255 - %.2f) / %.2f`, at the scale of ACNE04 (about 640 px across a half face)" % (pcnet.MEAN, pcnet.STD),
        "- score threshold %.2f (picked on the odd dev photos: F1 + grade accuracy)" % thr,
        "- `parity.safetensors`: the parity fixture of tests/unit/test_model.c, a synthetic 64x48 "
        "input (made by train.py, no photo pixels) and this model's float outputs for it", "",
        "## Data",
        "- training: `%s`: %d photos (%d source photos x 3 augmented copies), sha256 of the sorted "
        "file-name list `%s`" % (os.path.basename(os.path.normpath(args.data)), len(names),
                                 len({n.split('_jpg.rf.')[0] for n in names}), data_hash),
        "- 5 %% of the source photos held out for the validation loss (split by `levleG_N_jpg.rf.` prefix, seed %d)" % args.seed,
        "- dev: `acne04-dev` (no source photo shared with training): odd-numbered photos tune the threshold, even ones are held out", "",
        "## Training",
        "- command: `/usr/bin/python3 train/train.py --epochs %d%s --seed %d` (`make train`)" % (
            args.epochs, " --stop-after %d" % args.stop_after if args.stop_after else "", args.seed),
        "- git revision: %s" % git_revision(),
        "- torch %s, %d threads, 256-px random crops, batch %d, AdamW + one-cycle lr %.0e" % (
            torch.__version__, args.threads, BATCH, args.lr),
        "- epochs: %d of a %d-epoch one-cycle schedule%s, wall time: %.1f min (on a shared, "
        "loaded 2-core machine)" % (state["epoch"], args.epochs,
                                    " (stopped there: a time box)" if state["epoch"] < args.epochs else "",
                                    state["wall"] / 60), "",
        "| epoch | train heatmap | train size | val heatmap | val size | s |", "|---|---|---|---|---|---|"]
    for c in state["curve"]:
        lines.append("| %d | %.4f | %.4f | %.4f | %.4f | %.0f |" % (
            c["epoch"], c["train_heatmap"], c["train_size"], c["val_heatmap"], c["val_size"], c["seconds"]))
    lines += ["", "## Dev figures (Python, float32; `make eval` gives the C engine's)",
              "A finding matches a box when its centre lies inside it, one-to-one; grade = Hayashi band of the count.", "",
              "| set | photos | P | R | F1 | count MAE | grade acc | recall by grade |",
              "|---|---|---|---|---|---|---|---|", row("odd (tuning)", fig_odd), row("even (held out)", fig_even), ""]
    with open(os.path.join(args.out, "MODEL.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
