"""save_state / load_state: typed PRNG keys, bit-identical resume (batched too), and a clear CheckpointError naming
the file for every way a file can fail to fit: other network, names, structure, dtype, appended, flipped or
truncated bytes, missing or old files; atomic writes and removal of orphaned temporary files."""

import os
import subprocess
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from simulate_nets import noisy_net

import brainsim as bs
from brainsim.simulate import CheckpointError
from brainsim.simulate import checkpoint as ckpt


def _leaves(tree):
    """Every leaf as numpy, typed keys as their key data (with the impl, so a changed impl does not pass)."""
    out = []
    for leaf in jax.tree.leaves(tree):
        if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            out.append((str(leaf.dtype), np.asarray(jax.random.key_data(leaf))))
        else:
            out.append((str(leaf.dtype), np.asarray(leaf)))
    return out


def _assert_same(a, b):
    la, lb = _leaves(a), _leaves(b)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    assert len(la) == len(lb)
    for (da, xa), (db, xb) in zip(la, lb, strict=True):
        assert da == db
        np.testing.assert_array_equal(xa, xb)


@pytest.mark.parametrize("batch", [None, 3])
def test_resume_with_random_state_is_bit_identical(noisy, tmp_path, batch):
    """Poisson source and OU current (typed keys in the state), a delay buffer; unbatched and batched states."""
    key = jax.random.key(7)
    rec = bs.Record(spikes=("src", "post"), v="post[:4]")
    init = noisy.init_state(key, 0.1, batch=batch)
    assert any(jnp.issubdtype(x.dtype, jax.dtypes.prng_key) for x in jax.tree.leaves(init))
    full_state, full = bs.simulate(noisy, init, duration=20.0, dt=0.1, record=rec)
    mid, first = bs.simulate(noisy, init, duration=10.0, dt=0.1, record=rec)
    path = tmp_path / "mid.state"
    bs.save_state(path, mid)
    loaded = bs.load_state(path, noisy.init_state(jax.random.key(99), 0.1, batch=batch))
    _assert_same(loaded, mid)
    end, second = bs.simulate(noisy, loaded, duration=10.0, dt=0.1, record=rec)
    for pop in ("src", "post"):
        both = np.concatenate([first.spike_matrix(pop), second.spike_matrix(pop)])
        np.testing.assert_array_equal(both, full.spike_matrix(pop))
    np.testing.assert_array_equal(np.concatenate([first.variable("post.v")[1], second.variable("post.v")[1]]),
                                  full.variable("post.v")[1])
    _assert_same(end, full_state)
    assert full.spike_matrix("post").sum() > 0 and full.spike_matrix("src").sum() > 0


def test_load_into_shapes_and_other_key_impls(tmp_path):
    """``like`` may be ``jax.eval_shape`` of the state; a key keeps its impl (rbg here), raw keys load too."""
    state = {"k": jax.random.key(3, impl="rbg"), "raw": jax.random.PRNGKey(4), "x": jnp.arange(6.0).reshape(2, 3),
             "flags": jnp.array([True, False]), "n": jnp.int32(5)}
    bs.save_state(tmp_path / "s", state)
    back = bs.load_state(tmp_path / "s", jax.eval_shape(lambda: state))
    _assert_same(back, state)
    assert str(back["k"].dtype) == "key<rbg>"
    # a raw key where a typed key is expected (and back) is the same key
    typed = bs.load_state(tmp_path / "s", {**state, "raw": jax.random.key(0)})
    np.testing.assert_array_equal(jax.random.key_data(typed["raw"]), np.asarray(state["raw"]))


def test_file_header_records_what_was_saved(noisy, tmp_path):
    state = noisy.init_state(jax.random.key(0), 0.1)
    bs.save_state(tmp_path / "s", state, net=noisy)
    header, _ = ckpt._parse(str(tmp_path / "s"), (tmp_path / "s").read_bytes())
    assert header["format"] == ckpt.FORMAT_VERSION and header["brainsim"] == bs.__version__
    assert header["populations"] == {"src": "PoissonState", "post": "LIFState"}
    assert set(header["projections"]) == {"src->post", "post->post"}
    assert header["dt"] == 0.1 and header["batch"] is None and header["step"] == 0
    keys = [leaf for leaf in header["leaves"] if leaf["dtype"].startswith("key<")]
    assert [leaf["path"] for leaf in keys] == [".populations['src'].key", ".currents[0].key"]
    assert keys[0]["impl"] == "threefry2x32" and keys[0]["data_shape"] == [2]
    assert set(header["network"]["projections"]) == {"src->post", "post->post"}


# -- files that do not fit --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(noisy, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "state.bss"
    state = noisy.init_state(jax.random.key(0), 0.1)
    bs.save_state(path, state, net=noisy)
    return path, state


