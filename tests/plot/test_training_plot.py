"""loss_curve: draws the loss and metrics of a training history, picks log scale, saves, rejects bad input."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from brainsim.plot.training import loss_curve  # noqa: E402

HISTORY = {
    "step": [0, 10, 20, 30], "loss": [5.0, 1.0, 0.2, 0.1], "time": [0.0, 0.1, 0.2, 0.3],
    "accuracy": [0.1, 0.5, 0.8, 0.9], "eval_step": [15, 30], "eval_accuracy": [0.6, 0.85],
}


def test_loss_and_metrics(tmp_path):
    import matplotlib.pyplot as plt

    out = tmp_path / "curve.png"
    fig, ax = loss_curve(HISTORY, save=out)
    assert out.exists() and out.stat().st_size > 0
    assert ax.get_yscale() == "log"  # spans a factor 50
    (loss_line,) = ax.lines
    np.testing.assert_array_equal(loss_line.get_xdata(), HISTORY["step"])
    np.testing.assert_array_equal(loss_line.get_ydata(), HISTORY["loss"])
    right = fig.axes[-1]
    labels = [line.get_label() for line in right.lines]
    assert labels == ["accuracy", "eval_accuracy"]
    np.testing.assert_array_equal(right.lines[1].get_xdata(), HISTORY["eval_step"])
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["loss", "accuracy", "eval_accuracy"]
    plt.close(fig)


def test_options_and_given_axes():
    import matplotlib.pyplot as plt

    fig0, ax0 = plt.subplots()
    fig, ax = loss_curve(HISTORY, metrics=(), ax=ax0, logy=False)
    assert fig is fig0 and ax is ax0 and len(fig.axes) == 1 and ax.get_yscale() == "linear"
    flat = {"step": [0, 1, 2], "loss": [1.0, 0.9, 0.8]}
    _, ax = loss_curve(flat)
    assert ax.get_yscale() == "linear"  # auto: less than a factor 10
    _, ax = loss_curve(flat, metrics=())
    _, ax = loss_curve({"step": [0, 1], "loss": [1.0, -0.5]}, logy="auto")
    assert ax.get_yscale() == "linear"  # a negative loss never gets a log axis
    _, ax = loss_curve(HISTORY, metrics="accuracy")
    assert [line.get_label() for line in ax.figure.axes[-1].lines] == ["accuracy"]
    plt.close("all")


def test_bad_input():
    with pytest.raises(TypeError, match="dict"):
        loss_curve([1.0, 2.0])
    with pytest.raises(KeyError, match="loss"):
        loss_curve({"step": [0]})
    with pytest.raises(KeyError, match="nope"):
        loss_curve(HISTORY, metrics="nope")
    with pytest.raises(ValueError, match="logy"):
        loss_curve(HISTORY, logy="yes")
    with pytest.raises(ValueError, match="entries"):
        loss_curve({"step": [0, 1], "loss": [1.0]})
