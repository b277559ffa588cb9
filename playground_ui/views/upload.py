"""A file input that refuses a file over the upload limit in the browser, before sending it.

Panel's FileInput sends the whole file as one websocket message, and Tornado
drops a message over its size limit without a word: the person saw nothing and
the session broke. This input checks the file's size in the browser first; a
file over the limit is never sent, only its name and size, so the page can say
what was refused and why. A file within the limit goes as one binary message,
which the server's websocket limit (set from the upload limit) lets through.
"""

from __future__ import annotations

from collections.abc import Callable

import param
from panel.custom import JSComponent


class GuardedFileInput(JSComponent):
    accept = param.String(default="", doc="The file types offered, e.g. '.csv,.xlsx'.")
    max_bytes = param.Integer(default=0, bounds=(0, None), doc="The largest file sent.")

    _esm = """
export function render({ model, el }) {
  const input = document.createElement("input")
  input.type = "file"
  input.accept = model.accept
  input.addEventListener("change", async () => {
    const file = input.files[0]
    input.value = ""  // choosing the same file again is a new choice
    if (!file) return
    if (file.size > model.max_bytes) {
      model.send_msg({name: file.name, size: file.size})
      return
    }
    model.send_msg({name: file.name, size: file.size, content: await file.arrayBuffer()})
  })
  model.on("accept", () => { input.accept = model.accept })
  el.appendChild(input)
}
"""

    def __init__(
        self,
        on_file: Callable[[str, bytes], object],
        on_too_large: Callable[[str, int], object],
        **params,
    ):
        super().__init__(**params)
        self._on_file = on_file
        self._on_too_large = on_too_large

    def _handle_msg(self, data: dict) -> None:
        name, size = str(data.get("name") or "upload"), int(data.get("size") or 0)
        content = data.get("content")
        if content is None:
            self._on_too_large(name, size)
        else:
            self._on_file(name, bytes(content))
