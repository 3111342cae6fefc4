"""Every plot of the project, built with matplotlib's object API: no pyplot, no global state.

A figure here is a `NotebookFigure`, a plain `matplotlib.figure.Figure` that shows itself as a PNG in
a notebook; nothing registers it with pyplot, so building one is safe under the Agg backend, in the
app's server threads and in headless runs, and a notebook shows it once, as the cell's value.

    Step 1  plot_label_distribution(result)      answer shares per question, train against eval
    Step 2  plot_losses(history, first_dev)      train and dev loss per optimizer step
    Step 3  plot_win_rates, plot_teacher_agreement, plot_kappa, plot_outcomes (metrics.json, or its
            `gold` block for plot_kappa); utils.report.save_plots writes them into results/plots/

This module owns how the numbers look, never the numbers: they come from utils.data, the training
card's log history and utils.metrics. No model library is imported here.
"""

from __future__ import annotations

import io
import math
from typing import Any, Mapping, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from utils.metrics import ANSWERERS, interval, question_label
from utils.tasks import TASK_NAMES

_TYPE_COLORS = dict(zip(TASK_NAMES, ("tab:blue", "tab:orange", "tab:red", "tab:brown", "tab:pink", "tab:olive")))
_ANSWERER_COLORS = {"base": "silver", "finetuned": "tab:green", "majority": "tab:purple"}
_ANSWERER_LABELS = {"base": "base", "finetuned": "fine-tuned", "majority": "majority baseline (no model)"}
_OUTCOME_COLORS = {"wins": "tab:green", "ties": "lightgray", "losses": "tab:red", "unparsed": "dimgray"}


class NotebookFigure(Figure):
    """A matplotlib Figure that renders itself as PNG in a notebook, even without
    `%matplotlib inline` (a Figure built without pyplot otherwise shows only its repr)."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def _num(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# ================================================================================ Step 1
def plot_label_distribution(result, columns: int = 6) -> Figure:
    """Bars of answer shares, train against eval, one small panel per BOOL/SCORE question
    (`result`: what utils.data.prepare_data returns)."""
    from utils.data import label_distribution_frame

    frame = label_distribution_frame(result)
    panels = list(frame.groupby(["type", "number", "question"], sort=False).groups)
    rows = max(1, math.ceil(len(panels) / columns))
    fig = NotebookFigure(figsize=(2.6 * columns, 2.1 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (ctype, number, key) in zip(axes, panels):
        part = frame[(frame.type == ctype) & (frame.number == number)]
        for offset, split in ((-0.2, "train"), (0.2, "eval")):
            s = part[part.split == split]
            ax.bar(s.value + offset, s.share, width=0.4, label=split)
        ax.set_title(f"{ctype} {number}. {key}", fontsize=8)
        ax.set_xticks(sorted(part.value.unique()))
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if panels:
        axes[0].legend(fontsize=7)
    fig.suptitle("Share of each answer, train vs eval")
    return fig


# ================================================================================ Step 2
def loss_frame(history: list[dict]):
    """Train and dev loss per optimizer step as a tidy DataFrame (from the training card's log history)."""
    import pandas as pd

    rows = [{"step": h["step"], "split": "train", "loss": h["loss"]} for h in history if "loss" in h]
    rows += [{"step": h["step"], "split": "dev", "loss": h["eval_loss"]} for h in history if "eval_loss" in h]
    return pd.DataFrame(rows)


def plot_losses(history: list[dict], first_dev: Optional[float] = None) -> Figure:
    """Train and dev (answer-only) loss curves."""
    frame = loss_frame(history)
    fig = NotebookFigure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    for split, part in frame.groupby("split"):
        ax.plot(part["step"], part["loss"], marker="o" if split == "dev" else None, label=split)
    if first_dev is not None:
        ax.scatter([0], [first_dev], color="C0", marker="x", label="dev before training")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss on answer tokens")
    ax.set_title("Step 2: training and dev loss")
    ax.legend()
    fig.tight_layout()
    return fig


# ================================================================================ Step 3
def _layout(metrics: Mapping[str, Any], kinds: Optional[Sequence[str]] = None
            ) -> tuple[list[dict], np.ndarray, list[str]]:
    """Questions in metrics order (only those of `kinds`, when given), their y positions (a gap
    between types) and labels."""
    rows = [q for q in metrics["by_question"] if kinds is None or q["kind"] in kinds]
    ys, y, last = [], 0.0, None
    for q in rows:
        if last is not None and q["type"] != last:
            y += 0.8  # visual gap between comment types
        ys.append(y)
        y += 1.0
        last = q["type"]
    labels = [question_label(q) for q in rows]
    return rows, np.array(ys), labels


def _figure(n_rows: int) -> tuple[NotebookFigure, Any]:
    fig = NotebookFigure(figsize=(9.0, 1.8 + 0.3 * max(n_rows, 1)), layout="constrained")
    return fig, fig.add_subplot()


def _rate(value: Optional[float]) -> float:
    return np.nan if value is None else float(value)


def _finish(fig: Figure, ax: Any, ys: np.ndarray, labels: Sequence[str], xlabel: str, title: str,
            xlim: Optional[tuple[float, float]] = None, ncols: int = 4) -> Figure:
    """The common end of a per-question plot: question labels top down, axis label, title, legend."""
    ax.set_yticks(ys, labels, fontsize="small")
    ax.invert_yaxis()
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize="medium")
    fig.legend(loc="outside lower center", ncols=ncols, fontsize="small", frameon=False)
    return fig


