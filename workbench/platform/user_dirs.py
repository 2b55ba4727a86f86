"""Where this user's settings and data live (platformdirs; ``KAYAK_CONFIG_DIR`` overrides the config folder,
as tests and portable installs need)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "kayak-workbench"


def config_dir() -> Path:
    """The user's config folder for the workbench (not created here)."""
    from platformdirs import user_config_dir

    return Path(os.environ.get("KAYAK_CONFIG_DIR") or user_config_dir(APP))


def data_dir() -> Path:
    """The user's data folder for the workbench (the demo index lives here)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP))
