"""The AMP specification in .project-metadata.yaml is complete and names scripts that exist."""

import shlex

import pytest
import yaml

from Config.Config import ENV_SETTINGS, PROJECT_ROOT
from utils import pipeline

REQUIRED = ("name", "description", "author", "specification_version", "prototype_version", "date", "runtimes")
TASK_TYPES = {"run_session", "create_job", "run_job", "start_application"}
# the fields each task type needs, after the AMP specification 1.0
TASK_FIELDS = {
    "run_session": {"name", "script", "kernel", "cpu", "memory"},
    "create_job": {"name", "entity_label", "script", "arguments", "kernel", "cpu", "memory", "environment"},
    "start_application": {"name", "subdomain", "script", "kernel", "cpu", "memory", "environment_variables"},
}
LAUNCH_VARIABLES = {"KD_PROFILE", "HF_TOKEN", "JUDGE_ENDPOINT_URL", "JUDGE_ENDPOINT_MODEL", "JUDGE_API_KEY"}


def load():
    return yaml.safe_load((PROJECT_ROOT / ".project-metadata.yaml").read_text())


def tasks(kind):
    return [t for t in load()["tasks"] if t["type"] == kind]


def test_required_fields_and_runtime():
    meta = load()
    for key in REQUIRED:
        assert meta.get(key), f"missing {key}"
    assert str(meta["specification_version"]) == "1.0"
    runtime = meta["runtimes"][0]
    assert (runtime["editor"], runtime["kernel"], runtime["edition"]) == ("JupyterLab", "Python 3.11", "Nvidia GPU")


def test_tasks_are_valid_and_scripts_exist():
    meta = load()
    assert meta["tasks"], "no tasks"
    for task in meta["tasks"]:
        assert task["type"] in TASK_TYPES, task
        missing = TASK_FIELDS.get(task["type"], set()) - set(task)
        assert not missing, f"{task.get('name')}: missing {sorted(missing)}"
        if "script" in task:
            assert (PROJECT_ROOT / task["script"]).is_file(), f"{task['script']} does not exist"
    assert any(t["type"] == "run_session" and "install" in t["script"] for t in meta["tasks"])


def test_one_job_per_step_left_for_the_user_to_start(monkeypatch, tmp_path):
    jobs = tasks("create_job")
    assert [j["script"] for j in jobs] == ["utils/pipeline.py"] * 4
    labels = [j["entity_label"] for j in jobs]
    assert len(set(labels)) == 4 and not tasks("run_job"), "the jobs are created, not started"
    ran = []
    monkeypatch.setattr(pipeline, "run_step", lambda step, *a: ran.append(step) or 0.0)
    monkeypatch.setattr(pipeline.tracking, "start_pipeline_run", lambda *a: None)
    monkeypatch.setenv("KD_PROFILE", "tiny")
    for step, job in enumerate(jobs):
        assert job["environment"]["TASK_TYPE"] == "CREATE/RUN_JOB"
        assert job.get("gpu", 0) == (1 if step in (2, 3) else 0), job["name"]
        # the job's argument line goes through the runner's own parser and runs exactly its step
        ran.clear()
        argv = shlex.split(job["arguments"]) + ["--run-dir", str(tmp_path / str(step))]
        assert pipeline.main(argv) == 0 and ran == [step], job["name"]


def test_the_application_runs_the_app_on_its_port():
    (application,) = tasks("start_application")
    assert application["script"] == "utils/app.py" and application["kernel"] == "python3"
    assert application["environment_variables"]["TASK_TYPE"] == "START_APPLICATION"
    assert "CDSW_APP_PORT" in (PROJECT_ROOT / "utils" / "app.py").read_text()


def test_environment_variables_are_described():
    variables = load().get("environment_variables", {})
    assert LAUNCH_VARIABLES <= set(variables)
    assert set(ENV_SETTINGS) <= set(variables), "every variable Config reads is offered at launch"
    for name, spec in variables.items():
        assert spec.get("description"), f"{name} has no description"
        assert "default" in spec, f"{name} has no default"


@pytest.mark.parametrize("script", ["utils/pipeline.py", "utils/app.py", "utils/install.py"])
def test_named_scripts_run_as_files(script):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(PROJECT_ROOT / script), "--help"], cwd="/",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]
