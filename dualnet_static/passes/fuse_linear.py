"""fuse_linear, fuse_conv_bias and fuse_conv_pool: a product and its epilogue in one kernel call.

    matmul(x, w) | linear(x, w, None) -> add(., b) -> relu | tanh | sigmoid
        => fused_linear(x, w, b; transpose_w, activation)
    ... -> log_softmax | softmax over the last axis (a classifier head)
        => fused_linear(x, w, b; transpose_w, activation log_softmax | softmax)
    fused_linear(x, w, b; activation none) -> relu | tanh | sigmoid   (implicit mode records
        F.linear as fused_linear)  => fused_linear(x, w, b; transpose_w, activation)
    conv2d(x, w) -> add(., b) -> relu | tanh | sigmoid  => fused_conv2d(x, w, b; ..., activation)
    fused_conv2d(x, w, b; activation relu | none, b per channel) -> max_pool2d
        => fused_conv2d_max_pool2d(x, w, b; ..., pool_*)   (the epilogue after the pooling)

(each of the bias add and the activation optional, at least one present). The product's and the
bias sum's values vanish, so each must be a temporary that no fetch reads and that only the
next op of the pattern reads - except for reads of its shape alone (`sum_to_like(g, ref)` in
the backward of `add`), which move to the fused output: the bias broadcasts into the product
without growing it and the activation keeps the shape, so the shapes are equal. The pooled
fusion needs the convolution's output read by the pooling alone (so never in training, where
the backward reads it).
"""
from __future__ import annotations

from dualnet.ops import get
from dualnet.ops.fused import HEADS, POOLED_ACTIVATIONS

from .graph import NONE, SINK, Graph, Node, Rewriter, rewrite_each

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def run_linear(graph: Graph) -> int:
    return rewrite_each(graph, ("matmul", "linear", "fused_linear"), _fuse_linear)


def run_conv(graph: Graph) -> int:
    return rewrite_each(graph, ("conv2d",), _fuse_conv)


def run_conv_pool(graph: Graph) -> int:
    return rewrite_each(graph, ("fused_conv2d",), _fuse_conv_pool, needs="max_pool2d")


def _fuse_linear(graph: Graph, rw: Rewriter, i: int, node: Node) -> None:
    if node.type == "matmul":
        x, w = node.ins
        if node.attrs.get("transpose_x"):
            return
        transpose_w, bias = bool(node.attrs.get("transpose_y")), NONE
    elif node.type == "fused_linear":
        if node.attrs.get("activation") != "none":
            return
        x, w, bias = node.ins
        transpose_w = bool(node.attrs.get("transpose_w"))
    else:
        x, w, bias = node.ins
        transpose_w = True
    xm, wm = graph.meta(x), graph.meta(w)
    if xm is None or wm is None or wm.ndim != 2 or xm.ndim == 0 or xm.dtype.kind != "f":
        return
    n = wm.shape[0] if transpose_w else wm.shape[1]
    fits = (lambda b: b.shape == (n,)) if n != -1 else None
    chain = epilogue(graph, rw, i, fits if bias == NONE else None, heads=True)
    if chain is None:
        return
    members, b, activation, out, vanish = chain
    inputs = (x, w, b if b is not None else bias)
    attrs = {"transpose_w": transpose_w, "activation": activation}
    _place(graph, rw, members, inputs, out, vanish, "fused_linear", attrs)


def _fuse_conv(graph: Graph, rw: Rewriter, i: int, node: Node) -> None:
    cm = graph.meta(node.outs[0])
    if cm is None or cm.dtype.kind != "f":
        return

    def fits(b):  # broadcasts into the conv output without growing it
        return b.ndim <= cm.ndim and all(
            d == 1 or (d == c and d != -1) for d, c in zip(b.shape[::-1], cm.shape[::-1]))

    chain = epilogue(graph, rw, i, fits)
    if chain is None:
        return
    members, b, activation, out, vanish = chain
    attrs = dict(node.attrs, activation=activation)
    x, w = node.ins
    _place(graph, rw, members, (x, w, NONE if b is None else b), out, vanish, "fused_conv2d",
           attrs)


