"""Centroids kept with the index: trained by ingest, reopened without rebuilding, grown by assignment,
retrained on drift or growth, carried through compaction, and never in a search's way."""

import json

import numpy as np
import pytest
from conftest import synthetic_store, train_now

from workbench.core import centroid_search_plan, exhaustive_search_plan
from workbench.core.centroids import assign, default_centroid_count
from workbench.store.centroid_store import MANIFEST_KEY, CentroidStore

TOPICS = {
    "volcano.txt": "Volcanoes erupt when magma rises through the crust. Lava, ash and volcanic gas escape "
    "from vents. Some volcanoes sleep for centuries before they erupt again.",
    "plants.txt": "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into glucose. "
    "Chlorophyll absorbs red and blue light. Oxygen is released as a by-product.",
    "football.txt": "The offside rule forbids an attacker from being behind the last defender when the ball "
    "is played. Referees and their assistants judge offside positions.",
}
MORE = {
    "ocean.txt": "Ocean tides follow the moon. Spring tides are higher than neap tides because the sun "
    "and the moon pull in a line. Tidal currents shape coasts and estuaries."
}


def write(folder, files):
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    return paths


def packed_codes_match(coll):
    """The codes the index searches with equal a fresh nearest-centroid assignment of its vectors."""
    index = coll.late_index()
    ci = index.centroid_index
    live = np.concatenate([np.arange(s, s + n) for s, n in zip(index.starts, index.lengths)])
    ri = index.residual_index  # and the residuals are those codes' residuals
    x = index.vectors[live].astype(np.float32)
    return np.array_equal(ci.codes[live], assign(index.vectors[live], ci.centroids)) and np.array_equal(
        ri.packed[live], ri.codec.encode(x, ci.centroids, ci.codes[live])
    )


