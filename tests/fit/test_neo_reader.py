"""brainsim.fit.read_neo: neo blocks (segments as sweeps) and a file written by neo, in brainsim's units."""

import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

from brainsim.fit.neo_reader import read_neo  # noqa: E402


def _block():
    block = neo.Block(name="cellA")
    for k in range(2):
        seg = neo.Segment()
        v = neo.AnalogSignal(np.full((30, 1), -0.065 + 0.001 * k), units="V", sampling_rate=10 * pq.kHz,
                             t_start=5 * pq.ms, name="Vm")
        i = neo.AnalogSignal(np.full((30, 1), 0.1 * k), units="nA", sampling_rate=10 * pq.kHz, name="Iinj")
        seg.analogsignals += [v, i]
        block.segments.append(seg)
    return block


def test_block_and_file(tmp_path):
    rec = read_neo(_block(), response="Vm", stimulus="Iinj")
    assert rec.name == "cellA" and rec.n_sweeps == 2 and rec.dt == pytest.approx(0.1) and rec.t_start == 5.0
    np.testing.assert_allclose(rec.response[:, 0], [-65.0, -64.0])
    np.testing.assert_allclose(rec.stimulus[:, 0], [0.0, 100.0])
    path = tmp_path / "cell.pkl"
    neo.io.PickleIO(str(path)).write_block(_block())
    back = read_neo(path, response=0, stimulus=1)
    np.testing.assert_allclose(back.response, rec.response)
    assert back.name == "cell"


def test_errors_name_the_source():
    with pytest.raises(ValueError, match="cellA.*no analog signal named 'Im'"):
        read_neo(_block(), response="Im")
    with pytest.raises(ValueError, match="cellA.*stimulus of segment 0 has unit 'V'.*expected a current"):
        read_neo(_block(), response="Vm", stimulus="Vm")
