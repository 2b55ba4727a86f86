"""Which model an index may load, and what a model folder may run.

An index records the model it was written with, but an index can come from anyone. So a recorded model
is loaded only when it is the built-in default or a model the user has named on this machine
(``--model``, or ``model=`` in a script; remembered in ``trusted_models.json`` in the user's config
folder). Naming a model is not enough for code inside it: sentence-transformers imports any class a
folder's ``modules.json`` names — from a ``.py`` file in that folder too — even with
``trust_remote_code=False``, and PyLate's ``Dense`` calls whatever its ``activation_function`` names.
So unless the user passes ``trust_remote_code``, a model folder may name only the module classes of
sentence-transformers and PyLate and only ``torch.nn`` activations, and must not ask transformers for
remote code (``auto_map``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..platform.user_dirs import config_dir

TRUST_FILE = "trusted_models.json"
# sentence-transformers' own modules (5.x names, and 6.x's base / sentence_transformer / multi_vector_encoder
# packages) and PyLate's, which sentence-transformers 6 maps onto its own when it loads a PyLate checkpoint.
MODULE_CLASS = re.compile(
    r"(sentence_transformers\.(models|(base|sentence_transformer|multi_vector_encoder)\.modules)|pylate\.models)"
    r"(\.[A-Za-z_][A-Za-z0-9_]*)+"
)
ACTIVATION = re.compile(r"torch\.nn\.(modules\.[a-z_]+\.)?[A-Z][A-Za-z0-9_]*")


class UntrustedModel(ValueError):
    """The model may not be loaded as asked; the message says why and what the user can do."""


def model_key(model: str) -> str:
    """How a model is remembered: a local folder by its absolute path, anything else as written."""
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


def is_trusted(model: str) -> bool:
    """Has the user named ``model`` on this machine?"""
    return model_key(model) in _read_trusted()


def remember(model: str) -> None:
    """Record that the user named ``model`` (an explicit ``--model`` or ``model=``)."""
    trusted = _read_trusted()
    key = model_key(model)
    if key in trusted:
        return
    path = config_dir() / TRUST_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{TRUST_FILE}.tmp")
        tmp.write_text(json.dumps({"models": sorted(trusted | {key})}, indent=1))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: the user names the model again next time


def check_model_code(folder: Path) -> None:
    """Raise :class:`UntrustedModel` if loading the model in ``folder`` would run code the folder
    chooses: a ``modules.json`` class outside sentence-transformers' and PyLate's own modules, a module
    path leaving the folder, a ``Dense`` activation outside ``torch.nn``, or ``auto_map`` remote code."""
    root = folder.resolve()
    modules = _read_json(root / "modules.json", default=[])
    if not isinstance(modules, list):
        raise UntrustedModel(f"{folder}/modules.json is not a list of modules")
    module_dirs = [root]
    for entry in modules:
        kind = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(kind, str) or not MODULE_CLASS.fullmatch(kind):
            raise UntrustedModel(
                f"{folder} names its own code in modules.json ({kind!r}); sentence-transformers "
                "would import and run it. Load it only if you trust its author: pass "
                "--trust-remote-code"
            )
        sub = (root / str(entry.get("path", ""))).resolve()
        if sub != root and root not in sub.parents:
            raise UntrustedModel(
                f"{folder}/modules.json points a module outside the model folder ({entry.get('path')!r})"
            )
        module_dirs.append(sub)
    for sub in module_dirs:
        config = _read_json(sub / "config.json", default={})
        if not isinstance(config, dict):
            continue
        activation = config.get("activation_function")
        if activation is not None and not (isinstance(activation, str) and ACTIVATION.fullmatch(activation)):
            raise UntrustedModel(
                f"{sub}/config.json names activation {activation!r}, which would be called as "
                "code; only torch.nn activations are loaded without --trust-remote-code"
            )
        if "auto_map" in config:
            raise UntrustedModel(
                f"{sub}/config.json asks for the model's own Python code (auto_map); pass "
                "--trust-remote-code if you trust its author"
            )


def _read_trusted() -> set[str]:
    try:
        data = _read_json(config_dir() / TRUST_FILE, default={})
    except UntrustedModel:
        return set()  # an unreadable list trusts nothing; the user names the model again
    models = data.get("models") if isinstance(data, dict) else None
    return {m for m in models if isinstance(m, str)} if isinstance(models, list) else set()


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise UntrustedModel(f"{path} cannot be read as JSON ({exc})") from None
