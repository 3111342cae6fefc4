"""Ablation: full fine-tuning of the upper layers over cached outputs of the frozen lower layers.

    python -m utils.pipeline --profile demo --steps 0,1   # the demo's split, once
    .venv/bin/python scripts/ablations/upper_layers.py --k 24 --epochs 3 --ntrain 360 --lr 3e-4 --wdec 5

The lower K layers run once per training example and their outputs are kept in memory; each epoch
then costs only the upper layers' forward and backward. Scored teacher-forced (the value token
predicted after the teacher's own prefix) on the evaluation comments, beside the majority
baseline. Not part of the pipeline: a measurement for the README's "Known limits".
"""
import argparse, json, math, random, sys, time
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from Config.Config import load_config
from utils.chat import IGNORE_INDEX, tokenize_example
from utils.tasks import questions

p = argparse.ArgumentParser()
p.add_argument("--k", type=int, default=22)  # frozen lower layers
p.add_argument("--epochs", type=float, default=3)
p.add_argument("--lr", type=float, default=2e-4)
p.add_argument("--bs", type=int, default=8)
p.add_argument("--ntrain", type=int, default=360)
p.add_argument("--dtype", default="bf16")
p.add_argument("--wdec", type=float, default=1.0)  # loss weight on decision value tokens
p.add_argument("--threads", type=int, default=2)
p.add_argument("--fmt", default="num")  # num | named
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0); random.seed(0)
cfg = load_config("demo")
root = Path(__file__).resolve().parents[2]
mdir = root / cfg.MODELS_DIR / "SmolLM2-135M-Instruct"
tok = AutoTokenizer.from_pretrained(mdir)
dt = torch.bfloat16 if args.dtype in ("bf16", "fp32top") else torch.float32
model = AutoModelForCausalLM.from_pretrained(mdir, dtype=dt)
model.eval()
system = cfg.SYSTEM_PROMPT.format(vendor=cfg.VENDOR_NAME)

def load(path):
    return json.load(open(root / "Data" / path))

train = load("AllComments_Clean_Train.json")
random.Random(1).shuffle(train)
train = train[: args.ntrain]
evalrecs = [dict(r, type="vendor") for r in load("VendorComments_Evaluation_Clean.json")] + \
           [dict(r, type="customer") for r in load("CustomerComments_Evaluation_Clean.json")]

def completion_for(r):
    return r["Completion"]

def example(r):
    ex = tokenize_example(tok, r["Prompt"], completion_for(r), system)
    # decision value positions: tokens of answer lines that are not the summary
    ans_text = tok.decode(ex["input_ids"][ex["prompt_tokens"]:])
    qs = {q.number: q for q in questions(r["type"])}
    # map by tokenizing the answer with offsets
    enc = tok(ans_text, add_special_tokens=False, return_offsets_mapping=True)
    assert enc["input_ids"] == ex["input_ids"][ex["prompt_tokens"]:], "retokenize mismatch"
    import re
    marks = []  # (token index in full seq, question number)
    for m in re.finditer(r"(?m)^(\d+)\. (\S+)$", ans_text):
        n = int(m.group(1))
        if n in qs and qs[n].kind != "TEXT":
            vs = m.start(2)
            for ti, (a, b) in enumerate(enc["offset_mapping"]):
                if a <= vs < b or (a < vs and b > vs) or (b > vs >= a):
                    marks.append((ex["prompt_tokens"] + ti, n)); break
    ex["marks"] = marks
    return ex

t0 = time.time()
tr = [example(r) for r in train]
ev = [example(r) for r in evalrecs]
for r, e in zip(evalrecs, ev):
    e["type"] = r["type"]
for r, e in zip(train, tr):
    e["type"] = r["type"]
print(f"tokenized {len(tr)} train {len(ev)} eval in {time.time()-t0:.1f}s; mean len {sum(len(e['input_ids']) for e in tr)/len(tr):.0f}", flush=True)

layers = model.model.layers
K = args.k
lower, upper = layers[:K], layers[K:]

def run_layers(mods, hidden, attn):
    model.model.layers = mods
    norm = model.model.norm
    model.model.norm = torch.nn.Identity()
    try:
        out = model.model(inputs_embeds=hidden, attention_mask=attn, use_cache=False).last_hidden_state
    finally:
        model.model.layers = layers
        model.model.norm = norm
    return out

# cache lower outputs, one example at a time (no padding)
t0 = time.time()
with torch.no_grad():
    for e in tr:
        ids = torch.tensor([e["input_ids"]])
        h = model.model.embed_tokens(ids)
        e["h"] = run_layers(lower, h, None)[0].to(torch.bfloat16) if K > 0 else h[0].to(torch.bfloat16)
t_cache = time.time() - t0
print(f"cached K={K} in {t_cache:.1f}s", flush=True)

for p_ in model.parameters():
    p_.requires_grad_(False)
train_params = []
for l in upper:
    for p_ in l.parameters():
        p_.data = p_.data.float() if args.dtype == "fp32top" else p_.data
        p_.requires_grad_(True); train_params.append(p_)
