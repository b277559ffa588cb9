"""Clusterers: the models that group rows without a target."""

from __future__ import annotations

from runtime.models._base import ModelType
from runtime.models._params import cluster_count, restarts, rounds
from runtime.params import Param

CLUSTERERS: tuple[ModelType, ...] = (
    ModelType(
        name="kmeans",
        title="k-means",
        tasks=("clustering",),
        module="sklearn.cluster",
        cls="KMeans",
        explanation="Places k centres and assigns every row to the nearest one, moving "
        "the centres until they settle. Scale features first; works best on round clusters.",
        params=(
            cluster_count(),
            restarts(10),
            rounds(300, "Iterations per restart."),
        ),
    ),
    ModelType(
        name="mini_batch_kmeans",
        title="Mini-batch k-means",
        tasks=("clustering",),
        module="sklearn.cluster",
        cls="MiniBatchKMeans",
        explanation="k-means that moves its centres using small random batches of rows instead "
        "of all of them. Much faster on large data, with clusters nearly as good.",
        params=(
            cluster_count(),
            Param(
                "batch_size",
                "int",
                default=1024,
                minimum=10,
                maximum=1000000,
                help="Rows per update; larger batches are steadier and slower.",
            ),
            restarts(3),
            rounds(100, "Most passes over the rows per restart."),
        ),
    ),
    ModelType(
        name="gaussian_mixture",
        title="Gaussian mixture",
        tasks=("clustering",),
        module="sklearn.mixture",
        cls="GaussianMixture",
        explanation="Describes the data as a blend of bell-shaped clouds and assigns every row "
        "to the cloud most likely to hold it. Finds oval clusters of different sizes where "
        "k-means expects round ones.",
        params=(
            cluster_count(
                "n_components", "Number of clusters (bell-shaped components).", title="Clusters"
            ),
            Param(
                "covariance_type",
                "choice",
                default="full",
                choices=("full", "tied", "diag", "spherical"),
                help="Cluster shapes: 'full' any oval, 'tied' one shared oval, 'diag' ovals "
                "along the axes, 'spherical' round.",
                search={"choices": ["full", "tied", "diag", "spherical"]},
            ),
            restarts(1, start="starting points"),
            rounds(100, "Most improvement rounds per restart."),
            Param(
                "reg_covar",
                "float",
                default=1e-6,
                minimum=0.0,
                maximum=1.0,
                help="Small amount added to every variance, so that flat clusters stay valid.",
            ),
        ),
        cluster_count_arg="n_components",
    ),
)
