"""The CPU runtime choice: llama.cpp when it imports (same tokens, greedy, same stop), else transformers."""

import dataclasses

import pytest

from Config.Config import load_config
from utils import gguf_runtime, inference
from utils.files import read_json, read_jsonl
from utils.runtime import SetupCheckError
from utils.tasks import build_prompt

COMMENTS = ["Kudu tablet server 3 is down since the upgrade.", "Impala queries hang at 99% after a restart.",
            "The HDFS balancer never finishes on rack two.", "Please send the invoice again, it was lost."]


def _records(n):
    return [{"id": f"vendor-{i:03d}", "type": "vendor", "Comment": COMMENTS[i % 4],
             "Prompt": build_prompt(COMMENTS[i % 4], "vendor", style="compact")} for i in range(n)]


@pytest.fixture
def no_llama_cpp(monkeypatch):
    """This interpreter as it is without llama-cpp-python (the `make demo` install)."""
    import utils.install

    real = utils.install.import_problem
    monkeypatch.setattr(utils.install, "import_problem",
                        lambda module: "not installed" if module == "llama_cpp" else real(module))


def test_the_app_falls_back_without_llama_cpp_and_says_why(tiny_folder, tmp_path, no_llama_cpp, capsys):
    """One comment at a time without llama.cpp: OpenVINO when it imports (`make install` has it), else
    transformers (tests/test_openvino_runtime.py hides both), with the reason printed once."""
    from utils.install import import_problem

    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "TMP_DIR": str(tmp_path / "tmp"), "INFERENCE_BACKEND": "auto"})
    inference._said.clear()
    engine = inference.Engine(tiny_folder, cfg, 4, one_at_a_time=True)
    fallback = "openvino" if import_problem("openvino_genai") is None else "hf"
    assert engine.backend == fallback and engine.gguf is None
    out = capsys.readouterr().out
    said = "openvino" if fallback == "openvino" else "transformers"
    assert f"Generating with {said}: llama-cpp-python is not installed" in out and "make install-llama-cpp" in out
    rows = inference.generate_answers(cfg, engine, "base", _records(2), "vendor", progress=False)
    assert {r["runtime"] for r in rows} == {engine.runtime_name}
    engine.close()


def test_auto_takes_llama_cpp_on_a_cpu_when_it_is_installed(tiny_folder, tmp_path):
    pytest.importorskip("llama_cpp")
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path), "INFERENCE_BACKEND": "auto"})
    from utils.runtime import prepare

    runtime = prepare(cfg)
    from utils.install import import_problem

    assert inference.select_backend(cfg, runtime, tiny_folder, one_at_a_time=True) == "llama.cpp"  # the app
    batches = "openvino" if import_problem("openvino_genai") is None else "hf"  # Step 3: not llama.cpp's batches
    assert inference.select_backend(cfg, runtime, tiny_folder) == batches
    assert inference.select_backend(dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), runtime, tiny_folder) == "hf"
    assert inference.select_backend(cfg, runtime) == "hf"  # no folder to write a GGUF of


def test_asking_for_llama_cpp_without_it_stops_before_any_work(tiny_folder, tmp_path, no_llama_cpp):
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "INFERENCE_BACKEND": "llama.cpp"})
    with pytest.raises(SetupCheckError, match="make install-llama-cpp"):
        inference.Engine(tiny_folder, cfg, 4)


def test_a_model_llama_cpp_cannot_run_stays_on_transformers(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "phi3"}')
    cfg = load_config("tiny", {"INFERENCE_BACKEND": "auto"})
    backend, why = gguf_runtime.cpu_backend(cfg, tmp_path)
    if why and "not installed" in why:
        pytest.skip("llama-cpp-python is not installed: the architecture check comes after the import")
    assert backend == "hf" and "phi3" in why and "Llama-architecture" in why
    with pytest.raises(RuntimeError, match="phi3"):
        gguf_runtime.cpu_backend(dataclasses.replace(cfg, INFERENCE_BACKEND="llama.cpp"), tmp_path)


def test_llama_cpp_on_a_gpu_is_refused_in_one_wording():
    from utils.runtime import LLAMA_CPP_ON_GPU, Runtime, machine_problems

    cfg = load_config("tiny", {"INFERENCE_BACKEND": "llama.cpp"})
    with pytest.raises(RuntimeError, match="CPU runtime") as refused:
        inference.select_backend(cfg, Runtime("cuda", "bfloat16"), None)
    assert str(refused.value) == LLAMA_CPP_ON_GPU + "."
    assert LLAMA_CPP_ON_GPU in machine_problems(cfg, "inference", Runtime("cuda", "bfloat16"))


