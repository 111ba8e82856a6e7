import os

import pytest

from latentkit.storage import atomic_path, write_json


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "card.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"v": 2, "half')
            raise RuntimeError("crash mid-write")
    assert target.read_text().strip().endswith("}") and '"v": 1' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]


def test_written_files_follow_the_umask(tmp_path, tiny_generator_file):
    from latentkit.generator.weights import load_weights, save_weights

    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {})
        save_weights(load_weights(tiny_generator_file), tmp_path / "g.safetensors", "generator")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "g.safetensors").stat().st_mode & 0o777 == 0o644, "safetensors writes 0600 by itself"
