"""`paddle.optimizer`: optimizers that append their update ops to a static program
(`minimize(loss)`), and learning-rate schedules (`paddle.optimizer.lr`)."""
from . import lr  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adam import Adam  # noqa: F401
from .adamax import Adamax  # noqa: F401
from .adamw import AdamW  # noqa: F401
from .asgd import ASGD  # noqa: F401
from .lamb import Lamb  # noqa: F401
from .momentum import Momentum  # noqa: F401
from .nadam import NAdam  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .radam import RAdam  # noqa: F401
from .rmsprop import RMSProp  # noqa: F401
from .rprop import Rprop  # noqa: F401
from .sgd import SGD  # noqa: F401

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamW", "RMSProp", "Adagrad", "Adadelta",
           "Adamax", "Lamb", "NAdam", "RAdam", "Rprop", "ASGD", "lr"]