# ------------------------------------------------------------------ with llama-cpp-python installed
def _llama_cpp_engine(tiny_folder, tmp_path, qtype="f16", max_new_tokens=12):
    pytest.importorskip("llama_cpp")
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path / "results"), "TMP_DIR": str(tmp_path / "tmp"),
                               "INFERENCE_BACKEND": "llama.cpp", "LLAMA_CPP_TYPE": qtype, "DTYPE": "float32"})
    return cfg, inference.Engine(tiny_folder, cfg, max_new_tokens)


def test_llama_cpp_answers_with_transformers_greedy_tokens(tiny_folder, tmp_path):
    """Same prompt ids, greedy, no penalties: the f16 GGUF under llama.cpp continues the tiny model
    as transformers float32 does (a random model's logits are close together, so the texts are
    compared on their first tokens, where rounding has not yet had a chance to tip a near tie)."""
    cfg, engine = _llama_cpp_engine(tiny_folder, tmp_path)
    assert engine.backend == "llama.cpp" and engine.runtime_name.startswith("llama.cpp")
    from utils.export import WRITER_VERSION

    assert f"writer {WRITER_VERSION}" in engine.runtime_name  # a rewritten export is another artifact
    gguf = engine.gguf.path
    assert gguf.exists() and gguf.parent.name == "gguf_runtime" and gguf.name.endswith(".f16.gguf")
    reference = inference.Engine(tiny_folder, dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), 12)
    texts = [engine.render(p["Prompt"]) for p in _records(4)]
    ours, theirs = engine.generate(texts), reference.generate(texts)
    tok = engine.tokenizer
    first = [(tok(a, add_special_tokens=False)["input_ids"][:4], tok(b, add_special_tokens=False)["input_ids"][:4])
             for (a, _), (b, _) in zip(ours, theirs)]
    assert sum(a == b for a, b in first) >= 3, first
    assert all(n == 12 for _, n in ours)  # the cap, as transformers counts it
    # a second engine reuses the file instead of writing it again
    mtime = gguf.stat().st_mtime_ns
    again = inference.Engine(tiny_folder, cfg, 12)
    assert again.gguf.path == gguf and gguf.stat().st_mtime_ns == mtime
    for e in (engine, reference, again):
        e.close()


def test_step3_on_llama_cpp_records_the_runtime_and_resumes(tiny_folder, tmp_path):
    cfg, engine = _llama_cpp_engine(tiny_folder, tmp_path, qtype="q8_0", max_new_tokens=6)
    records = _records(5)
    calls = []
    real = engine.generate
    engine.generate = lambda texts, **kw: calls.append(len(texts)) or real(texts, **kw)
    rows = inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    assert calls == [5]  # one batch of sequences (GEN_BATCH_SIZE 12 holds all five)
    path = inference.generation_file(cfg, "base", "vendor")
    assert all(r["runtime"] == engine.runtime_name and "q8_0" in r["runtime"] for r in read_jsonl(path))
    assert read_json(path.with_suffix(".meta.json"))["runtime"] == engine.runtime_name
    assert len(read_jsonl(inference.timing_file(path))) == 1
    calls.clear()
    assert inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False) == rows
    assert calls == []
    # transformers answers are another runtime's: set aside, never mixed in
    hf = inference.Engine(tiny_folder, dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), 6)
    inference.generate_answers(cfg, hf, "base", records, "vendor", progress=False)
    assert {r["runtime"] for r in read_jsonl(path)} == {hf.runtime_name}
    assert list(path.parent.glob("base_vendor.stale-*.jsonl"))
    engine.close()


def _finished_then_chatter(tok):
    """(a full vendor answer, its first ten lines and `11.`, the ids of a summary that finishes it and
    then chatter): a token stream to script llama.cpp with."""
    from utils.tasks import format_answers, questions

    answer = format_answers({q.number: (1 if q.kind != "TEXT" else "Kudu is down.") for q in questions("vendor")},
                            "vendor")
    prefix = "\n".join(answer.splitlines()[:10]) + "\n11."
    script = tok(" Kudu is down.\n\nMore chatter that nobody reads at all, and then some more of it.",
                 add_special_tokens=False)["input_ids"]
    return answer, prefix, script


