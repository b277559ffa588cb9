"""The Tune tab's "Also try these models" (tuning.models): the Workspace saves it as
one undoable version, a grid search or an ensemble turns it off, and using the
result of a search that another model won makes that model the Model tab's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from playground_ui.state import Workspace
from playground_ui.views.model import ModelView
from playground_ui.views.tune import GRID_HELP, MODELS_HELP, TuneView
from runtime.defaults import suggested_models
from runtime.models import MODELS_BY_NAME, member_types
from runtime.spec import parse_spec, spec_to_dict

TREE = "decision_tree_classifier"
FOREST = "random_forest_classifier"
BOOSTED = "xgboost_classifier"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """Penguins' species by a decision tree, no tuning section yet."""
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert ws.set_model(TREE), ws.message
    return ws


def versions(ws: Workspace) -> int:
    return ws.history.position()[1]


# -- the Workspace ------------------------------------------------------------------------


def test_models_are_saved_as_one_version_and_undone(ws):
    before, count = ws.spec, versions(ws)
    assert ws.set_tuning(models=[FOREST, BOOSTED]), ws.message
    assert ws.spec.tuning.models == [FOREST, BOOSTED]
    assert versions(ws) == count + 1
    ws.undo()
    assert ws.spec == before and ws.spec.tuning is None


def test_clearing_the_models_takes_their_narrowed_ranges_with_them(ws):
    space = {"max_depth": {"low": 2, "high": 4}, f"{FOREST}.max_depth": {"low": 3, "high": 6}}
    assert ws.set_tuning(models=[FOREST], space=space), ws.message
    assert [d.describe() for d in ws.search_space(FOREST) if d.name == "max_depth"] == ["3 to 6"]
    # The bare name stays the Model tab's model's parameter.
    assert [d.describe() for d in ws.search_space() if d.name == "max_depth"] == ["2 to 4"]
    narrowed = ws.spec
    assert ws.set_tuning(models=[]), ws.message
    assert ws.spec.tuning.models == []
    assert set(ws.spec.tuning.space) == {"max_depth"}
    ws.undo()
    assert ws.spec == narrowed


def test_a_model_the_search_cannot_choose_is_refused_with_the_reason(ws):
    before = ws.spec
    assert not ws.set_tuning(models=["ridge"])
    assert "tuning.models: 'ridge' is not a model a multiclass search can choose" in ws.message
    assert not ws.set_tuning(models=["stacking_classifier"])
    assert "'stacking_classifier' is not a model" in ws.message
    assert ws.spec == before


def test_a_grid_search_with_models_is_refused(ws):
    assert ws.set_tuning(models=[FOREST]), ws.message
    searched = ws.spec
    assert not ws.set_tuning(method="grid")
    assert "a grid search tunes one model" in ws.message
    assert ws.spec == searched
    # Grid with the models cleared in the same change is one valid version.
    assert ws.set_tuning(method="grid", models=[]), ws.message
    assert ws.spec.tuning.method == "grid" and ws.spec.tuning.models == []


def test_the_choices_are_the_task_models_but_this_one_and_ensembles(ws):
    choices = ws.tuning_model_choices()
    expected = [m.name for m in member_types("multiclass") if m.name != TREE]
    assert choices == expected and TREE not in choices
    assert not any(MODELS_BY_NAME[name].ensemble for name in choices)
    assert ws.suggested_tuning_models() == suggested_models(ws.spec)
    assert ws.suggested_tuning_models() == [
        "extra_trees_classifier",
        FOREST,
        BOOSTED,
    ]
    assert ws.set_model("average_ensemble_classifier", members=[TREE, FOREST]), ws.message
    assert ws.tuning_model_choices() == [] and ws.suggested_tuning_models() == []


def test_the_searched_models_and_ranges_follow_a_change_of_model(ws):
    space = {"max_depth": {"low": 2, "high": 4}, f"{FOREST}.max_depth": {"low": 3, "high": 9}}
    assert ws.set_tuning(models=[FOREST], space=space), ws.message
    searched = ws.spec
    # The forest, one of the models searched, trades places with the tree.
    assert ws.set_model(FOREST), ws.message
    assert ws.spec.tuning.models == [TREE]
    assert [d.describe() for d in ws.search_space() if d.name == "max_depth"] == ["3 to 9"]
    assert [d.describe() for d in ws.search_space(TREE) if d.name == "max_depth"] == ["2 to 4"]
    ws.undo()
    assert ws.spec == searched
    # A model outside the search: the tree's ranges go with it, the forest's stay.
    assert ws.set_model("extra_trees_classifier"), ws.message
    assert ws.spec.tuning.models == [FOREST]
    assert list(ws.spec.tuning.space) == [f"{FOREST}.max_depth"]
    ws.undo()
    assert ws.spec == searched


