"""Diagnostic: do the frozen SmolLM2-135M's hidden states already hold the teacher's decisions?

    python -m utils.pipeline --profile demo --steps 0,1    # the demo's split, once
    .venv/bin/python scripts/ablations/probe_decisions.py  # ~6 minutes on 2 cores

For every yes/no and score question, one L2-regularised softmax probe is fitted on the training
comments' features (the mean of the comment tokens' hidden states at a layer, beside the last
prompt token's) and scored on the evaluation comments against the teacher, beside the majority
baseline. Not part of the pipeline: a measurement for the README's "Known limits".
"""
import json, sys, time
from pathlib import Path
from collections import Counter
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
root = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root))
from Config.Config import load_config
from utils.chat import render_prompt
from utils.tasks import questions, parse_answers
torch.set_num_threads(2); torch.manual_seed(0)
cfg = load_config("demo"); system = cfg.SYSTEM_PROMPT.format(vendor=cfg.VENDOR_NAME)
mdir = root / cfg.MODELS_DIR / "SmolLM2-135M-Instruct"
tok = AutoTokenizer.from_pretrained(mdir); model = AutoModelForCausalLM.from_pretrained(mdir, dtype=torch.bfloat16).eval()
L = lambda p: json.load(open(root / "Data" / p))
tr = [dict(r, type="vendor") for r in L("VendorComments_Train_Clean.json")] + [dict(r, type="customer") for r in L("CustomerComments_Train_Clean.json")]
ev = [dict(r, type="vendor") for r in L("VendorComments_Evaluation_Clean.json")] + [dict(r, type="customer") for r in L("CustomerComments_Evaluation_Clean.json")]
LAYERS = [8, 16, 20, 24, 30]
def feats(recs):
    out = []
    t0 = time.time()
    with torch.no_grad():
        for r in recs:
            text = render_prompt(tok, r["Prompt"], system)
            ids = tok(text, add_special_tokens=False, return_offsets_mapping=True)
            c0 = text.find(r["Comment"][:40]); c1 = c0 + len(r["Comment"])
            sel = [i for i, (a, b) in enumerate(ids["offset_mapping"]) if a >= c0 and b <= c1]
            hs = model(torch.tensor([ids["input_ids"]]), output_hidden_states=True).hidden_states
            out.append({l: torch.cat([hs[l][0, sel].float().mean(0), hs[l][0, -1].float()]) for l in LAYERS})
    print(f"features {len(recs)} in {time.time()-t0:.0f}s", flush=True)
    return out
Ftr, Fev = feats(tr), feats(ev)
def kappa(p, g):
    N = len(p); po = sum(a == b for a, b in zip(p, g)) / N
    pe = sum((p.count(c) / N) * (g.count(c) / N) for c in set(p) | set(g))
    return None if pe >= 1 else (po - pe) / (1 - pe)
for l in LAYERS:
    agree = tot = majagree = 0; ks = []
    for typ in ("vendor", "customer"):
        for q in questions(typ):
            if q.kind == "TEXT": continue
            idx = [i for i, r in enumerate(tr) if r["type"] == typ]; jdx = [j for j, r in enumerate(ev) if r["type"] == typ]
            y = [parse_answers(tr[i]["Completion"], typ).get(q.number) for i in idx]
            g = [parse_answers(ev[j]["Completion"], typ).get(q.number) for j in jdx]
            classes = sorted(set(y)); cid = {c: k for k, c in enumerate(classes)}
            maj = Counter(y).most_common(1)[0][0]
            X = torch.stack([Ftr[i][l] for i in idx]); Xe = torch.stack([Fev[j][l] for j in jdx])
            mu, sd = X.mean(0), X.std(0) + 1e-5; X = (X - mu) / sd; Xe = (Xe - mu) / sd
            if len(classes) == 1: pred = [classes[0]] * len(g)
            else:
                W = torch.zeros(X.shape[1], len(classes), requires_grad=True); b = torch.zeros(len(classes), requires_grad=True)
                opt = torch.optim.LBFGS([W, b], max_iter=200)
                Y = torch.tensor([cid[v] for v in y])
                def closure():
                    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(X @ W + b, Y) + 1e-2 * (W ** 2).sum(); loss.backward(); return loss
                opt.step(closure)
                pred = [classes[k] for k in (Xe @ W + b).argmax(1).tolist()]
            agree += sum(a == b for a, b in zip(pred, g)); majagree += sum(maj == b for b in g); tot += len(g)
            if len(set(g)) > 1:
                k = kappa(pred, g); ks.append(k if k is not None else 0.0)
    print(f"layer {l}: probe agreement {agree/tot:.3f} (majority {majagree/tot:.3f}) mean kappa {sum(ks)/len(ks):.3f} over {len(ks)} q", flush=True)
