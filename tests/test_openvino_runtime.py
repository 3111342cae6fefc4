"""OpenVINO as Step 3's CPU runtime: chosen for batches under "auto", the same tokens, greedy, the same
stops, the runtime recorded with each answer; transformers when it cannot run, saying why."""

import dataclasses
import json

import pytest

from Config.Config import load_config
from utils import inference
from utils.files import read_json, read_jsonl
from utils.runtime import Runtime, SetupCheckError, cpu_runtime_on_gpu, machine_problems
from utils.tasks import build_prompt

COMMENTS = ["Kudu tablet server 3 is down since the upgrade.", "Impala queries hang at 99% after a restart.",
            "The HDFS balancer never finishes on rack two.", "Please send the invoice again, it was lost."]


def _records(n):
    return [{"id": f"vendor-{i:03d}", "type": "vendor", "Comment": COMMENTS[i % 4],
             "Prompt": build_prompt(COMMENTS[i % 4], "vendor", style="compact")} for i in range(n)]


def _hide(monkeypatch, *modules):
    """This interpreter as it is without `modules` installed."""
    import utils.install

    real = utils.install.import_problem
    monkeypatch.setattr(utils.install, "import_problem",
                        lambda module: "not installed" if module in modules else real(module))


def _engine(tiny_folder, tmp_path, max_new_tokens=12, **overrides):
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "RESULTS_DIR": str(tmp_path / "results"),
                               "INFERENCE_BACKEND": "openvino", "DTYPE": "float32", **overrides})
    return cfg, inference.Engine(tiny_folder, cfg, max_new_tokens)


def test_auto_puts_batches_on_openvino_and_one_comment_elsewhere(tiny_folder, tmp_path, monkeypatch):
    pytest.importorskip("openvino_genai")
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path), "INFERENCE_BACKEND": "auto"})
    cpu = Runtime("cpu", "float32")
    assert inference.select_backend(cfg, cpu, tiny_folder) == "openvino"  # Step 3, the loop, a local judge
    from utils.install import import_problem

    app = "llama.cpp" if import_problem("llama_cpp") is None else "openvino"  # the app: llama.cpp first
    assert inference.select_backend(cfg, cpu, tiny_folder, one_at_a_time=True) == app
    assert inference.select_backend(dataclasses.replace(cfg, INFERENCE_BACKEND="openvino"), cpu, tiny_folder,
                                    one_at_a_time=True) == "openvino"  # insisted on: both
    assert inference.select_backend(dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), cpu, tiny_folder) == "hf"
    assert inference.select_backend(cfg, cpu) == "hf"  # no folder to write a GGUF of


def test_without_openvino_batches_fall_back_and_say_why(tiny_folder, tmp_path, monkeypatch, capsys):
    _hide(monkeypatch, "openvino_genai", "llama_cpp")
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "INFERENCE_BACKEND": "auto"})
    inference._said.clear()
    engine = inference.Engine(tiny_folder, cfg, 4)
    assert engine.backend == "hf" and engine.openvino is None and engine.runtime_name.startswith("transformers")
    out = capsys.readouterr().out
    assert "Generating with transformers: openvino-genai is not installed" in out
    rows = inference.generate_answers(cfg, engine, "base", _records(2), "vendor", progress=False)
    assert {r["runtime"] for r in rows} == {engine.runtime_name}


def test_asking_for_openvino_without_it_stops_before_any_work(tiny_folder, tmp_path, monkeypatch):
    _hide(monkeypatch, "openvino_genai")
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "INFERENCE_BACKEND": "openvino"})
    with pytest.raises(SetupCheckError, match="openvino-genai.*make install"):
        inference.Engine(tiny_folder, cfg, 4)


def test_openvino_on_a_gpu_is_refused_and_other_models_stay_on_transformers(tmp_path):
    cfg = load_config("tiny", {"INFERENCE_BACKEND": "openvino"})
    with pytest.raises(RuntimeError) as refused:
        inference.select_backend(cfg, Runtime("cuda", "bfloat16"), None)
    assert str(refused.value) == cpu_runtime_on_gpu("openvino") + "."
    assert cpu_runtime_on_gpu("openvino") in machine_problems(cfg, "inference", Runtime("cuda", "bfloat16"))
    folder = tmp_path / "gpt2-like"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    from utils.openvino_runtime import why_not_openvino

    if why_not_openvino(cfg, folder) is None or "not installed" in why_not_openvino(cfg, folder):
        pytest.skip("openvino-genai is not installed")
    assert "Llama-architecture models only" in why_not_openvino(cfg, folder)
    with pytest.raises(RuntimeError, match="INFERENCE_BACKEND='openvino' cannot be used"):
        inference.select_backend(cfg, Runtime("cpu", "float32"), folder)


