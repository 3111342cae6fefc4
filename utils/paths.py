"""The files and folders the steps hand each other, each named once here and derived from Config.

This module owns where each hand-off lives and nothing in it: its writer owns what a file holds.
Steps, the app, the runner and MLflow logging call these functions; none of them builds one of
these names itself.

    step  what                                       function              written by   read by
    0     models/<model>/ (with kd_model.json)       utils.models.model_dir  models     1, 2, 3, app
          models/setup_report.json                   setup_report_file     models       runner
    1     Data/<stem>_Train_Clean.json               train_file            data         3 (majority baseline)
          Data/<stem>_Evaluation_Clean.json          eval_file             data         3, app
          Data/rejects/<stem>_rejects.json           rejects_file          data         people
          Data/AllComments_Clean_Train.json          merged_train_file     data         2
          Data/data_card.json                        data_card_file        data         runner, MLflow
    2     tmp/checkpoints_<run>/                     checkpoints_dir       train        2 (resume)
          tmp/checkpoints_<run>/first_dev_loss.json  first_dev_loss_file   train        2 (a resumed run's card)
          <checkpoints|adapter>/run_fingerprint.json fingerprint_file      train        2 (resume), paired_adapter
          tmp/adapter_<run>/                         adapter_dir           train        app (via the pointer)
          tmp/merged_<run>/ (+ training_card.json)   merged_dir            train        3, app, runner (via the pointer)
    0, 2  <model folder>.partial/ while it is built  partial_dir           models, train  nobody (is_ready refuses it)
          tmp/merged.json                            merged_pointer        train        3, app, runner
          tmp/gguf_<run>/ (GGUF, Modelfile, card)    gguf_dir              export       people (llama.cpp, Ollama)
    3     results/generations/<model>_<type>.jsonl   generation_file       inference    3 (resume), metrics.json
          results/generations/judge_*.jsonl          verdict_store         evaluation   3 (resume)
          results/metrics.json and the files beside  results_file          report       app, runner, MLflow

`<stem>` is the stem of the type's SDS export (`cfg.sds_file(type)`); `<run>` is `run_name(cfg)`,
`AllComments_Clean_Train_r<r>_a<alpha>_d<dropout>`. `<model>` is one of STUDENTS, with `_gold`
appended for the answers to the gold comments.

Only Step 2 derives its folders from the LoRA settings. After publishing the merged model it writes
`tmp/merged.json` (`write_merged_pointer`), and Step 3, the app and the runner find the fine-tuned
student through it (`finetuned_dir`): a LoRA setting changed after Step 2 cannot point them at a
folder that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from Config.Config import Config
from utils.files import read_json, write_json

STUDENTS = ("base", "finetuned")  # the untuned student of Step 0 and the merged one of Step 2
MARKER = "kd_model.json"  # written last into every model folder this project writes: the folder is complete
SETUP_REPORT_FILE = "setup_report.json"
TRAIN_FILE = "AllComments_Clean_Train.json"  # Step 1's training records of every type, shuffled together
DATA_CARD_FILE = "data_card.json"
REJECTS_DIR = "rejects"
TRAINING_CARD_FILE = "training_card.json"  # inside the merged folder
FINGERPRINT_FILE = "run_fingerprint.json"  # inside the adapter and checkpoints folders
FIRST_DEV_LOSS_FILE = "first_dev_loss.json"  # inside the checkpoints folder
PARTIAL_SUFFIX = ".partial"  # a model folder being built beside its final place: never ready
MERGED_PREFIX = "merged_"  # tmp/merged_<run>/: utils.models.is_ready wants the marker in these
MERGED_POINTER_FILE = "merged.json"
GENERATIONS_DIR = "generations"
VERDICT_STORE = "judge_verdicts.jsonl"
CALIBRATION_STORE = "judge_calibration.jsonl"
METRICS_FILE = "metrics.json"
PER_QUESTION_FILE = "per_question.csv"
VERDICTS_FILE = "verdicts.jsonl"
ANSWERS_FILE = "answers.jsonl"
GOLD_ANSWERS_FILE = "gold_answers.jsonl"
# metrics.json first: the others are written before it, and it is moved to history/ last
RESULT_FILES = (METRICS_FILE, PER_QUESTION_FILE, VERDICTS_FILE, ANSWERS_FILE, GOLD_ANSWERS_FILE)
PLOTS_DIR = "plots"
HISTORY_DIR = "history"
MLRUNS_DIR = "mlruns"  # MLflow's local file store when no tracking URI is set
RUNS_DIR = "runs"  # the runner's executed notebooks, one folder per run


class MissingStepOutput(FileNotFoundError):
    """A file a step needs is not there: the message names it and the step that writes it."""


# ------------------------------------------------------------------------------ Step 0
def setup_report_file(cfg: Config) -> Path:
    """Step 0's table of the models it set up and checked (written by utils.models.setup_all)."""
    return cfg.models_dir / SETUP_REPORT_FILE