for p_ in model.model.norm.parameters():
    p_.data = p_.data.float() if args.dtype == "fp32top" else p_.data
    p_.requires_grad_(True); train_params.append(p_)
print("trainable", sum(p_.numel() for p_ in train_params) / 1e6, "M", flush=True)
opt = torch.optim.AdamW(train_params, lr=args.lr, weight_decay=0.0)
steps_per_epoch = math.ceil(len(tr) / args.bs)
total = int(steps_per_epoch * args.epochs)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, int(0.05 * total))) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))

def batch_loss(batch):
    T = max(len(e["input_ids"]) for e in batch)
    H = torch.zeros(len(batch), T, 576, dtype=torch.bfloat16)
    attn = torch.zeros(len(batch), T, dtype=torch.long)
    labels = torch.full((len(batch), T), IGNORE_INDEX)
    w = torch.ones(len(batch), T)
    for i, e in enumerate(batch):
        n = len(e["input_ids"])
        H[i, :n] = e["h"]; attn[i, :n] = 1; labels[i, :n] = torch.tensor(e["labels"])
        for pos, _ in e["marks"]:
            w[i, pos] = args.wdec
    H = H.to(next(upper.parameters()).dtype)
    out = run_layers(upper, H, attn)
    out = model.model.norm(out)
    # shift: position t predicts label t+1
    lab = labels[:, 1:]; ww = w[:, 1:]
    sel = lab != IGNORE_INDEX
    hs = out[:, :-1][sel]
    logits = model.lm_head(hs.to(model.lm_head.weight.dtype)).float()
    l = torch.nn.functional.cross_entropy(logits, lab[sel], reduction="none")
    return (l * ww[sel]).sum() / ww[sel].sum()

def evaluate(tag):
    model.eval(); model.to(torch.bfloat16)
    per_q = {}
    with torch.no_grad():
        for e in ev:
            ids = torch.tensor([e["input_ids"]])
            logits = model(ids).logits[0]
            for pos, n in e["marks"]:
                pred = int(logits[pos - 1].argmax()); gold = e["input_ids"][pos]
                per_q.setdefault((e["type"], n), []).append((tok.decode([pred]).strip(), tok.decode([gold]).strip()))
    # agreement and majority from train
    agree = tot = 0; kappas = []; consts = 0
    for key, pairs in sorted(per_q.items()):
        preds = [a for a, b in pairs]; golds = [b for a, b in pairs]
        agree += sum(a == b for a, b in pairs); tot += len(pairs)
        # cohen kappa
        labs = sorted(set(preds) | set(golds)); N = len(pairs)
        po = sum(a == b for a, b in pairs) / N
        pe = sum((preds.count(c) / N) * (golds.count(c) / N) for c in labs)
        if len(set(golds)) > 1:
            k = (po - pe) / (1 - pe) if pe < 1 else 0.0
            kappas.append(k)
            if len(set(preds)) == 1:
                consts += 1
    print(f"[{tag}] teacher-forced agreement {agree/tot:.3f}  mean kappa {sum(kappas)/len(kappas):.3f} over {len(kappas)} q  constant {consts}", flush=True)
    return agree / tot

# majority baseline (teacher-forced positions, train majority)
from collections import Counter
mc = {}
for e in tr:
    for pos, n in e["marks"]:
        mc.setdefault((e["type"], n), Counter())[tok.decode([e["input_ids"][pos]]).strip()] += 1
ma = mt = 0
for e in ev:
    for pos, n in e["marks"]:
        g = tok.decode([e["input_ids"][pos]]).strip(); c = mc.get((e["type"], n))
        ma += c is not None and c.most_common(1)[0][0] == g; mt += 1
print(f"majority agreement {ma/mt:.3f}", flush=True)

t0 = time.time()
step = 0
rng = random.Random(0)
for ep in range(math.ceil(args.epochs)):
    order = list(range(len(tr))); rng.shuffle(order)
    # bucket by length for less padding
    chunks = [order[i:i + args.bs * 8] for i in range(0, len(order), args.bs * 8)]
    batches = []
    for c in chunks:
        c = sorted(c, key=lambda i: len(tr[i]["input_ids"]))
        batches += [c[i:i + args.bs] for i in range(0, len(c), args.bs)]
    rng.shuffle(batches)
    tl = []
    for b in batches:
        if step >= total: break
        model.train()
        loss = batch_loss([tr[i] for i in b])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(train_params, 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        tl.append(loss.item()); step += 1
    print(f"epoch {ep+1} step {step} loss {sum(tl)/max(1,len(tl)):.4f} t={time.time()-t0:.0f}s", flush=True)
t_train = time.time() - t0
print(f"train {t_train:.0f}s ({t_train/ max(args.epochs,1e-9):.0f}s/epoch)", flush=True)
t0 = time.time()
evaluate("final")
print(f"eval {time.time()-t0:.0f}s", flush=True)