def test_openvino_answers_with_transformers_greedy_tokens(tiny_folder, tmp_path):
    """Same prompt ids, greedy, no penalties, float32: the f16 GGUF under OpenVINO continues the tiny
    model as transformers float32 does (compared on the first tokens: a random model's logits are
    close together, so a near tie may tip later)."""
    pytest.importorskip("openvino_genai")
    cfg, engine = _engine(tiny_folder, tmp_path)
    from utils.export import WRITER_VERSION

    assert engine.backend == "openvino" and engine.runtime_name.startswith("openvino-genai")
    assert f"writer {WRITER_VERSION}" in engine.runtime_name and "f32 compute" in engine.runtime_name
    gguf = engine.openvino.path
    assert gguf.exists() and gguf.parent.name == "gguf_runtime" and gguf.name.endswith(".f16.gguf")
    reference = inference.Engine(tiny_folder, dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), 12)
    texts = [engine.render(p["Prompt"]) for p in _records(4)]
    ours, theirs = engine.generate(texts), reference.generate(texts)
    tok = engine.tokenizer
    first = [(tok(a, add_special_tokens=False)["input_ids"][:4], tok(b, add_special_tokens=False)["input_ids"][:4])
             for (a, _), (b, _) in zip(ours, theirs)]
    assert sum(a == b for a, b in first) >= 3, first
    assert [n for _, n in ours] == [n for _, n in theirs]  # the cap, counted alike
    shown = []
    assert engine.generate(texts[:1], on_text=shown.append) == ours[:1]  # the app's one comment
    assert shown[-1] == [ours[0][0]] and len(shown) >= ours[0][1]  # shown as it grows, step by step
    for e in (engine, reference):
        e.close()


def test_step3_on_openvino_records_the_runtime_and_resumes(tiny_folder, tmp_path):
    pytest.importorskip("openvino_genai")
    cfg, engine = _engine(tiny_folder, tmp_path, max_new_tokens=6, OPENVINO_BATCH_PROMPTS=3, GEN_BATCH_SIZE=1)
    records = _records(5)
    calls = []
    real = engine.generate
    engine.generate = lambda texts, **kw: calls.append(len(texts)) or real(texts, **kw)
    rows = inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    assert calls == [3, 2]  # OPENVINO_BATCH_PROMPTS per call, not transformers' GEN_BATCH_SIZE
    path = inference.generation_file(cfg, "base", "vendor")
    assert all(r["runtime"] == engine.runtime_name for r in read_jsonl(path))
    meta = read_json(path.with_suffix(".meta.json"))
    assert meta["runtime"] == engine.runtime_name and meta["backend"] == "openvino" and meta["stop"] == "answers finished"
    calls.clear()
    assert inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False) == rows
    assert calls == []
    hf = inference.Engine(tiny_folder, dataclasses.replace(cfg, INFERENCE_BACKEND="hf"), 6)
    inference.generate_answers(cfg, hf, "base", records, "vendor", progress=False)
    assert {r["runtime"] for r in read_jsonl(path)} == {hf.runtime_name}  # never mixed
    assert list(path.parent.glob("base_vendor.stale-*.jsonl"))
    engine.close()


class _ScriptedPipeline:
    """Stands in for OpenVINO's pipeline: each request's tokens come from a script, one per step,
    until it is stopped, ends its turn or reaches the cap; records what it was asked."""

    def __init__(self, scripts, eos, cap):
        self.scripts, self.eos, self.cap, self.requests, self.steps = scripts, eos, cap, [], 0

    def add_request(self, row, tensor, config):
        handle = _Handle(list(self.scripts[row]), self.eos, self.cap)
        self.requests.append((row, tensor.data.tolist(), handle))
        return handle

    def has_non_finished_requests(self):
        return any(not h.finished for _, _, h in self.requests)

    def step(self):
        self.steps += 1
        for _, _, handle in self.requests:
            handle.advance()


class _Handle:
    def __init__(self, script, eos, cap):
        self.script, self.eos, self.cap, self.made, self.unread, self.finished = script, eos, cap, 0, [], False

    def advance(self):
        if self.finished:
            return
        token = self.script[self.made]
        self.made += 1
        self.unread.append(token)
        self.finished = token in self.eos or self.made >= self.cap or self.made >= len(self.script)

    def can_read(self):
        return bool(self.unread)

    def read(self):
        out, self.unread = self.unread, []
        return {0: type("Output", (), {"generated_ids": out})()}

    def stop(self):
        self.finished = True


def test_each_row_stops_once_its_answers_are_finished(tiny_folder, tmp_path):
    """The same stops as under transformers and llama.cpp: a row ends at the blank line after a
    finished answer (the pipeline is told at once), at an end-of-turn token (counted) or at the cap;
    the prompts go in as the tokenizer's ids."""
    pytest.importorskip("openvino_genai")
    from utils.tasks import format_answers, parse_answers, questions

    cfg, engine = _engine(tiny_folder, tmp_path, max_new_tokens=60)
    tok = engine.tokenizer
    answer = format_answers({q.number: (1 if q.kind != "TEXT" else "Kudu is down.") for q in questions("vendor")},
                            "vendor")
    prefix = "\n".join(answer.splitlines()[:10]) + "\n11."
    script = tok(" Kudu is down.\n\nMore chatter that nobody reads at all, and then some more of it.",
                 add_special_tokens=False)["input_ids"]
    eos = next(iter(engine.openvino.eos))
    fake = _ScriptedPipeline([script, script, script[:3] + [eos] + script[3:]], {eos}, 60)
    engine.openvino.pipe = fake
    prompts = [[5, 6, 7], [8, 9], [10]]
    rows = engine.openvino.generate_many(prompts, [(prefix, "vendor"), ("", "vendor"), ("", "vendor")])
    (text, n), (cap_text, cap_n), (eos_text, eos_n) = rows
    assert [ids for _, ids, _ in fake.requests] == [[p] for p in prompts]
    assert "chatter" not in text and parse_answers(prefix + text, "vendor") == parse_answers(answer, "vendor")
    assert n < len(script) and fake.requests[0][2].made == n  # stopped at that token, nothing more made
    assert cap_n == len(script) and "chatter" in cap_text  # no finished answers in it: its script runs out
    assert eos_n == 4 and eos_text == tok.decode(script[:3], skip_special_tokens=True)
    engine.close()