def test_above_5000_rows_the_suggestion_leaves_forests_out(tmp_path):
    # A forest's trial there costs about twenty boosted ones (runtime.defaults).
    ws = Workspace(tmp_path)
    assert ws.load_example("bike_sharing_hourly.csv") and ws.set_target("cnt"), ws.message
    assert len(ws.raw_data()) > 5000
    assert ws.set_model("decision_tree_regressor"), ws.message
    assert ws.suggested_tuning_models() == ["xgboost_regressor"]
    assert "random_forest_regressor" in ws.tuning_model_choices()  # still one to choose


# -- the Tune tab -------------------------------------------------------------------------


def test_the_tab_lists_titles_suggests_and_saves_on_save(ws):
    view = TuneView(ws)
    assert view.models.options["Random forest"] == FOREST
    assert TREE not in view.models.options.values()
    assert view.models.value == [] and not view.models.disabled
    assert view.models_help.object == MODELS_HELP
    count = versions(ws)
    view._suggest()
    assert view.models.value == suggested_models(ws.spec)
    assert versions(ws) == count  # chosen, not yet saved
    assert "**Random forest**: n_estimators" in view.models_spaces.object
    view.models.value = [FOREST]
    view._suggest()  # adds what is missing, keeps what the person chose first
    assert view.models.value == [FOREST, "extra_trees_classifier", BOOSTED]
    assert view._save(), ws.message
    assert ws.spec.tuning.models == [FOREST, "extra_trees_classifier", BOOSTED]
    assert versions(ws) == count + 1
    # A new view (another session, a reload) shows what the spec holds.
    assert TuneView(ws).models.value == [FOREST, "extra_trees_classifier", BOOSTED]


def test_grid_disables_the_control_and_saves_one_model(ws):
    assert ws.set_tuning(models=[FOREST]), ws.message
    view = TuneView(ws)
    assert view.models.value == [FOREST]
    view.method.value = "grid"
    assert view.models.disabled and view.suggest_button.disabled
    assert view.models_help.object == GRID_HELP
    assert view._save(), ws.message
    assert ws.spec.tuning.method == "grid" and ws.spec.tuning.models == []
    # Back to TPE: the choice is still on screen, to be saved again.
    view.method.value = "tpe"
    assert not view.models.disabled and view.models.value == [FOREST]


def test_an_ensemble_turns_the_control_off(ws):
    assert ws.set_model("average_ensemble_classifier", members=[TREE, FOREST]), ws.message
    view = TuneView(ws)
    assert view.models.options == {} and view.models.disabled
    assert "An ensemble is tuned alone" in view.models_help.object


def test_choosing_an_ensemble_drops_the_tuning_section_and_undo_restores_it(ws):
    assert ws.set_tuning(models=[FOREST], space={"max_depth": {"low": 2, "high": 4}})
    tuned = ws.spec
    assert ws.set_model("average_ensemble_classifier", members=[TREE, FOREST]), ws.message
    assert ws.spec.tuning is None
    assert "no parameters to search" in ws.message
    ws.undo()
    assert ws.spec == tuned


def test_a_model_that_needs_scaling_is_flagged_without_a_scale_step(ws):
    assert not any(s.type == "scale" for s in ws.spec.steps)
    view = TuneView(ws)
    view.models.value = [FOREST]
    assert not view.models_warning.visible
    view.models.value = [FOREST, "svm_classifier"]
    assert view.models_warning.visible
    assert "SVM (RBF kernel) depends on the features' scales" in view.models_warning.object
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    assert ws.add_step("scale", {"columns": numbers}), ws.message
    assert not TuneView(ws).models_warning.visible


# -- using a search another model won -----------------------------------------------------


def won_by(ws: Workspace, model: str, params: dict) -> SimpleNamespace:
    """The outcome of a search of ws.spec that `model` won with `params` (the fields
    Workspace.use_tuned and the tab read)."""
    data = spec_to_dict(ws.spec)
    data["model"] = {"type": model, "params": params}
    data["tuning"] = {**data["tuning"], "models": [], "space": {}}
    data["tuning"]["best"] = {"value": 0.97, "trial": 3, "trials": 4, "study": "s"}
    spec = parse_spec(data)
    return SimpleNamespace(
        spec=spec, params=params, value=0.97, trials=4, study_name="s", model=model
    )


def test_using_a_search_another_model_won_makes_it_the_model(ws):
    space = {"max_depth": {"low": 2, "high": 4}, f"{BOOSTED}.max_depth": {"low": 2, "high": 5}}
    assert ws.set_tuning(models=[FOREST, BOOSTED], space=space), ws.message
    searched = ws.spec
    outcome = won_by(ws, FOREST, {"n_estimators": 120, "max_depth": 7})
    count = versions(ws)
    assert ws.use_tuned(outcome, searched=searched), ws.message
    assert "Random forest with its best parameters is now the model" in ws.message
    assert versions(ws) == count + 1
    assert ws.spec.model.type == FOREST
    assert ws.spec.model.params.items() >= {"n_estimators": 120, "max_depth": 7}.items()
    assert ws.spec.tuning.best.value == 0.97
    # Tuning again searches the same models: the tree is now one of the others, and
    # each narrowed range still belongs to its model.
    assert ws.spec.tuning.models == [TREE, BOOSTED]
    assert {n: o.given() for n, o in ws.spec.tuning.space.items()} == {
        f"{TREE}.max_depth": {"low": 2, "high": 4},
        f"{BOOSTED}.max_depth": {"low": 2, "high": 5},
    }
    # The Model tab shows the winner, with its values in the form.
    model_tab = ModelView(ws)
    model_tab._sync_models()
    assert model_tab.model_type.value == FOREST
    model_tab._model(ws.revision, model_tab.model_type.value)
    assert model_tab.form.values()["n_estimators"] == 120
    ws.undo()
    assert ws.spec == searched


