"""`paddle.callbacks` (defined in dualnet_static/hapi/callbacks.py; VisualDL here)."""
from .hapi.callbacks import (Callback, EarlyStopping, LRScheduler, ModelCheckpoint,  # noqa
                             ProgBarLogger)
from .hapi.callbacks import Callback as _Callback


class VisualDL(_Callback):
    """`paddle.callbacks.VisualDL(log_dir)`: writes the losses and metrics of fit/evaluate to
    a VisualDL log. Needs the `visualdl` package; without it, an ImportError says so."""

    def __init__(self, log_dir):
        super().__init__()
        from .utils import try_import

        self._visualdl = try_import(
            "visualdl", "paddle.callbacks.VisualDL needs the visualdl package, which is not "
            "installed: install it with `pip install visualdl`, or use another callback")
        self.log_dir = log_dir
        self.epochs = self.steps = None
        self.train_step = self.eval_step = 0
        self._writer = None

    def _write(self, logs, mode: str, step: int) -> None:
        if self._writer is None:
            self._writer = self._visualdl.LogWriter(self.log_dir)
        for k, v in (logs or {}).items():
            if k in ("step", "batch_size"):
                continue
            values = v if isinstance(v, (list, tuple)) else [v]
            if values and isinstance(values[0], (int, float)):
                self._writer.add_scalar(tag=f"{mode}/{k}", step=step, value=float(values[0]))

    def on_train_batch_end(self, step, logs=None):
        self.train_step += 1
        self._write(logs, "train", self.train_step)

    def on_eval_end(self, logs=None):
        self.eval_step += 1
        self._write(logs, "eval", self.eval_step)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
