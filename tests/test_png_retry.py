"""write_png retries kaleido's transient "kaleido_scopes is not defined" and nothing else."""
import pytest

from symbiosis.views import images


class Fig:
    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = 0

    def write_image(self, out, **kw):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        out.write_bytes(b"png")


def test_transient_error_is_retried(tmp_path):
    fig = Fig([RuntimeError("Error: kaleido_scopes is not defined")])
    out = images.write_png(fig, tmp_path / "a.png")
    assert fig.calls == 2 and out.read_bytes() == b"png"


def test_transient_error_gives_up_after_the_retries(tmp_path):
    fig = Fig([RuntimeError("kaleido_scopes is not defined")] * (images.RETRIES + 1))
    with pytest.raises(RuntimeError, match="cannot write PNG"):
        images.write_png(fig, tmp_path / "a.png")
    assert fig.calls == images.RETRIES + 1


def test_other_errors_are_not_retried(tmp_path):
    fig = Fig([ValueError("no browser")])
    with pytest.raises(RuntimeError, match="no browser"):
        images.write_png(fig, tmp_path / "a.png")
    assert fig.calls == 1