def test_ingest_trains_centroids_that_a_reopen_reads_back(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    assert coll.ingest(write(tmp_path, TOPICS)).ok
    version = coll.store.centroids.version
    assert version is not None and coll.store.manifest[MANIFEST_KEY] == version
    again = Collection.open(coll.store.root, encoder=encoder)
    index = again.late_index()
    assert index.centroid_index is not None and packed_codes_match(again)
    result = again.search("magma and lava", centroid_search_plan(final_k=1, candidate_k=2, n_probe=4))
    assert result.stages[0].setup_ms == 0.0  # read from disk, not built on first use
    assert result.hits[0].path.endswith("volcano.txt")
    meta = again.store.centroids.meta()
    assert meta["n_centroids"] == index.centroid_index.n_centroids and 0 < meta["mean_cosine"] <= 1
    residual = again.search(
        "magma and lava", centroid_search_plan(final_k=1, candidate_k=2, n_probe=4, rerank_vectors="residual")
    )
    assert residual.stages[-1].setup_ms == 0.0 and residual.hits[0].path.endswith("volcano.txt")
    assert meta["residual_bits"] == 2 and index.residual_index.packed.shape[1] == 32
    decoded = index.passage_vectors(0, decompressed=True)
    stored = index.passage_vectors(0)
    assert (decoded * stored).sum(axis=1).mean() > 0.85


def test_new_documents_are_coded_against_the_same_centroids(tmp_path, new_collection, monkeypatch):
    # Centroids fitted to ~150 vectors sit closer to them than to any new text, so a collection this
    # small may see drift; the allowance is widened here to test growth by assignment alone.
    monkeypatch.setattr("workbench.store.centroid_store.DRIFT", 1.0)
    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    coll.ingest(write(tmp_path, TOPICS))
    version = coll.store.centroids.version
    coll.ingest(write(tmp_path, MORE))
    assert coll.store.centroids.version == version  # no drift, no retraining
    assert packed_codes_match(coll)  # the new segment was coded
    meta = coll.store.centroids.meta()
    assert len(meta["added"]) == 1 and meta["added"][0][0] > 0
    hits = coll.search("spring tides and the moon", centroid_search_plan(final_k=1, candidate_k=2, n_probe=4))
    assert hits.hits[0].path.endswith("ocean.txt")
    codes = {p.name for p in (coll.store.centroids.folder / version).iterdir() if p.name.startswith("codes-")}
    segments = coll.store.catalog.segment_files()  # old segments' parts gone
    assert codes == {f"codes-{f}" for f in segments}
    assert {p.name for p in (coll.store.centroids.folder / version).glob("residuals-*")} == {
        f"residuals-{f}" for f in segments
    }


def test_drift_retrains_and_an_open_index_keeps_searching(tmp_path, new_collection):
    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    coll.ingest(write(tmp_path, TOPICS))
    old_index = coll.late_index()
    old_version = coll.store.centroids.version
    meta_path = coll.store.centroids.folder / old_version / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["mean_cosine"] = 1.5  # training vectors "sat" far closer than any new one can: drift
    meta_path.write_text(json.dumps(meta))
    coll.ingest(write(tmp_path, MORE))
    assert coll.store.centroids.version not in (None, old_version)
    assert not (coll.store.centroids.folder / old_version).exists()
    plan = centroid_search_plan(final_k=2, candidate_k=3, n_probe=2)
    query = coll.encode_query("sunlight and chlorophyll")
    from workbench.core import search_with_plan

    before = search_with_plan(query, old_index, plan)  # mapped files of the old version
    truth = search_with_plan(query, old_index, exhaustive_search_plan(final_k=2))
    assert [h.passage_id for h in before.hits] == [h.passage_id for h in truth.hits]
    assert packed_codes_match(coll)


def test_needs_training_reasons(tmp_path):
    manifest = {}
    store = CentroidStore(tmp_path, manifest.get, manifest.__setitem__)
    assert store.needs_training(0) is None
    assert store.planned_count(1_000_000) == default_centroid_count(1_000_000)
    manifest["max_centroids"] = "64"  # the manifest's cap, as train applies it
    assert store.planned_count(1_000_000) == 64
    del manifest["max_centroids"]
    assert store.needs_training(1000).kind == "first" and str(store.needs_training(1000)) == "no centroids yet"
    (tmp_path / "centroids" / "v-0123456789ab").mkdir(parents=True)
    np.save(tmp_path / "centroids" / "v-0123456789ab" / "centroids.npy", np.eye(16, 128, dtype=np.float32))
    manifest[MANIFEST_KEY] = "v-0123456789ab"
    meta = {"n_centroids": 16, "trained_vectors": 1000, "dim": 128, "mean_cosine": 0.8, "added": [[5000, 0.79]]}
    (tmp_path / "centroids" / "v-0123456789ab" / "meta.json").write_text(json.dumps(meta))
    assert store.needs_training(1000) is None  # within the drift allowance
    assert store.needs_training(3999) is None and "grew" in str(store.needs_training(4000))  # fourfold
    meta["added"] = [[5000, 0.70]]
    (tmp_path / "centroids" / "v-0123456789ab" / "meta.json").write_text(json.dumps(meta))
    assert store.needs_training(1000).kind == "drift" and "farther" in str(store.needs_training(1000))
    meta["added"] = [[50, 0.1]]  # too few new vectors to judge (a tenth of 1000 is needed)
    (tmp_path / "centroids" / "v-0123456789ab" / "meta.json").write_text(json.dumps(meta))
    assert store.needs_training(1000) is None


def test_missing_codes_are_recomputed_and_removal_keeps_lists_live(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    paths = write(tmp_path, TOPICS)
    coll.ingest(paths)
    folder = coll.store.centroids.folder / coll.store.centroids.version
    for f in [*folder.glob("codes-*"), *folder.glob("residuals-*")]:
        f.unlink()  # as if killed before writing them
    again = Collection.open(coll.store.root, encoder=encoder)
    assert packed_codes_match(again)
    again.remove([paths[0]])
    index = again.late_index()
    ci = index.centroid_index
    assert ci.list_rows.max() < index.n_passages and packed_codes_match(again)
    result = again.search("magma lava volcano", centroid_search_plan(final_k=2, candidate_k=2, n_probe=8))
    assert all(not h.path.endswith("volcano.txt") for h in result.hits)


def test_a_codec_written_before_per_dimension_buckets_still_decodes(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    coll.ingest(write(tmp_path, TOPICS))
    folder = coll.store.centroids.folder / coll.store.centroids.version
    table = np.load(folder / "codec.npy")
    assert table.shape == (3 + 4 + 2 * 128,)  # cut-offs, weights, then each dimension's shift and scale
    np.save(folder / "codec.npy", np.array([-0.1, 0.0, 0.1, -0.15, -0.05, 0.05, 0.15], np.float32))  # the old row
    codec = Collection.open(coll.store.root, encoder=encoder).late_index().residual_index.codec
    np.testing.assert_array_equal(codec.cutoffs, np.array([-0.1, 0.0, 0.1], np.float32))
    assert (codec.shift == 0).all() and (codec.scale == 1).all()
    np.save(folder / "codec.npy", np.array([0.1, 0.0, -0.1, 0, 0, 0, 0], np.float32))  # cut-offs out of order
    assert Collection.open(coll.store.root, encoder=encoder).late_index().residual_index is None  # rebuilt


@pytest.mark.parametrize("broken", ["garbage", "shape"])
def test_damaged_centroid_files_fall_back_to_building(tmp_path, new_collection, encoder, broken):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    coll.ingest(write(tmp_path, TOPICS))
    path = coll.store.centroids.folder / coll.store.centroids.version / "centroids.npy"
    if broken == "garbage":
        path.write_bytes(b"not an npy file")
    else:
        np.save(path, np.zeros((4, 7), np.float32))
    again = Collection.open(coll.store.root, encoder=encoder)
    result = again.search("offside rule", centroid_search_plan(final_k=1, candidate_k=2, n_probe=4))
    assert result.hits[0].path.endswith("football.txt")
    assert result.stages[0].setup_ms > 0  # rebuilt in memory, said so


def test_searches_stay_correct_while_an_ingest_compacts_and_retrains(tmp_path, new_collection, monkeypatch):
    import threading

    from workbench.core import search_with_plan

    monkeypatch.setattr("workbench.store.centroid_store.DRIFT", -1.0)  # every ingest retrains
    coll = new_collection(tier="exact")  # an exact index: its centroid files are derived data
    coll.ingest(write(tmp_path, TOPICS))
    index, old_version = coll.late_index(), coll.store.centroids.version
    plan = centroid_search_plan(final_k=2, candidate_k=3, n_probe=4, query_vector_budget=0)
    query = coll.encode_query("sunlight and chlorophyll in green plants")
    expected = [h.passage_id for h in search_with_plan(query, index, exhaustive_search_plan(final_k=2)).hits]
    seen, errors, stop = [], [], threading.Event()

    def searcher():
        while not stop.is_set():
            try:
                seen.append([h.passage_id for h in search_with_plan(query, index, plan, "mojo").hits])
                stop.wait(0.01)  # a user's pace, not a busy loop starving the ingest of the GIL
            except Exception as exc:  # any failure is the test's failure
                errors.append(exc)
                return

    thread = threading.Thread(target=searcher)
    thread.start()
    try:
        coll.ingest(write(tmp_path, MORE))  # new segment, compaction, retrain
        coll.ingest(write(tmp_path, {"glacier.txt": "Glaciers carve valleys as ice grinds over rock."}))
    finally:
        stop.set()
        thread.join()
    assert not errors and len(seen) > 1 and all(ids == expected for ids in seen)
    assert coll.store.centroids.version not in (None, old_version)  # retrained underneath
    fresh = coll.search("sunlight and chlorophyll in green plants", plan)
    assert fresh.hits[0].passage_id == expected[0] and packed_codes_match(coll)


def test_training_codes_every_row_so_tombstoned_segments_are_read_back_not_recoded(tmp_path):
    """Rows of removed passages get codes too: a stored codes file holds only valid centroids, so
    opening the index reads it instead of coding the segment again in memory."""
    store = synthetic_store(tmp_path / "ix", 40, 50)
    with store.writer():
        store.catalog.remove_document(b"/d/3.txt")
        train_now(store)
    v = store.centroids.version
    meta = store.centroids.meta()
    ((name, vectors),) = store.segments()
    codes = store.centroids.read_part(v, "codes", name, (vectors.shape[0],), np.int32, meta["n_centroids"])
    assert codes is not None and np.array_equal(codes, assign(vectors, store.centroids.read_centroids(v, 128)))
    assert meta["trained_vectors"] == 39 * 50


def test_training_holds_a_bounded_working_set_whatever_the_index_size(tmp_path, monkeypatch):
    """Training samples its k-means input and codes a chunk at a time into the files: the memory it
    allocates stays near one chunk and its samples, well below the whole index's codes and residuals (36 bytes
    per vector), which the earlier training held in memory with a row index (8 bytes per vector) beside them."""
    import tracemalloc

    import workbench.store.centroid_store as cs

    monkeypatch.setattr(cs, "CODE_CHUNK", 1 << 12)
    store = synthetic_store(tmp_path / "ix", 2000, 1000, manifest={cs.MAX_CENTROIDS_KEY: "256"})
    with store.writer():
        tracemalloc.start()
        try:
            train_now(store)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert store.centroids.meta()["n_centroids"] == 256  # the manifest's cap on 4·√T
    whole = 2_000_000 * 36
    assert peak < whole / 2, (
        f"training traced {peak / 2**20:.0f} MiB for an index whose codes take {whole / 2**20:.0f} MiB"
    )
