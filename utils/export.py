"""The fine-tuned student as one GGUF file for llama.cpp and Ollama, with an Ollama Modelfile.

Step 2 ends with a merged Hugging Face folder; users who serve models with llama.cpp
(`llama-server`, `llama-cli`) or Ollama want one GGUF file with the same weights, tokenizer and
chat template. `export_gguf` writes it with the `gguf` package (llama.cpp's own Python writer):
Llama-architecture students only (SmolLM2 and Llama 3.x are), read tensor by tensor from the
folder's safetensors, 2-D weights as f16, bf16 or q8_0 (`GGUF_EXPORT`), norms as f32. Beside it go
a `Modelfile` (the system prompt, greedy decoding, the answer budget and the chat template's stop
token) and `export_card.json` (what was exported from which folder, the file's SHA-256, and what the
file cannot carry). The folder is built under a temporary name and renamed into place.

    tmp/gguf_<run>/student.<type>.gguf, Modelfile, export_card.json      (utils.paths.gguf_dir)
    python -m utils.export --profile demo [--set GGUF_EXPORT=f16]          (Step 2's last cell runs it)

Two layout facts llama.cpp expects and transformers does not: the rows of the query and key
projections are interleaved per head for llama.cpp's rotary embedding (`_llama_rope_rows`), and
Llama 3.1's long-context rope scaling travels as a `rope_freqs` tensor (`_llama3_rope_factors`).
transformers reads GGUF files too (undoing the first), which is how the tests check the export:
the file loaded back answers with the merged folder's logits.

Decision heads (utils/heads.py) are not a GGUF tensor: a student exported with heads writes every
answer line itself under llama.cpp, so its yes/no and score answers are the merged model's own,
not the heads'. The card and the printout say so.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

from Config.Config import Config, ConfigError, add_config_arguments, load_config, parse_set_args
from utils.files import file_sha256, read_json, write_json
from utils.paths import MARKER, gguf_dir, partial_dir

# Each type GGUF_EXPORT may name: the file type the header states and the type of the 2-D tensors
# (names in the gguf package's LlamaFileType and GGMLQuantizationType; 1-D norms stay F32).
_TYPES = {"f16": ("MOSTLY_F16", "F16"), "bf16": ("MOSTLY_BF16", "BF16"), "q8_0": ("MOSTLY_Q8_0", "Q8_0")}
GGUF_TYPES = tuple(_TYPES)
CARD = "export_card.json"
# Raised when the writer's output changes, so an export kept from an older writer is written again
# (2: the rope base read from transformers 5's `rope_parameters`, not llama.cpp's default).
WRITER_VERSION = 2
MODELFILE = "Modelfile"


def gguf_file(folder: Path, qtype: str) -> Path:
    """The GGUF file inside an export folder."""
    return Path(folder) / f"student.{qtype}.gguf"


def _llama_rope_rows(weight, n_head: int):
    """Query/key rows reordered from Hugging Face's half-split rotary layout to llama.cpp's
    interleaved pairs, per head: rows (head, half, i) become (head, i, half)."""
    return (weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def _rope_settings(config: dict) -> dict:
    """The rope settings wherever the config keeps them: transformers 5 writes `rope_parameters`
    (`rope_theta` and the scaling together), older configs a top-level `rope_theta` and
    `rope_scaling`. Read from the top level only, SmolLM2's base of 100000 became llama.cpp's
    default 10000 (and Llama 3.1 lost its scaling): every answer after the first tokens changed."""
    return ({"rope_theta": config.get("rope_theta", 10000.0)} | (config.get("rope_scaling") or {})
            | (config.get("rope_parameters") or {}))


def _llama3_rope_factors(config: dict):
    """Llama 3.1's per-frequency rope scaling factors (None without `rope_type: llama3`)."""
    import numpy as np

    scaling = _rope_settings(config)
    if scaling.get("rope_type", scaling.get("type")) != "llama3":
        return None
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    base = scaling["rope_theta"]
    factor, low, high = scaling["factor"], scaling.get("low_freq_factor", 1.0), scaling.get("high_freq_factor", 4.0)
    old_context = scaling.get("original_max_position_embeddings", 8192)
    factors = []
    for freq in 1.0 / base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim):
        wavelength = 2 * math.pi / freq
        if wavelength < old_context / high:
            factors.append(1.0)  # short wavelengths: unscaled
        elif wavelength > old_context / low:
            factors.append(factor)  # long wavelengths: fully scaled
        else:  # in between: a smooth blend of the two
            smooth = (old_context / wavelength - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


def _pre_tokenizer(vocab: dict) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenization rules (it splits text before BPE)."""
    if "<|begin_of_text|>" in vocab:
        return "llama-bpe"  # Llama 3.x
    if "<|im_start|>" in vocab and len(vocab) == 49152:
        return "smollm"  # SmolLM / SmolLM2
    return "default"


def _tokens(tokenizer) -> tuple[list[str], list[int]]:
    """Every token id's text and llama.cpp token type (control for special added tokens)."""
    from gguf import TokenType

    vocab = tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    by_id = {i: t for t, i in vocab.items()}
    added = tokenizer.added_tokens_decoder
    texts, types = [], []
    for i in range(size):
        if i not in by_id:
            texts.append(f"[PAD{i}]")
            types.append(TokenType.UNUSED)
        elif i in added:
            texts.append(added[i].content)
            types.append(TokenType.CONTROL if added[i].special else TokenType.USER_DEFINED)
        else:
            texts.append(by_id[i])
            types.append(TokenType.NORMAL)
    return texts, types


def _weights(folder: Path):
    """(name, float32 numpy array) of every tensor in the folder's safetensors, one at a time."""
    from safetensors import safe_open

    index = folder / "model.safetensors.index.json"  # sharded checkpoints name their shards here
    files = (sorted({folder / f for f in read_json(index)["weight_map"].values()}) if index.exists()
             else [folder / "model.safetensors"] if (folder / "model.safetensors").exists() else [])
    if not files:  # decision_heads.safetensors beside them is not the model's
        raise FileNotFoundError(f"{folder} has no .safetensors weights to export: rerun Step 2.")
    for path in files:
        with safe_open(str(path), framework="pt") as f:
            for name in f.keys():
                yield name, f.get_tensor(name).float().numpy()


def write_gguf(folder: Path, dest: Path, qtype: str, tokenizer, name: Optional[str] = None) -> dict:
    """Write the model folder (with its loaded tokenizer) as one GGUF file; returns what was written
    (tensor count, types)."""
    import gguf
    import numpy as np

    if qtype not in GGUF_TYPES:
        raise ValueError(f"GGUF_EXPORT must be one of {', '.join(GGUF_TYPES)} or None, not {qtype!r}")
    folder = Path(folder)
    config = read_json(folder / "config.json")
    if config.get("model_type") != "llama":
        raise ValueError(f"{folder} is a {config.get('model_type')!r} model; the GGUF export writes Llama-architecture "
                         "students only (SmolLM2, Llama 3.x). Set GGUF_EXPORT=None, or convert it with llama.cpp's "
                         "convert_hf_to_gguf.py.")
    n_head, n_kv = config["num_attention_heads"], config.get("num_key_value_heads", config["num_attention_heads"])
    n_layers, head_dim = config["num_hidden_layers"], config.get("head_dim") or config["hidden_size"] // n_head
    texts, types = _tokens(tokenizer)

    writer = gguf.GGUFWriter(str(dest), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_name(name or folder.name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(_rope_settings(config)["rope_theta"])
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-5))
    writer.add_vocab_size(len(texts))
    file_type, tensor_type = _TYPES[qtype]
    writer.add_file_type(gguf.LlamaFileType[file_type])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(tokenizer.get_vocab()))
    writer.add_token_list(texts)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(folder, load_merges=True, n_vocab=len(texts))
    special.chat_template = tokenizer.chat_template  # the template training rendered with
    special.add_to_gguf(writer, quiet=True)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)
    wanted = gguf.GGMLQuantizationType[tensor_type]
    counts: dict[str, int] = {}
    factors = _llama3_rope_factors(config)
    if factors is not None:
        writer.add_tensor(gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", factors)
        counts["F32"] = 1
    for hf_name, data in _weights(folder):
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue  # recomputed by llama.cpp from the rope settings
        target = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise ValueError(f"{folder}: no GGUF name for tensor {hf_name!r}; is this a plain Llama checkpoint?")
        if hf_name.endswith("q_proj.weight"):
            data = _llama_rope_rows(data, n_head)
        elif hf_name.endswith("k_proj.weight"):
            data = _llama_rope_rows(data, n_kv)
        qt = wanted if data.ndim == 2 else gguf.GGMLQuantizationType.F32  # norms stay exact
        if qt == gguf.GGMLQuantizationType.Q8_0 and data.shape[-1] % 32:
            qt = gguf.GGMLQuantizationType.F16  # q8_0 packs rows in blocks of 32
        stored = gguf.quants.quantize(data.astype(np.float32), qt)
        writer.add_tensor(target, stored, raw_dtype=qt)  # quantized: a byte array the writer sizes
        counts[qt.name] = counts.get(qt.name, 0) + 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    return {"tensors": counts, "tokens": len(texts), "tied_embeddings": bool(config.get("tie_word_embeddings"))}


def _go_template(chat_template: str) -> tuple[Optional[str], list[str]]:
    """Ollama's Go template and stop strings for the chat templates this project's students use
    (ChatML for SmolLM2, Llama 3's headers); (None, []) lets Ollama read the GGUF's own template."""
    if "<|im_start|>" in chat_template:
        return ('{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}'
                '{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}'
                '<|im_start|>assistant\n{{ .Response }}<|im_end|>\n'), ["<|im_end|>"]
    if "<|start_header_id|>" in chat_template:
        return ('{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}'
                '{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}'
                '<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>'), ["<|eot_id|>"]
    return None, []


def modelfile(gguf_name: str, cfg: Config, chat_template: str) -> str:
    """An Ollama Modelfile: the GGUF beside it, the system prompt, greedy decoding, the answer budget."""
    template, stops = _go_template(chat_template or "")
    lines = [f"FROM ./{gguf_name}"]
    if template:
        lines.append(f'TEMPLATE """{template}"""')
    if cfg.system_prompt:
        lines.append(f'SYSTEM """{cfg.system_prompt}"""')
    lines += ["PARAMETER temperature 0", f"PARAMETER num_predict {cfg.GEN_MAX_NEW_TOKENS}",
              f"PARAMETER num_ctx {cfg.MAX_LENGTH + cfg.GEN_MAX_NEW_TOKENS}", f"PARAMETER seed {cfg.SEED}"]
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    return "\n".join(lines) + "\n"


def export_gguf(cfg: Config, folder: Path, qtype: Optional[str] = None) -> Optional[dict]:
    """Export a merged student folder (Step 2's) to `gguf_dir(cfg)`; returns the export card.

    With GGUF_EXPORT=None (and no `qtype`) nothing is written and None is returned. An export of
    the same folder contents and type already in place is kept.
    """
    from utils.heads import has_heads
    from utils.inference import model_identity
    from utils.models import load_tokenizer

    qtype = qtype or cfg.GGUF_EXPORT
    if qtype is None:
        print("GGUF_EXPORT is None: no GGUF file written.")
        return None
    folder = Path(folder)
    dest = gguf_dir(cfg)
    card_path = dest / CARD
    source = {"folder": str(folder), "model_id": model_identity(folder), "type": qtype, "writer": WRITER_VERSION}
    kept = read_json(card_path) if card_path.exists() else {}
    if {k: kept.get(k) for k in source} == source:
        print(f"{gguf_file(dest, qtype)} is already the export of {folder.name}; kept.")
        return kept
    tmp = partial_dir(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    out = gguf_file(tmp, qtype)
    print(f"Writing {gguf_file(dest, qtype)} ({qtype}) from {folder} ...", flush=True)
    tokenizer = load_tokenizer(folder, cfg)
    written = write_gguf(folder, out, qtype, tokenizer, name=f"kd-student-{folder.name}")
    (tmp / MODELFILE).write_text(modelfile(out.name, cfg, tokenizer.chat_template or ""))
    heads = has_heads(folder)
    card = source | written | {
        "file": out.name, "bytes": out.stat().st_size, "sha256": file_sha256(out),
        "prompt_style": cfg.PROMPT_STYLE, "system_prompt": cfg.system_prompt,
        "decision_heads_left_out": heads,
        "note": ("The student's decision heads are not in the GGUF: under llama.cpp or Ollama it writes every "
                 "answer line itself, so its yes/no and score answers are the merged model's own, not Step 3's "
                 "fine-tuned figures." if heads else "The GGUF holds everything the fine-tuned answers need."),
    }
    write_json(tmp / CARD, card)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    print(f"Wrote {gguf_file(dest, qtype)}: {card['bytes'] / 2**20:.0f} MiB, tensors {written['tensors']}."
          + (f" Note: {card['note']}" if heads else ""))
    return card


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    from utils.paths import MissingStepOutput, finetuned_dir

    parser = argparse.ArgumentParser(prog="python -m utils.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="a merged model folder (default: the one Step 2 published last)")
    add_config_arguments(parser, progress=False)
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.profile, parse_set_args(args.set))
        folder = Path(args.folder) if args.folder else finetuned_dir(cfg)
        if not (folder / MARKER).exists():
            raise FileNotFoundError(f"{folder} is not a complete model folder (no {MARKER}): rerun Step 2.")
        card = export_gguf(cfg, folder, cfg.GGUF_EXPORT or "f16")
    except (ConfigError, MissingStepOutput, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: card[k] for k in ("file", "bytes", "sha256")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
