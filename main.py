"""Entry points, under their deployed names (each name is a Cloud Function's --entry-point).

Nothing else lives here: see the `functions` package.
"""

__all__: list[str] = []
