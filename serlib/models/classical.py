"""Classical classifiers on clip vectors: the seed's MLP, and scaled pipelines with grid search.

Each factory returns a :class:`GridSearchClassifier`: a scikit-learn estimator whose
``fit(X, y, groups=speakers)`` picks hyper-parameters with ``GridSearchCV`` on folds
of the *training* clips grouped by speaker (:func:`serlib.models.selection.inner_cv`),
then refits the best setting on all training clips. The test fold is never looked at.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

#: The seed's MLP settings, "determined by a grid search" on a random split.
SEED_MLP_PARAMS = dict(alpha=0.01, batch_size=32, epsilon=1e-08, hidden_layer_sizes=(300,),
                       learning_rate="adaptive", max_iter=500)


class GridSearchClassifier(ClassifierMixin, BaseEstimator):
    """An estimator plus a parameter grid, searched on speaker-grouped inner folds.

    Parameters: ``estimator`` (untrained scikit-learn estimator or Pipeline),
    ``param_grid`` (dict or None: no search), ``inner_folds`` (validation folds inside
    the training data), ``scoring`` (default balanced accuracy = UAR),
    ``refit_params`` (set on the winner before the final fit, e.g. switch on SVM
    probabilities only once), ``calibrate`` (for models without probabilities such as
    the SVM: map decision values to probabilities with a sigmoid fitted on the same
    speaker-grouped inner folds), ``feature_kind``, ``n_jobs``, ``random_state``.

    After ``fit``: ``estimator_`` (the fitted winner), ``best_params_``,
    ``best_score_`` (mean inner-fold score, NaN without a grid), ``classes_``.

    Notebook: 06_mlp_grid_search.ipynb
    """

    def __init__(self, estimator=None, param_grid=None, inner_folds: int = 4,
                 scoring: str = "balanced_accuracy", refit_params=None, calibrate: bool = False,
                 feature_kind: str = "stats", n_jobs=None, random_state: int = 0):
        self.estimator = estimator
        self.param_grid = param_grid
        self.inner_folds = inner_folds
        self.scoring = scoring
        self.refit_params = refit_params
        self.calibrate = calibrate
        self.feature_kind = feature_kind
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Search the grid on inner folds (grouped by ``groups`` = speakers), refit the best.

        Notebook: 06_mlp_grid_search.ipynb
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import GridSearchCV
        from threadpoolctl import threadpool_limits

        from serlib.models.selection import inner_cv

        X = np.asarray(X)
        y = np.asarray(y)
        best = clone(self.estimator)
        self.best_params_: dict[str, Any] = {}
        self.best_score_ = float("nan")
        # One BLAS thread: the result must not depend on how many cores a machine has or
        # on what ran before (a multi-threaded matrix product sums in another order, and an
        # MLP trained on 2 threads ended one test clip in 200 away from one trained on 1).
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.param_grid:
                cv = inner_cv(y, groups, n_splits=self.inner_folds, seed=self.random_state)
                search = GridSearchCV(clone(self.estimator), self.param_grid, cv=cv,
                                      scoring=self.scoring, n_jobs=self.n_jobs, refit=False)
                search.fit(X, y)
                self.best_params_ = dict(search.best_params_)
                self.best_score_ = float(search.best_score_)
                self.cv_results_ = search.cv_results_
                best.set_params(**self.best_params_)
            if self.refit_params:
                best.set_params(**self.refit_params)
            if self.calibrate:
                from sklearn.calibration import CalibratedClassifierCV

                cv = inner_cv(y, groups, n_splits=self.inner_folds, seed=self.random_state)
                best = CalibratedClassifierCV(best, method="sigmoid", cv=cv, ensemble=False)
            best.fit(X, y)
            if self.calibrate:
                best.cv = len(cv)  # keep the stored model small: the folds are not needed now
        self.estimator_ = best
        self.classes_ = best.classes_
        return self

    def predict(self, X):
        """Predicted emotion per row. Notebook: 06_mlp_grid_search.ipynb"""
        return self.estimator_.predict(np.asarray(X))

    def predict_proba(self, X):
        """Probability per row and class (columns in ``classes_`` order).

        Notebook: 06_mlp_grid_search.ipynb
        """
        return self.estimator_.predict_proba(np.asarray(X))


def _seeded(params: dict, random_state: int) -> dict:
    return {**params, "random_state": random_state}


def _pipeline(clf, scale: bool = True):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [("scale", StandardScaler())] if scale else []
    return Pipeline(steps + [("clf", clf)])


def _override(grid: dict | None, params: dict) -> tuple[dict | None, dict]:
    """Split user params into fixed estimator params (``clf__x``) and a grid."""
    fixed = {(k if "__" in k else f"clf__{k}"): v for k, v in params.items()}
    if grid is not None:
        grid = {k: v for k, v in grid.items() if k not in fixed}
    return grid, fixed


def seed_mlp(random_state: int = 0, **params):
    """The seed's model as it was: ``MLPClassifier`` with its fixed settings, no scaling.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(**_seeded({**SEED_MLP_PARAMS, **params}, random_state))
    return GridSearchClassifier(clf, None, feature_kind="seed180", random_state=random_state)


