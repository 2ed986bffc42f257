"""results.committed(): ./results, $GSUTILS_RESULTS, the checkout, then the repository (Colab)."""

import io
import urllib.error

import pytest

from gsutils import results


@pytest.fixture
def colab(tmp_path, monkeypatch):
    """No checkout, an empty working folder and cache, and a fake repository download."""
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("GSUTILS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GSUTILS_RESULTS", raising=False)
    monkeypatch.setattr(results, "_FAILED_DOWNLOADS", {})
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path / "content")
    asked = []

    def fake_urlopen(url, timeout):
        asked.append((url, timeout))
        if url.endswith("absent.json"):
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return io.BytesIO(b'{"downloaded": true}')

    monkeypatch.setattr(results.urllib.request, "urlopen", fake_urlopen)
    return tmp_path, asked


def test_the_checkout_has_the_committed_files():
    assert results.committed("colored_mnist-paper.json").samefile(
        results.REPO_ROOT / "results" / "colored_mnist-paper.json")


def test_download_is_cached_and_a_failure_is_asked_once_with_a_short_timeout(colab):
    tmp_path, asked = colab
    path = results.committed("toy-paper.json")
    ref = results.installed_ref()
    assert path == tmp_path / "cache" / "results" / ref / "toy-paper.json"
    assert path.read_text() == '{"downloaded": true}'
    assert asked == [(f"{results.REPO_URL}/raw/{ref}/results/toy-paper.json", results.DOWNLOAD_TIMEOUT_S)]
    assert results.DOWNLOAD_TIMEOUT_S <= 10
    assert results.committed("toy-paper.json") == path and len(asked) == 1
    missing = results.committed("absent.json")
    assert not missing and not missing.exists()
    assert not results.committed("absent.json") and len(asked) == 2  # the 404 is not asked again
    text = str(missing)
    for part in ("./results", "$GSUTILS_RESULTS: not set", "the checkout: none", "HTTP 404"):
        assert part in text, f"{part!r} missing from {text!r}"


def test_own_runs_come_first(colab, monkeypatch):
    tmp_path, asked = colab
    env = tmp_path / "mine"
    env.mkdir()
    (env / "toy-paper.json").write_text("{}")
    monkeypatch.setenv("GSUTILS_RESULTS", str(env))
    assert results.committed("toy-paper.json") == env / "toy-paper.json"
    (tmp_path / "content" / "results").mkdir()
    (tmp_path / "content" / "results" / "toy-paper.json").write_text("{}")
    assert results.committed("toy-paper.json") == tmp_path / "content" / "results" / "toy-paper.json"
    assert asked == []
