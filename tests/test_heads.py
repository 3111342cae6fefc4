"""Decision heads: they learn a decision that lives in one token's state, read exactly the layer asked
for (batched, right-padded), write the answer's decision lines, and survive a save and load."""

import pytest

torch = pytest.importorskip("torch")

from Config.Config import ConfigError, load_config  # noqa: E402
from utils.heads import CARD_FILE, WEIGHTS_FILE, DecisionHeads, comment_features, has_heads  # noqa: E402
from utils.tasks import parse_answers, questions  # noqa: E402

DIM = 16


def _synthetic(n, seed):
    """Token states where `bug` is 1 exactly when one token carries a signal direction (anywhere),
    `severity` follows a second direction's strength in every token, and every other decision is constant."""
    gen = torch.Generator().manual_seed(seed)
    states, answers = [], []
    for i in range(n):
        tokens = int(torch.randint(5, 30, (1,), generator=gen))
        h = torch.randn(tokens, DIM, generator=gen)
        bug = i % 3 == 0
        severity = 1 + i % 4
        if bug:
            h[int(torch.randint(0, tokens, (1,), generator=gen)), 0] += 10.0
        h[:, 1] += 1.5 * severity  # in every token: the mean state carries it
        states.append(h)
        values = {q.number: (0 if q.kind == "BOOL" else 4) for q in questions("vendor") if q.kind != "TEXT"}
        values.update({7: int(bug), 2: severity})
        answers.append(values)
    return states, answers


def test_heads_learn_a_decision_a_constant_answerer_cannot():
    states, answers = _synthetic(300, seed=0)
    heads = DecisionHeads.fit(states, ["vendor"] * 300, answers, layer=3, epochs=30, seed=1)
    test_states, test_answers = _synthetic(90, seed=5)
    pred = heads.predict(test_states, ["vendor"] * 90)
    bug_acc = sum(p[7] == a[7] for p, a in zip(pred, test_answers)) / 90
    sev_acc = sum(p[2] == a[2] for p, a in zip(pred, test_answers)) / 90
    assert bug_acc >= 0.9  # the majority answer (0) gets 0.67
    assert sev_acc >= 0.5  # four balanced classes: a constant gets 0.25
    assert len({p[7] for p in pred}) == 2
    task = heads.card["tasks"]["vendor"]
    assert "workaround" in task["constant"] and all(p[5] == 0 for p in pred)  # never varied in training


def test_save_and_load_give_the_same_answers(tmp_path):
    states, answers = _synthetic(60, seed=2)
    heads = DecisionHeads.fit(states, ["vendor"] * 60, answers, layer=3, epochs=3, seed=1)
    assert DecisionHeads.load(tmp_path) is None
    heads.save(tmp_path)
    assert has_heads(tmp_path) and (tmp_path / WEIGHTS_FILE).exists() and (tmp_path / CARD_FILE).exists()
    again = DecisionHeads.load(tmp_path)
    assert again.layer == 3
    assert again.predict(states, ["vendor"] * 60) == heads.predict(states, ["vendor"] * 60)
    with pytest.raises(ValueError, match="customer"):
        again.predict(states[:1], ["customer"])


