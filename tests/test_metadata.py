"""The AMP specification in .project-metadata.yaml is complete and names scripts that exist."""

import yaml

from Config.Config import PROJECT_ROOT

REQUIRED = ("name", "description", "author", "specification_version", "prototype_version", "date", "runtimes")
TASK_TYPES = {"run_session", "create_job", "run_job", "start_application"}


def load():
    return yaml.safe_load((PROJECT_ROOT / ".project-metadata.yaml").read_text())


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
        if "script" in task:
            assert (PROJECT_ROOT / task["script"]).is_file(), f"{task['script']} does not exist"
    assert any(t["type"] == "run_session" and "install" in t["script"] for t in meta["tasks"])


def test_environment_variables_are_described():
    for name, spec in load().get("environment_variables", {}).items():
        assert spec.get("description"), f"{name} has no description"
