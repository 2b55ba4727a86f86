"""A Stanford-NLP ColBERT checkpoint (the ``colbert-ir/colbertv2.0`` layout, written offline by
:mod:`stanford_checkpoint`) named as a local folder is the encoder, with Stanford ColBERT's own vectors.

The expected vectors are computed here as Stanford ColBERT computes them, from transformers' ``AutoModel`` and
the checkpoint's projection, never through sentence-transformers: a query is ``[CLS] [Q] tokens [SEP]``
padded with ``[MASK]`` to ``query_maxlen`` (the ``[MASK]`` slots attended to only with
``attend_to_mask_tokens``) and every position is a query vector; a document is ``[CLS] [D] tokens [SEP]`` cut
at ``doc_maxlen`` with punctuation dropped (``mask_punctuation``); a vector is ``normalize(linear(h))`` of the
BERT's last hidden state ``h``. ``[Q]``/``[D]`` are the ids of ``[unused0]``/``[unused1]``, put in place
after tokenizing (a tokenizer splits the text ``[unused0]`` into four pieces).
"""

from __future__ import annotations

import string

import numpy as np
import pytest
from stanford_checkpoint import write_stanford_checkpoint

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan
from workbench.encode import Encoder

TOLERANCE = 1e-5  # max |Δ| per vector component against the reference
QUERIES = [
    "does aspirin prevent heart attacks?",
    "What's the half-life of caffeine (in hours)?",
    # longer than query_maxlen: cut, no [MASK] slot left, as Stanford ColBERT cuts it
    " ".join(f"term{i}" for i in range(40)),
    "Café naïve façade, ünïcödé",
]
DOCS = [
    "Aspirin, 81 mg/day, cut the risk of myocardial infarction (n=1,204; p<0.01).",
    "x",
    # longer than doc_maxlen: both sides must cut it at the same word piece
    " ".join(f"Token{i} interleukin-{i % 17} signalling" for i in range(60)),
    "Late interaction keeps one vector per token; MaxSim sums each query token's best match.",
    "Café naïve façade — ünïcödé text, Ελληνικά and 日本語 too.",
]


class StanfordReference:
    """Stanford ColBERT's query and document encoding of a checkpoint folder, in transformers + torch."""

    def __init__(self, folder, query_maxlen: int, doc_maxlen: int, attend: bool, mask_punctuation: bool) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(str(folder))
        self.bert, loading = AutoModel.from_pretrained(str(folder), output_loading_info=True)
        assert not loading["missing_keys"]  # the BERT's own weights, not a fresh initialisation
        self.bert.eval()
        self.linear = load_file(str(folder / "model.safetensors"))["linear.weight"]
        self.query_maxlen, self.doc_maxlen, self.attend = query_maxlen, doc_maxlen, attend
        skipped = [self.tok.encode(s, add_special_tokens=False)[0] for s in string.punctuation]
        self.skiplist = torch.tensor(skipped if mask_punctuation else [], dtype=torch.long)

    def _tokenize(self, texts, marker: str, padding: str, maxlen: int):
        """Ids and attention ``[batch, ≤ maxlen]``: tokenized to ``maxlen - 1``, the marker put at position 1."""
        import torch

        enc = self.tok(texts, padding=padding, truncation=True, max_length=maxlen - 1, return_tensors="pt")
        ids, mask = enc["input_ids"], enc["attention_mask"]
        column = torch.full((ids.shape[0], 1), self.tok.convert_tokens_to_ids(marker), dtype=ids.dtype)
        ids = torch.cat([ids[:, :1], column, ids[:, 1:]], dim=1)
        mask = torch.cat([mask[:, :1], torch.ones_like(column), mask[:, 1:]], dim=1)
        return ids, mask

    def _vectors(self, ids, mask):
        import torch

        with torch.no_grad():
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            return torch.nn.functional.normalize(hidden @ self.linear.T, p=2, dim=2)

    def queries(self, texts) -> list[tuple[np.ndarray, list[str]]]:
        """Per query all ``query_maxlen`` vectors (float32 ``[query_maxlen, dim]``) and their tokens."""
        ids, mask = self._tokenize(texts, "[unused0]", "max_length", self.query_maxlen)
        ids[ids == self.tok.pad_token_id] = self.tok.mask_token_id
        if self.attend:
            mask[ids == self.tok.mask_token_id] = 1
        vectors = self._vectors(ids, mask)
        return [(v.numpy(), self.tok.convert_ids_to_tokens(i.tolist())) for v, i in zip(vectors, ids)]

    def documents(self, texts) -> list[tuple[np.ndarray, list[str]]]:
        """Per document the vectors (float32 ``[n, dim]``) and tokens kept: not padding, not punctuation."""
        import torch

        ids, mask = self._tokenize(texts, "[unused1]", "longest", self.doc_maxlen)
        vectors = self._vectors(ids, mask)
        keep = (ids != self.tok.pad_token_id) & ~torch.isin(ids, self.skiplist)
        return [(v[k].numpy(), self.tok.convert_ids_to_tokens(i[k].tolist())) for v, i, k in zip(vectors, ids, keep)]


def _max_delta(got: list[tuple[np.ndarray, list[str]]], want: list[tuple[np.ndarray, list[str]]]) -> float:
    """Largest |Δ| over all vectors, after checking each text keeps the same tokens in the same order."""
    assert len(got) == len(want)
    for (v, tokens), (w, expected) in zip(got, want):
        assert list(tokens) == expected
        assert v.dtype == np.float32 and v.shape == w.shape
    return max(float(np.abs(v - w).max()) for (v, _), (w, _) in zip(got, want))


