"""Turn percent-format source ("# %%" cell markers) into a Jupyter notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.render import format_code

MARKDOWN = "# %% [markdown]"
PARAMETERS = "# %% [parameters]"
CODE = "# %%"

if TYPE_CHECKING:
    import nbformat


def _cells(source: str) -> list[tuple[str, list[str]]]:
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        stripped = line.rstrip()
        if stripped in (MARKDOWN, PARAMETERS, CODE):
            kind = {MARKDOWN: "markdown", PARAMETERS: "parameters", CODE: "code"}[stripped]
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
    return cells


def percent_to_notebook(source: str) -> nbformat.NotebookNode:
    """Build the notebook; code cells are black-formatted one by one."""
    import nbformat  # imported when a notebook is first made, not when the server starts

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, lines in _cells(source):
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(
                line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines
            )
            notebook.cells.append(nbformat.v4.new_markdown_cell(body.strip("\n")))
            continue
        cell = nbformat.v4.new_code_cell(format_code(text).rstrip("\n"))
        if kind == "parameters":
            cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    # Stable cell ids, so that the same spec gives the same file.
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
    nbformat.validate(notebook)
    return notebook