def test_features_are_the_layer_asked_for_batched_or_alone(tiny_folder):
    from utils.models import load_model, load_tokenizer

    cfg = load_config("tiny")
    model, tok = load_model(tiny_folder, cfg), load_tokenizer(tiny_folder, cfg)
    comments = ["The NameNode is down since the upgrade.", "Thanks, closing.", "Please send the logs " * 5]
    batched = comment_features(model, tok, comments, ["vendor", "customer", "vendor"], layer=1, batch_size=3)
    from utils.heads import feature_text

    for comment, ctype, got in zip(comments, ["vendor", "customer", "vendor"], batched):
        ids = tok(feature_text(comment, ctype), add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            want = model(input_ids=ids, output_hidden_states=True).hidden_states[1][0].float()
        assert got.shape == want.shape
        assert torch.allclose(got, want, atol=1e-2)
    with pytest.raises(ValueError, match="DECISION_HEADS_LAYER=9"):
        comment_features(model, tok, comments[:1], ["vendor"], layer=9)


def test_prefix_is_the_decision_lines_and_parses(tiny_folder):
    from utils.models import load_model, load_tokenizer

    cfg = load_config("tiny")
    model, tok = load_model(tiny_folder, cfg), load_tokenizer(tiny_folder, cfg)
    records = [{"Comment": f"Comment number {i} about HDFS.", "type": "customer"} for i in range(8)]
    states = comment_features(model, tok, [r["Comment"] for r in records], ["customer"] * 8, layer=1)
    answers = [{q.number: (i % 2 if q.kind == "BOOL" else q.low) for q in questions("customer") if q.kind != "TEXT"}
               for i in range(8)]
    heads = DecisionHeads.fit(states, ["customer"] * 8, answers, layer=1, epochs=2, seed=0)
    prefix = heads.prefixes(model, tok, [records[0]["Comment"]], ["customer"])[0]
    assert prefix.splitlines()[0].startswith("1. ") and prefix.endswith("\n17.")
    parsed = parse_answers(prefix + " The customer writes about HDFS.", "customer")
    assert parsed[17] == "The customer writes about HDFS."
    assert all(parsed[n] is not None for n in range(1, 17))


def test_config_refuses_a_bad_layer_and_vllm_refuses_a_folder_with_heads(tmp_path):
    from utils import inference

    states, answers = _synthetic(8, seed=3)
    DecisionHeads.fit(states, ["vendor"] * 8, answers, layer=1, epochs=1, seed=0).save(tmp_path)
    engine = inference.Engine.__new__(inference.Engine)
    engine.folder, engine.backend, engine.heads = tmp_path, "vllm", None
    with pytest.raises(ValueError, match="INFERENCE_BACKEND='hf'"):
        engine._load_heads()
    with pytest.raises(ConfigError, match="DECISION_HEADS_LAYER must be at least 1"):
        load_config("demo", {"DECISION_HEADS_LAYER": 0})
    assert load_config("amp").DECISION_HEADS_LAYER is None  # the GPU student writes every answer itself


def test_balance_weighs_a_rare_answer_up_and_keeps_the_mean_at_one():
    from utils.heads import _class_weights

    target = torch.tensor([[1] * 10 + [0] * 90, [0] * 50 + [1] * 50]).T  # question 0: 10% "yes"
    target[:5, 1] = -100  # unknown answers carry no weight
    plain = _class_weights(target, 2, 0.0)
    assert torch.equal(plain, torch.ones(2, 2))
    full = _class_weights(target, 2, 1.0)
    assert float(full[0, 1] / full[0, 0]) == pytest.approx(9.0)  # 90 "no" to 10 "yes"
    half = _class_weights(target, 2, 0.5)
    assert float(half[0, 1] / half[0, 0]) == pytest.approx(3.0)
    counts = torch.tensor([90.0, 10.0])
    assert float((half[0] * counts).sum() / 100) == pytest.approx(1.0)  # the answers weigh 1 on average
    assert float(half[1, 0]) == pytest.approx(float(half[1, 1]), rel=0.15)  # a near-balanced question stays near-plain


def test_an_ensemble_averages_its_members_and_round_trips(tmp_path):
    from utils.heads import _class_mask, _ensemble_probs, _pad, _standardise

    states, answers = _synthetic(90, seed=4)
    heads = DecisionHeads.fit(states, ["vendor"] * 90, answers, layer=3, epochs=4, seed=1, members=3, balance=0.5)
    members = heads.modules["vendor"]
    assert len(members) == 3 and heads.card["members"] == 3 and heads.card["balance"] == 0.5
    assert not torch.equal(members[0].readout, members[1].readout)  # seeds 1, 2, 3 differ
    heads.save(tmp_path)
    again = DecisionHeads.load(tmp_path)
    assert again.predict(states, ["vendor"] * 90) == heads.predict(states, ["vendor"] * 90)
    # the ensemble's answer is the argmax of its members' mean probability, not one member's
    task = heads.card["tasks"]["vendor"]
    hidden, mask = _pad(states, range(4))
    hidden = _standardise(hidden, mask, torch.tensor(task["mean"]), torch.tensor(task["std"]))
    valid = _class_mask(heads.card["tasks"]["vendor"]["classes"])
    with torch.no_grad():
        mean = sum((m(hidden, mask) + valid).softmax(-1) for m in members) / 3
        assert torch.allclose(_ensemble_probs(members, hidden, mask, valid), mean)
    # a weights file with fewer members than its card names is refused, not half-loaded
    card = (tmp_path / CARD_FILE).read_text().replace('"members": 3', '"members": 4')
    (tmp_path / CARD_FILE).write_text(card)
    with pytest.raises(ValueError, match="vendor head 3"):
        DecisionHeads.load(tmp_path)
    with pytest.raises(ConfigError, match="DECISION_HEADS_BALANCE must be between 0"):
        load_config("demo", {"DECISION_HEADS_BALANCE": 1.5})
    with pytest.raises(ConfigError, match="DECISION_HEADS_MEMBERS must be at least 1"):
        load_config("demo", {"DECISION_HEADS_MEMBERS": 0})


def test_token_dropout_hides_tokens_in_training_only_and_still_learns():
    states, answers = _synthetic(300, seed=0)
    heads = DecisionHeads.fit(states, ["vendor"] * 300, answers, layer=3, epochs=30, seed=1, token_dropout=0.3)
    plain = DecisionHeads.fit(states, ["vendor"] * 300, answers, layer=3, epochs=30, seed=1)
    assert heads.card["token_dropout"] == 0.3 and plain.card["token_dropout"] == 0.0
    assert not torch.equal(heads.modules["vendor"][0].readout, plain.modules["vendor"][0].readout)
    test_states, test_answers = _synthetic(90, seed=5)
    pred = heads.predict(test_states, ["vendor"] * 90)
    assert sum(p[7] == a[7] for p, a in zip(pred, test_answers)) / 90 >= 0.9  # majority: 0.67
    assert heads.predict(test_states, ["vendor"] * 90) == pred  # answering sees every token: deterministic
    # hiding every token keeps each comment's tokens rather than attending over none (no NaN weights)
    everything = DecisionHeads.fit(states[:30], ["vendor"] * 30, answers[:30], layer=3, epochs=2, seed=1,
                                   token_dropout=1.0)
    assert all(torch.isfinite(p).all() for p in everything.modules["vendor"][0].parameters())


def test_ordinal_smoothing_moves_a_score_target_to_its_neighbours_only():
    from utils.heads import _class_mask, _soft_targets

    valid = _class_mask([[0, 1], [1, 2, 3, 4]])  # a yes/no question, then a score with four values
    target = torch.tensor([[1, 0], [0, 3], [-100, 1]])  # score classes: the lowest, the highest, the second
    ordinal = torch.tensor([False, True])
    soft = _soft_targets(target, valid, ordinal, 0.2)
    assert torch.equal(soft[0, 0], torch.tensor([0.0, 1.0, 0.0, 0.0]))  # a yes/no answer stays one-hot
    assert torch.allclose(soft[0, 1], torch.tensor([0.8, 0.2, 0.0, 0.0]))  # the lowest value: one neighbour
    assert torch.allclose(soft[1, 1], torch.tensor([0.0, 0.0, 0.2, 0.8]))  # the highest: one neighbour
    assert torch.allclose(soft[2, 1], torch.tensor([0.1, 0.8, 0.1, 0.0]))  # a middle one: split between two
    assert torch.equal(soft[2, 0], torch.zeros(4))  # an unknown answer aims nowhere
    # no mass leaks onto the yes/no question's padding classes, and 0 is the plain one-hot target
    assert float(soft[:, 0, 2:].sum()) == 0.0
    assert torch.equal(_soft_targets(target, valid, ordinal, 0.0)[1, 1], torch.tensor([0.0, 0.0, 0.0, 1.0]))
    # fitted with it, the heads still learn the synthetic severity and record the setting
    states, answers = _synthetic(300, seed=0)
    heads = DecisionHeads.fit(states, ["vendor"] * 300, answers, layer=3, epochs=30, seed=1, ordinal_smoothing=0.2)
    assert heads.card["ordinal_smoothing"] == 0.2
    test_states, test_answers = _synthetic(90, seed=5)
    pred = heads.predict(test_states, ["vendor"] * 90)
    assert sum(p[2] == a[2] for p, a in zip(pred, test_answers)) / 90 >= 0.5  # a constant gets 0.25
