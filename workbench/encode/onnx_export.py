"""One ONNX graph for a loaded ``MultiVectorEncoder``: transformer + projection(s) + L2 normalisation.

Inputs: ``input_ids``, ``attention_mask`` (and ``token_type_ids`` where the tokenizer makes them), int64
``[batch, seq]``, both axes dynamic. Output ``token_vectors``: float32 ``[batch, seq, dim]``, every token
vector L2-normalised (as the model's ``Normalize`` does); padding and the scoring mask are left to the caller.

The graph is exported with eager attention (transformers' SDPA exports to a pattern ONNX Runtime's
transformer optimizer cannot fuse) and, for BERT-like models, fused by that optimizer (Attention,
EmbedLayerNorm, SkipLayerNorm: ≈1.3× on two cores). Other model types keep the plain graph.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

OPSET = 17
OUTPUT = "token_vectors"
# config.model_type values whose encoder layers the "bert" fusion of onnxruntime.transformers matches.
BERT_LIKE = {"bert", "roberta", "xlm-roberta", "camembert", "electra", "distilbert", "modernbert"}


class ExportError(RuntimeError):
    """The model could not be exported (or fused); the message says why in one line."""


def input_names(model: Any) -> list[str]:
    """The graph's input names for ``model`` (a ``MultiVectorEncoder``): what its own preprocess returns, in a
    fixed order."""
    features = model.preprocess(["probe"], task="document")
    return [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in features]


def _graph_module(model: Any, names: list[str]):
    import torch
    from sentence_transformers.multi_vector_encoder.modules import MultiVectorMask

    class Graph(torch.nn.Module):
        """The model's modules as positional tensors in, normalised token vectors out. The scoring mask
        (``MultiVectorMask``) changes no vector, so it stays out of the graph and runs beside it."""

        def __init__(self) -> None:
            super().__init__()
            self.stages = torch.nn.ModuleList(m for m in model if not isinstance(m, MultiVectorMask))

        def forward(self, *tensors):
            features = dict(zip(names, tensors))
            for stage in self.stages:
                features = stage(features)
            return torch.nn.functional.normalize(features["token_embeddings"], p=2, dim=-1)

    return Graph().eval()


def export_onnx(model: Any, dest: Path) -> dict[str, Any]:
    """Write ``model`` (a loaded ``MultiVectorEncoder`` on the CPU) as one ONNX file at ``dest`` (overwritten).

    Returns what was built: ``{"inputs": [...], "opset": 17, "fused": {op: count} or {}, "model_type": ...}``.
    Raises :class:`ExportError` when torch cannot export the model. A fusion that fails leaves the plain graph.
    The model's attention implementation is switched to eager for the export and restored afterwards.
    """
    import torch

    names = input_names(model)
    auto = model[0].auto_model
    config = auto.config
    before = getattr(config, "_attn_implementation", None)
    plain = dest.with_name(dest.name + ".plain")
    try:
        if before not in (None, "eager"):
            auto.set_attn_implementation("eager")
        sample = model.preprocess(["an export probe, two passages", "of different length"], task="document")
        args = tuple(sample[n].to(torch.int64) for n in names)
        axes = {n: {0: "batch", 1: "seq"} for n in [*names, OUTPUT]}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constants
            torch.onnx.export(
                _graph_module(model, names),
                args,
                str(plain),
                input_names=names,
                output_names=[OUTPUT],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as exc:
        plain.unlink(missing_ok=True)
        raise ExportError(f"torch could not export the model to ONNX: {str(exc).splitlines()[0][:160]}") from None
    finally:
        if before not in (None, "eager"):
            auto.set_attn_implementation(before)
    fused = _fuse(plain, dest, config) if config.model_type in BERT_LIKE else {}
    if not fused:
        plain.replace(dest)
    plain.unlink(missing_ok=True)
    return {"inputs": names, "opset": OPSET, "fused": fused, "model_type": config.model_type}


def _fuse(src: Path, dest: Path, config: Any) -> dict[str, int]:
    """Fuse ``src`` into ``dest`` with ONNX Runtime's transformer optimizer; the fused operator counts, or
    ``{}`` (``dest`` not written) when nothing fused or the optimizer failed: the plain graph is as exact."""
    try:
        from onnxruntime.transformers import optimizer

        opt = optimizer.optimize_model(
            str(src),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=1,
        )
        fused = {k: int(v) for k, v in opt.get_fused_operator_statistics().items() if v}
        if not fused.get("Attention"):
            return {}
        opt.save_model_to_file(str(dest))
        return fused
    except Exception:  # an optimizer that does not know the graph: the plain export still runs
        return {}