# ------------------------------------------------------------------------------ Step 1
def _stem(cfg: Config, comment_type: str) -> str:
    return cfg.sds_file(comment_type).stem


def train_file(cfg: Config, comment_type: str) -> Path:
    """Step 1's training records of one type: Data/<stem>_Train_Clean.json."""
    return cfg.data_dir / f"{_stem(cfg, comment_type)}_Train_Clean.json"


def eval_file(cfg: Config, comment_type: str) -> Path:
    """Step 1's evaluation records of one type: Data/<stem>_Evaluation_Clean.json."""
    return cfg.data_dir / f"{_stem(cfg, comment_type)}_Evaluation_Clean.json"


def rejects_file(cfg: Config, comment_type: str) -> Path:
    """Every record Step 1 dropped from one type's export, with its stage and reason."""
    return cfg.data_dir / REJECTS_DIR / f"{_stem(cfg, comment_type)}_rejects.json"


def merged_train_file(cfg: Config) -> Path:
    """Step 1's training records of every type in one shuffled file, what Step 2 trains on."""
    return cfg.data_dir / TRAIN_FILE


def data_card_file(cfg: Config) -> Path:
    return cfg.data_dir / DATA_CARD_FILE


# ------------------------------------------------------------------------------ Step 2
def run_name(cfg: Config) -> str:
    """The name of a training run: the training file and the LoRA settings it was trained with."""
    return f"{Path(TRAIN_FILE).stem}_r{cfg.LORA_R}_a{cfg.LORA_ALPHA}_d{cfg.LORA_DROPOUT}"


def merged_dir(cfg: Config) -> Path:
    """Where Step 2 publishes the merged student of this run: tmp/merged_<run>/.

    Step 2 only; later steps read the folder Step 2 published last (`finetuned_dir`).
    """
    return cfg.tmp_dir / f"{MERGED_PREFIX}{run_name(cfg)}"


def gguf_dir(cfg: Config) -> Path:
    """Where Step 2's last cell exports the merged student as GGUF for llama.cpp and Ollama (utils.export)."""
    return cfg.tmp_dir / f"gguf_{run_name(cfg)}"


def runtime_gguf_file(cfg: Config, model_id: str, qtype: str) -> Path:
    """A model folder's GGUF file for the CPU runtimes (utils.gguf_runtime, utils.openvino_runtime), by its contents' id."""
    return cfg.tmp_dir / "gguf_runtime" / f"{model_id}.{qtype}.gguf"


def adapter_dir(cfg: Config) -> Path:
    """Where Step 2 saves the LoRA adapter of this run (Step 2 only; the app reads the pointer)."""
    return cfg.tmp_dir / f"adapter_{run_name(cfg)}"


def checkpoints_dir(cfg: Config) -> Path:
    """Step 2's checkpoints of this run, what a rerun resumes from."""
    return cfg.tmp_dir / f"checkpoints_{run_name(cfg)}"


def training_card_file(merged: Path) -> Path:
    """The training card inside a merged folder (config, data hashes, losses, merge check)."""
    return Path(merged) / TRAINING_CARD_FILE


def fingerprint_file(folder: Path) -> Path:
    """The run fingerprint Step 2 stamps into its checkpoints folder (what a rerun may resume) and
    its adapter folder (which merged folder the adapter belongs to: `paired_adapter`)."""
    return Path(folder) / FINGERPRINT_FILE


def first_dev_loss_file(cfg: Config) -> Path:
    """The dev loss before training, kept in the checkpoints folder for a resumed run's card."""
    return checkpoints_dir(cfg) / FIRST_DEV_LOSS_FILE


