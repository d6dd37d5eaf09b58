"""Method plugins, one sub-package per paper, loaded by ``custom_imports``."""