def _load_error(path, like, **kw):
    with pytest.raises(CheckpointError) as err:
        bs.load_state(path, like, **kw)
    msg = str(err.value)
    assert f"'{path}'" in msg, msg  # every error names the file
    assert isinstance(err.value, ValueError)
    return msg


def test_other_network_fewer_populations(saved):
    path, _ = saved
    from brainsim.neurons.lif import LIF

    alone = bs.Network([LIF(12, name="post")])
    msg = _load_error(path, alone.init_state(jax.random.key(0), 0.1))
    assert "the file's state has populations ['post', 'src'] but the state loaded into has ['post']" in msg
    assert "not in the state loaded into ['src']" in msg


def test_other_names(saved):
    path, _ = saved
    other = noisy_net(names=("input", "post"))
    msg = _load_error(path, other.init_state(jax.random.key(0), 0.1))
    assert "missing ['input']" in msg and "not in the state loaded into ['src']" in msg


def test_other_sizes_name_the_leaf(saved):
    path, _ = saved
    msg = _load_error(path, noisy_net(n_post=13).init_state(jax.random.key(0), 0.1))
    assert "the file's state.populations['post'].v: expected (13,) float32, got (12,) float32" in msg


def test_other_delay_structure(saved):
    path, _ = saved
    msg = _load_error(path, noisy_net(delay=0.0).init_state(jax.random.key(0), 0.1))
    assert "state.projections['src->post'].buffer ((5, 12) float32) has no counterpart in the state loaded into" in msg


def test_same_shapes_other_structure(tmp_path):
    bs.save_state(tmp_path / "t", (jnp.zeros(3), jnp.ones(2)))
    msg = _load_error(tmp_path / "t", [jnp.zeros(3), jnp.ones(2)])
    assert "the file's state is a tuple, expected a list" in msg
    bs.save_state(tmp_path / "n", {"a": (jnp.zeros(3),)})
    msg = _load_error(tmp_path / "n", {"a": [jnp.zeros(3)]})
    assert "the same leaves but another tree structure" in msg
    bs.save_state(tmp_path / "m", {"a": jnp.zeros(3)})
    msg = _load_error(tmp_path / "m", {"b": jnp.zeros(3)})
    assert "['b'] is missing ((3,) float32 expected)" in msg


def test_same_shapes_other_connectivity_needs_net(saved):
    path, state = saved
    other = noisy_net(seed=5)  # same sizes and delays: the same state shapes, other synapses
    like = other.init_state(jax.random.key(0), 0.1)
    bs.load_state(path, like)  # the state fits any network of this shape
    msg = _load_error(path, like, net=other)
    assert "another connectivity of projection 'src->post'" in msg
    _assert_same(bs.load_state(path, like, net=noisy_net()), state)


def test_other_dt_and_batch(saved, noisy):
    path, _ = saved
    assert "built for dt=0.1 ms, expected dt=0.05 ms" in _load_error(path, noisy.init_state(jax.random.key(0), 0.05))
    assert "holds no batch, expected a batch of 2 samples" in _load_error(path, noisy.init_state(None, 0.1, batch=2))


def test_dtype_change_is_not_downcast(tmp_path):
    with jax.enable_x64(True):
        bs.save_state(tmp_path / "f64", {"v": jnp.arange(4, dtype=jnp.float64)})
    msg = _load_error(tmp_path / "f64", {"v": jnp.zeros(4, jnp.float32)})
    assert "['v']: expected (4,) float32, got (4,) float64" in msg and "jax_enable_x64" in msg


def _copy(saved, tmp_path, name):
    data = saved[0].read_bytes()
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def test_appended_bytes(saved, tmp_path):
    path, data = _copy(saved, tmp_path, "appended")
    path.write_bytes(data + b"\0\0\0")
    assert "3 unexpected bytes after its end" in _load_error(path, saved[1])


@pytest.mark.parametrize("where", ["data", "header", "header length", "checksum"])
def test_flipped_byte(saved, tmp_path, where):
    path, data = _copy(saved, tmp_path, f"flipped-{where}")
    i = {"data": len(data) - 40, "header": len(ckpt.MAGIC) + 20, "header length": len(ckpt.MAGIC) + 4,
         "checksum": len(data) - 1}[where]
    raw = bytearray(data)
    raw[i] ^= 0x01
    path.write_bytes(bytes(raw))
    msg = _load_error(path, saved[1])
    assert "corrupted" in msg


@pytest.mark.parametrize("keep", [0, 5, 20, 200, -1])
def test_truncated(saved, tmp_path, keep):
    path, data = _copy(saved, tmp_path, f"cut{keep}")
    path.write_bytes(data[:keep])
    assert "truncated" in _load_error(path, saved[1])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no state file '.*nothing-here'"):
        bs.load_state(tmp_path / "nothing-here", {"x": jnp.zeros(1)})