def test_llama_cpp_stops_once_the_answers_are_finished(tiny_folder, tmp_path):
    """The same stop as under transformers (the model is made to write a complete answer and then
    chatter: llama.cpp's token stream is scripted): it ends at the blank line after the summary, at
    an end-of-turn token (counted), or at the cap."""
    from utils.tasks import parse_answers

    cfg, engine = _llama_cpp_engine(tiny_folder, tmp_path, max_new_tokens=60)
    tok = engine.tokenizer
    answer, prefix, script = _finished_then_chatter(tok)
    engine.gguf.llm.generate = lambda ids, **kw: iter(script)
    seen = []
    text, n = engine.gguf.generate_ids([1, 2, 3], (prefix, "vendor"), on_text=seen.append)
    assert "chatter" not in text and parse_answers(prefix + text, "vendor") == parse_answers(answer, "vendor")
    assert n < len(script) and seen[-1] == text and len(seen) == n
    text, n = engine.gguf.generate_ids([1, 2, 3])  # no answer to watch: the cap
    assert n == len(script) and "chatter" in text
    eos = next(iter(engine.gguf.eos))
    engine.gguf.llm.generate = lambda ids, **kw: iter(script[:3] + [eos] + script[3:])
    text, n = engine.gguf.generate_ids([1, 2, 3])
    assert n == 4 and text == tok.decode(script[:3], skip_special_tokens=True)
    engine.close()


def test_a_batch_of_sequences_answers_as_one_prompt_at_a_time_does(tiny_folder, tmp_path):
    """Step 3's batch (`GgufBatch`): every row greedy in its own sequence, and with fewer slots
    than prompts a finished row's slot takes the next prompt; the answers are those of one prompt
    at a time (compared on their first tokens, as above: a random model's near ties may tip)."""
    from utils.gguf_runtime import GgufBatch

    cfg, engine = _llama_cpp_engine(tiny_folder, tmp_path, max_new_tokens=8)
    ids = engine.prompt_ids([engine.render(p["Prompt"]) for p in _records(5)])
    alone = [engine.gguf.generate_ids(row)[0] for row in ids]
    many = engine.gguf.generate_many(ids)
    assert [n for _, n in many] == [8] * 5
    tok = engine.tokenizer
    first = lambda texts: [tok(t, add_special_tokens=False)["input_ids"][:4] for t in texts]
    assert sum(a == b for a, b in zip(first(alone), first([t for t, _ in many]))) >= 4
    lengths = [3, 8, 1, 5, 2]  # rows finish at different steps, so slots free up unevenly
    two = GgufBatch(engine.gguf.path, 1, slots=2, per_slot=max(map(len, ids)) + 9)
    tokens = two.run(ids, lambda row, new: len(new) >= lengths[row])
    assert [len(t) for t in tokens] == lengths
    five = engine.gguf.batch.run(ids, lambda row, new: len(new) >= 8)  # the batch above, as token ids
    assert sum(t == f[:len(t)] for t, f in zip(tokens, five)) >= 4
    with pytest.raises(ValueError, match="prompt 0 has"):
        two.run([list(range(1, two.per_slot + 1))], lambda row, new: True)
    two.close()
    engine.close()


def test_a_batch_of_sequences_stops_each_row_as_one_prompt_does(tiny_folder, tmp_path, monkeypatch):
    """`generate_many` ends each row at its finished answers, an end-of-turn token (counted) or the
    cap, as `generate_ids` does (the token streams are scripted, one per row)."""
    from utils import gguf_runtime
    from utils.tasks import parse_answers

    cfg, engine = _llama_cpp_engine(tiny_folder, tmp_path, max_new_tokens=60)
    tok = engine.tokenizer
    answer, prefix, script = _finished_then_chatter(tok)
    eos = next(iter(engine.gguf.eos))
    streams = [script, script, script[:3] + [eos] + script[3:]]

    def scripted(self, prompts, done):
        out = []
        for row in range(len(prompts)):
            new = []
            for token in streams[row]:
                new.append(token)
                if done(row, new):
                    break
            out.append(new)
        return out

    monkeypatch.setattr(gguf_runtime.GgufBatch, "run", scripted)
    rows = engine.gguf.generate_many([[1, 2, 3]] * 3, [(prefix, "vendor"), ("", "vendor"), ("", "vendor")])
    (text, n), (cap_text, cap_n), (eos_text, eos_n) = rows
    assert "chatter" not in text and parse_answers(prefix + text, "vendor") == parse_answers(answer, "vendor")
    assert n < len(script)
    assert cap_n == len(script) and "chatter" in cap_text  # no finished answers in it: the cap
    assert eos_n == 4 and eos_text == tok.decode(script[:3], skip_special_tokens=True)
    engine.close()
