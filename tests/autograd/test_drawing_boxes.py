"""draw() on the hierarchy: collapsed by default when large, expand= to open boxes, box derivatives on edges."""

from __future__ import annotations

import math

import pytest

from autograd import Value, draw, scope
from autograd.drawing import GraphTooLargeError
from autograd.drawing.expansion import drawn_counts, opened
from autograd.hierarchy import box_derivatives, hierarchy
from tests.autograd.test_drawing import drawn_node_count, parse_dot, record_fields, value_records
from tests.autograd.test_drawing_render import readme_mlp_loss


def ids_of(root: Value) -> dict[str, object]:
    """DOT id of each box (``g<j>``, preorder position in the tree) -> the box."""
    return {f"g{j}": box for j, box in enumerate(hierarchy(root).walk())}


def test_a_large_network_is_drawn_collapsed_with_each_examples_output() -> None:
    loss = readme_mlp_loss(4)
    source = draw(loss).source
    boxes = ids_of(loss)
    closed = {k: a for k, a in value_records(source).items() if k in boxes}
    assert sorted(boxes[k].name for k in closed) == ["example 0", "example 1", "example 2", "example 3",
                                                     "parameters"]
    for k, attrs in closed.items():
        fields = record_fields(attrs["label"])
        box = boxes[k]
        if box.kind == "example":  # its one output, the example's loss term, with its value and gradient
            (term,) = box.outputs
            assert fields[1] == f"data {term.data:.4g}" and fields[2] == f"grad {term.grad:.4g}"
        else:
            assert fields[-1] == "337 parameters"
    _, edges = parse_dot(source)
    from_params = [a for t, h, a in edges if boxes.get(t) is not None and boxes[t].name == "parameters"]
    assert len(from_params) == 4 and all(a["label"] == "337 values" for a in from_params)


def test_edges_into_a_closed_box_carry_the_box_derivative() -> None:
    loss = readme_mlp_loss(2)
    source = draw(loss, expand="example 0/MLP/layer 1").source
    boxes = ids_of(loss)
    layer2 = hierarchy(loss).find("example 0/MLP/layer 2")
    d = box_derivatives(layer2)
    _, edges = parse_dot(source)
    into = [(boxes[t], a) for t, h, a in edges if boxes.get(h) is not None and boxes[h].path == layer2.path]
    from_neurons = [(b, a) for b, a in into if b.name.startswith("neuron")]
    assert len(from_neurons) == 16  # one edge from each neuron box of layer 1
    assert [a["label"] for b, a in into if b.name == "parameters"] == ["17 values"]  # its weights and bias
    for neuron, attrs in from_neurons:
        (out,) = neuron.outputs
        assert math.isclose(float(attrs["label"]), d[out], rel_tol=1e-3, abs_tol=1e-6)


def test_expand_opens_the_boxes_named_and_the_boxes_around_them() -> None:
    loss = readme_mlp_loss(2)
    tree = hierarchy(loss)
    neuron = tree.find("example 1/MLP/layer 0/neuron 3")
    for expand in ("example 1/MLP/layer 0/neuron 3", ("example 1", "MLP", "layer 0", "neuron 3"), [neuron]):
        source = draw(loss, expand=expand).source
        titles = {record_fields(a["label"])[0] for a in value_records(source).values()}
        assert {"L0.N3.a", "L0.N3.z"} <= {t.split("#")[0] for t in titles}  # the neuron's own values
        assert "neuron 2" in titles and "example 0" in titles  # its siblings stay closed
    with pytest.raises(ValueError, match=r"no box 'layer 9' in example 1/MLP; it holds 'layer 0', 'layer 1'"):
        draw(loss, expand="example 1/MLP/layer 9")
    with pytest.raises(TypeError, match="expand takes boxes and paths"):
        draw(loss, expand=[3])
    other = hierarchy(readme_mlp_loss(2))
    with pytest.raises(ValueError, match="another graph"):
        draw(loss, expand=other.children[0])
    with pytest.raises(ValueError, match="expand= opens boxes of the recorded hierarchy"):
        draw(loss, group_by="labels", expand="x")


def test_expand_true_and_collapse_false_open_everything_within_max_nodes() -> None:
    loss = readme_mlp_loss(2)
    with pytest.raises(GraphTooLargeError, match="draw it all") as err:
        draw(loss, collapse=False)
    assert "max_nodes=None" not in str(err.value)
    everything = draw(loss, expand=True, max_nodes=None).source
    assert not any(k.startswith("g") for k in value_records(everything))  # no closed box at all
    small = Value(1.0, label="a")
    with scope("s"):
        y = (small * 2.0).tanh()
    assert drawn_node_count(draw(y).source) == drawn_node_count(draw(y, collapse=False).source) == 5


def test_max_nodes_bounds_what_opens() -> None:
    loss = readme_mlp_loss(4)
    tree = hierarchy(loss)
    for limit in (12, 25, 60):
        open_boxes = opened(tree, None, limit, 60, 100)
        assert sum(drawn_counts(tree, open_boxes)) <= limit
        assert drawn_node_count(draw(loss, max_nodes=limit).source) <= limit
    with pytest.raises(GraphTooLargeError):
        draw(loss, max_nodes=5)  # even the top level is larger
