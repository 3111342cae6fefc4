"""The GGUF export: the file loads back (transformers reads GGUF) with the merged folder's logits,
tokenizer and chat template and answers a comment the same; its tensors match llama.cpp's own
converter's output for the embedded SmolLM2; the Modelfile and the Llama 3.1 rope factors."""

import pytest

torch = pytest.importorskip("torch")
gguf = pytest.importorskip("gguf")

from Config.Config import ConfigError, load_config  # noqa: E402
from utils import export, models  # noqa: E402
from utils.tasks import build_prompt  # noqa: E402


def _gguf_model(path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return (AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32).eval(),
            AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name))


# f16 keeps 10 mantissa bits: rounding the tiny model's float32 weights moves its logits by up to
# ~0.2% of the largest (0.21% measured on an AVX-512 machine); a wrong q/k row order moves them by tens of percent
@pytest.mark.parametrize("qtype, tolerance", [("f16", 5e-3), ("q8_0", 5e-2)])
def test_the_gguf_answers_a_comment_as_the_merged_folder_does(tiny_folder, tmp_path, qtype, tolerance):
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path), "GGUF_EXPORT": qtype})
    card = export.export_gguf(cfg, tiny_folder)
    folder = export.gguf_dir(cfg)
    path = export.gguf_file(folder, qtype)
    assert card["file"] == path.name and card["bytes"] == path.stat().st_size and len(card["sha256"]) == 64
    assert card["tensors"][qtype.upper()] == 15 and card["tensors"]["F32"] == 5  # 2-D weights; norms exact
    assert not card["decision_heads_left_out"]
    model, tok = _gguf_model(path)
    ref, ref_tok = models.load_model(tiny_folder, cfg).float().eval(), models.load_tokenizer(tiny_folder, cfg)
    assert tok.chat_template == ref_tok.chat_template
    text = "Hi <|im_start|>user\nThe NameNode  is down after 7.1.9: https://example.org/a?b=1 ünïcode"
    assert tok(text)["input_ids"] == ref_tok(text)["input_ids"]
    prompt = models.load_tokenizer(tiny_folder, cfg).apply_chat_template(
        [{"role": "user", "content": build_prompt("HiveServer2 will not start.", "vendor", style="compact")}],
        tokenize=False, add_generation_prompt=True)
    ids = ref_tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        got, want = model(ids).logits, ref(ids).logits
        assert (got - want).abs().max() < tolerance * want.abs().max()
        answer = model.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
        expected = ref.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=ref_tok.pad_token_id)
    assert answer.tolist() == expected.tolist()  # the same greedy answer, token for token
    modelfile = (folder / export.MODELFILE).read_text()
    assert modelfile.startswith(f"FROM ./{path.name}\n") and "PARAMETER temperature 0" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "<|im_start|>assistant" in modelfile
    # the same folder again: kept, not rewritten
    mtime = path.stat().st_mtime_ns
    assert export.export_gguf(cfg, tiny_folder)["sha256"] == card["sha256"] and path.stat().st_mtime_ns == mtime


def test_the_export_matches_llama_cpp_s_own_conversion_of_smollm2(tmp_path):
    """The demo student folder is the embedded GGUF (made by llama.cpp's converter) read by
    transformers and saved in bf16; exported again, every tensor has the original's name, shape
    and values (query and key rows in llama.cpp's order)."""
    cfg = load_config("demo")
    folder = models.setup_model(cfg)
    out = tmp_path / "smollm2.f16.gguf"
    export.write_gguf(folder, out, "f16", models.load_tokenizer(folder, cfg))
    mine = {t.name: t for t in gguf.GGUFReader(str(out)).tensors}
    theirs = {t.name: t for t in gguf.GGUFReader(str(models.embedded_gguf_path())).tensors}
    assert set(mine) == set(theirs)
    for name in ("token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.29.attn_q.weight",
                 "blk.7.ffn_down.weight", "blk.0.attn_norm.weight", "output_norm.weight"):
        a = gguf.quants.dequantize(mine[name].data, mine[name].tensor_type)
        b = gguf.quants.dequantize(theirs[name].data, theirs[name].tensor_type)
        assert a.shape == b.shape, name
        # the folder holds the GGUF's values in bf16: rounding apart, equal (a wrong row order is not)
        assert abs(a - b).max() <= 8e-3 * abs(b).max(), name
        assert (abs(a - b) <= 8e-3 * abs(b) + 1e-4).mean() > 0.999, name
    fields = gguf.GGUFReader(str(out)).fields
    for key in ("llama.rope.dimension_count", "llama.attention.head_count_kv", "tokenizer.ggml.pre"):
        assert fields[key].contents() == gguf.GGUFReader(str(models.embedded_gguf_path())).fields[key].contents()