def _queries(encoder: Encoder, texts) -> list[tuple[np.ndarray, list[str]]]:
    return [(q.data, list(q.tokens)) for q in map(encoder.encode_query, texts)]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_stanford_checkpoint(tmp_path_factory.mktemp("models") / "colbert", dim=64)


@pytest.fixture(scope="module")
def torch_encoder(checkpoint):
    return Encoder(model=str(checkpoint), runtime="torch")


@pytest.fixture(scope="module")
def reference(checkpoint):
    return StanfordReference(checkpoint, query_maxlen=24, doc_maxlen=120, attend=False, mask_punctuation=True)


def test_the_encoder_reads_the_checkpoints_settings(torch_encoder, checkpoint):
    assert torch_encoder.identity == str(checkpoint) and torch_encoder.dim == 64
    assert torch_encoder.describe_settings() == {
        "query_prefix": "[unused0] ",
        "document_prefix": "[unused1] ",
        "do_query_expansion": True,
        "query_length": 24,
        "document_length": 120,
        "drop_special_tokens": False,
    }
    # [CLS], [D] and [SEP] share doc_maxlen with the text
    assert torch_encoder.max_passage_tokens == int((120 - 3) * 0.95)


def test_torch_gives_stanford_colberts_vectors(torch_encoder, reference):
    queries = _queries(torch_encoder, QUERIES)
    assert _max_delta(queries, reference.queries(QUERIES)) <= TOLERANCE
    assert queries[0][1][:2] == ["[CLS]", "[unused0]"] and queries[0][1][-1] == "[MASK]"
    assert "[MASK]" not in queries[2][1] and len(queries[2][1]) == 24  # the long query is cut, not expanded
    documents = torch_encoder.encode_documents(DOCS)
    assert _max_delta(documents, reference.documents(DOCS)) <= TOLERANCE
    assert documents[1][1] == ["[CLS]", "[unused1]", "x", "[SEP]"]
    assert "," not in documents[0][1] and "(" not in documents[0][1]  # mask_punctuation
    assert len(documents[2][1]) < 120 and documents[2][1][-1] == "[SEP]"  # cut at doc_maxlen


def test_onnx_runtime_gives_stanford_colberts_document_vectors(checkpoint, torch_encoder, reference):
    onnx = Encoder(model=str(checkpoint), runtime="onnx")
    assert onnx.runtime == "onnx" and not onnx._onnx.serves_queries  # expansion keeps queries on torch
    assert (onnx.identity, onnx.checksum, onnx.dim) == (torch_encoder.identity, torch_encoder.checksum, 64)
    onnx.batch_size = 2  # several length-sorted batches, the caller's order restored
    assert _max_delta(onnx.encode_documents(DOCS), reference.documents(DOCS)) <= TOLERANCE
    assert _max_delta(_queries(onnx, QUERIES[:2]), reference.queries(QUERIES[:2])) <= TOLERANCE


def test_the_metadata_decides_expansion_attention_punctuation_and_lengths(tmp_path):
    """Other ``artifact.metadata`` values: [MASK] slots attended to, punctuation kept, other lengths."""
    folder = write_stanford_checkpoint(
        tmp_path / "attending",
        dim=32,
        query_maxlen=16,
        doc_maxlen=40,
        attend_to_mask_tokens=True,
        mask_punctuation=False,
    )
    encoder = Encoder(model=str(folder), runtime="torch")
    reference = StanfordReference(folder, query_maxlen=16, doc_maxlen=40, attend=True, mask_punctuation=False)
    settings = encoder.describe_settings()
    assert (settings["query_length"], settings["document_length"], encoder.dim) == (16, 40, 32)
    assert _max_delta(_queries(encoder, QUERIES), reference.queries(QUERIES)) <= TOLERANCE
    documents = encoder.encode_documents(DOCS)
    assert _max_delta(documents, reference.documents(DOCS)) <= TOLERANCE
    assert "," in documents[0][1] and len(documents[2][1]) == 40
    assert settings["attend_to_expansion_tokens"] is True and settings["skiplist_words"] == []


def test_the_scored_tokens_are_part_of_the_checksum(checkpoint, torch_encoder, tmp_path):
    """The same weights with [MASK] slots attended to score other query vectors: an index written with one
    must not take the other as its encoder."""
    attending = Encoder(model=str(write_stanford_checkpoint(tmp_path / "a", attend_to_mask_tokens=True)))
    assert attending.checksum != torch_encoder.checksum
    assert "attend_to_expansion_tokens" not in torch_encoder.describe_settings()  # the usual choice: unnamed


def test_an_index_written_with_it_records_the_model_and_searches(checkpoint, torch_encoder, tmp_path):
    (tmp_path / "volcano.txt").write_text("Magma rises through the crust and erupts as lava from volcanoes.")
    (tmp_path / "bread.txt").write_text("Sourdough bread rises because wild yeast ferments the dough.")
    coll = Collection.open(tmp_path / "idx", model=str(checkpoint), create=True, encoder=torch_encoder)
    report = coll.ingest([tmp_path / "volcano.txt", tmp_path / "bread.txt"])
    assert len(report.indexed) == 2 and not report.failed
    # A fresh open loads the model the index records (named above, so trusted) and checks its checksum.
    reopened = Collection.open(tmp_path / "idx")
    info = reopened.info()
    assert info["model"] == str(checkpoint) and reopened.dim == 64
    assert reopened.encoder.checksum == torch_encoder.checksum
    assert reopened.search("lava from volcanoes", exhaustive_search_plan()).hits[0].path.endswith("volcano.txt")
    assert reopened.search("sourdough yeast", exhaustive_search_plan()).hits[0].path.endswith("bread.txt")
