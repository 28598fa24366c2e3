from dealers.models.read_log import OemRead

__all__ = ["OemRead"]