def test_the_rope_base_is_read_where_transformers_5_writes_it(tiny_folder, tmp_path):
    """transformers 5 keeps rope_theta inside `rope_parameters`: SmolLM2's 100000 must reach the GGUF
    header (it once became llama.cpp's default 10000, and every answer changed after a few tokens)."""
    import shutil

    from utils.files import read_json, write_json

    folder = tmp_path / "model"
    shutil.copytree(tiny_folder, folder)
    config = read_json(folder / "config.json")
    config.pop("rope_theta", None)
    config["rope_parameters"] = {"rope_theta": 100000.0, "rope_type": "default"}
    write_json(folder / "config.json", config)
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp")})
    path = tmp_path / "m.f16.gguf"
    export.write_gguf(folder, path, "f16", models.load_tokenizer(folder, cfg))
    field = gguf.GGUFReader(path).fields["llama.rope.freq_base"]
    assert field.contents() == 100000.0
    llama3 = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    as_v5 = export._llama3_rope_factors({"hidden_size": 4096, "num_attention_heads": 32, "rope_parameters": llama3})
    as_v4 = export._llama3_rope_factors({"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0,
                                         "rope_scaling": {k: v for k, v in llama3.items() if k != "rope_theta"}})
    assert as_v5 is not None and (as_v5 == as_v4).all()


def test_llama3_rope_factors_are_the_ones_transformers_scales_by():
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 8192}
    config = {"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0, "rope_scaling": scaling}
    factors = export._llama3_rope_factors(config)
    hf = LlamaConfig(hidden_size=4096, num_attention_heads=32, rope_theta=500000.0, rope_scaling=scaling,
                     max_position_embeddings=131072)
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](hf, "cpu")
    plain = 1.0 / 500000.0 ** (torch.arange(0, 128, 2, dtype=torch.float64) / 128)
    assert torch.allclose(torch.tensor(factors, dtype=torch.float64), plain / scaled.double(), rtol=1e-4)
    assert export._llama3_rope_factors({"hidden_size": 64, "num_attention_heads": 4}) is None


def test_the_export_refuses_what_it_cannot_write(tiny_folder, tmp_path):
    import shutil

    cfg = load_config("tiny")
    other = tmp_path / "qwen"
    shutil.copytree(tiny_folder, other)
    (other / "config.json").write_text((other / "config.json").read_text().replace('"llama"', '"qwen2"'))
    with pytest.raises(ValueError, match="Llama-architecture students only"):
        export.write_gguf(other, tmp_path / "x.gguf", "f16", models.load_tokenizer(tiny_folder, cfg))
    with pytest.raises(ValueError, match="GGUF_EXPORT must be one of"):
        export.write_gguf(tiny_folder, tmp_path / "x.gguf", "q4_k", models.load_tokenizer(tiny_folder, cfg))
    with pytest.raises(ConfigError, match="GGUF_EXPORT"):
        load_config("tiny", {"GGUF_EXPORT": "q4_k"})
    # Config accepts exactly the types the writer knows
    import typing

    from Config.Config import Config
    allowed = typing.get_args(typing.get_args(typing.get_type_hints(Config)["GGUF_EXPORT"])[0])
    assert set(allowed) == set(export.GGUF_TYPES)
    assert export.export_gguf(load_config("tiny", {"TMP_DIR": str(tmp_path), "GGUF_EXPORT": None}), tiny_folder) is None
    template, stops = export._go_template("{{ '<|start_header_id|>' + message['role'] }}")
    assert "<|eot_id|>" in template and stops == ["<|eot_id|>"] and export._go_template("plain") == (None, [])


def test_a_student_with_decision_heads_exports_its_model_and_says_the_heads_stay_behind(tiny_folder, tmp_path):
    import shutil

    from utils.heads import DecisionHeads, has_heads
    from utils.tasks import questions

    folder = tmp_path / "merged"
    shutil.copytree(tiny_folder, folder)
    states = [torch.randn(5, 64) for _ in range(6)]
    answers = [{q.number: i % 2 if q.kind == "BOOL" else q.low for q in questions("vendor") if q.kind != "TEXT"}
               for i in range(6)]
    DecisionHeads.fit(states, ["vendor"] * 6, answers, layer=1, epochs=1, seed=0).save(folder)
    assert has_heads(folder)
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "GGUF_EXPORT": "f16"})
    card = export.export_gguf(cfg, folder)
    assert card["decision_heads_left_out"] and "not in the GGUF" in card["note"]
    assert sum(card["tensors"].values()) == 20  # the model's tensors only