def mlp(random_state: int = 0, grid: dict | None = "default", inner_folds: int = 3,
        n_jobs=None, **params):
    """Scaler + MLP; grid over the L2 penalty ``alpha`` and the hidden layer size.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.neural_network import MLPClassifier

    if grid == "default":
        grid = {"clf__alpha": [0.1, 1.0, 3.0], "clf__hidden_layer_sizes": [(256,)]}
    grid, fixed = _override(grid, params)
    clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=1.0, batch_size=64,
                        learning_rate_init=1e-3, max_iter=200, random_state=random_state)
    est = _pipeline(clf).set_params(**fixed)
    return GridSearchClassifier(est, grid, inner_folds=inner_folds, feature_kind="stats",
                                n_jobs=n_jobs, random_state=random_state)


def svm(random_state: int = 0, grid: dict | None = "default", inner_folds: int = 3,
        n_jobs=None, **params):
    """Scaler + RBF SVM; grid over ``C`` and ``gamma``; sigmoid-calibrated probabilities.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.svm import SVC

    if grid == "default":
        grid = {"clf__C": [1.0, 10.0], "clf__gamma": ["scale", 0.001]}
    grid, fixed = _override(grid, params)
    clf = SVC(kernel="rbf", C=10.0, gamma="scale", class_weight="balanced",
              random_state=random_state)
    est = _pipeline(clf).set_params(**fixed)
    return GridSearchClassifier(est, grid, inner_folds=inner_folds, feature_kind="stats",
                                calibrate=True, n_jobs=n_jobs,
                                random_state=random_state)


def logreg(random_state: int = 0, grid: dict | None = "default", inner_folds: int = 3,
           n_jobs=None, **params):
    """Scaler + multinomial logistic regression; grid over the inverse penalty ``C``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.linear_model import LogisticRegression

    if grid == "default":
        grid = {"clf__C": [0.01, 0.1]}
    grid, fixed = _override(grid, params)
    clf = LogisticRegression(C=0.1, max_iter=1000, tol=1e-3, class_weight="balanced")
    est = _pipeline(clf).set_params(**fixed)
    return GridSearchClassifier(est, grid, inner_folds=inner_folds, feature_kind="stats",
                                n_jobs=n_jobs, random_state=random_state)


def forest(random_state: int = 0, grid: dict | None = "default", inner_folds: int = 3,
           n_jobs=None, **params):
    """Random forest on unscaled features (trees do not care about scale).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.ensemble import RandomForestClassifier

    if grid == "default":
        grid = {"clf__min_samples_leaf": [1, 4]}
    grid, fixed = _override(grid, params)
    clf = RandomForestClassifier(n_estimators=200, max_features="sqrt",
                                 class_weight="balanced", random_state=random_state, n_jobs=1)
    est = _pipeline(clf, scale=False).set_params(**fixed)
    return GridSearchClassifier(est, grid, inner_folds=inner_folds, feature_kind="stats",
                                n_jobs=n_jobs, random_state=random_state)


class SoftVote(ClassifierMixin, BaseEstimator):
    """Average the class probabilities of several classifiers (soft voting).

    Each member is fitted on the same training clips with the same speaker ``groups``,
    so each still picks its own hyper-parameters on speaker-grouped inner folds; the
    vote itself has no setting to tune. Models that err differently (a margin-based
    SVM, a linear model, a neural network) cancel part of each other's mistakes.

    After ``fit``: ``estimators_`` (fitted members), ``classes_``.

    Notebook: 06_mlp_grid_search.ipynb
    """

    def __init__(self, estimators=None, feature_kind: str = "stats"):
        self.estimators = estimators
        self.feature_kind = feature_kind

    def fit(self, X, y, groups=None):
        """Fit every member on ``X``, ``y`` (``groups`` = speakers, for their inner folds).

        Notebook: 06_mlp_grid_search.ipynb
        """
        if not self.estimators:
            raise ValueError("SoftVote needs at least one estimator")
        self.estimators_ = [clone(e).fit(X, y, groups=groups) for e in self.estimators]
        self.classes_ = np.unique(np.asarray(y))
        return self

    def predict_proba(self, X):
        """Mean of the members' probabilities (columns in ``classes_`` order).

        Notebook: 06_mlp_grid_search.ipynb
        """
        X = np.asarray(X)
        total = np.zeros((len(X), len(self.classes_)))
        for est in self.estimators_:
            cols = np.searchsorted(self.classes_, est.classes_)
            total[:, cols] += est.predict_proba(X)
        return total / len(self.estimators_)

    def predict(self, X):
        """Emotion with the highest mean probability. Notebook: 06_mlp_grid_search.ipynb"""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def vote(random_state: int = 0, n_jobs=None, **params):
    """Soft vote of the grid-searched SVM, logistic regression and MLP (all on ``stats``).

    Notebook: 06_mlp_grid_search.ipynb
    """
    members = [svm(random_state, n_jobs=n_jobs), logreg(random_state, n_jobs=n_jobs),
               mlp(random_state, n_jobs=n_jobs)]
    if params:
        raise TypeError(f"vote takes no model settings (got {sorted(params)}); "
                        "tune its members instead")
    return SoftVote(members, feature_kind="stats")
