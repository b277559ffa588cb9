"""The playground's session state, without a browser: every change goes through
the spec's validation and history, and the views only draw it."""

from __future__ import annotations

import io
import zipfile

import pytest

from playground_ui.forms import ParamForm, suitable_columns
from playground_ui.state import Workspace, safe_filename
from runtime.steps import STEPS_BY_NAME


@pytest.fixture
def penguins(tmp_path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv"), ws.message
    assert ws.set_target("species"), ws.message
    return ws


def test_opening_data_infers_a_clustering_spec_until_a_target_is_picked(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv")
    assert ws.spec.task == "clustering" and ws.spec.target is None
    assert "344 rows" in ws.message
    assert ws.set_target("species")
    assert (ws.spec.task, ws.spec.target) == ("multiclass", "species")
    assert ws.spec.classes == ["Adelie", "Chinstrap", "Gentoo"]


def test_undo_and_redo_walk_the_spec_history(penguins):
    before = penguins.spec
    assert penguins.add_step("scale", {"columns": ["bill_length_mm"]})
    added = penguins.spec
    assert [s.type for s in added.steps][-1] == "scale"
    penguins.undo()
    assert penguins.spec == before
    penguins.redo()
    assert penguins.spec == added
    penguins.undo()
    # A new change after undo drops the redo branch.
    assert penguins.set_seed(7)
    assert not penguins.history.can_redo
    assert penguins.spec.seed == 7 and penguins.spec.steps == before.steps


def test_a_step_with_a_missing_column_is_refused_and_nothing_changes(penguins):
    before, revision = penguins.spec, penguins.revision
    assert not penguins.add_step("scale", {"columns": ["no_such_column"]})
    assert "'no_such_column' does not exist" in penguins.message
    assert penguins.message_kind == "error"
    assert penguins.spec == before and penguins.revision == revision


def test_an_out_of_range_parameter_is_refused_with_its_bounds(penguins):
    assert not penguins.set_model("xgboost_classifier", {"max_depth": 0})
    assert "max_depth" in penguins.message and "minimum" in penguins.message


def test_cleaning_steps_are_inserted_before_the_column_steps(penguins):
    assert penguins.add_step("drop_missing_rows", {"columns": ["sex"]})
    stages = [STEPS_BY_NAME[s.type].stage for s in penguins.spec.steps]
    assert stages[0] == "clean" and "clean" not in stages[1:]


def test_steps_can_be_edited_moved_disabled_and_removed_anywhere(penguins):
    first = penguins.spec.steps[0]
    assert first.type == "impute_numeric"
    assert penguins.update_step(1, {**first.params, "strategy": "mean"})
    assert penguins.spec.steps[0].params["strategy"] == "mean"
    assert "strategy='mean'" in penguins.code("preprocessing.py").replace('"', "'")
    assert penguins.set_step_enabled(2, False)
    assert not penguins.spec.steps[1].enabled
    assert penguins.move_step(1, 1)
    assert penguins.spec.steps[1].type == "impute_numeric"
    assert not penguins.move_step(1, -1)  # already first
    assert penguins.remove_step(3)
    assert len(penguins.spec.steps) == 2


def test_column_pickers_list_only_suitable_columns(penguins):
    columns = penguins.columns_for_step("learn")
    assert "species" not in columns  # the target is not a feature
    decl = STEPS_BY_NAME["scale"]
    numeric = suitable_columns(decl.params[0], columns)
    assert "bill_length_mm" in numeric and "island_Biscoe" in numeric
    cleaning = penguins.columns_for_step("clean")
    assert "species" in cleaning and "island" in cleaning


def test_forms_derive_from_the_declarations_and_round_trip(penguins):
    step = penguins.spec.steps[0]
    decl = STEPS_BY_NAME[step.type]
    form = ParamForm(decl.params, step.params, penguins.columns_for_step(decl.stage, 1))
    assert set(form.widgets) == {p.name for p in decl.params}
    for param in decl.params:
        assert form.widgets[param.name].label == param.label
    assert form.values() == step.params


def test_training_then_export_reproduces_the_run(penguins, tmp_path):
    result = penguins.train()
    assert result is not None and penguins.result_is_current
    with zipfile.ZipFile(io.BytesIO(penguins.export_zip())) as archive:
        names = archive.namelist()
        assert any(n.endswith("notebook.ipynb") for n in names)
        assert any(n.endswith("data/penguins.csv") for n in names)
    penguins.set_seed(3)
    assert not penguins.result_is_current  # the export needs a run of the current spec


def test_an_export_restores_the_session(penguins, tmp_path):
    penguins.add_step("scale", {"columns": ["bill_depth_mm"]})
    penguins.train()
    other = Workspace(tmp_path / "other")
    assert other.import_spec("penguins.zip", penguins.export_zip()), other.message
    assert other.spec.steps == penguins.spec.steps
    assert other.spec.model == penguins.spec.model


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("data.exe", b"a,b\n1,2\n", "not a data file"),
        ("empty.csv", b"", "empty"),
        ("binary.csv", b"\x00\x01\x02\x03" * 50, "binary"),
    ],
)
def test_bad_uploads_get_a_message_and_leave_the_session_as_it_was(
    penguins, name, content, expected
):
    before = penguins.spec
    assert not penguins.load_file(name, content)
    assert expected in penguins.message and penguins.message_kind == "error"
    assert penguins.spec == before