def partial_dir(final: Path) -> Path:
    """Where a model folder is built before it is renamed to `final` (Step 0's models, Step 2's merge)."""
    final = Path(final)
    return final.with_name(final.name + PARTIAL_SUFFIX)


def merged_pointer(cfg: Config) -> Path:
    """tmp/merged.json: which merged folder (and adapter) Step 2 published last."""
    return cfg.tmp_dir / MERGED_POINTER_FILE


def write_merged_pointer(cfg: Config, merged: Path, adapter: Optional[Path] = None) -> Path:
    """Step 2, once the merged folder is published: record it (and its adapter) for Step 3 and the app.

    Folders inside TMP_DIR are recorded by name, so a project folder that moves keeps its pointer.
    """
    def where(folder: Optional[Path]) -> Optional[str]:
        if folder is None:
            return None
        folder = Path(folder)
        return folder.name if folder.parent == cfg.tmp_dir else str(folder)

    return write_json(merged_pointer(cfg), {"merged": where(merged), "adapter": where(adapter)})


def _pointed(cfg: Config, key: str) -> Optional[Path]:
    pointer = merged_pointer(cfg)
    if not pointer.exists():
        raise MissingStepOutput(f"{pointer} does not exist: it names the merged model Step 2 published. "
                                "Run Step 2 (2_Finetune_LoRA.ipynb) first.")
    value = read_json(pointer).get(key)
    return None if value is None else cfg.tmp_dir / value


def finetuned_dir(cfg: Config) -> Path:
    """The fine-tuned student: the merged folder Step 2 published last, as its pointer names it.

    Raises MissingStepOutput, naming the pointer, when Step 2 has not published one. Whether the
    folder is complete is `utils.models.is_ready`'s question.
    """
    folder = _pointed(cfg, "merged")
    if folder is None:
        raise MissingStepOutput(f"{merged_pointer(cfg)} names no merged folder; run Step 2 (2_Finetune_LoRA.ipynb) again.")
    return folder


def paired_adapter(cfg: Config) -> Optional[Path]:
    """Step 2's adapter folder when it is the one merged into `finetuned_dir` (the same run), else None."""
    try:
        merged, adapter = finetuned_dir(cfg), _pointed(cfg, "adapter")
    except MissingStepOutput:
        return None
    if adapter is None:
        return None
    stamp, card = fingerprint_file(adapter), training_card_file(merged)
    if not (stamp.exists() and card.exists() and (merged / MARKER).exists()):
        return None
    return adapter if read_json(stamp).get("fingerprint") == read_json(card).get("fingerprint") else None


# ------------------------------------------------------------------------------ Step 3
def generations_dir(cfg: Config) -> Path:
    """Step 3's raw answers and judge verdicts, kept across runs so a rerun resumes."""
    return cfg.results_dir / GENERATIONS_DIR


def generation_file(cfg: Config, model_name: str, comment_type: str) -> Path:
    """One answerer's raw answers to one type's comments: results/generations/<model>_<type>.jsonl."""
    return generations_dir(cfg) / f"{model_name}_{comment_type}.jsonl"


def timing_file(path: Path) -> Path:
    """Where the batch timings of a generation file go (kept out of the answers themselves)."""
    return Path(path).with_suffix(".timing.jsonl")


def verdict_store(cfg: Config, name: str = VERDICT_STORE) -> Path:
    """The LLM judge's verdicts so far (VERDICT_STORE, or CALIBRATION_STORE for its calibration)."""
    return generations_dir(cfg) / name


def results_file(cfg: Config, name: str = METRICS_FILE) -> Path:
    """One of Step 3's results (RESULT_FILES); metrics.json by default, written last."""
    return cfg.results_dir / name


# ------------------------------------------------------------------------------ tracking, runner
def mlruns_dir(cfg: Config) -> Path:
    return cfg.path(MLRUNS_DIR)


def require(path: Path, step: str, why: str = "") -> Path:
    """`path`, or a MissingStepOutput that names it and the step to run (`why`: what needs it)."""
    if not Path(path).exists():
        raise MissingStepOutput(f"{path} does not exist: run {step} first{'; ' + why if why else ''}.")
    return Path(path)
