"""Clusterers: the models that group rows without a target."""

from __future__ import annotations

from runtime.models._base import Assignment, Cost, ModelType
from runtime.models._params import cluster_count, restarts, rounds
from runtime.params import Param

# Agglomerative clustering and DBSCAN label the rows they are fitted on, but have
# no rule for a new row: these are the rules the saved model follows.
NEAREST_TRAINING_ROW = Assignment(
    template="KNeighborsClassifier(n_neighbors=1).fit(features, clusterer.labels_)",
    imports=("from sklearn.neighbors import KNeighborsClassifier",),
    note="A new row joins the cluster of the nearest training row (after preprocessing); "
    "the training rows keep their clusters.",
)
NEAREST_CORE_SAMPLE = Assignment(
    template="NearestCoreSample(clusterer.eps).fit("
    "features.iloc[clusterer.core_sample_indices_], "
    "clusterer.labels_[clusterer.core_sample_indices_])",
    helper="nearest_core_sample",
    imports=("from preprocessing import NearestCoreSample",),
    note="A new row joins the cluster of the nearest core sample within eps, else it is "
    "noise (cluster -1), like the training rows DBSCAN leaves out.",
    noise=True,
)

# SHAP explains a prediction by the features that moved it away from the average
# prediction; a cluster number has no average to move from.
NOT_EXPLAINED = (
    "SHAP explains predictions of a target; a cluster number is a label, not a quantity "
    "with an average, so clusterers have no SHAP explanation. Compare the clusters' "
    "feature values instead."
)

CLUSTERERS: tuple[ModelType, ...] = (
    ModelType(
        name="kmeans",
        title="k-means",
        tasks=("clustering",),
        explainer=None,
        unexplained=NOT_EXPLAINED,
        module="sklearn.cluster",
        cls="KMeans",
        explanation="Places k centres and assigns every row to the nearest one, moving "
        "the centres until they settle. Scale features first; works best on round clusters.",
        params=(
            cluster_count(),
            restarts(10),
            rounds(300, "Iterations per restart."),
        ),
        needs_scaling=True,
    ),
    ModelType(
        name="mini_batch_kmeans",
        title="Mini-batch k-means",
        tasks=("clustering",),
        explainer=None,
        unexplained=NOT_EXPLAINED,
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
        needs_scaling=True,
    ),
    ModelType(
        name="gaussian_mixture",
        title="Gaussian mixture",
        tasks=("clustering",),
        explainer=None,
        unexplained=NOT_EXPLAINED,
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
        needs_scaling=True,
    ),
    ModelType(
        name="agglomerative",
        title="Agglomerative clustering",
        tasks=("clustering",),
        explainer=None,
        unexplained=NOT_EXPLAINED,
        module="sklearn.cluster",
        cls="AgglomerativeClustering",
        explanation="Starts with every row alone and merges the two closest groups again and "
        "again until k are left. Finds clusters of any shape with 'single' linkage, compact "
        "ones with 'ward'; slow and memory-hungry on large data.",
        params=(
            cluster_count(),
            Param(
                "linkage",
                "choice",
                default="ward",
                choices=("ward", "complete", "average", "single"),
                help="Which groups merge first: 'ward' the pair that adds the least spread, "
                "'complete' the pair whose farthest rows are closest, 'average' by the mean "
                "distance, 'single' by the closest rows (long, chained clusters).",
                search={"choices": ["ward", "complete", "average", "single"]},
            ),
        ),
        seed_arg=None,
        assign=NEAREST_TRAINING_ROW,
        needs_scaling=True,
        # Measured: 4,000 rows x 10 features 3.6 s, 8,000 rows 24 s.
        cost=Cost(
            rows=4_000,
            seconds=3.5,
            growth=(2, 3),
            features=10,
            advice="It keeps a distance for every pair of rows; k-means or mini-batch k-means "
            "scale to many more rows.",
        ),
    ),
    ModelType(
        name="dbscan",
        title="DBSCAN",
        tasks=("clustering",),
        explainer=None,
        unexplained=NOT_EXPLAINED,
        module="sklearn.cluster",
        cls="DBSCAN",
        explanation="Grows clusters from dense regions: rows with enough neighbours within a "
        "distance eps are cores, and rows near a core join its cluster. Finds the number of "
        "clusters itself, and leaves rows in sparse regions out as noise.",
        params=(
            Param(
                "eps",
                "float",
                default=0.5,
                minimum=1e-6,
                maximum=1e6,
                help="How near two rows must be to count as neighbours, in the units of the "
                "(scaled) features; larger values give fewer, larger clusters and less noise.",
                search={"low": 0.05, "high": 5.0, "log": True},
            ),
            Param(
                "min_samples",
                "int",
                default=5,
                minimum=1,
                maximum=10000,
                help="Neighbours within eps (the row itself included) that make a row a core "
                "of a cluster; larger values need denser regions.",
                search={"low": 2, "high": 50, "log": True},
            ),
        ),
        seed_arg=None,
        n_jobs_arg="n_jobs",
        assign=NEAREST_CORE_SAMPLE,
        needs_scaling=True,
        # Measured with a wide eps (dense neighbourhoods, the slow case): 4,000 rows x
        # 10 features 2.5 s, 8,000 rows 13 s.
        cost=Cost(
            rows=4_000,
            seconds=2.5,
            growth=(1, 2),
            features=10,
            advice="A smaller eps makes neighbourhoods cheaper; k-means or mini-batch k-means "
            "scale to many more rows.",
        ),
    ),
)
