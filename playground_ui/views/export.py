"""Export: every generated file, the zip to download, and importing an earlier export."""

from __future__ import annotations

import io

import panel as pn

from ..state import USER_ERRORS, Workspace
from .common import StageView

LANGUAGES = {".py": "python", ".md": "markdown", ".yaml": "yaml", ".json": "json", ".txt": "text"}


class ExportView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.importer = pn.widgets.FileInput(accept=".zip,.yaml,.yml")
        self.importer.param.watch(self._imported, "value")

    def _imported(self, event) -> None:
        if event.new:
            self.ws.import_spec(self.importer.filename or "spec.yaml", event.new)

    def _download(self) -> io.BytesIO:
        return io.BytesIO(self.ws.export_zip())

    def _files(self, revision: int, result):
        if not self.ws.has_data:
            return pn.pane.Markdown("Open data on the Data tab first.")
        if not self.ws.result_is_current:
            return pn.pane.Markdown(
                "### Export\nTrain the current spec on the **Train** tab first: the exported "
                "project carries the metrics of that run and its tests check them."
            )
        try:
            files = self.ws.bundle_files()
        except USER_ERRORS as exc:
            return pn.pane.Alert(str(exc), alert_type="danger")
        texts = {n: c for n, c in files.items() if isinstance(c, str) and n != "notebook.ipynb"}
        chooser = pn.widgets.Select(label="File", options=sorted(texts), value="train.py")
        viewer = pn.widgets.CodeEditor(
            value=texts["train.py"],
            language="python",
            readonly=True,
            sizing_mode="stretch_width",
            height=520,
            theme="github_light_default",
        )

        def show(event):
            name = event.new
            viewer.language = next(
                (lang for suffix, lang in LANGUAGES.items() if name.endswith(suffix)), "text"
            )
            viewer.value = texts[name]

        chooser.param.watch(show, "value")
        download = pn.widgets.FileDownload(
            callback=self._download,
            filename=f"{self.ws.spec.name}.zip",
            label="Download the project (.zip)",
            color="primary",
        )
        listing = "\n".join(f"- `{name}`" for name in sorted(files))
        return pn.Column(
            pn.pane.Markdown(
                "### Your project\nThe zip holds the code of everything you did. "
                "`python train.py` and the notebook reproduce the numbers on the Train tab; "
                "`uvicorn app.main:app` serves predictions."
            ),
            download,
            pn.Row(
                pn.Column(chooser, viewer, sizing_mode="stretch_width"),
                pn.pane.Markdown(listing, width=260),
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Column(
            pn.bind(self._files, self.shown.param.revision, self.shown.param.result),
            pn.pane.Markdown(
                "#### Restore a session\nImport a zip this playground exported (or its "
                "`spec.yaml` for the data that is open) to continue where it left off."
            ),
            self.importer,
            sizing_mode="stretch_width",
        )
