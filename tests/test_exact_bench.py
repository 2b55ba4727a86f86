"""`workbench bench`: every storage (float32, float16, the compact tiers' coded rows) scored by every executor
agrees with the float64 truth on the vectors as stored or decoded."""

from workbench.measure.exact_bench import format_report, run_bench, synthetic_index


def test_every_storage_and_executor_agrees_with_float64():
    report = run_bench(synthetic_index(60, tokens=24), n_query=8, repeats=1, peers=False)
    assert list(report["storage"]) == ["float32", "float16", "compact-4 (residuals)", "compact-2 (residuals)"]
    for storage, entry in report["storage"].items():
        assert set(entry["executors"]) == {"mojo", "mojo (1 thread)", "numpy"}, storage
        for name, r in entry["executors"].items():
            assert r["max_abs_diff"] < 1e-4, (storage, name)
            assert r["ms"] > 0 and r["gflops"] > 0
    assert "storage compact-2 (residuals)" in format_report(report)
