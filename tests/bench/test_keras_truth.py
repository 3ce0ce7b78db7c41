"""The Keras truth harness: catalog, serialization, error reading (fast), and a slow drift check
that re-measures two small models with the real converter and runtime against the committed
truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.real_models import _keras_errors, catalog_keras, truth_keras
from bench.real_models._keras_measure import compare, compress

ID = re.compile(r"^(keras|keras_hub|keras_user)/[a-z0-9_]+$")


def test_catalog_ids_are_unique_well_formed_and_match_their_library() -> None:
    entries = catalog_keras.entries()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        assert ID.match(entry.id), entry.id
        assert entry.id.split("/")[0] == entry.library
        assert entry.library in catalog_keras.LIBRARIES


def test_catalog_has_the_promised_breadth() -> None:
    libraries = [e.library for e in catalog_keras.entries()]
    assert len(catalog_keras.APPLICATIONS) >= 16
    assert libraries.count("keras_hub") >= 20
    assert len(libraries) >= 45


def test_compress_turns_lines_into_ranges() -> None:
    assert compress([7, 1, 2, 3, 5, 8, 3]) == "1-3,5,7-8"
    assert compress([4]) == "4"
    assert compress([]) == ""


def test_merge_replaces_by_id_keeps_the_rest_in_catalog_order_and_drops_unknown_ids() -> None:
    old = [{"id": "a", "v": 1}, {"id": "b", "v": 1}, {"id": "gone", "v": 1}]
    new = [{"id": "b", "v": 2}, {"id": "c", "v": 2}]
    merged = truth_keras.merge(old, new, ["c", "a", "b"])
    assert merged == [{"id": "c", "v": 2}, {"id": "a", "v": 1}, {"id": "b", "v": 2}]


def test_document_follows_the_schema_and_round_trips(tmp_path: Path) -> None:
    models = [{"id": "keras/x", "library": "keras", "status": "ok", "error": None, "construct": None,
               "max_rel_error": 1e-7, "executed": {"keras/src/a.py": "1-3"}, "seconds": 2.5}]
    doc = truth_keras.document(models)
    assert doc["schema"] == 1 and doc["framework"] == "keras"
    assert doc["duration_seconds"] == 2.5
    assert set(doc) == {"schema", "framework", "versions", "generated_at", "duration_seconds", "models"}
    assert "keras" in doc["versions"]
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(doc))
    assert truth_keras.load(path) == models
    path.write_text(json.dumps({**doc, "framework": "torch"}))
    with pytest.raises(SystemExit):
        truth_keras.load(path)


def test_a_crash_is_recorded_as_the_status_of_its_stage(tmp_path: Path) -> None:
    (tmp_path / "stage").write_text("convert")
    (tmp_path / "executed.json").write_text(json.dumps({"keras/src/a.py": "1"}))
    (tmp_path / "log").write_text("noise\nFatal Python error: Segmentation fault\nmore\n")
    record = truth_keras._read(tmp_path, "the measuring process died (signal SIGSEGV)")
    assert record["status"] == "unconvertible"
    assert "stage convert" in record["error"] and "Segmentation fault" in record["error"]
    assert record["executed"] == {"keras/src/a.py": "1"}
    (tmp_path / "stage").write_text("call")
    assert truth_keras._read(tmp_path, "timed out after 240 s")["status"] == "build_error"
    (tmp_path / "stage").write_text("runtime")
    assert truth_keras._read(tmp_path, "timed out after 240 s")["status"] == "runtime"


def test_a_written_result_wins_when_the_process_exited_cleanly(tmp_path: Path) -> None:
    (tmp_path / "stage").write_text("runtime")
    (tmp_path / "result.json").write_text(json.dumps(
        {"status": "wrong_numbers", "error": "off", "construct": None, "max_rel_error": 0.5}))
    record = truth_keras._read(tmp_path, None)
    assert record["status"] == "wrong_numbers" and record["max_rel_error"] == 0.5
    assert record["executed"] == {}


CONVERTER_TEXT = (
    "Could not translate MLIR to FlatBuffer.\n"
    'loc(callsite(fused["FFT2D:", "x/FFT2D@f"])): error: \'tf.FFT2D\' op is neither a custom op nor a flex op\n'
    "error: failed while converting: 'main'\n"
)


def test_first_line_is_the_mlir_error_without_its_location() -> None:
    assert _keras_errors.first_line(CONVERTER_TEXT) == "'tf.FFT2D' op is neither a custom op nor a flex op"
    assert _keras_errors.first_line(ValueError("\n  plain message\nsecond")) == "plain message"
    assert _keras_errors.first_line(ValueError("")) == "ValueError"


def test_construct_and_flex_names_come_from_the_message_when_there_are_no_records() -> None:
    error = RuntimeError(CONVERTER_TEXT)
    assert _keras_errors.construct(error) == "tf.FFT2D"
    assert _keras_errors.flex_ops_from_error(error) == ["FlexFFT2D"]
    assert _keras_errors.construct(RuntimeError("no op named")) is None


def test_flex_ops_are_read_from_the_model_bytes() -> None:
    content = b"\x00\x08FlexFFT2D\x00\x00FlexComplex\x00TFL3FlexFFT2D\x00"
    assert _keras_errors.flex_ops(content) == ["FlexComplex", "FlexFFT2D"]
    assert _keras_errors.flex_ops(b"\x00TFL3 CONV_2D") == []


def test_compare_is_relative_to_the_output_scale() -> None:
    np = pytest.importorskip("numpy")
    big = np.array([[1e6, -2e6, 0.0]])
    ok, rel = compare([big + 1.0], [big])  # an absolute error of 1 on outputs near 1e6
    assert ok and rel == pytest.approx(5e-7)
    ok, rel = compare([big * 1.01], [big])
    assert not ok and rel == pytest.approx(0.01)
    assert compare([big], [big, big]) == (False, float("inf"))
    assert compare([big[:, :2]], [big]) == (False, float("inf"))
    nan = np.array([np.nan, 1.0])
    assert not compare([nan], [np.array([0.0, 1.0])])[0]


def test_committed_truth_is_well_formed_and_in_catalog_order() -> None:
    records = truth_keras.load()
    order = [e.id for e in catalog_keras.entries()]
    ids = [r["id"] for r in records]
    assert ids == [i for i in order if i in set(ids)]
    for record in records:
        assert record["status"] in truth_keras.STATUSES, record
        assert record["library"] == record["id"].split("/")[0]
        if record["status"] != "build_error":
            assert record["executed"], record["id"]
        if record["status"] == "ok":
            assert record["max_rel_error"] is not None and record["max_rel_error"] <= 1e-3, record["id"]
        if record["status"] == "flex":
            assert record["construct"] and record["construct"].startswith("Flex"), record["id"]


# One model that converts and matches, one that needs Select TF ops; both measure in well
# under a minute. A changed status means the toolchain (or the harness) moved: re-measure.
DRIFT = ["keras_user/simple_rnn", "keras_user/hashing"]


@pytest.mark.slow
@pytest.mark.parametrize("model_id", DRIFT)
def test_remeasured_status_matches_the_committed_truth(model_id: str) -> None:
    committed = {r["id"]: r for r in truth_keras.load()}[model_id]
    record = truth_keras.measure(catalog_keras.by_id()[model_id], timeout=120)
    assert record["status"] == committed["status"], record
    assert record["construct"] == committed["construct"]
    assert set(record["executed"]) == set(committed["executed"])
