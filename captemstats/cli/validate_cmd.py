"""``captemstats validate``: placeholder registration module (replaced by the validation work)."""