def _fuse_conv_pool(graph: Graph, rw: Rewriter, i: int, node: Node) -> None:
    out = node.outs[0]
    om = graph.meta(out)
    if node.attrs.get("activation") not in POOLED_ACTIVATIONS or om is None or \
            len(om.shape) not in (3, 4) or not _per_channel(graph.meta(node.ins[2]), om):
        return
    k = rw.sole_consumer(out)
    if k is None:
        return
    pool = graph.nodes[k]
    if pool.type != "max_pool2d" or pool.outs[0] <= SINK or \
            not rw.inputs_stable([i, k], node.ins, k):
        return
    attrs = dict(node.attrs, **{"pool_" + a: v for a, v in pool.attrs.items()})
    fused = Node(get("fused_conv2d_max_pool2d"), node.ins, pool.outs, attrs, None)
    rw.fuse([i, k], fused, k, vanish=[out], same_shape_as=pool.outs[0])


def _last_axis(graph: Graph, slot: int, attrs: dict) -> bool:
    """Whether a softmax's attrs are {axis: the last axis of slot's value}."""
    m = graph.meta(slot)
    return m is not None and m.ndim > 0 and set(attrs) == {"axis"} and \
        attrs["axis"] in (-1, m.ndim - 1)


def _per_channel(bm, om) -> bool:
    """Whether a bias of meta bm (None: no bias) adds one value per channel of output om."""
    if bm is None:
        return True
    if len(bm.shape) > len(om.shape):
        return False
    shape = (1,) * (len(om.shape) - len(bm.shape)) + tuple(bm.shape)
    return all(d == 1 for d in shape[-2:] + shape[:-3]) and shape[-3] in (1, om.shape[-3])


def epilogue(graph: Graph, rw: Rewriter, i: int, bias_fits, heads: bool = False):
    """(members, bias slot | None, activation, output slot, vanishing slots) of the bias add
    and activation following node i, or None when there is neither. `bias_fits(meta)` says
    whether an add operand can be the bias (None: no bias may be added); `heads`: the
    activation may be a log_softmax or softmax over the last axis."""
    writers = rw.writers
    cur = graph.nodes[i].outs[0]
    dtype = graph.meta(cur).dtype
    members, vanish, b, activation = [i], [], None, "none"
    step = _next(graph, rw, cur)
    if step is not None and step[0].type == "add" and bias_fits is not None and \
            step[0].outs[0] > SINK:
        node, k, pos = step
        other = node.ins[1 - pos]
        om = graph.meta(other)
        if other != cur and om is not None and om.dtype == dtype and bias_fits(om) and \
                _compatible(graph.meta(node.outs[0]), graph.meta(cur)):
            members.append(k)
            vanish.append(cur)
            b, cur = other, node.outs[0]
            step = _next(graph, rw, cur)
    if step is not None and step[0].outs[0] > SINK and (
            (step[0].type in ACTIVATIONS and not step[0].attrs) or
            (heads and step[0].type in HEADS and _last_axis(graph, cur, step[0].attrs))):
        node, k, _ = step
        members.append(k)
        vanish.append(cur)
        activation, cur = node.type, node.outs[0]
    if len(members) == 1:
        return None
    at = members[-1]
    if any(k <= at for s in vanish for k, _ in rw.shape_reads(s)):
        return None  # a shape read before the fused value exists
    if any(len(writers.get(s, ())) != 1 for s in vanish):
        return None
    return members, b, activation, cur, vanish


def _next(graph: Graph, rw: Rewriter, slot: int):
    """(node, index, position) of the one op reading `slot`'s value, when `slot` may vanish."""
    if not graph.private(slot, rw.writers):
        return None
    found = rw.sole_reader(slot)
    if found is None or rw.taken(found[0]):
        return None
    k, pos = found
    return graph.nodes[k], k, pos


def _compatible(a, b) -> bool:
    """Same rank and dtype, dims equal where both are known (the bias does not grow the
    product, so the runtime shapes are equal)."""
    return a.dtype == b.dtype and len(a.shape) == len(b.shape) and all(
        p == q or -1 in (p, q) for p, q in zip(a.shape, b.shape))


def _place(graph, rw, members, inputs, out, vanish, name, attrs) -> None:
    at = members[-1]
    if not rw.inputs_stable(members, inputs, at):
        return  # an input is overwritten before the fused op would read it
    node = Node(get(name), inputs, (out,), attrs, None)
    rw.fuse(members, node, at, vanish=vanish, same_shape_as=out)