def _empty(ax: Any, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no questions to show", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def plot_win_rates(metrics: Mapping[str, Any]) -> Figure:
    """Adjusted win rate per question with its 95% interval, the 0.5 line of "no difference", the
    original's win rate excluding ties as a black diamond, and n and the tie share at the right."""
    rows, ys, labels = _layout(metrics)
    fig, ax = _figure(len(rows))
    s = metrics["summary"]
    ci = interval(s)
    title = (f"Fine-tuned vs base: adjusted win rate (wins + ½ ties) / n per question, 95% CI\n"
             f"overall {_num(s.get('adjusted_win_rate'))} [{_num(ci[0])}, {_num(ci[1])}], "
             f"n = {s.get('n', 0)} verdicts on {s.get('comments', 0)} comments, {s.get('unparsed', 0)} unparsed")
    if not rows:
        _empty(ax, title)
        return fig
    for ctype in dict.fromkeys(q["type"] for q in rows):
        idx = [i for i, q in enumerate(rows) if q["type"] == ctype]
        rates = np.array([_rate(rows[i]["adjusted_win_rate"]) for i in idx])
        cis = [tuple(map(_rate, interval(rows[i]))) for i in idx]
        err = np.array([[r - lo, hi - r] for r, (lo, hi) in zip(rates, cis)]).T.clip(min=0)
        ax.barh(ys[idx], np.nan_to_num(rates), xerr=np.where(np.isnan(err), 0, err), height=0.7,
                color=_TYPE_COLORS.get(ctype, "tab:gray"), label=f"{ctype} comments",
                error_kw={"ecolor": "black", "elinewidth": 1, "capsize": 2})
    excl = [_rate(q["win_rate_excl_ties"]) for q in rows]
    ax.scatter(excl, ys, marker="D", s=18, color="black", zorder=4,
               clip_on=False, label="win rate excl. ties (original metric)")
    ax.axvline(0.5, color="gray", linestyle="--", linewidth=1, zorder=3, label="0.5 = no difference")
    for y, q in zip(ys, rows):
        note = f"n={q['n']}" + (f", ties {q['ties'] / q['n']:.0%}" if q["n"] else ", no verdict")
        note += f", {q['unparsed']} unparsed" if q.get("unparsed") else ""
        ax.text(1.01, y, note, transform=ax.get_yaxis_transform(), va="center", fontsize="small")
    return _finish(fig, ax, ys, labels, "adjusted win rate of the fine-tuned model (fraction)", title,
                   xlim=(0, 1.02))  # room for markers at 1.0


def _answerer_bars(ax: Any, rows: list[dict], ys: np.ndarray, stat: str) -> list[str]:
    """One bar per answerer present (base, fine-tuned, majority) for each question row: its
    `teacher_agreement.<answerer>.<stat>`; returns the answerers drawn."""
    present = [m for m in ANSWERERS if m in (rows[0].get("teacher_agreement") or {})]
    height = 0.8 / max(len(present), 1)
    for k, m in enumerate(present):
        values = [_rate(((q.get("teacher_agreement") or {}).get(m) or {}).get(stat)) for q in rows]
        ax.barh(ys - 0.4 + height * (k + 0.5), np.nan_to_num(values), height=height,
                color=_ANSWERER_COLORS[m], label=_ANSWERER_LABELS[m])
    return present


def plot_teacher_agreement(metrics: Mapping[str, Any]) -> Figure:
    """Agreement with the teacher per question for base, fine-tuned and the majority baseline:
    accuracy for BOOL and SCORE questions, mean ROUGE-L F1 for TEXT (the summary)."""
    rows, ys, labels = _layout(metrics)
    fig, ax = _figure(len(rows))
    agree = metrics["summary"].get("teacher_agreement") or {}
    n_comments = metrics["summary"].get("comments", 0)
    title = ("Agreement with the teacher per question (BOOL/SCORE: accuracy, TEXT: ROUGE-L F1)\n"
             "pooled BOOL/SCORE accuracy: "
             + ", ".join(f"{_ANSWERER_LABELS[m]} {_num(agree.get(m))}" for m in ANSWERERS if m in agree)
             + f"; {n_comments} comments")
    if not rows:
        _empty(ax, title)
        return fig
    _answerer_bars(ax, rows, ys, "agreement")
    for y, q in zip(ys, rows):
        n = (q.get("teacher_agreement") or {}).get("finetuned", {}).get("n", 0)
        ax.text(1.01, y, f"n={n}", transform=ax.get_yaxis_transform(), va="center", fontsize="small")
    metric = {"BOOL": "acc", "SCORE": "acc", "TEXT": "ROUGE-L"}
    labels = [f"{label} ({metric.get(q['kind'], '?')})" for label, q in zip(labels, rows)]
    return _finish(fig, ax, ys, labels, "agreement with the teacher (fraction)", title, xlim=(0, 1.02))


def plot_kappa(metrics: Mapping[str, Any]) -> Figure:
    """Chance-corrected agreement with the teacher per yes/no and score question (Cohen's kappa;
    quadratic-weighted for scores) for base, fine-tuned and the majority baseline. A constant
    answerer sits at 0 however often its value is right; an unanswered question counts against.
    Works on metrics.json and on its `gold` block."""
    rows, ys, labels = _layout(metrics, kinds=("BOOL", "SCORE"))
    fig, ax = _figure(len(rows))
    means = (metrics["summary"].get("mean_kappa") or {})
    title = ("Kappa against the teacher per question (BOOL: Cohen, SCORE: quadratic-weighted)\n"
             + ", ".join(f"{_ANSWERER_LABELS[m]} {_num(means.get(m))}" for m in ANSWERERS if m in means)
             + " (mean)")
    if not rows:
        _empty(ax, title)
        return fig
    present = _answerer_bars(ax, rows, ys, "kappa")
    for yy, q in zip(ys, rows):
        flags = [m for m in present if (q["teacher_agreement"].get(m) or {}).get("constant") and m != "majority"]
        note = f"n={(q['teacher_agreement'].get('finetuned') or {}).get('n', 0)}"
        note += ", teacher constant" if q.get("teacher_constant") else ""
        note += "".join(f", {_ANSWERER_LABELS[m]} constant" for m in flags)
        ax.text(1.01, yy, note, transform=ax.get_yaxis_transform(), va="center", fontsize="small")
    ax.axvline(0.0, color="gray", linewidth=1)
    return _finish(fig, ax, ys, labels, "kappa (1 = the teacher's decisions, 0 = no better than chance or a constant)",
                   title, xlim=(-0.5, 1.02), ncols=3)


def plot_outcomes(metrics: Mapping[str, Any]) -> Figure:
    """Wins, ties, losses and unparsed verdicts per question, stacked (counts of items)."""
    rows, ys, labels = _layout(metrics)
    fig, ax = _figure(len(rows))
    s = metrics["summary"]
    title = (f"Judge outcomes per question, fine-tuned vs base\n{s.get('wins', 0)} wins, {s.get('ties', 0)} ties, "
             f"{s.get('losses', 0)} losses (n = {s.get('n', 0)}), {s.get('unparsed', 0)} unparsed")
    if not rows:
        _empty(ax, title)
        return fig
    left = np.zeros(len(rows))
    for part, color in _OUTCOME_COLORS.items():
        counts = np.array([q.get(part, 0) or 0 for q in rows], dtype=float)
        ax.barh(ys, counts, left=left, height=0.7, color=color, label=part)
        left += counts
    return _finish(fig, ax, ys, labels, "judged items (count)", title)


def plot_rounds(frame) -> Figure:
    """Each round's agreement and kappa (the majority baseline dashed), and the lift with its interval.

    `frame` is `utils.loop.rounds_frame`'s table, one row per round.
    """
    x = frame.index.to_numpy()
    fig = NotebookFigure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    for column, label, color in (("teacher_agreement", "teacher agreement", "tab:green"),
                                 ("mean_kappa", "mean kappa", "tab:blue")):
        left.plot(x, frame[column].astype(float), marker="o", color=color, label=f"fine-tuned {label}")
        left.plot(x, frame[f"majority_{column}" if column == "mean_kappa" else "majority_agreement"].astype(float),
                  linestyle="--", color=color, alpha=0.6, label=f"majority baseline {label}")
    left.set_xlabel("round")
    left.set_title("Agreement with the teacher")
    left.legend(fontsize=7)
    lift = frame["lift"].astype(float).to_numpy()
    errors = np.vstack([lift - frame["lift_low"].astype(float), frame["lift_high"].astype(float) - lift])
    right.axhline(0.0, color="gray", linewidth=0.8)
    right.errorbar(x, lift, yerr=errors, fmt="none", ecolor="gray", capsize=4)
    right.scatter(x, lift, c=["tab:green" if ok else "tab:red" for ok in frame["check"]], zorder=3)
    right.set_xlabel("round")
    right.set_title("Lift over the majority baseline, 95% CI (green: check PASS)")
    for ax in (left, right):
        ax.set_xticks(x)
    return fig