def test_a_spec_that_is_not_yaml_is_refused(penguins):
    assert not penguins.import_spec("spec.yaml", b"steps: [unclosed")
    assert "spec.yaml" in penguins.message


def test_upload_names_cannot_escape_the_project_folder():
    assert safe_filename("../../etc/passwd.csv") == "passwd.csv"
    assert safe_filename("..\\..\\x y.csv") == "x_y.csv"
    assert safe_filename("...") == "data"


def test_the_work_survives_a_new_session_on_the_same_home(penguins, tmp_path):
    penguins.add_step("scale", {"columns": ["bill_length_mm"]})
    penguins.undo()
    later = Workspace(tmp_path)  # a reloaded page, or a restarted server
    (project,) = [p for p in later.projects() if p.id == penguins.project.id]
    assert later.open_project(project.id), later.message
    assert later.spec == penguins.spec
    later.redo()
    assert [s.type for s in later.spec.steps][-1] == "scale"
    assert later.train() is not None


def test_training_runs_in_a_worker_and_can_be_cancelled(penguins):
    job = penguins.submit_training()
    job.cancel()
    assert job.wait(60)
    assert penguins.finish_training(job) is None
    assert penguins.message == "Training cancelled." and penguins.result is None
    assert penguins.store.run(job.run_id).status == "cancelled"


def test_a_failing_run_says_why_and_keeps_the_last_result(penguins):
    assert penguins.train() is not None
    kept = penguins.result
    # Every row filtered out: the runtime refuses with a message naming the step.
    assert penguins.change(
        lambda d: d["steps"].insert(
            0,
            {
                "type": "filter_rows",
                "params": {"column": "year", "operator": ">", "value": 3000},
                "enabled": True,
            },
        )
    )
    assert penguins.train() is None
    assert "removed every row" in penguins.message and penguins.message_kind == "error"
    assert penguins.result is kept


def test_a_split_change_with_its_evaluation_and_seed_is_one_undo_step(penguins):
    before = penguins.spec
    assert penguins.set_split(
        evaluation={"cv_folds": 3}, seed=9, validation=0.1, test=0.3, train=0.6
    )
    assert penguins.spec.evaluation.cv_folds == 3 and penguins.spec.seed == 9
    penguins.undo()
    assert penguins.spec == before


def test_clusters_can_be_scored_against_a_column_kept_aside(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.load_example("wine.csv")
    assert ws.set_column("cultivar", role="ignore")
    assert ws.set_split(evaluation={"label_column": "cultivar"}), ws.message
    assert not ws.set_split(evaluation={"label_column": "alcohol"})  # a feature
    assert "label_column" in ws.message


def test_group_and_date_roles_choose_the_split_and_undo_as_one_step(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.load_example("seattle_weather.csv"), ws.message
    assert ws.set_target("weather"), ws.message
    assert ws.column_role("date") == ws.spec.column("date").role

    assert ws.set_column("date", role="date"), ws.message
    assert (ws.spec.split.kind, ws.spec.split.time_column) == ("time", "date")
    assert ws.column_role("date") == "date" and "time split" in ws.message

    assert ws.set_column("wind", role="group"), ws.message
    split = ws.spec.split
    assert (split.kind, split.group_column) == ("group", "wind")
    assert ws.column_role("wind") == "group" and ws.spec.column("wind").role == "ignore"
    assert ws.column_role("date") != "date"

    ws.undo()
    assert (ws.spec.split.kind, ws.spec.column("wind").role) == ("time", "feature")
    # Back to a plain role: the split is random again.
    assert ws.set_column("date", role="ignore"), ws.message
    assert (ws.spec.split.kind, ws.spec.split.time_column) == ("random", None)
    assert ws.spec.column("date").role == "ignore"
