"""fold_conv_bn: an inference batch norm folded into the convolution before it.

    conv2d(x, w) -> batch_norm(., weight, bias, mean, var; training=False)
        => fused_conv2d_bn(x, w, weight, bias, mean, var; conv2d attrs, eps)

The fused kernel scales the weights by weight / sqrt(var + eps) per output channel and adds
the shifted bias, so the batch norm's pass over the activation disappears (the folding itself
touches only the weights, every run, so it stays right when the statistics change). Only when
the conv output is a private temporary read by the batch norm alone, and the batch norm's
statistics outputs vanish with it (no write-back, no fetch): in eval mode they are its inputs
unchanged. Results differ from the unfused plan by float rounding only (the multiply moves
into the weights).
"""
from __future__ import annotations

from dualnet.ops import get

from .graph import SINK, Graph, Node, Rewriter, rewrite_each


def run(graph: Graph) -> int:
    return rewrite_each(graph, ("conv2d",), _fold, needs="batch_norm")


def _fold(graph: Graph, rw: Rewriter, i: int, conv: Node) -> None:
    out = conv.outs[0]
    meta = graph.meta(out)
    if out <= SINK or meta is None or len(meta.shape) != 4 or meta.dtype.kind != "f":
        return
    k = rw.sole_consumer(out)
    if k is None:
        return
    bn = graph.nodes[k]
    if bn.type != "batch_norm" or bn.attrs.get("training") or bn.outs[0] <= SINK:
        return
    _, gamma, beta, mean, var = bn.ins
    if mean <= SINK or var <= SINK:
        return
    extra = [s for s in bn.outs[1:] if s > SINK]
    if any(not graph.private(s, rw.writers) or rw.readers.get(s) for s in extra):
        return  # the statistics outputs are written back or read: keep the batch norm
    x, w = conv.ins
    inputs = (x, w, gamma, beta, mean, var)
    if not rw.inputs_stable([i, k], inputs, k):
        return
    attrs = dict(conv.attrs, eps=bn.attrs.get("eps", 1e-5))
    fused = Node(get("fused_conv2d_bn"), inputs, (bn.outs[0],), attrs, None)
    rw.fuse([i, k], fused, k, vanish=[out] + extra, same_shape_as=bn.outs[0])