def test_a_search_of_a_model_since_replaced_is_not_used(ws):
    assert ws.set_tuning(models=[FOREST]), ws.message
    searched = ws.spec
    outcome = won_by(ws, FOREST, {"max_depth": 7})
    assert ws.set_model("extra_trees_classifier"), ws.message
    changed = ws.spec
    assert not ws.use_tuned(outcome, searched=searched)
    assert "the model changed since this search" in ws.message
    assert ws.spec == changed


def test_the_tab_names_the_winning_model_when_it_is_another(ws):
    assert ws.set_tuning(models=[FOREST]), ws.message
    view = TuneView(ws)
    status, told = view._result(won_by(ws, FOREST, {"max_depth": 7}), TREE)
    assert "with **Random forest** (the search started from Decision tree)" in status
    assert "max_depth = 7" in status
    assert "Random forest won" in told
    assert view.use_button.label == "Use best model and parameters"
    status, told = view._result(won_by(ws, TREE, {"max_depth": 3}), TREE)
    assert "Random forest" not in status and "max_depth = 3" in status
    assert view.use_button.label == "Use best parameters"


@pytest.mark.slow
def test_a_search_the_forest_wins_switches_the_model_tab_to_it(ws):
    """A real search of the tree held to one split and the forest: the tab names the
    forest, and using the result makes it the Model tab's model."""
    space = {"max_depth": {"fixed": 1}, "criterion": {"choices": ["gini"]}}
    space[f"{FOREST}.n_estimators"] = {"low": 5, "high": 20}
    assert ws.set_tuning(models=[FOREST], space=space, cv_folds=2), ws.message
    view = TuneView(ws)
    view._job = job = ws.start_tuning(trials=4)
    job.wait(300)
    assert job.error is None, job.error
    assert job.outcome.model == FOREST  # one split cannot tell three species apart
    view._poll = SimpleNamespace(stop=lambda: None)  # what the page's timer would be
    view._check()
    assert "with **Random forest** (the search started from Decision tree)" in view.status.object
    assert "Random forest won" in ws.message
    assert not view.use_button.disabled
    assert view.use_button.label == "Use best model and parameters"
    searched = ws.spec
    view._use()
    assert ws.spec.model.type == FOREST, ws.message
    assert view.use_button.disabled  # used: a second press has nothing to apply
    assert ws.spec.model.params.items() >= job.outcome.params.items()
    assert ws.spec.tuning.models == [TREE]
    assert ws.spec.tuning.best.value == job.outcome.value
    model_tab = ModelView(ws)
    model_tab._sync_models()
    assert model_tab.model_type.value == FOREST
    ws.undo()
    assert ws.spec == searched


# -- in a browser ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_served_tab_suggests_and_saves_models(tmp_path):
    """The served tab: suggested models shown as titles with their ranges, saved
    into the spec; a grid search turns the control off and says why."""
    browser_tests = pytest.importorskip("test_ui_browser")
    if browser_tests.CHROMIUM is None:
        pytest.skip("install Chromium: apt-get install -y chromium")
    from playground_ui.app import serve

    shows, select = browser_tests.shows, browser_tests.select
    port = browser_tests.free_port()
    server = serve(port=port, home=tmp_path / "home", threaded=True)
    try:
        with browser_tests.sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_tests.CHROMIUM)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(30000)
            page.goto(f"http://localhost:{port}")
            shows(page, "Start with data")
            browser_tests.open_example(page, "penguins.csv", "species")
            browser_tests.tab(page, "Tune")
            shows(page, "Also try these models")
            page.get_by_role("button", name="Suggest models").click()
            shows(page, "Where the search looks for each of these models")
            chosen = page.get_by_role("button", name="Remove item: 'Extra trees'")
            browser_tests.expect(chosen).to_be_visible()  # a chosen model, by its title
            page.get_by_role("button", name="Save settings").click()
            shows(page, "Tuning settings saved.")
            select(page, "Method", "Grid")
            shows(page, "A grid search tries every combination of one model's values")
            suggest = page.get_by_role("button", name="Suggest models")
            browser_tests.expect(suggest).to_be_disabled()
            browser.close()
    finally:
        server.stop()
    # What the page saved is the spec's: the project's stored current version.
    from runtime.store import Store

    store = Store(home=tmp_path / "home")
    try:
        (project,) = store.projects()
        spec = store.history(project.id).current()
    finally:
        store.close()
    assert spec.model.type == BOOSTED  # the example's default model
    assert spec.tuning.models == ["extra_trees_classifier", FOREST]
