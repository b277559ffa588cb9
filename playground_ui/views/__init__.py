"""One view per stage of the workflow; each draws a Workspace and calls its functions."""
