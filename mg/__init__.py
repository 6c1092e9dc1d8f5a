"""mg: the game-developer toolkit and its Python SDK."""

__version__ = "0.1.0"