def test_old_and_foreign_files(tmp_path, noisy):
    state = {"x": jnp.arange(3.0)}
    with open(tmp_path / "old.eqx", "wb") as f:
        eqx.tree_serialise_leaves(f, state)  # what save_state wrote before format 1
    assert "written by an older brainsim" in _load_error(tmp_path / "old.eqx", state)
    (tmp_path / "text").write_text("hello")
    assert "is not a brainsim state file" in _load_error(tmp_path / "text", state)
    path = tmp_path / "future"
    bs.save_state(path, state)
    raw = bytearray(path.read_bytes())
    raw[len(ckpt.MAGIC)] = ckpt.FORMAT_VERSION + 1
    path.write_bytes(bytes(raw))
    assert f"state format {ckpt.FORMAT_VERSION + 1}, newer" in _load_error(path, state)


def test_load_with_net_needs_a_saved_fingerprint(tmp_path, noisy):
    state = noisy.init_state(jax.random.key(0), 0.1)
    bs.save_state(tmp_path / "s", state)
    assert "saved without net=" in _load_error(tmp_path / "s", state, net=noisy)


def test_bad_leaves_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"save_state: state\['name'\] holds str"):
        bs.save_state(tmp_path / "s", {"name": "E", "x": jnp.zeros(1)})
    with pytest.raises(TypeError, match="traced value"):
        jax.jit(lambda x: bs.save_state(tmp_path / "s", {"x": x}) or x)(jnp.zeros(1))
    assert not (tmp_path / "s").exists()


# -- writing ------------------------------------------------------------------------------------------------------
def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "state"
    old = {"x": jnp.arange(3.0)}
    bs.save_state(path, old)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ckpt.os, "fsync", crash)  # after every byte is written, before the rename
    with pytest.raises(OSError, match="simulated"):
        bs.save_state(path, {"x": jnp.arange(3.0) + 1})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state"]
    _assert_same(bs.load_state(path, old), old)


def test_orphaned_temp_files_are_removed(tmp_path):
    path = tmp_path / "state"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    host = ckpt._host()
    orphan = tmp_path / f".state{ckpt._TMP_TAG}{host}.{dead_pid}.abc123"
    mine = tmp_path / f".state{ckpt._TMP_TAG}{host}.{os.getpid()}.live99"  # this process may be writing it
    elsewhere = tmp_path / f".state{ckpt._TMP_TAG}otherhost.{dead_pid}.x1"  # another machine: cannot tell
    other_file = tmp_path / f".other{ckpt._TMP_TAG}{host}.{dead_pid}.abc"  # another target's
    unrelated = tmp_path / "notes.txt"
    for p in (orphan, mine, elsewhere, other_file, unrelated):
        p.write_bytes(b"partial")
    bs.save_state(path, {"x": jnp.zeros(2)})
    left = set(os.listdir(tmp_path))
    assert orphan.name not in left
    assert {mine.name, elsewhere.name, other_file.name, unrelated.name, "state"} == left


def test_saved_file_has_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    bs.save_state(tmp_path / "s", {"x": jnp.zeros(2)})
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o666 & ~umask


def test_merged_projection_round_trip_and_source_order(tmp_path):
    """A projection with several sources (merge_projections; potjans2014's default) is checked by its sources in
    order: the network it was saved from loads it, the same sources in another order are refused."""
    from brainsim.connectivity import fixed_prob
    from brainsim.network import merge_projections
    from brainsim.neurons.lif import LIF
    from brainsim.synapses import Current

    pops = [LIF(20, name="E", I_e=300.0), LIF(10, name="I", I_e=300.0), LIF(15, name="T", I_e=300.0)]

    def net_of(order):
        projs = [bs.Projection(pre, "T", fixed_prob(n, 15, 0.3, seed=s, weight=w, delay=0.5), Current(tau=2.0))
                 for pre, n, s, w in (("E", 20, 1, 20.0), ("I", 10, 2, -40.0))]
        return bs.Network(pops, merge_projections(projs, {p.name: p.n for p in pops}, sources=order))

    net = net_of(("E", "I"))
    assert net.projections["T"].pre == ("E", "I")
    state = net.init_state(jax.random.key(0), 0.1)
    bs.save_state(tmp_path / "m", state, net=net)
    _assert_same(bs.load_state(tmp_path / "m", state, net=net), state)
    other = net_of(("I", "E"))
    msg = _load_error(tmp_path / "m", other.init_state(jax.random.key(0), 0.1), net=other)
    assert "['E', 'I']->T" in msg and "['I', 'E']->T" in msg
