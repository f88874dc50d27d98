"""The pytest side of a run: the plugin's hooks (`plugin`, the `pytest11` entry point) and what they wire in —
the run each process checks (`configured`), fixtures, outcomes, workers, and the embedded server's boot gate."""
