"""Turn percent-format source ("# %%" cell markers) into a Jupyter notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.formatting import format_sources

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


def code_cells(source: str) -> list[str]:
    """The text of each code cell (parameters included), before formatting."""
    return ["\n".join(lines).strip("\n") for kind, lines in _cells(source) if kind != "markdown"]


def percent_to_notebook(source: str) -> nbformat.NotebookNode:
    """Build the notebook; its code cells are formatted together, in black's style."""
    import nbformat  # imported when a notebook is first made, not when the server starts

    formatted = iter(format_sources(code_cells(source)))
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    # Cells are made as nbformat's new_*_cell make them, but validated once, with the
    # notebook (each validation took ~6 ms, a quarter of a bundle's formatting); their
    # ids are stable, so that the same spec gives the same file.
    for i, (kind, lines) in enumerate(_cells(source)):
        cell = nbformat.NotebookNode(id=f"cell-{i}", metadata=nbformat.NotebookNode())
        if kind == "markdown":
            body = "\n".join(
                line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines
            )
            cell.update(cell_type="markdown", source=body.strip("\n"))
        else:
            code = next(formatted).rstrip("\n")
            cell.update(cell_type="code", execution_count=None, source=code, outputs=[])
        if kind == "parameters":
            cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook
